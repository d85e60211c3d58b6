"""Transformers: DataHub's most used ones, same names, same config keys, same results; and a filter.

    >>> from litemeta.model.proposal import Proposal
    >>> from litemeta.workflow.steps import PipelineContext
    >>> t = SimpleAddDatasetTags.create({"tag_urns": ["urn:li:tag:pii"]}, PipelineContext("r1"))
    >>> p = Proposal("urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)", "globalTags", aspect={"tags": []})
    >>> [r.aspect for r in t.process(p)]
    [{'tags': [{'tag': 'urn:li:tag:pii'}]}]

Each ``*_add_*`` transformer follows DataHub's ``BaseTransformer`` + ``SingleAspectTransformer``
(``datahub/ingestion/transformer/base_transformer.py``):

- an UPSERT of the target aspect for an entity of a handled type is transformed in place (a
  result of None drops the record);
- a legacy MCE carrying the aspect has it transformed inside the MCE;
- every other entity of a handled type seen in the stream (by an UPSERT of another aspect or an
  MCE) gets the aspect at the end of the stream, transformed from nothing, with the system
  metadata of the first UPSERT seen for it (else of the last MCE);
- other change types (PATCH, DELETE, CREATE...) pass through untouched and unrecorded, as raw
  MCPs do in DataHub.

``semantics: PATCH`` merges the result with the current value in the store of the recipe's
``litemeta`` sink or ``litemeta-bulk`` bulk sink (DataHub's "server"); ``OVERWRITE`` (default)
writes it as computed. ``replace_existing: true`` ignores the incoming aspect's entries.
Differences from DataHub: a bare domain id is resolved against the store (needs a store) and a
UUID-like id becomes ``urn:li:domain:<id>``; ``is_container: true`` is not supported.

The stream rules live in :mod:`litemeta.workflow.transformer_base`, the ``filter`` processor in
:mod:`litemeta.workflow.filters`; both are importable from here too (entry points name this module).
"""

from __future__ import annotations

import copy
import time
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from litemeta.errors import ConfigurationError
from litemeta.model.proposal import Proposal
from litemeta.workflow.filters import Filter
from litemeta.workflow.steps import REQUIRED, PipelineContext
from litemeta.workflow.transformer_base import (
    ALL_TYPES,
    LEGACY_OWNERSHIP_TYPES,
    OWNERSHIP_TYPES,
    SEMANTIC_KEYS,
    SEMANTICS,
    AspectTransformer,
    KeyValuePattern,
    Value,
    as_obj,
    dedupe_last,
    load_callable,
)

__all__ = [
    "ALL_TYPES",
    "LEGACY_OWNERSHIP_TYPES",
    "OWNERSHIP_TYPES",
    "SEMANTICS",
    "AddDatasetProperties",
    "AddDatasetTags",
    "AddDatasetTerms",
    "AddDomain",
    "AddOwnership",
    "AspectTransformer",
    "Filter",
    "KeyValuePattern",
    "MarkDatasetStatus",
    "PatternAddDatasetDomain",
    "PatternAddDatasetOwnership",
    "PatternAddDatasetTags",
    "PatternAddDatasetTerms",
    "PatternAddDomain",
    "PatternAddOwnership",
    "SetDatasetBrowsePath",
    "SimpleAddDatasetDomain",
    "SimpleAddDatasetOwnership",
    "SimpleAddDatasetProperties",
    "SimpleAddDatasetTags",
    "SimpleAddDatasetTerms",
    "SimpleAddDomain",
    "SimpleAddOwnership",
    "dedupe_last",
    "ownership_type",
]


# ------------------------------------------------------------------------------------ tags
class AddDatasetTags(AspectTransformer):
    """``add_dataset_tags``: tags from ``get_tags_to_add`` (a callable urn -> tag associations)."""

    aspect = "globalTags"
    options = {**SEMANTIC_KEYS, "get_tags_to_add": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        self.processed_tags: Dict[str, Value] = {}
        self.tags_for = self._tags_function()

    def _tags_function(self) -> Callable[[str], List[Value]]:
        fn = load_callable(self.opts["get_tags_to_add"], "get_tags_to_add")
        return lambda urn: [{"tag": t} if isinstance(t, str) else as_obj(t) for t in (fn(urn) or [])]

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        out: Value = {"tags": []}
        if value is not None and not self.opts["replace_existing"]:
            out["tags"].extend(value.get("tags") or [])
        to_add = self.tags_for(urn)
        out["tags"].extend(copy.deepcopy(to_add))
        for t in to_add:
            self.processed_tags.setdefault(t["tag"], t)
        out["tags"] = dedupe_last(out["tags"], key=lambda t: t.get("tag"))
        if not self.patch:
            return out
        if not out["tags"]:
            return None
        server = self.server_value(urn)
        if server:
            out["tags"] = list(
                {**{t["tag"]: t for t in server.get("tags") or []}, **{t["tag"]: t for t in out["tags"]}}.values()
            )
        return out

    def extra_end_of_stream(self) -> Iterator[Proposal]:
        # DataHub creates each added tag with its key aspect (the store warns: key aspects come from the urn, R1.22).
        for tag in self.processed_tags:
            yield Proposal(tag, "tagKey", aspect={"name": tag[len("urn:li:tag:") :]}, origin=self._origin())


class SimpleAddDatasetTags(AddDatasetTags):
    """``simple_add_dataset_tags``: the same ``tag_urns`` on every dataset."""

    options = {**SEMANTIC_KEYS, "tag_urns": (list, REQUIRED)}

    def _tags_function(self) -> Callable[[str], List[Value]]:
        tags = [{"tag": t} for t in self.opts["tag_urns"]]
        return lambda urn: tags


class PatternAddDatasetTags(AddDatasetTags):
    """``pattern_add_dataset_tags``: tags by urn pattern (``tag_pattern.rules``)."""

    options = {**SEMANTIC_KEYS, "tag_pattern": (dict, None)}

    def _tags_function(self) -> Callable[[str], List[Value]]:
        pattern = KeyValuePattern(self.opts["tag_pattern"], "tag_pattern")
        return lambda urn: [{"tag": t} for t in pattern.value(urn)]


# ----------------------------------------------------------------------------------- terms
class AddDatasetTerms(AspectTransformer):
    """``add_dataset_terms``: glossary terms from ``get_terms_to_add`` (a callable urn -> associations)."""

    aspect = "glossaryTerms"
    options = {**SEMANTIC_KEYS, "get_terms_to_add": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        self.terms_for = self._terms_function()

    def _terms_function(self) -> Callable[[str], List[Value]]:
        fn = load_callable(self.opts["get_terms_to_add"], "get_terms_to_add")
        return lambda urn: [{"urn": t} if isinstance(t, str) else as_obj(t) for t in (fn(urn) or [])]

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        stamp = (value.get("auditStamp") if value is not None else None) or {
            "time": int(time.time() * 1000),
            "actor": "urn:li:corpUser:restEmitter",
        }
        out: Value = {"terms": [], "auditStamp": stamp}
        if value is not None and not self.opts["replace_existing"]:
            out["terms"].extend(value.get("terms") or [])
        out["terms"].extend(copy.deepcopy(self.terms_for(urn)))
        out["terms"] = dedupe_last(out["terms"], key=lambda t: t.get("urn"))
        if not self.patch:
            return out
        if not out["terms"]:
            return None
        server = self.server_value(urn)
        if server is not None:
            out["terms"] = list(
                {**{t["urn"]: t for t in server.get("terms") or []}, **{t["urn"]: t for t in out["terms"]}}.values()
            )
        return out


class SimpleAddDatasetTerms(AddDatasetTerms):
    """``simple_add_dataset_terms``: the same ``term_urns`` on every dataset."""

    options = {**SEMANTIC_KEYS, "term_urns": (list, REQUIRED)}

    def _terms_function(self) -> Callable[[str], List[Value]]:
        terms = [{"urn": t} for t in self.opts["term_urns"]]
        return lambda urn: terms


class PatternAddDatasetTerms(AddDatasetTerms):
    """``pattern_add_dataset_terms``: terms by urn pattern (``term_pattern.rules``)."""

    options = {**SEMANTIC_KEYS, "term_pattern": (dict, None)}

    def _terms_function(self) -> Callable[[str], List[Value]]:
        pattern = KeyValuePattern(self.opts["term_pattern"], "term_pattern")
        return lambda urn: [{"urn": t} for t in pattern.value(urn)]


# ------------------------------------------------------------------------------- ownership
def ownership_type(value: str) -> Tuple[str, Optional[str]]:
    """DataHub's ``validate_ownership_type``: an ownership-type urn means CUSTOM, else a known type."""
    if value.startswith("urn:li:"):
        if not value.startswith("urn:li:ownershipType:"):
            raise ConfigurationError(
                f"ownership_type {value!r}: expected urn:li:ownershipType:... or one of {', '.join(OWNERSHIP_TYPES)}"
            )
        return "CUSTOM", value
    if value.upper() in OWNERSHIP_TYPES:
        return value.upper(), None
    raise ConfigurationError(
        f"unexpected ownership_type {value!r}; expected one of {', '.join(OWNERSHIP_TYPES)} "
        f"or an urn:li:ownershipType:... urn"
    )


def _owner_identity(o: Mapping[str, Any]) -> Tuple[str, str, str, str]:
    attribution = o.get("attribution") or {}
    return (o.get("owner", ""), o.get("type") or "", o.get("typeUrn") or "", attribution.get("source") or "")


class AddOwnership(AspectTransformer):
    """``add_ownership``: owners from ``get_owners_to_add`` (a callable urn -> owners), all entity types."""

    aspect = "ownership"
    default_entity_types = ALL_TYPES
    honours_entity_types = True
    _owner_keys: Dict[str, Tuple[Any, Any]] = {
        "default_actor": (str, "urn:li:corpuser:etl"),
        "is_container": (bool, False),
    }
    options = {**SEMANTIC_KEYS, **_owner_keys, "get_owners_to_add": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        if self.opts.get("is_container"):
            raise ConfigurationError("is_container: true is not supported by litemeta")
        self.owners_for = self._owners_function()

    def _owners_function(self) -> Callable[[str], List[Value]]:
        fn = load_callable(self.opts["get_owners_to_add"], "get_owners_to_add")
        return lambda urn: [as_obj(o) for o in (fn(urn) or [])]

    def _owner(self, urn: str) -> Value:
        kind, type_urn = ownership_type(self.opts.get("ownership_type", "DATAOWNER"))
        return {"owner": urn, "type": kind, **({"typeUrn": type_urn} if type_urn else {})}

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        out: Value = {"owners": []}
        if value is not None and value.get("lastModified") is not None:
            out["lastModified"] = value["lastModified"]
        if value is not None and not self.opts["replace_existing"]:
            out["owners"].extend(value.get("owners") or [])
        out["owners"].extend(copy.deepcopy(self.owners_for(urn)))
        out["owners"] = dedupe_last(out["owners"], key=_owner_identity)
        if not self.patch:
            return out
        if not out["owners"]:
            return None
        server = self.server_value(urn)
        if server:
            merged = {_owner_identity(o): o for o in server.get("owners") or []}
            merged.update({_owner_identity(o): o for o in out["owners"]})
            out["owners"] = list(merged.values())
        return out


class SimpleAddOwnership(AddOwnership):
    """``simple_add_ownership``: the same ``owner_urns`` (of ``ownership_type``) on every entity."""

    options = {
        **SEMANTIC_KEYS,
        "owner_urns": (list, REQUIRED),
        "ownership_type": (str, "DATAOWNER"),
        "default_actor": (str, "urn:li:corpuser:etl"),
    }

    def _owners_function(self) -> Callable[[str], List[Value]]:
        ownership_type(self.opts["ownership_type"])  # fail at creation, as DataHub does
        owners = [self._owner(u) for u in self.opts["owner_urns"]]
        return lambda urn: owners


class PatternAddOwnership(AddOwnership):
    """``pattern_add_ownership``: owners by urn pattern (``owner_pattern.rules``)."""

    options = {
        **SEMANTIC_KEYS,
        **AddOwnership._owner_keys,
        "owner_pattern": (dict, None),
        "ownership_type": (str, "DATAOWNER"),
    }

    def _owners_function(self) -> Callable[[str], List[Value]]:
        ownership_type(self.opts["ownership_type"])
        pattern = KeyValuePattern(self.opts["owner_pattern"], "owner_pattern")
        return lambda urn: [self._owner(o) for o in pattern.value(urn)]


class SimpleAddDatasetOwnership(SimpleAddOwnership):
    """``simple_add_dataset_ownership`` (DataHub's deprecated name): datasets, jobs, flows, charts, dashboards."""

    default_entity_types = LEGACY_OWNERSHIP_TYPES
    honours_entity_types = False
    options = {**SimpleAddOwnership.options, "entity_types": (list, None)}  # accepted, ignored as in DataHub


class PatternAddDatasetOwnership(PatternAddOwnership):
    """``pattern_add_dataset_ownership`` (DataHub's deprecated name): datasets, jobs, flows, charts, dashboards."""

    default_entity_types = LEGACY_OWNERSHIP_TYPES
    honours_entity_types = False
    options = {**PatternAddOwnership.options, "entity_types": (list, None)}


# --------------------------------------------------------------------------------- domains
class AddDomain(AspectTransformer):
    """``add_domain``: domains from ``get_domains_to_add`` (a callable urn -> domain urns or Domains)."""

    aspect = "domains"
    default_entity_types = ALL_TYPES
    honours_entity_types = True
    options = {
        **SEMANTIC_KEYS,
        "get_domains_to_add": (None, REQUIRED),
        "is_container": (bool, False),
        "on_conflict": (str, "DO_UPDATE"),
    }

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        if self.opts.get("is_container"):
            raise ConfigurationError("is_container: true is not supported by litemeta")
        self.do_nothing = str(self.opts.get("on_conflict", "DO_UPDATE")).upper() == "DO_NOTHING"
        if str(self.opts.get("on_conflict", "DO_UPDATE")).upper() not in ("DO_UPDATE", "DO_NOTHING"):
            raise ConfigurationError(f"on_conflict must be DO_UPDATE or DO_NOTHING, found {self.opts['on_conflict']!r}")
        if self.do_nothing and ctx.graph is None:
            raise ConfigurationError("on_conflict: DO_NOTHING reads the store: it needs a litemeta sink or bulk sink")
        self.domains_for = self._domains_function()

    def _domains_function(self) -> Callable[[str], List[str]]:
        fn = load_callable(self.opts["get_domains_to_add"], "get_domains_to_add")

        def get(urn: str) -> List[str]:
            d = as_obj(fn(urn))
            return list(d.get("domains") or []) if isinstance(d, Mapping) else list(d or [])

        return get

    def resolve_domain(self, ident: str) -> str:
        """DataHub's ``DomainRegistry``: a urn as is; an id or a name looked up in the store."""
        if ident.startswith("urn:li:domain"):
            return ident
        if ident.count("-") == 4:
            return f"urn:li:domain:{ident}"
        if self.ctx.graph is not None and self.ctx.graph(f"urn:li:domain:{ident}", "domainProperties"):
            return f"urn:li:domain:{ident}"
        raise ConfigurationError(
            f"domain {ident!r} needs resolution in the store, and is not provisioned there; "
            f"give a fully qualified urn (urn:li:domain:...)"
        )

    def _skip_on_conflict(self, urn: str) -> bool:
        if not self.do_nothing:
            return False
        server = self.server_value(urn)
        return bool(server and server.get("domains"))

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        out: Value = {"domains": []}
        if value is not None and not self.opts["replace_existing"]:
            out["domains"].extend(value.get("domains") or [])
        out["domains"].extend(self.domains_for(urn))
        out["domains"] = list(dict.fromkeys(out["domains"]))
        if self.patch:
            if not out["domains"]:
                return self.server_value(urn)
            if self._skip_on_conflict(urn):
                return None
            server = self.server_value(urn)
            if server:
                have = list(server.get("domains") or [])
                out["domains"] = have + [d for d in out["domains"] if d not in have]
            return out
        if out["domains"] and self._skip_on_conflict(urn):
            return None
        return out


class SimpleAddDomain(AddDomain):
    """``simple_add_domain``: the same ``domains`` on every entity."""

    options = {**SEMANTIC_KEYS, "domains": (list, REQUIRED), "on_conflict": (str, "DO_UPDATE")}

    def _domains_function(self) -> Callable[[str], List[str]]:
        domains = [self.resolve_domain(d) for d in self.opts["domains"]]
        return lambda urn: domains


class PatternAddDomain(AddDomain):
    """``pattern_add_domain``: domains by urn pattern (``domain_pattern.rules``)."""

    options = {**SEMANTIC_KEYS, "domain_pattern": (dict, None), "is_container": (bool, False)}

    def _domains_function(self) -> Callable[[str], List[str]]:
        pattern = KeyValuePattern(self.opts["domain_pattern"], "domain_pattern")
        return lambda urn: [self.resolve_domain(d) for d in pattern.value(urn)]


class SimpleAddDatasetDomain(SimpleAddDomain):
    """``simple_add_dataset_domain`` (DataHub's deprecated name): datasets only."""

    default_entity_types = ("dataset",)
    honours_entity_types = False
    options = {**SimpleAddDomain.options, "entity_types": (list, None)}


class PatternAddDatasetDomain(PatternAddDomain):
    """``pattern_add_dataset_domain`` (DataHub's deprecated name): datasets only."""

    default_entity_types = ("dataset",)
    honours_entity_types = False
    options = {**PatternAddDomain.options, "entity_types": (list, None)}


# ------------------------------------------------------------------------------ properties
class AddDatasetProperties(AspectTransformer):
    """``add_dataset_properties``: custom properties from ``add_properties_resolver_class`` (its
    ``get_properties_to_add(urn)``)."""

    aspect = "datasetProperties"
    options = {**SEMANTIC_KEYS, "add_properties_resolver_class": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        self.properties_for = self._properties_function()

    def _properties_function(self) -> Callable[[str], Dict[str, str]]:
        cls = load_callable(self.opts["add_properties_resolver_class"], "add_properties_resolver_class")
        return lambda urn: dict(cls().get_properties_to_add(urn))

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        out: Value = copy.deepcopy(value) if value else {"customProperties": {}, "tags": []}
        if self.opts["replace_existing"] or "customProperties" not in out:
            out["customProperties"] = {}
        out["customProperties"].update(self.properties_for(urn))
        if self.patch:
            server = self.server_value(urn)
            if server and server.get("customProperties"):
                merged = dict(server["customProperties"])
                merged.update(out["customProperties"])
                out["customProperties"] = merged
        return out


class SimpleAddDatasetProperties(AddDatasetProperties):
    """``simple_add_dataset_properties``: the same ``properties`` on every dataset."""

    options = {**SEMANTIC_KEYS, "properties": (dict, REQUIRED)}

    def _properties_function(self) -> Callable[[str], Dict[str, str]]:
        props = {str(k): str(v) for k, v in self.opts["properties"].items()}
        return lambda urn: props


# ------------------------------------------------------------------------ browse path, status
class SetDatasetBrowsePath(AspectTransformer):
    """``set_dataset_browse_path``: ``path_templates`` with PLATFORM, DATASET_PARTS and ENV replaced."""

    aspect = "browsePaths"
    options = {**SEMANTIC_KEYS, "path_templates": (list, REQUIRED)}

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        parts = urn.replace("urn:li:dataset:(", "").replace(")", "").split(",")
        if len(parts) != 3:
            raise ValueError(f"{urn}: not a dataset urn of the form urn:li:dataset:(platform,name,env)")
        platform_part, name, env = parts
        platform = platform_part.replace("urn:li:dataPlatform:", "")
        out: Value = {"paths": []}
        if value is not None and not self.opts["replace_existing"]:
            out["paths"].extend(value.get("paths") or [])
        for t in self.opts["path_templates"]:
            out["paths"].append(
                t.replace("PLATFORM", platform)
                .replace("DATASET_PARTS", name.replace(".", "/"))
                .replace("ENV", env.lower())
            )
        if not self.patch:
            return out
        if not out["paths"]:
            return None
        server = self.server_value(urn)
        if server:
            have = list(server.get("paths") or [])
            out["paths"] = have + [p for p in out["paths"] if p not in have]
        return out


class MarkDatasetStatus(AspectTransformer):
    """``mark_dataset_status``: set ``status.removed`` on every dataset."""

    aspect = "status"
    options = {"removed": (bool, REQUIRED)}

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        out = dict(value or {})
        out["removed"] = self.opts["removed"]
        return out
