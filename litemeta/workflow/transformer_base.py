"""The stream rules every single-aspect transformer shares (DataHub's ``SingleAspectTransformer``).

    >>> KeyValuePattern({"rules": {"urn:li:dataset:.*orders": ["urn:li:tag:sales"]}}, "p").value(
    ...     "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)")
    ['urn:li:tag:sales']
    >>> dedupe_last([{"k": 1, "v": "a"}, {"k": 2}, {"k": 1, "v": "b"}], key=lambda d: d["k"])
    [{'k': 1, 'v': 'b'}, {'k': 2}]

:class:`AspectTransformer` implements the rules described in :mod:`litemeta.workflow.transformers`
(which holds the concrete transformers); subclasses only say how one aspect value changes.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from litemeta.errors import ConfigurationError, LitemetaError
from litemeta.model.codec import LegacyMCE, pegasus_json
from litemeta.model.proposal import JSON, UPSERT, Origin, Proposal
from litemeta.workflow.steps import PipelineContext, Processor, Record, import_object, read_config

Value = Dict[str, Any]
OWNERSHIP_TYPES: Tuple[str, ...] = (
    "CUSTOM",
    "TECHNICAL_OWNER",
    "BUSINESS_OWNER",
    "DATA_STEWARD",
    "NONE",
    "DEVELOPER",
    "DATAOWNER",
    "DELEGATE",
    "PRODUCER",
    "CONSUMER",
    "STAKEHOLDER",
)
LEGACY_OWNERSHIP_TYPES: Tuple[str, ...] = ("dataset", "dataJob", "dataFlow", "chart", "dashboard")
ALL_TYPES: Tuple[str, ...] = ("dataset", "container", "dataJob", "dataFlow", "chart", "dashboard")
SEMANTICS: Tuple[str, ...] = ("OVERWRITE", "PATCH")
SEMANTIC_KEYS: Dict[str, Tuple[Any, Any]] = {"semantics": (str, "OVERWRITE"), "replace_existing": (bool, False)}


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


def as_obj(x: Any) -> Any:
    """Pegasus JSON of a DataHub SDK object (anything with ``to_obj()``); other values as they are."""
    to_obj = getattr(x, "to_obj", None)
    return pegasus_json(to_obj()) if to_obj is not None else x


def load_callable(path: Any, where: str) -> Callable[..., Any]:
    """A callable given as is, or imported from ``package.module.function``; errors name ``where``."""
    if callable(path):
        return path  # type: ignore[no-any-return]
    if not isinstance(path, str) or not ("." in path or ":" in path):
        raise ConfigurationError(f"{where} must be a dotted path to a callable (package.module.function)")
    return import_object(path, "transformer", where)  # type: ignore[no-any-return]


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
        self.entity_types = tuple(
            (self.honours_entity_types and self.opts.get("entity_types")) or self.default_entity_types
        )
        self.patch = False
        if "semantics" in self.opts:
            sem = str(self.opts["semantics"]).upper()
            if sem not in SEMANTICS:
                raise ConfigurationError(
                    f"semantics must be one of {', '.join(SEMANTICS)}, found {self.opts['semantics']!r}"
                )
            self.patch = sem == "PATCH"
            if self.patch and ctx.graph is None:
                raise ConfigurationError(
                    "semantics: PATCH merges with the current values in the store: it needs a "
                    "litemeta sink or a litemeta-bulk bulk sink"
                )
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
                self.status.filter(
                    f"{record.origin} {record.entity_urn} {self.aspect}", "transformation result is None"
                )
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
                    yield Proposal(
                        urn,
                        self.aspect,
                        aspect=out,
                        system_metadata=copy.deepcopy(sm) if sm else sm,
                        origin=self._origin(),
                    )
            self._entities[urn] = {"processed": True}
        yield from self.extra_end_of_stream()

    def _origin(self) -> Origin:
        self._emitted = getattr(self, "_emitted", 0) + 1
        return Origin(f"<{self.name}>", self._emitted - 1)
