"""What an entity page shows, derived from the entity's current aspect values (pure).

    >>> s = summarize("urn:li:corpuser:alice", {"corpUserInfo": {"displayName": "Alice", "active": True}}, registry)
    ...                                                                          # doctest: +SKIP
    >>> s.name, s.type_label  # doctest: +SKIP
    ('Alice', 'User')

Names, descriptions and links are read where DataHub's UI reads them (the editable aspect first,
then the ingested one), and referenced entities (tags, terms, owners, containers, domains) are
labelled with their own names when the caller read them (``names``), else from their urns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from litemeta.errors import InvalidUrnError
from litemeta.model.urns import parse_urn

# aspects holding an entity's name, in the order DataHub's UI prefers them, and the field
_NAME_FIELDS: Tuple[Tuple[str, str], ...] = (
    ("editableDatasetProperties", "name"),
    ("datasetProperties", "name"),
    ("chartInfo", "title"),
    ("dashboardInfo", "title"),
    ("dataFlowInfo", "name"),
    ("dataJobInfo", "name"),
    ("containerProperties", "name"),
    ("domainProperties", "name"),
    ("glossaryTermInfo", "name"),
    ("glossaryNodeInfo", "name"),
    ("corpUserEditableInfo", "displayName"),
    ("corpUserInfo", "displayName"),
    ("corpUserInfo", "fullName"),
    ("corpGroupEditableInfo", "displayName"),
    ("corpGroupInfo", "displayName"),
    ("tagProperties", "name"),
    ("mlModelProperties", "name"),
    ("mlModelGroupProperties", "name"),
    ("mlFeatureTableProperties", "name"),
    ("dataProductProperties", "name"),
    ("notebookInfo", "title"),
    ("dataPlatformInfo", "displayName"),
    ("dataProcessInstanceProperties", "name"),
)
# editable aspects first: a description edited in the UI wins over the ingested one
_DESCRIPTION_FIELDS: Tuple[Tuple[str, str], ...] = (
    ("editableDatasetProperties", "description"),
    ("editableChartProperties", "description"),
    ("editableDashboardProperties", "description"),
    ("editableDataFlowProperties", "description"),
    ("editableDataJobProperties", "description"),
    ("editableContainerProperties", "description"),
    ("editableMlModelProperties", "description"),
    ("editableNotebookProperties", "description"),
    ("corpGroupEditableInfo", "description"),
    ("datasetProperties", "description"),
    ("chartInfo", "description"),
    ("dashboardInfo", "description"),
    ("dataFlowInfo", "description"),
    ("dataJobInfo", "description"),
    ("containerProperties", "description"),
    ("domainProperties", "description"),
    ("glossaryTermInfo", "definition"),
    ("glossaryNodeInfo", "definition"),
    ("corpGroupInfo", "description"),
    ("tagProperties", "description"),
    ("mlModelProperties", "description"),
    ("dataProductProperties", "description"),
    ("notebookInfo", "description"),
    ("corpUserEditableInfo", "aboutMe"),
)
_PROPERTY_ASPECTS = (
    "datasetProperties",
    "chartInfo",
    "dashboardInfo",
    "dataFlowInfo",
    "dataJobInfo",
    "containerProperties",
    "domainProperties",
    "glossaryTermInfo",
    "glossaryNodeInfo",
    "corpUserInfo",
    "corpGroupInfo",
    "mlModelProperties",
    "dataProductProperties",
)
# The editable aspect where a description edit goes, per entity type (as DataHub's UI writes it).
EDITABLE_DESCRIPTION: Dict[str, str] = {
    "dataset": "editableDatasetProperties",
    "chart": "editableChartProperties",
    "dashboard": "editableDashboardProperties",
    "dataFlow": "editableDataFlowProperties",
    "dataJob": "editableDataJobProperties",
    "container": "editableContainerProperties",
    "mlModel": "editableMlModelProperties",
    "notebook": "editableNotebookProperties",
}
_TYPE_WORDS = re.compile(r"(?<=[a-z])(?=[A-Z])")
_V2_TOKEN = re.compile(r"\[[^\]]*\]\.?")


@dataclass(frozen=True)
class Ref:
    """A referenced entity with its display label (and, for owners, the ownership type)."""

    urn: str
    label: str
    kind: str = ""


@dataclass(frozen=True)
class SchemaRow:
    """One field of the schema table."""

    path: str  # the field path as DataHub stores it
    name: str  # the last segment of the simplified path
    depth: int  # nesting level (0 for top-level fields)
    type: str  # DataHub's type (String, Number, ...)
    native_type: str
    nullable: bool
    description: str
    tags: Tuple[Ref, ...]
    terms: Tuple[Ref, ...]
    primary_key: bool
    foreign_keys: Tuple[Tuple[str, str, str], ...]  # (constraint name, foreign dataset urn, foreign field path)


@dataclass(frozen=True)
class Summary:
    """An entity's header and the facts its tabs show."""

    urn: str
    entity_type: str
    type_label: str
    name: str
    platform: Optional[Ref]
    description: str
    subtypes: Tuple[str, ...]
    browse_path: Tuple[Ref, ...]
    removed: bool
    deprecation: Optional[Mapping[str, Any]]
    tags: Tuple[Ref, ...]
    terms: Tuple[Ref, ...]
    owners: Tuple[Ref, ...]
    domains: Tuple[Ref, ...]
    custom_properties: Tuple[Tuple[str, str], ...] = ()
    links: Tuple[Tuple[str, str], ...] = ()  # (url, label)
    external_url: Optional[str] = None
    extra: Tuple[Tuple[str, str], ...] = field(default=())  # other scalar properties worth a row


def type_label(entity_type: str) -> str:
    """``dataFlow`` -> ``Data Flow``; DataHub's own display names for the common types."""
    special = {
        "dataFlow": "Pipeline",
        "dataJob": "Task",
        "corpuser": "User",
        "corpGroup": "Group",
        "glossaryTerm": "Glossary Term",
        "glossaryNode": "Term Group",
        "mlModel": "ML Model",
        "mlFeatureTable": "Feature Table",
        "mlFeature": "Feature",
        "dataPlatform": "Platform",
    }
    if entity_type in special:
        return special[entity_type]
    words = _TYPE_WORDS.split(entity_type)
    return " ".join(w[:1].upper() + w[1:] for w in words)


def urn_name(urn: str) -> str:
    """A readable name from the urn alone (the key's last part; a dataset's name's last segment)."""
    try:
        u = parse_urn(urn)
    except InvalidUrnError:
        return urn
    if u.entity_type == "dataset" and len(u.parts) >= 2:
        return u.parts[1]
    if u.entity_type == "dataPlatform":
        return u.parts[0]
    if u.entity_type == "schemaField" and len(u.parts) == 2:
        return simple_path(u.parts[1])
    if u.entity_type in ("dataFlow", "chart", "dashboard") and len(u.parts) >= 2:
        return u.parts[1]
    return u.parts[-1]


def label_of(urn: str, aspects: Mapping[str, Any]) -> str:
    """The display name of ``urn`` from its aspects (when read), else from the urn."""
    for aspect, fld in _NAME_FIELDS:
        v = aspects.get(aspect)
        if isinstance(v, Mapping) and isinstance(v.get(fld), str) and v[fld].strip():
            return str(v[fld])
    return urn_name(urn)


def description_of(aspects: Mapping[str, Any]) -> str:
    """The entity's description (an edited one first)."""
    for aspect, fld in _DESCRIPTION_FIELDS:
        v = aspects.get(aspect)
        if isinstance(v, Mapping) and isinstance(v.get(fld), str) and v[fld].strip():
            return str(v[fld])
    return ""


def simple_path(field_path: str) -> str:
    """A v2 field path without its ``[version=2.0].[type=...]`` tokens (``a.b.c`` as DataHub shows it)."""
    return _V2_TOKEN.sub("", field_path).strip(".") or field_path


def _ref(urn: Any, names: Mapping[str, str], kind: str = "") -> Optional[Ref]:
    if not isinstance(urn, str) or not urn:
        return None
    return Ref(urn, names.get(urn) or urn_name(urn), kind)


def refs(urns: Sequence[Any], names: Mapping[str, str]) -> Tuple[Ref, ...]:
    """Refs for urns (skipping empty ones), each once."""
    out = [_ref(u, names) for u in dict.fromkeys(u for u in urns if isinstance(u, str))]
    return tuple(r for r in out if r is not None)


def referenced(aspects: Mapping[str, Any]) -> List[str]:
    """Urns whose names a page of this entity shows (to read them in one query)."""
    out: List[Any] = []
    for t in (aspects.get("globalTags") or {}).get("tags") or ():
        out.append(t.get("tag"))
    for t in (aspects.get("glossaryTerms") or {}).get("terms") or ():
        out.append(t.get("urn"))
    for o in (aspects.get("ownership") or {}).get("owners") or ():
        out.append(o.get("owner"))
    out += list((aspects.get("domains") or {}).get("domains") or ())
    for e in (aspects.get("browsePathsV2") or {}).get("path") or ():
        out.append(e.get("urn"))
    out.append((aspects.get("container") or {}).get("container"))
    return [u for u in out if isinstance(u, str) and u]


def summarize(urn: str, aspects: Mapping[str, Any], registry: Any, names: Mapping[str, str]) -> Summary:
    """The :class:`Summary` of an entity from its current aspects."""
    from litemeta.views.browse import platform_of

    et = urn.split(":", 3)[2] if urn.count(":") >= 3 else ""
    key = registry.entities[et].key_aspect if et in registry.entities else ""
    platform = platform_of(aspects, key) if key else None
    tags = refs([t.get("tag") for t in (aspects.get("globalTags") or {}).get("tags") or ()], names)
    terms = refs([t.get("urn") for t in (aspects.get("glossaryTerms") or {}).get("terms") or ()], names)
    owners = []
    for o in (aspects.get("ownership") or {}).get("owners") or ():
        r = _ref(o.get("owner"), names, _owner_type(o))
        if r is not None:
            owners.append(r)
    domains = refs(list((aspects.get("domains") or {}).get("domains") or ()), names)
    path = []
    for e in (aspects.get("browsePathsV2") or {}).get("path") or ():
        u = e.get("urn")
        path.append(
            Ref(u or "", names.get(u, "") or (urn_name(u) if u else str(e.get("id", ""))), "entity" if u else "")
        )
    st = aspects.get("status")
    dep = aspects.get("deprecation")
    props: Dict[str, str] = {}
    external = None
    extra: List[Tuple[str, str]] = []
    for a in _PROPERTY_ASPECTS:
        v = aspects.get(a)
        if not isinstance(v, Mapping):
            continue
        for k, x in (v.get("customProperties") or {}).items():
            props[str(k)] = str(x)
        external = external or v.get("externalUrl")
        for k in ("qualifiedName", "email", "title", "project", "env", "uri"):
            if isinstance(v.get(k), (str, int, float)) and str(v[k]):
                extra.append((k, str(v[k])))
    links = tuple(
        (str(e.get("url", "")), str(e.get("description") or e.get("url", "")))
        for e in (aspects.get("institutionalMemory") or {}).get("elements") or ()
        if isinstance(e, Mapping)
    )
    return Summary(
        urn=urn,
        entity_type=et,
        type_label=type_label(et),
        name=label_of(urn, aspects),
        platform=_ref(platform, names) if platform else None,
        description=description_of(aspects),
        subtypes=tuple(str(t) for t in (aspects.get("subTypes") or {}).get("typeNames") or ()),
        browse_path=tuple(path),
        removed=bool(isinstance(st, Mapping) and st.get("removed")),
        deprecation=dep if isinstance(dep, Mapping) and dep.get("deprecated") else None,
        tags=tags,
        terms=terms,
        owners=tuple(owners),
        domains=domains,
        custom_properties=tuple(sorted(props.items())),
        links=links,
        external_url=str(external) if external else None,
        extra=tuple(extra),
    )


def _owner_type(o: Mapping[str, Any]) -> str:
    t = o.get("typeUrn") or o.get("type") or ""
    return str(t).rsplit(":", 1)[-1].replace("_", " ").title() if t else ""


def _type_name(t: Any) -> str:
    # {"type": {"com.linkedin.schema.StringType": {}}} -> "String"
    inner = (t or {}).get("type") if isinstance(t, Mapping) else None
    if isinstance(inner, Mapping) and inner:
        name = next(iter(inner)).rsplit(".", 1)[-1]
        return name[:-4] if name.endswith("Type") else name
    return ""


def schema_rows(urn: str, aspects: Mapping[str, Any], names: Mapping[str, str]) -> List[SchemaRow]:
    """The schema table: ``schemaMetadata`` fields in order, with the edits of ``editableSchemaMetadata``
    (descriptions, tags, terms) merged over them, primary keys and foreign keys."""
    sm = aspects.get("schemaMetadata")
    if not isinstance(sm, Mapping):
        return []
    edits: Dict[str, Mapping[str, Any]] = {}
    for e in (aspects.get("editableSchemaMetadata") or {}).get("editableSchemaFieldInfo") or ():
        if isinstance(e, Mapping) and e.get("fieldPath"):
            edits[str(e["fieldPath"])] = e
    pks = set(sm.get("primaryKeys") or ())
    fks: Dict[str, List[Tuple[str, str, str]]] = {}
    for fk in sm.get("foreignKeys") or ():
        sources = fk.get("sourceFields") or []
        foreign = fk.get("foreignFields") or []
        for i, src in enumerate(sources):
            parts = _field_parts(src)
            dst = _field_parts(foreign[i]) if i < len(foreign) else None
            if parts is not None:
                fks.setdefault(parts[1], []).append(
                    (
                        str(fk.get("name", "")),
                        str(fk.get("foreignDataset") or (dst[0] if dst else "")),
                        dst[1] if dst else "",
                    )
                )
    rows = []
    for f in sm.get("fields") or ():
        if not isinstance(f, Mapping) or not f.get("fieldPath"):
            continue
        path = str(f["fieldPath"])
        simple = simple_path(path)
        ed = edits.get(path, {})
        tags = [t.get("tag") for t in (f.get("globalTags") or {}).get("tags") or ()]
        tags += [t.get("tag") for t in (ed.get("globalTags") or {}).get("tags") or ()]
        terms = [t.get("urn") for t in (f.get("glossaryTerms") or {}).get("terms") or ()]
        terms += [t.get("urn") for t in (ed.get("glossaryTerms") or {}).get("terms") or ()]
        rows.append(
            SchemaRow(
                path=path,
                name=simple.rsplit(".", 1)[-1],
                depth=simple.count("."),
                type=_type_name(f.get("type")),
                native_type=str(f.get("nativeDataType", "")),
                nullable=bool(f.get("nullable")),
                description=str(ed.get("description") or f.get("description") or ""),
                tags=refs(tags, names),
                terms=refs(terms, names),
                primary_key=bool(f.get("isPartOfKey")) or path in pks or simple in pks,
                foreign_keys=tuple(fks.get(path, ()) or fks.get(simple, ())),
            )
        )
    return rows


def _field_parts(urn: Any) -> Optional[Tuple[str, str]]:
    # urn:li:schemaField:(<dataset urn>,<field path>)
    if not isinstance(urn, str):
        return None
    try:
        u = parse_urn(urn)
    except InvalidUrnError:
        return None
    if u.entity_type != "schemaField" or len(u.parts) != 2:
        return None
    return u.parts[0], u.parts[1]
