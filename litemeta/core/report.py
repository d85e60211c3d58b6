"""What an ingest did: :class:`IngestReport`, the write path's account of one ingest.

>>> r = IngestReport(records=2, written=1, failed=1, errors=[{"reason": "SchemaError", "message": "..."}])
>>> r.as_dict()["failedByReason"]
{'SchemaError': 1}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple


@dataclass
class IngestReport:
    """What an ingest did: counts, failures with reasons, and the topic offsets it appended."""

    records: int = 0
    proposals: int = 0
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    warnings: List[Dict[str, Any]] = field(default_factory=list)
    errors: List[Dict[str, Any]] = field(default_factory=list)
    mcl: int = 0
    platform_events: int = 0
    offsets: Dict[str, Tuple[int, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def failed_by_reason(self) -> Dict[str, int]:
        """Failure counts by error class."""
        out: Dict[str, int] = {}
        for e in self.errors:
            out[e.get("reason", "error")] = out.get(e.get("reason", "error"), 0) + 1
        return out

    def note_offset(self, topic: str, offset: int) -> None:
        lo, _ = self.offsets.get(topic, (offset, offset))
        self.offsets[topic] = (lo, offset)

    def as_dict(self) -> Dict[str, Any]:
        """The ``--json`` form."""
        return {
            "records": self.records,
            "proposals": self.proposals,
            "written": self.written,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "mcl": self.mcl,
            "platformEvents": self.platform_events,
            "seconds": round(self.seconds, 3),
            "failedByReason": self.failed_by_reason(),
            "warnings": self.warnings,
            "errors": self.errors,
            "offsets": {t: {"first": a, "last": b} for t, (a, b) in self.offsets.items()},
        }
