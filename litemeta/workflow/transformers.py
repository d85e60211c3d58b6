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
"""
from __future__ import annotations

import copy
import re
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from litemeta.errors import ConfigurationError, LitemetaError
from litemeta.model.codec import LegacyMCE, pegasus_json
from litemeta.model.proposal import JSON, UPSERT, Origin, Proposal
from litemeta.workflow.steps import REQUIRED, PipelineContext, Processor, Record, read_config

Value = Dict[str, Any]
OWNERSHIP_TYPES = ("CUSTOM", "TECHNICAL_OWNER", "BUSINESS_OWNER", "DATA_STEWARD", "NONE", "DEVELOPER",
                   "DATAOWNER", "DELEGATE", "PRODUCER", "CONSUMER", "STAKEHOLDER")
LEGACY_OWNERSHIP_TYPES = ("dataset", "dataJob", "dataFlow", "chart", "dashboard")
ALL_TYPES = ("dataset", "container", "dataJob", "dataFlow", "chart", "dashboard")
SEMANTICS = ("OVERWRITE", "PATCH")
_SEMANTIC_KEYS = {"semantics": (str, "OVERWRITE"), "replace_existing": (bool, False)}


class KeyValuePattern:
    """DataHub's ``KeyValuePattern``: regex rules matched at the start of the urn -> values."""

    def __init__(self, raw: Any, where: str) -> None:
        raw = raw if raw is not None else {}
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"{where} must be a mapping with 'rules' (and 'first_match_only')")
        cfg = read_config(raw, {"rules": (dict, lambda: {".*": []}), "first_match_only": (bool, True)}, where)
        self.rules: Dict[str, List[str]] = {}
        for k, v in cfg["rules"].items():
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise ConfigurationError(f"{where}.rules[{k!r}] must be a list of strings")
            try:
                re.compile(k)
            except re.error as e:
                raise ConfigurationError(f"{where}.rules: bad regular expression {k!r}: {e}") from None
            self.rules[k] = v
        self.first_match_only = cfg["first_match_only"]

    def value(self, text: str) -> List[str]:
        """The values of the first matching rule, or of all matching rules deduplicated."""
        keys = [k for k in self.rules if re.match(k, text)]
        if not keys:
            return []
        if self.first_match_only:
            return list(self.rules[keys[0]])
        return list(dict.fromkeys(v for k in keys for v in self.rules[k]))


def dedupe_last(items: Iterable[Any], key: Callable[[Any], Any]) -> List[Any]:
    """DataHub's ``deduplicate_list(keep="last")``: the position of the first, the value of the last."""
    out: Dict[Any, Any] = {}
    for item in items:
        out[key(item)] = item
    return list(out.values())


def _as_obj(x: Any) -> Any:
    to_obj = getattr(x, "to_obj", None)
    return pegasus_json(to_obj()) if to_obj is not None else x


def _load_callable(path: Any, where: str) -> Callable[..., Any]:
    if callable(path):
        return path  # type: ignore[no-any-return]
    if not isinstance(path, str) or not ("." in path or ":" in path):
        raise ConfigurationError(f"{where} must be a dotted path to a callable (package.module.function)")
    from litemeta.workflow.steps import _import

    return _import(path, "transformer", where)  # type: ignore[no-any-return]


class AspectTransformer(Processor):
    """Base of the single-aspect transformers (DataHub's ``SingleAspectTransformer`` stream rules)."""

    aspect = ""
    default_entity_types: Tuple[str, ...] = ("dataset",)
    honours_entity_types = False  # whether the config key entity_types is read
    options: Dict[str, Tuple[Any, Any]] = {}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        spec = dict(self.options)
        if self.honours_entity_types:
            spec["entity_types"] = (list, None)
        self.opts = read_config(self.config, spec, self.name)
        self.entity_types = tuple((self.honours_entity_types and self.opts.get("entity_types")) or self.default_entity_types)
        self.patch = False
        if "semantics" in self.opts:
            sem = str(self.opts["semantics"]).upper()
            if sem not in SEMANTICS:
                raise ConfigurationError(f"semantics must be one of {', '.join(SEMANTICS)}, found {self.opts['semantics']!r}")
            self.patch = sem == "PATCH"
            if self.patch and ctx.graph is None:
                raise ConfigurationError("semantics: PATCH merges with the current values in the store: it needs a "
                                         "litemeta sink or a litemeta-bulk bulk sink")
        self._entities: Dict[str, Dict[str, Any]] = {}

    # -- what subclasses implement
    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        """The new value of the aspect for ``urn`` given the incoming one (None: absent); None drops it."""
        raise NotImplementedError

    def extra_end_of_stream(self) -> Iterable[Proposal]:
        """Further proposals at the end of the stream (DataHub's ``handle_end_of_stream``)."""
        return ()

    def server_value(self, urn: str) -> Optional[Value]:
        """The aspect's current value in the store (PATCH semantics)."""
        assert self.ctx.graph is not None
        return self.ctx.graph(urn, self.aspect)

    # -- stream rules
    def _handles(self, entity_type: Optional[str]) -> bool:
        return "*" in self.entity_types or entity_type in self.entity_types

    def process(self, record: Record) -> Iterator[Record]:
        """Transform the target aspect, record other entities for the end of the stream."""
        if isinstance(record, LegacyMCE):
            yield self._process_mce(record)
            return
        if not self._handles(record.entity_type) or record.change_type != UPSERT or record.content_type != JSON:
            yield record
            return
        if record.aspect_name == self.aspect and record.aspect is not None:
            out = self.transform_aspect(record.entity_urn, copy.deepcopy(record.aspect))
            self._entities[record.entity_urn] = {"processed": True}
            if out is None:
                self.status.filter(f"{record.origin} {record.entity_urn} {self.aspect}", "transformation result is None")
                return
            yield record.with_(aspect=out)
            return
        entry = self._entities.setdefault(record.entity_urn, {"seen": {}})
        if "seen" in entry and "mcp" not in entry["seen"]:
            entry["seen"]["mcp"] = record.system_metadata
        yield record

    def _process_mce(self, mce: LegacyMCE) -> LegacyMCE:
        from litemeta.model.urns import entity_type_of

        try:
            et: Optional[str] = entity_type_of(mce.urn)
        except LitemetaError:
            et = None
        if not self._handles(et):
            return mce
        entry = self._entities.setdefault(mce.urn, {"seen": {}})
        if "seen" in entry:
            entry["seen"]["mce"] = mce.system_metadata
        for i, (record_name, value) in enumerate(mce.aspects):
            try:
                name = self.ctx.registry.aspect_by_record(record_name).name
            except LitemetaError:
                continue
            if name != self.aspect or value is None:
                continue
            out = self.transform_aspect(mce.urn, pegasus_json(value))
            # DataHub's builder.set_aspect removes the old aspect and appends the new one at the end.
            aspects = [a for j, a in enumerate(mce.aspects) if j != i]
            if out is not None:
                aspects.append((record_name, out))
            self._entities[mce.urn] = {"processed": True}
            return LegacyMCE(mce.urn, mce.snapshot_type, tuple(aspects), mce.system_metadata, mce.origin)
        return mce

    def end_of_stream(self) -> Iterator[Record]:
        """The aspect for every entity seen without it, then the transformer's extra proposals."""
        for urn in list(self._entities):
            state = self._entities[urn]
            if "seen" in state:
                out = self.transform_aspect(urn, None)
                if out is not None:
                    seen = state["seen"]
                    sm = seen["mcp"] if "mcp" in seen else seen.get("mce")
                    yield Proposal(urn, self.aspect, aspect=out, system_metadata=copy.deepcopy(sm) if sm else sm,
                                   origin=self._origin())
            self._entities[urn] = {"processed": True}
        yield from self.extra_end_of_stream()

    def _origin(self) -> Origin:
        self._emitted = getattr(self, "_emitted", 0) + 1
        return Origin(f"<{self.name}>", self._emitted - 1)


# ------------------------------------------------------------------------------------ tags
class AddDatasetTags(AspectTransformer):
    """``add_dataset_tags``: tags from ``get_tags_to_add`` (a callable urn -> tag associations)."""

    aspect = "globalTags"
    options = {**_SEMANTIC_KEYS, "get_tags_to_add": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        self.processed_tags: Dict[str, Value] = {}
        self.tags_for = self._tags_function()

    def _tags_function(self) -> Callable[[str], List[Value]]:
        fn = _load_callable(self.opts["get_tags_to_add"], "get_tags_to_add")
        return lambda urn: [{"tag": t} if isinstance(t, str) else _as_obj(t) for t in (fn(urn) or [])]

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
            out["tags"] = list({**{t["tag"]: t for t in server.get("tags") or []},
                                **{t["tag"]: t for t in out["tags"]}}.values())
        return out

    def extra_end_of_stream(self) -> Iterator[Proposal]:
        # DataHub creates each added tag with its key aspect (the store warns: key aspects come from the urn, R1.22).
        for tag in self.processed_tags:
            yield Proposal(tag, "tagKey", aspect={"name": tag[len("urn:li:tag:"):]}, origin=self._origin())


class SimpleAddDatasetTags(AddDatasetTags):
    """``simple_add_dataset_tags``: the same ``tag_urns`` on every dataset."""

    options = {**_SEMANTIC_KEYS, "tag_urns": (list, REQUIRED)}

    def _tags_function(self) -> Callable[[str], List[Value]]:
        tags = [{"tag": t} for t in self.opts["tag_urns"]]
        return lambda urn: tags


class PatternAddDatasetTags(AddDatasetTags):
    """``pattern_add_dataset_tags``: tags by urn pattern (``tag_pattern.rules``)."""

    options = {**_SEMANTIC_KEYS, "tag_pattern": (dict, None)}

    def _tags_function(self) -> Callable[[str], List[Value]]:
        pattern = KeyValuePattern(self.opts["tag_pattern"], "tag_pattern")
        return lambda urn: [{"tag": t} for t in pattern.value(urn)]


# ----------------------------------------------------------------------------------- terms
class AddDatasetTerms(AspectTransformer):
    """``add_dataset_terms``: glossary terms from ``get_terms_to_add`` (a callable urn -> associations)."""

    aspect = "glossaryTerms"
    options = {**_SEMANTIC_KEYS, "get_terms_to_add": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        self.terms_for = self._terms_function()

    def _terms_function(self) -> Callable[[str], List[Value]]:
        fn = _load_callable(self.opts["get_terms_to_add"], "get_terms_to_add")
        return lambda urn: [{"urn": t} if isinstance(t, str) else _as_obj(t) for t in (fn(urn) or [])]

    def transform_aspect(self, urn: str, value: Optional[Value]) -> Optional[Value]:
        stamp = (value.get("auditStamp") if value is not None else None) or {
            "time": int(time.time() * 1000), "actor": "urn:li:corpUser:restEmitter"}
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
            out["terms"] = list({**{t["urn"]: t for t in server.get("terms") or []},
                                 **{t["urn"]: t for t in out["terms"]}}.values())
        return out


class SimpleAddDatasetTerms(AddDatasetTerms):
    """``simple_add_dataset_terms``: the same ``term_urns`` on every dataset."""

    options = {**_SEMANTIC_KEYS, "term_urns": (list, REQUIRED)}

    def _terms_function(self) -> Callable[[str], List[Value]]:
        terms = [{"urn": t} for t in self.opts["term_urns"]]
        return lambda urn: terms


class PatternAddDatasetTerms(AddDatasetTerms):
    """``pattern_add_dataset_terms``: terms by urn pattern (``term_pattern.rules``)."""

    options = {**_SEMANTIC_KEYS, "term_pattern": (dict, None)}

    def _terms_function(self) -> Callable[[str], List[Value]]:
        pattern = KeyValuePattern(self.opts["term_pattern"], "term_pattern")
        return lambda urn: [{"urn": t} for t in pattern.value(urn)]


# ------------------------------------------------------------------------------- ownership
def ownership_type(value: str) -> Tuple[str, Optional[str]]:
    """DataHub's ``validate_ownership_type``: an ownership-type urn means CUSTOM, else a known type."""
    if value.startswith("urn:li:"):
        if not value.startswith("urn:li:ownershipType:"):
            raise ConfigurationError(f"ownership_type {value!r}: expected urn:li:ownershipType:... or one of "
                                     f"{', '.join(OWNERSHIP_TYPES)}")
        return "CUSTOM", value
    if value.upper() in OWNERSHIP_TYPES:
        return value.upper(), None
    raise ConfigurationError(f"unexpected ownership_type {value!r}; expected one of {', '.join(OWNERSHIP_TYPES)} "
                             f"or an urn:li:ownershipType:... urn")


def _owner_identity(o: Mapping[str, Any]) -> Tuple[str, str, str, str]:
    attribution = o.get("attribution") or {}
    return (o.get("owner", ""), o.get("type") or "", o.get("typeUrn") or "", attribution.get("source") or "")


class AddOwnership(AspectTransformer):
    """``add_ownership``: owners from ``get_owners_to_add`` (a callable urn -> owners), all entity types."""

    aspect = "ownership"
    default_entity_types = ALL_TYPES
    honours_entity_types = True
    _owner_keys: Dict[str, Tuple[Any, Any]] = {"default_actor": (str, "urn:li:corpuser:etl"),
                                               "is_container": (bool, False)}
    options = {**_SEMANTIC_KEYS, **_owner_keys, "get_owners_to_add": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        if self.opts.get("is_container"):
            raise ConfigurationError("is_container: true is not supported by litemeta")
        self.owners_for = self._owners_function()

    def _owners_function(self) -> Callable[[str], List[Value]]:
        fn = _load_callable(self.opts["get_owners_to_add"], "get_owners_to_add")
        return lambda urn: [_as_obj(o) for o in (fn(urn) or [])]

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

    options = {**_SEMANTIC_KEYS, "owner_urns": (list, REQUIRED), "ownership_type": (str, "DATAOWNER"),
               "default_actor": (str, "urn:li:corpuser:etl")}

    def _owners_function(self) -> Callable[[str], List[Value]]:
        ownership_type(self.opts["ownership_type"])  # fail at creation, as DataHub does
        owners = [self._owner(u) for u in self.opts["owner_urns"]]
        return lambda urn: owners


class PatternAddOwnership(AddOwnership):
    """``pattern_add_ownership``: owners by urn pattern (``owner_pattern.rules``)."""

    options = {**_SEMANTIC_KEYS, **AddOwnership._owner_keys, "owner_pattern": (dict, None),
               "ownership_type": (str, "DATAOWNER")}

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
    options = {**_SEMANTIC_KEYS, "get_domains_to_add": (None, REQUIRED), "is_container": (bool, False),
               "on_conflict": (str, "DO_UPDATE")}

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
        fn = _load_callable(self.opts["get_domains_to_add"], "get_domains_to_add")

        def get(urn: str) -> List[str]:
            d = _as_obj(fn(urn))
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
        raise ConfigurationError(f"domain {ident!r} needs resolution in the store, and is not provisioned there; "
                                 f"give a fully qualified urn (urn:li:domain:...)")

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

    options = {**_SEMANTIC_KEYS, "domains": (list, REQUIRED), "on_conflict": (str, "DO_UPDATE")}

    def _domains_function(self) -> Callable[[str], List[str]]:
        domains = [self.resolve_domain(d) for d in self.opts["domains"]]
        return lambda urn: domains


class PatternAddDomain(AddDomain):
    """``pattern_add_domain``: domains by urn pattern (``domain_pattern.rules``)."""

    options = {**_SEMANTIC_KEYS, "domain_pattern": (dict, None), "is_container": (bool, False)}

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
    options = {**_SEMANTIC_KEYS, "add_properties_resolver_class": (None, REQUIRED)}

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        self.properties_for = self._properties_function()

    def _properties_function(self) -> Callable[[str], Dict[str, str]]:
        cls = _load_callable(self.opts["add_properties_resolver_class"], "add_properties_resolver_class")
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

    options = {**_SEMANTIC_KEYS, "properties": (dict, REQUIRED)}

    def _properties_function(self) -> Callable[[str], Dict[str, str]]:
        props = {str(k): str(v) for k, v in self.opts["properties"].items()}
        return lambda urn: props


# ------------------------------------------------------------------------ browse path, status
class SetDatasetBrowsePath(AspectTransformer):
    """``set_dataset_browse_path``: ``path_templates`` with PLATFORM, DATASET_PARTS and ENV replaced."""

    aspect = "browsePaths"
    options = {**_SEMANTIC_KEYS, "path_templates": (list, REQUIRED)}

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
            out["paths"].append(t.replace("PLATFORM", platform).replace("DATASET_PARTS", name.replace(".", "/"))
                                .replace("ENV", env.lower()))
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


# ------------------------------------------------------------------------------------ filter
class _AllowDeny:
    """DataHub's ``AllowDenyPattern``: deny wins; allow regexes match at the start (case-insensitive by default)."""

    def __init__(self, raw: Any, where: str) -> None:
        if raw is None:
            raw = {}
        if isinstance(raw, list):
            raw = {"allow": raw}
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"{where} must be a list of regexes or a mapping with allow/deny")
        c = read_config(raw, {"allow": (list, lambda: [".*"]), "deny": (list, lambda: []),
                              "ignoreCase": (bool, True)}, where)
        flags = re.IGNORECASE if c["ignoreCase"] else 0
        try:
            self.allow = [re.compile(p, flags) for p in c["allow"]]
            self.deny = [re.compile(p, flags) for p in c["deny"]]
        except re.error as e:
            raise ConfigurationError(f"{where}: bad regular expression: {e}") from None

    def allowed(self, text: str) -> bool:
        if any(p.match(text) for p in self.deny):
            return False
        return any(p.match(text) for p in self.allow)


class Filter(Processor):
    """``filter``: keep only records of some ``entity_types``, urns (``urn_pattern``) and ``aspects``.

    Patterns are ``{allow: [regex], deny: [regex], ignoreCase: true}`` (or a list, meaning allow).
    An MCE whose urn is kept loses the aspects not allowed, and is dropped if none is left.
    """

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        c = read_config(self.config, {"entity_types": (list, None), "urn_pattern": ((dict, list), None),
                                      "aspects": ((dict, list), None)}, self.name)
        self.entity_types = set(c["entity_types"]) if c["entity_types"] else None
        self.urns = _AllowDeny(c["urn_pattern"], "urn_pattern")
        self.aspects = _AllowDeny(c["aspects"], "aspects")

    def _entity_ok(self, urn: str, entity_type: Optional[str]) -> Optional[str]:
        if self.entity_types is not None and entity_type not in self.entity_types:
            return f"entity type {entity_type} not in {sorted(self.entity_types)}"
        if not self.urns.allowed(urn):
            return "urn not allowed by urn_pattern"
        return None

    def process(self, record: Record) -> Iterator[Record]:
        """The record if it passes, else nothing (counted as filtered)."""
        from litemeta.model.urns import entity_type_of

        if isinstance(record, LegacyMCE):
            try:
                et: Optional[str] = entity_type_of(record.urn)
            except LitemetaError:
                et = None
            why = self._entity_ok(record.urn, et)
            if why is None:
                kept = tuple((n, v) for n, v in record.aspects if self.aspects.allowed(self._aspect_name(n)))
                if kept:
                    yield record if len(kept) == len(record.aspects) else LegacyMCE(
                        record.urn, record.snapshot_type, kept, record.system_metadata, record.origin)
                    return
                why = "no aspect allowed by aspects"
            self.status.filter(f"{record.origin} {record.urn}", why)
            return
        why = self._entity_ok(record.entity_urn, record.entity_type)
        if why is None and not self.aspects.allowed(record.aspect_name or ""):
            why = f"aspect {record.aspect_name} not allowed by aspects"
        if why is None:
            yield record
        else:
            self.status.filter(f"{record.origin} {record.entity_urn} {record.aspect_name}", why)

    def _aspect_name(self, record_name: str) -> str:
        try:
            return self.ctx.registry.aspect_by_record(record_name).name
        except LitemetaError:
            return record_name


TRANSFORMERS: Dict[str, type] = {
    "add_dataset_tags": AddDatasetTags,
    "simple_add_dataset_tags": SimpleAddDatasetTags,
    "pattern_add_dataset_tags": PatternAddDatasetTags,
    "add_dataset_terms": AddDatasetTerms,
    "simple_add_dataset_terms": SimpleAddDatasetTerms,
    "pattern_add_dataset_terms": PatternAddDatasetTerms,
    "add_ownership": AddOwnership,
    "simple_add_ownership": SimpleAddOwnership,
    "pattern_add_ownership": PatternAddOwnership,
    "simple_add_dataset_ownership": SimpleAddDatasetOwnership,
    "pattern_add_dataset_ownership": PatternAddDatasetOwnership,
    "add_domain": AddDomain,
    "simple_add_domain": SimpleAddDomain,
    "pattern_add_domain": PatternAddDomain,
    "simple_add_dataset_domain": SimpleAddDatasetDomain,
    "pattern_add_dataset_domain": PatternAddDatasetDomain,
    "add_dataset_properties": AddDatasetProperties,
    "simple_add_dataset_properties": SimpleAddDatasetProperties,
    "set_dataset_browse_path": SetDatasetBrowsePath,
    "mark_dataset_status": MarkDatasetStatus,
    "filter": Filter,
}


def names() -> Sequence[str]:
    """The built-in transformer names."""
    return sorted(TRANSFORMERS)
