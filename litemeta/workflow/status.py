"""Per-step status of a pipeline run, and the summary printed at the end (OpenMetadata's spirit).

    >>> s = Status("file")
    >>> s.scanned(); s.scanned(); s.failed("f.json#3", "bad urn", record={"entityUrn": "x"})
    >>> s.records, len(s.failures), s.success_percent()
    (2, 1, 66.7)

Each step owns a :class:`Status`: records it handled, warnings and records it filtered out
(``{key, reason}``), and failures (``{name, error, stack_trace, record}``) kept as data so that one
bad record never stops the run. ``updated`` and ``unchanged`` are filled by sinks that know
whether a write changed anything (the store sink). :func:`summary` turns a run's statuses into
the dict printed by ``--json``; :func:`format_table` into the text table.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

MAX_LISTED = 10  # failures and warnings listed per step in the summary (OpenMetadata lists 10)


@dataclass
class Status:
    """What one step did. Mutable while the run goes on; read by :func:`summary` at the end."""

    step: str
    kind: str = "step"
    records: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: List[Dict[str, Any]] = field(default_factory=list)
    filtered: List[Dict[str, Any]] = field(default_factory=list)
    failures: List[Dict[str, Any]] = field(default_factory=list)
    # applied to everything recorded: the pipeline masks its recipe's secrets (workflow/masking.py)
    mask: Optional[Callable[[Any], Any]] = field(default=None, repr=False, compare=False)

    def _masked(self, entry: Dict[str, Any]) -> Dict[str, Any]:
        return self.mask(entry) if self.mask is not None else entry  # type: ignore[no-any-return]

    def scanned(self, n: int = 1) -> None:
        """Count ``n`` records handled by the step."""
        self.records += n

    def warning(self, key: str, reason: str) -> None:
        """Record a warning about ``key`` (a record's location or urn)."""
        self.warnings.append(self._masked({"key": key, "reason": reason}))

    def filter(self, key: str, reason: str) -> None:
        """Record that the step dropped ``key`` on purpose."""
        self.filtered.append(self._masked({"key": key, "reason": reason}))

    def failed(
        self,
        name: str,
        error: str,
        *,
        stack_trace: Optional[str] = None,
        record: Any = None,
        details: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """Record a failure of one record (or of the step): its name, the error, the record as data."""
        entry: Dict[str, Any] = {"name": name, "error": error}
        if stack_trace:
            entry["stackTrace"] = stack_trace
        if record is not None:
            entry["record"] = record
        if details:
            entry.update({k: v for k, v in details.items() if k not in entry and v is not None})
        self.failures.append(self._masked(entry))

    def failed_exception(self, name: str, exc: BaseException, record: Any = None) -> None:
        """Record an exception raised while handling a record, with its stack trace."""
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.failed(name, f"{type(exc).__name__}: {exc}", stack_trace=trace, record=record)

    def success_percent(self) -> float:
        """Records over records plus failures, in percent, one decimal (OpenMetadata's calculate_success)."""
        total = self.records + len(self.failures)
        return round(100.0 * self.records / total, 1) if total else 100.0

    def as_dict(self, limit: Optional[int] = MAX_LISTED) -> Dict[str, Any]:
        """The JSON form: counts, then the first ``limit`` failures, warnings and filtered (None: all)."""
        cut = (lambda xs: xs) if limit is None else (lambda xs: xs[:limit])
        return {
            "step": self.step,
            "kind": self.kind,
            "records": self.records,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": len(self.warnings),
            "failures": len(self.failures),
            "filtered": len(self.filtered),
            "success": self.success_percent(),
            "failureList": cut(self.failures),
            "warningList": cut(self.warnings),
            "filteredList": cut(self.filtered),
        }


def summary(
    statuses: Sequence[Status],
    *,
    pipeline_name: Optional[str],
    run_id: str,
    dry_run: bool,
    seconds: float,
    limit: Optional[int] = MAX_LISTED,
) -> Dict[str, Any]:
    """The run's summary: identity, totals, and each step's status."""
    return {
        "pipelineName": pipeline_name,
        "runId": run_id,
        "dryRun": dry_run,
        "seconds": round(seconds, 3),
        "failures": sum(len(s.failures) for s in statuses),
        "warnings": sum(len(s.warnings) for s in statuses),
        "steps": [s.as_dict(limit) for s in statuses],
    }


def format_table(summary_dict: Mapping[str, Any]) -> str:
    """A plain-text table: one row per step, then the listed failures and warnings."""
    head = ("step", "kind", "records", "updated", "unchanged", "warnings", "failures", "filtered")
    rows = [tuple(str(s[k] if k != "step" else s["step"]) for k in head) for s in summary_dict["steps"]]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [
        ("Dry run (nothing written) " if summary_dict.get("dryRun") else "")
        + f"pipeline {summary_dict.get('pipelineName') or '-'}, run {summary_dict['runId']}, "
        f"{summary_dict['seconds']:.2f}s",
        line(head),
        line(["-" * w for w in widths]),
    ]
    out.extend(line(r) for r in rows)
    for s in summary_dict["steps"]:
        for f in s["failureList"]:
            out.append(f"  ✗ {s['step']}: {f['name']}: {f['error']}")
        if s["failures"] > len(s["failureList"]):
            out.append(f"  ✗ {s['step']}: ... and {s['failures'] - len(s['failureList'])} more failures (use --json)")
        for w in s["warningList"]:
            out.append(f"  ! {s['step']}: {w['key']}: {w['reason']}")
        if s["warnings"] > len(s["warningList"]):
            out.append(f"  ! {s['step']}: ... and {s['warnings'] - len(s['warningList'])} more warnings")
    return "\n".join(out)
