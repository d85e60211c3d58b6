"""The ``filter`` processor: keep only records of some entity types, urns and aspects.

    >>> from litemeta.model.proposal import Proposal
    >>> from litemeta.workflow.steps import PipelineContext
    >>> f = Filter({"aspects": ["status"]}, PipelineContext("r1"))
    >>> p = Proposal("urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)", "status", aspect={"removed": False})
    >>> [r.aspect_name for r in f.process(p)]
    ['status']
    >>> list(f.process(p.with_(aspect_name="globalTags", aspect={"tags": []})))
    []

litemeta's own (DataHub has no such transformer); its patterns have DataHub's AllowDenyPattern form.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping, Optional

from litemeta.errors import ConfigurationError, LitemetaError
from litemeta.model.codec import LegacyMCE
from litemeta.workflow.steps import PipelineContext, Processor, Record, read_config


class _AllowDeny:
    """DataHub's ``AllowDenyPattern``: deny wins; allow regexes match at the start (case-insensitive by default)."""

    def __init__(self, raw: Any, where: str) -> None:
        if raw is None:
            raw = {}
        if isinstance(raw, list):
            raw = {"allow": raw}
        if not isinstance(raw, Mapping):
            raise ConfigurationError(f"{where} must be a list of regexes or a mapping with allow/deny")
        c = read_config(
            raw, {"allow": (list, lambda: [".*"]), "deny": (list, lambda: []), "ignoreCase": (bool, True)}, where
        )
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
        c = read_config(
            self.config,
            {"entity_types": (list, None), "urn_pattern": ((dict, list), None), "aspects": ((dict, list), None)},
            self.name,
        )
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
                    yield (
                        record
                        if len(kept) == len(record.aspects)
                        else LegacyMCE(record.urn, record.snapshot_type, kept, record.system_metadata, record.origin)
                    )
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
