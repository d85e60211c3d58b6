"""An entity's stored versions, readable diffs between them, and its timeline from those versions.

    >>> readable_diff({"tags": [{"tag": "a"}], "x": 1}, {"tags": [{"tag": "a"}, {"tag": "b"}]})
    [Change(op='changed', path='/tags', old=[{'tag': 'a'}], new=[{'tag': 'a'}, {'tag': 'b'}]), Change(op='removed', path='/x', old=1, new=None)]

The browser's timeline is built from the versions kept in ``metadata_aspect_v2`` (as DataHub's
``TimelineServiceImpl`` builds it from its aspect table), with litemeta's own change event
generators and semantic versions (:func:`litemeta.views.timeline.build_timeline`). ``litemeta timeline``
reads the MCL log instead, which also knows changes older than the retention window; reading that
log for one entity scans it whole (~10 s on the 200k-record store), too slow for a page. Where
retention has dropped an aspect's first versions, its oldest kept version is the baseline, not a
creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from litemeta.views.timeline import AspectChange, ChangeTransaction, build_timeline, json_patch


@dataclass(frozen=True)
class Change:
    """One difference between two versions of a value: added, removed or changed at ``path``."""

    op: str
    path: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Version:
    """One stored version of an aspect and what changed from the version before it."""

    aspect: str
    number: int  # 1 for the oldest kept version, counting up to the current one
    current: bool
    time: int
    actor: str
    run_id: Optional[str]
    value: Any
    changes: Tuple[Change, ...]
    baseline: bool  # the oldest kept version (nothing before it to compare with)


def _get(doc: Any, pointer: str) -> Any:
    # RFC 6901 pointer lookup (objects only: json_patch replaces arrays whole)
    for part in pointer.split("/")[1:]:
        key = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def readable_diff(old: Any, new: Any) -> List[Change]:
    """The changes from ``old`` to ``new`` by JSON pointer, with both sides' values."""
    out = []
    # a first version: its fields one by one rather than the whole value at "/"
    base = {} if old is None and isinstance(new, dict) else old
    for op in json_patch(base, new):
        path = op["path"] or "/"
        kind = {"add": "added", "remove": "removed"}.get(op["op"], "changed")
        out.append(
            Change(
                kind,
                path,
                None if kind == "added" else _get(base, op["path"]),
                op.get("value") if kind != "removed" else None,
            )
        )
    return sorted(out, key=lambda c: c.path)


def versions(store: Any, urn: str, aspects: Sequence[str]) -> Dict[str, List[Version]]:
    """Every kept version of each named aspect, newest first, each with its diff from the one before;
    the aspects ordered by their last change, newest first."""
    out: Dict[str, List[Version]] = {}
    for name in aspects:
        rows = store.history(urn, name)
        if not rows:
            continue
        # Archived versions are numbered from 1; a first kept number above 1 means retention cut the rest.
        first_number = rows[0].version if rows[0].version > 0 else 1
        vs = []
        prev: Any = None
        for i, r in enumerate(rows):
            sm = r.system_metadata or {}
            baseline = i == 0 and first_number > 1
            changes = () if baseline else tuple(readable_diff(prev, r.value))
            vs.append(
                Version(
                    name,
                    first_number + i,
                    r.version == 0,
                    r.created_on,
                    r.created_by,
                    sm.get("runId"),
                    r.value,
                    changes,
                    baseline,
                )
            )
            prev = r.value
        out[name] = vs[::-1]
    # the aspect changed last first (the page opens it)
    return dict(sorted(out.items(), key=lambda kv: (-kv[1][0].time, kv[0])))


def timeline_from_versions(
    urn: str, history: Dict[str, List[Version]], categories: Optional[Sequence[str]] = None
) -> List[ChangeTransaction]:
    """Change transactions, newest first, from :func:`versions` (the entity's change events)."""
    changes: List[AspectChange] = []
    for vs in history.values():
        chron = vs[::-1]
        for i, v in enumerate(chron):
            if v.baseline:
                continue
            prev = chron[i - 1].value if i > 0 else None
            changes.append(AspectChange(urn, v.aspect, "UPSERT", prev, v.value, v.time, v.actor, v.run_id))
    changes.sort(key=lambda c: c.time)
    return build_timeline(changes, categories)[::-1]
