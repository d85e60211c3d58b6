"""DataHub's per-aspect PATCH templates: defaults, keyed arrays and extra steps (R8.14-R8.16).

A template turns an aspect value into the "patchable" JSON form, where arrays keyed by an id become
(nested) objects, so that RFC 6902 paths such as ``/owners/<owner>/<type>/<typeUrn>`` address one
element; after the patch, :meth:`Template.rebase` turns the maps back into arrays. Pure functions of
JSON values; the array <-> map rewrites themselves (and their deliberate deviations from DataHub)
are in :mod:`litemeta.core.patch_arrays`; :mod:`litemeta.core.patch` applies the operations.

Sources read (datahub-project/datahub, ``entity-registry/src/main/java/com/linkedin/metadata/aspect/
patch/template/``; commit where the index pinned one):

- ``common/``: ``GlobalTagsTemplate@1d4c082b`` (``tags`` by ``tag``), ``GlossaryTermsTemplate@1c87f2d5``
  (``terms`` by ``urn``, ``attribution␟source``; ``auditStamp`` filled before and after),
  ``OwnershipTemplate@09656a7b`` (``owners`` by ``owner``, ``type``, ``typeUrn``),
  ``StructuredPropertiesTemplate@39dc905f`` (``properties`` by ``propertyUrn``,
  ``attribution␟source``), ``DomainsTemplate@06d78b48`` and ``domain/DomainsTemplate@a3e35337``
  (``domains`` string list, default ``{domains: []}``), ``DocumentationTemplate@075b41dc``
  (``documentations`` by ``attribution␟source``), ``StatusTemplate@95dc93df`` (``{removed: false}``,
  no arrays), ``VersionPropertiesTemplate@256fc6b9`` (no default: patching a missing value fails),
  ``SiblingsTemplate@71eb9df6``, ``InstitutionalMemoryTemplate@cb73924f``.
- ``dataflow/DataFlowInfoTemplate@6d420ed1``, ``datajob/DataJobInfoTemplate@be2b8269``: default
  ``{customProperties: {}}``, no arrays.
- ``dataproduct/DataProductPropertiesTemplate@1d4c082b``: ``{assets: []}``, ``assets`` by
  ``destinationUrn``; ``dataproduct/DataProductsTemplate@39cb8832``: ``dataProducts`` string list.
- ``dataset/EditableDatasetPropertiesTemplate@79026b94``, ``chart/EditableChartPropertiesTemplate
  @de6a8303``, ``domain/DomainPropertiesTemplate@bf46142d``: default ``{}``, no arrays (the other
  editable*Properties templates are assumed to follow the same one-line pattern: not read).
- ``glossary/GlossaryTermInfoTemplate@a3e35337``: ``{definition: "", termSource: "INTERNAL",
  customProperties: {}}``; ``glossary/GlossaryNodeInfoTemplate@a3e35337``: ``{definition: "",
  customProperties: {}}``; ``glossary/GlossaryRelatedTermsTemplate@9f218a5b``: default ``{}``, four
  string lists.
- ``form/FormInfoTemplate@1465f222``: ``{name: ""}``, ``prompts`` by ``id``, ``actors.users`` and
  ``actors.groups`` string lists.
- ``structuredproperty/StructuredPropertyDefinitionTemplate@821d14a8``: ``{qualifiedName: "",
  valueType: urn:li:dataType:datahub.string, entityTypes: []}``; ``entityTypes`` and
  ``allowedPlatforms`` string lists; ``allowedValues`` by ``value␟<first value's union member>``.
- ``dashboard/DashboardInfoTemplate@65c240a3``: adds ``dashboards`` by ``destinationUrn`` to R8.15.

Not implemented (generic patches still work on them): forms, formAssociation, assertion*,
applicationProperties, dataProcessInstanceInput/Output, incidentNotificationDetails, monitorInfo,
testResults, usageFeatures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, Optional, Sequence, Tuple

from litemeta.core.patch_arrays import (
    UNIT_SEPARATOR,
    KeyedArray,
    array_to_map,
    fine_grained_to_array,
    fine_grained_to_map,
    key_of,
    map_to_array,
    rebase_arrays,
    transform_arrays,
)

SYSTEM_ACTOR = "urn:li:corpuser:__datahub_system"


def audit_stamp(now_ms: int) -> Dict[str, Any]:
    """The audit stamp DataHub's template defaults carry: system actor, current time."""
    return {"actor": SYSTEM_ACTOR, "time": now_ms}


# ---------------------------------------------------------------------------------------------
# Templates


def _keyed(name: str, *keys: str, only_if_present: bool = False) -> KeyedArray:
    return KeyedArray(name, tuple(keys), frozenset(k for k in keys if UNIT_SEPARATOR not in k), only_if_present)


Hook = Callable[[Dict[str, Any], int], None]


@dataclass(frozen=True)
class Template:
    """A DataHub patch template: default value, keyed arrays and optional extra steps."""

    aspect: str
    default: Optional[Callable[[int], Dict[str, Any]]]
    arrays: Tuple[KeyedArray, ...] = ()
    fine_grained: bool = False
    before: Optional[Hook] = None
    after: Optional[Hook] = None
    extra: Dict[str, Any] = field(default_factory=dict)

    def transform(self, value: Dict[str, Any], now_ms: int, paths: Optional[Sequence[Sequence[str]]] = None) -> None:
        """Aspect value (a fresh top-level dict) -> patchable form, in place.

        ``paths`` (the ops' path and from tokens) lets editableSchemaMetadata skip the nested
        rewrite of field entries no op reaches.
        """
        if self.before is _esm_before:
            _esm_before(value, now_ms, _touched_fields(paths))
        elif self.before is not None:
            self.before(value, now_ms)
        transform_arrays(value, self.arrays)
        if self.fine_grained:
            value["fineGrainedLineages"] = fine_grained_to_map(value.get("fineGrainedLineages"))

    def rebase(self, value: Dict[str, Any], now_ms: int) -> None:
        """Patchable form (a fresh top-level dict) -> aspect value, in place."""
        rebase_arrays(value, self.arrays)
        if self.fine_grained:
            value["fineGrainedLineages"] = fine_grained_to_array(value.get("fineGrainedLineages"))
        if self.after is not None:
            self.after(value, now_ms)


_TAGS = (_keyed("tags", "tag"),)
_TERMS = (_keyed("terms", "urn", f"attribution{UNIT_SEPARATOR}source"),)


def _fill_terms_stamp(value: Dict[str, Any], now_ms: int) -> None:
    if value.get("auditStamp") is None:
        value["auditStamp"] = audit_stamp(now_ms)


def _clean_info(info: Any) -> bool:
    """True when the nested tags/terms round trip would give this field info back unchanged."""
    if not isinstance(info, dict):
        return False
    tags = info.get("globalTags")
    if tags is not None:
        items = tags.get("tags") if isinstance(tags, dict) else None
        if not isinstance(items, list) or not all(isinstance(t, dict) and isinstance(t.get("tag"), str) for t in items):
            return False
        if len({t["tag"] for t in items}) != len(items):
            return False
    terms = info.get("glossaryTerms")
    if terms is not None:
        items = terms.get("terms") if isinstance(terms, dict) else None
        if not isinstance(items, list) or terms.get("auditStamp") is None:
            return False
        if not all(isinstance(t, dict) and isinstance(t.get("urn"), str) for t in items):
            return False
        if len({(t["urn"], key_of(t, f"attribution{UNIT_SEPARATOR}source")) for t in items}) != len(items):
            return False
    return True


def _esm_before(value: Dict[str, Any], now_ms: int, touched: Optional[FrozenSet[str]] = None) -> None:
    fields = value.get("editableSchemaFieldInfo")
    new_map = array_to_map(fields, ("fieldPath",), "/editableSchemaFieldInfo")
    for path, info in new_map.items():
        if not isinstance(info, dict):
            continue
        # Untouched, already-normal entries stay as lists: rebasing a list keeps it (R8.14), so
        # the result equals DataHub's full round trip without paying for it on every field.
        if touched is not None and path not in touched and _clean_info(info):
            continue
        if isinstance(info.get("globalTags"), dict):
            tags = dict(info["globalTags"])
            transform_arrays(tags, _TAGS)
            info["globalTags"] = tags
        if isinstance(info.get("glossaryTerms"), dict):
            terms = dict(info["glossaryTerms"])
            _fill_terms_stamp(terms, now_ms)
            transform_arrays(terms, _TERMS)
            info["glossaryTerms"] = terms
    value["editableSchemaFieldInfo"] = new_map


def _esm_after(value: Dict[str, Any], now_ms: int) -> None:
    infos = map_to_array(value.get("editableSchemaFieldInfo"), ("fieldPath",), frozenset({"fieldPath"}))
    out = []
    for info in infos:
        if isinstance(info, dict):
            tags, terms = info.get("globalTags"), info.get("glossaryTerms")
            fix_tags = isinstance(tags, dict) and not isinstance(tags.get("tags"), list)
            fix_terms = isinstance(terms, dict) and (
                not isinstance(terms.get("terms"), list) or terms.get("auditStamp") is None
            )
            if fix_tags or fix_terms:
                info = dict(info)
                if fix_tags and isinstance(tags, dict):  # isinstance again: mypy does not narrow through fix_tags
                    tags = dict(tags)
                    rebase_arrays(tags, _TAGS)
                    info["globalTags"] = tags
                if fix_terms and isinstance(terms, dict):
                    terms = dict(terms)
                    rebase_arrays(terms, _TERMS)
                    _fill_terms_stamp(terms, now_ms)
                    info["glossaryTerms"] = terms
        out.append(info)
    value["editableSchemaFieldInfo"] = out


def _touched_fields(paths: Optional[Sequence[Sequence[str]]]) -> Optional[FrozenSet[str]]:
    if paths is None:
        return None
    touched = set()
    for tokens in paths:
        if len(tokens) < 2 or tokens[0] != "editableSchemaFieldInfo":
            if not tokens or tokens[0] == "editableSchemaFieldInfo":
                return None  # the whole array or aspect is addressed: rewrite every entry
            continue
        touched.add(tokens[1])
    return frozenset(touched)


def _form_before(value: Dict[str, Any], now_ms: int) -> None:
    actors = value.get("actors")
    if isinstance(actors, dict):
        actors = dict(actors)
        transform_arrays(actors, (_keyed("users"), _keyed("groups")))
        value["actors"] = actors


def _form_after(value: Dict[str, Any], now_ms: int) -> None:
    actors = value.get("actors")
    if isinstance(actors, dict):
        actors = dict(actors)
        rebase_arrays(actors, (_keyed("users"), _keyed("groups")))
        value["actors"] = actors


def _spd_before(value: Dict[str, Any], now_ms: int) -> None:
    allowed = value.get("allowedValues")
    if allowed is None:
        return
    key = "value"
    if isinstance(allowed, list) and allowed:
        first = allowed[0].get("value") if isinstance(allowed[0], dict) else None
        if isinstance(first, dict) and first:
            key = f"value{UNIT_SEPARATOR}{next(iter(first))}"
    value["allowedValues"] = array_to_map(allowed, (key,), "/allowedValues")


def _spd_after(value: Dict[str, Any], now_ms: int) -> None:
    if value.get("allowedValues") is not None:
        # "value" is a union record, so no key is written back (ArrayMergingTemplate.reinjectKey).
        value["allowedValues"] = map_to_array(value["allowedValues"], ("value",), frozenset())


def _lastmod(now_ms: int) -> Dict[str, Any]:
    return {"created": audit_stamp(now_ms), "lastModified": audit_stamp(now_ms)}


def _edges(*names: str) -> Tuple[KeyedArray, ...]:
    return tuple(_keyed(n, "destinationUrn") for n in names)


def _strings(*names: str) -> Tuple[KeyedArray, ...]:
    return tuple(_keyed(n) for n in names)


def _empty(now_ms: int) -> Dict[str, Any]:
    return {}


_TEMPLATE_LIST: Tuple[Template, ...] = (
    Template("globalTags", lambda t: {"tags": []}, _TAGS),
    Template(
        "glossaryTerms",
        lambda t: {"terms": [], "auditStamp": audit_stamp(t)},
        _TERMS,
        before=_fill_terms_stamp,
        after=_fill_terms_stamp,
    ),
    Template(
        "ownership",
        lambda t: {"owners": [], "lastModified": audit_stamp(t)},
        (_keyed("owners", "owner", "type", "typeUrn"),),
    ),
    Template(
        "structuredProperties",
        lambda t: {"properties": []},
        (_keyed("properties", "propertyUrn", f"attribution{UNIT_SEPARATOR}source"),),
    ),
    Template("institutionalMemory", lambda t: {"elements": []}, (_keyed("elements", "url"),)),
    Template("siblings", lambda t: {"siblings": [], "primary": False}, _strings("siblings")),
    Template(
        "documentation",
        lambda t: {"documentations": []},
        (_keyed("documentations", f"attribution{UNIT_SEPARATOR}source"),),
    ),
    Template("domains", lambda t: {"domains": []}, _strings("domains")),
    Template("dataProducts", lambda t: {"dataProducts": []}, _strings("dataProducts")),
    Template("status", lambda t: {"removed": False}),
    Template("versionProperties", None),
    Template(
        "upstreamLineage",
        lambda t: {"upstreams": [], "fineGrainedLineages": []},
        (_keyed("upstreams", "dataset"),),
        fine_grained=True,
    ),
    Template("datasetProperties", lambda t: {"tags": [], "customProperties": {}}, _strings("tags")),
    Template(
        "editableSchemaMetadata",
        lambda t: {"created": audit_stamp(t), "lastModified": audit_stamp(t), "editableSchemaFieldInfo": []},
        before=_esm_before,
        after=_esm_after,
    ),
    Template(
        "chartInfo",
        lambda t: {"title": "", "description": "", "lastModified": _lastmod(t), "inputEdges": [], "inputs": []},
        _edges("inputEdges") + _strings("inputs"),
    ),
    Template(
        "dashboardInfo",
        lambda t: {
            "title": "",
            "description": "",
            "lastModified": _lastmod(t),
            "chartEdges": [],
            "datasetEdges": [],
            "datasets": [],
            "charts": [],
        },
        _edges("chartEdges", "datasetEdges", "dashboards") + _strings("datasets", "charts"),
    ),
    Template(
        "dataJobInputOutput",
        lambda t: {
            "inputDatajobEdges": [],
            "inputDatasetEdges": [],
            "outputDatasetEdges": [],
            "fineGrainedLineages": [],
            "inputDatasetFields": [],
            "outputDatasetFields": [],
            "inputDatajobs": [],
            "inputDatasets": [],
            "outputDatasets": [],
        },
        _edges("inputDatajobEdges", "inputDatasetEdges", "outputDatasetEdges")
        + _strings("inputDatasetFields", "outputDatasetFields"),
        fine_grained=True,
    ),
    Template("dataFlowInfo", lambda t: {"customProperties": {}}),
    Template("dataJobInfo", lambda t: {"customProperties": {}}),
    Template("dataProductProperties", lambda t: {"assets": []}, _edges("assets")),
    Template("domainProperties", _empty),
    Template("glossaryTermInfo", lambda t: {"definition": "", "termSource": "INTERNAL", "customProperties": {}}),
    Template("glossaryNodeInfo", lambda t: {"definition": "", "customProperties": {}}),
    Template("glossaryRelatedTerms", _empty, _strings("isRelatedTerms", "hasRelatedTerms", "values", "relatedTerms")),
    Template("formInfo", lambda t: {"name": ""}, (_keyed("prompts", "id"),), before=_form_before, after=_form_after),
    Template(
        "propertyDefinition",
        lambda t: {"qualifiedName": "", "valueType": "urn:li:dataType:datahub.string", "entityTypes": []},
        _strings("entityTypes") + (KeyedArray("allowedPlatforms", only_if_present=True),),
        before=_spd_before,
        after=_spd_after,
    ),
) + tuple(
    Template(name, _empty)
    for name in (
        "editableDatasetProperties",
        "editableContainerProperties",
        "editableChartProperties",
        "editableDashboardProperties",
        "editableDataFlowProperties",
        "editableDataJobProperties",
        "editableMlModelProperties",
        "editableMlModelGroupProperties",
        "editableMlFeatureProperties",
        "editableMlFeatureTableProperties",
        "editableMlPrimaryKeyProperties",
    )
)

TEMPLATES: Dict[str, Template] = {t.aspect: t for t in _TEMPLATE_LIST}


# ---------------------------------------------------------------------------------------------
# Schema facts for the generic template (which fields are arrays, which key fields are scalar)

_SCALARS = {"string", "int", "long", "float", "double", "boolean", "enum"}


@lru_cache(maxsize=512)
def array_fields(schema_name: str) -> Optional[Dict[str, FrozenSet[str]]]:
    """Top-level array fields of an aspect's Avro schema -> scalar/enum fields of their items.

    ``None`` when the schema file is not shipped. A non-record item gives an empty set.
    """
    from litemeta.model.registry import data_dir  # model data, read once per schema

    path = data_dir() / "schemas" / f"{schema_name}.avsc"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    named: Dict[str, Any] = {}
    _collect_named(schema, named)
    out: Dict[str, FrozenSet[str]] = {}
    for fld in schema.get("fields", []):
        ftype = _deref(fld.get("type"), named)
        if isinstance(ftype, dict) and ftype.get("type") == "array":
            item = _deref(ftype.get("items"), named)
            scalar = set()
            if isinstance(item, dict) and item.get("type") == "record":
                for sub in item.get("fields", []):
                    st = _deref(sub.get("type"), named)
                    kind = st if isinstance(st, str) else st.get("type") if isinstance(st, dict) else None
                    if kind in _SCALARS:
                        scalar.add(sub["name"])
            out[fld["name"]] = frozenset(scalar)
    return out


def _collect_named(node: Any, named: Dict[str, Any]) -> None:
    if isinstance(node, dict):
        if node.get("type") in ("record", "enum", "fixed") and "name" in node:
            name = node["name"]
            named[name] = node
            if node.get("namespace"):
                named[f"{node['namespace']}.{name}"] = node
        for value in node.values():
            _collect_named(value, named)
    elif isinstance(node, list):
        for value in node:
            _collect_named(value, named)


def _deref(ftype: Any, named: Dict[str, Any]) -> Any:
    if isinstance(ftype, list):  # Pegasus optional field: ["null", T]
        rest = [t for t in ftype if t != "null"]
        ftype = rest[0] if len(rest) == 1 else ftype
    if isinstance(ftype, str) and ftype in named:
        return named[ftype]
    if isinstance(ftype, dict) and isinstance(ftype.get("type"), (dict, list)):
        return _deref(ftype["type"], named)
    return ftype
