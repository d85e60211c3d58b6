"""An entity's change history as change transactions (``datahub timeline``), from the store's MCL log.

    >>> changes = [AspectChange("urn:li:corpuser:a", "globalTags", "UPSERT", None,
    ...            {"tags": [{"tag": "urn:li:tag:pii"}]}, 1000, "urn:li:corpuser:datahub", "run-1")]
    >>> t = build_timeline(changes)
    >>> t[0].semver, [(e["category"], e["operation"]) for e in t[0].events]
    ('0.0.0-computed', [('TAG', 'ADD')])

How it follows DataHub's ``TimelineServiceImpl`` (metadata-io ``timeline/``):

- each change of an aspect is diffed (previous value to new value) by DataHub's change event
  generators (:func:`litemeta.core.changes.aspect_change_events`), all of them, including those
  the platform-event hook skips (institutionalMemory), as the timeline does;
- changes are grouped into transactions: the same audit time (``created.time``) and run id;
- each event has a ``semVerChange`` (MAJOR/MINOR/PATCH/NONE: the generator's level, else
  :func:`litemeta.core.changes.event_semver`), a transaction the highest of its events, and the
  transactions a computed ``semVer`` (``getGroupSemanticVersion``: the first is ``0.0.0-computed``,
  then MAJOR/MINOR/PATCH bump it);
- ``categories`` filters events (``OWNER`` means ``OWNERSHIP``), empty transactions are dropped.

litemeta's choices: the source is the ``MetadataChangeLog_Versioned_v1`` topic (previous value and
new value of every write, so retention and aspect deletes lose nothing; RESTATE MCLs, which change
nothing, are skipped) rather than the aspect table; semantic versions are computed over the whole
(category-filtered) history before ``start``/``end`` cut it, so a transaction's version does not
depend on the window; event ``description`` texts are litemeta's own (DataHub's are not part of
any schema); ``raw`` adds, per transaction, each aspect's previous and new value and an RFC 6902
JSON patch between them (DataHub's ``rawDiff`` is one JSON patch per aspect version).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from litemeta.core.changes import (
    CATEGORY_ALIASES,
    aspect_change_events,
    event_semver,
    semantic_change,
    semantic_versions,
)
from litemeta.errors import UnknownEntityError
from litemeta.model.events import MCL_VERSIONED_TOPIC

# Categories the generators emit (DataHub's timeline CLI lists the first ones; LIFECYCLE,
# DEPRECATION, RUN and BUSINESS_ATTRIBUTE come from the entity change event generators).
CATEGORIES: Tuple[str, ...] = (
    "TAG",
    "OWNERSHIP",
    "GLOSSARY_TERM",
    "TECHNICAL_SCHEMA",
    "DOCUMENTATION",
    "DOMAIN",
    "STRUCTURED_PROPERTY",
    "LIFECYCLE",
    "DEPRECATION",
    "BUSINESS_ATTRIBUTE",
    "RUN",
)


@dataclass(frozen=True)
class AspectChange:
    """One write of an aspect, as an MCL records it."""

    urn: str
    aspect: str
    change_type: str
    previous: Optional[Mapping[str, Any]]
    value: Optional[Mapping[str, Any]]
    time: int
    actor: str
    run_id: Optional[str] = None


@dataclass(frozen=True)
class ChangeTransaction:
    """Changes made together (same time and run), with their events and semantic version."""

    timestamp: int
    actor: str
    run_id: Optional[str]
    events: Tuple[Dict[str, Any], ...]
    semver_change: str
    semver: str
    raw: Tuple[Dict[str, Any], ...] = field(default=())

    def as_dict(self) -> Dict[str, Any]:
        """The JSON form, in DataHub's ``ChangeTransaction`` shape (plus ``runId``)."""
        d: Dict[str, Any] = {
            "timestamp": self.timestamp,
            "actor": self.actor,
            "semVer": self.semver,
            "semVerChange": self.semver_change,
            "runId": self.run_id,
            "changeEvents": list(self.events),
        }
        if self.raw:
            d["rawDiff"] = list(self.raw)
        return d


def normalize_categories(categories: Optional[Iterable[str]]) -> Optional[List[str]]:
    """Upper-case, resolve ``OWNER`` to ``OWNERSHIP`` and check against :data:`CATEGORIES`."""
    if not categories:
        return None
    out = []
    for c in categories:
        up = CATEGORY_ALIASES.get(c.upper(), c.upper())
        if up not in CATEGORIES:
            raise ValueError(f"category {c!r} is not one of {', '.join(CATEGORIES)} (or OWNER)")
        out.append(up)
    return out


def _decode(aspect: Any) -> Optional[Mapping[str, Any]]:
    if not aspect:
        return None
    value = aspect.get("value") if isinstance(aspect, Mapping) else None
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
    return value if isinstance(value, dict) else None


def changes_from_mcls(values: Iterable[Mapping[str, Any]], urn: str) -> Iterator[AspectChange]:
    """The aspect changes of ``urn`` in MCL topic values (design.md choice 8); RESTATEs skipped."""
    for v in values:
        if v.get("entityUrn") != urn or v.get("changeType") == "RESTATE":
            continue
        created = v.get("created") or {}
        sm = v.get("systemMetadata") or {}
        new = None if v.get("changeType") == "DELETE" else _decode(v.get("aspect"))
        yield AspectChange(
            urn,
            v.get("aspectName") or "",
            v.get("changeType") or "UPSERT",
            _decode(v.get("previousAspectValue")),
            new,
            int(created.get("time") or 0),
            created.get("actor") or "",
            sm.get("runId"),
        )


_NOUNS = {
    "TAG": "Tag",
    "GLOSSARY_TERM": "Term",
    "OWNERSHIP": "Owner",
    "DOMAIN": "Domain",
    "STRUCTURED_PROPERTY": "Structured property",
    "BUSINESS_ATTRIBUTE": "Business attribute",
    "TECHNICAL_SCHEMA": "Field",
    "DOCUMENTATION": "Documentation",
    "DEPRECATION": "Deprecation",
    "LIFECYCLE": "Entity",
    "RUN": "Run",
}
_VERBS = {
    "ADD": "added",
    "REMOVE": "removed",
    "MODIFY": "modified",
    "CREATE": "created",
    "SOFT_DELETE": "soft-deleted",
    "HARD_DELETE": "hard-deleted",
    "REINSTATE": "reinstated",
}


def describe_event(e: Mapping[str, Any]) -> str:
    """A one-line description of an event (litemeta's wording)."""
    noun = _NOUNS.get(e.get("category", ""), str(e.get("category", "")).title())
    verb = _VERBS.get(e.get("operation", ""), str(e.get("operation", "")).lower())
    params = e.get("parameters") or {}
    what = e.get("modifier") or ""
    if e.get("category") == "TECHNICAL_SCHEMA" and params.get("fieldPath"):
        what = params["fieldPath"]
    text = f"{noun} {what} {verb}".replace("  ", " ")
    target = str(e.get("entityUrn", ""))
    if target.startswith("urn:li:schemaField:"):
        text += f" on field {target.rsplit(',', 1)[-1].rstrip(')')}"
    return text + "."


def json_patch(old: Any, new: Any, path: str = "") -> List[Dict[str, Any]]:
    """An RFC 6902 patch turning ``old`` into ``new`` (objects diffed by key, arrays replaced whole)."""
    if old == new and type(old) is type(new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        ops: List[Dict[str, Any]] = []
        for k in old:
            p = path + "/" + str(k).replace("~", "~0").replace("/", "~1")
            if k not in new:
                ops.append({"op": "remove", "path": p})
            else:
                ops += json_patch(old[k], new[k], p)
        for k in new:
            if k not in old:
                ops.append(
                    {"op": "add", "path": path + "/" + str(k).replace("~", "~0").replace("/", "~1"), "value": new[k]}
                )
        return ops
    if old is None:
        return [{"op": "add", "path": path or "", "value": new}]
    if new is None:
        return [{"op": "remove", "path": path or ""}]
    return [{"op": "replace", "path": path or "", "value": new}]


def value_changes(old: Any, new: Any, path: str = "") -> List[Tuple[str, str, Any, Any]]:
    """What changed from one aspect value to the next, as ``(op, path, old, new)`` with op ``+``
    (added), ``-`` (removed) or ``~`` (replaced), paths as in JSON Pointer (pure).

    Unlike :func:`json_patch` (a patch to apply), this is for reading: objects are compared key by
    key, arrays of equal length element by element, other arrays by membership (what left, what
    came), so a tag added to a list of ten shows as one ``+`` line.

        >>> value_changes({"tags": ["a"], "n": 1}, {"tags": ["a", "b"], "n": 2})
        [('~', '/n', 1, 2), ('+', '/tags/1', None, 'b')]
    """
    if old == new and type(old) is type(new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: List[Tuple[str, str, Any, Any]] = []
        for k in sorted(set(old) | set(new), key=str):
            p = path + "/" + str(k).replace("~", "~0").replace("/", "~1")
            if k not in new:
                out.append(("-", p, old[k], None))
            elif k not in old:
                out.append(("+", p, None, new[k]))
            else:
                out += value_changes(old[k], new[k], p)
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) == len(new):
            return [c for i, (a, b) in enumerate(zip(old, new)) for c in value_changes(a, b, f"{path}/{i}")]
        kept = [json.dumps(v, sort_keys=True) for v in new]
        was = [json.dumps(v, sort_keys=True) for v in old]
        return [("-", f"{path}/{i}", v, None) for i, v in enumerate(old) if was[i] not in kept] + [
            ("+", f"{path}/{i}", None, v) for i, v in enumerate(new) if kept[i] not in was
        ]
    return [("~", path, old, new)]


def _events(c: AspectChange, categories: Optional[Sequence[str]]) -> List[Dict[str, Any]]:
    stamp = {"actor": c.actor, "time": c.time}
    out = []
    for e in aspect_change_events(
        entity_urn=c.urn, aspect_name=c.aspect, previous=c.previous, new=c.value, audit_stamp=stamp, with_semver=True
    ):
        if categories is not None and CATEGORY_ALIASES.get(e["category"], e["category"]) not in categories:
            continue
        level = event_semver(e)
        d = {k: v for k, v in e.items() if not k.startswith("_")}
        d["changeType"] = d["operation"]
        d["semVerChange"] = level
        d["aspectName"] = c.aspect
        d["description"] = describe_event(d)
        out.append(d)
    return out


def build_timeline(
    changes: Iterable[AspectChange],
    categories: Optional[Iterable[str]] = None,
    start: Optional[int] = None,
    end: Optional[int] = None,
    raw: bool = False,
) -> List[ChangeTransaction]:
    """Change transactions, oldest first, from an entity's aspect changes (pure)."""
    cats = normalize_categories(categories)
    groups: Dict[Tuple[int, Optional[str]], Dict[str, Any]] = {}
    for c in changes:
        g = groups.setdefault((c.time, c.run_id), {"actor": c.actor, "events": [], "raw": []})
        g["events"] += _events(c, cats)
        if raw:
            g["raw"].append(
                {
                    "aspectName": c.aspect,
                    "changeType": c.change_type,
                    "previousValue": c.previous,
                    "value": c.value,
                    "patch": json_patch(c.previous, c.value),
                }
            )
    keys = sorted((k for k, g in groups.items() if g["events"]), key=lambda k: (k[0], k[1] or ""))
    levels = [semantic_change(groups[k]["events"]) for k in keys]
    versions = semantic_versions(levels)
    out = []
    for key, level, version in zip(keys, levels, versions):
        if (start is not None and key[0] < start) or (end is not None and key[0] > end):
            continue
        g = groups[key]
        out.append(ChangeTransaction(key[0], g["actor"], key[1], tuple(g["events"]), level, version, tuple(g["raw"])))
    return out


def read_changes(store: Any, urn: str) -> List[AspectChange]:
    """Every aspect change of ``urn`` in the store's versioned MCL topic, in log order (the MCLs are
    keyed by entity urn: only the log batches holding that key are read)."""
    return list(changes_from_mcls((r.value for r in store.key_records(MCL_VERSIONED_TOPIC, urn)), urn))


def timeline(
    store: Any,
    urn: str,
    categories: Optional[Iterable[str]] = None,
    start: Optional[int] = None,
    end: Optional[int] = None,
    raw: bool = False,
) -> List[ChangeTransaction]:
    """The timeline of ``urn``; :class:`UnknownEntityError` if the store never saw it."""
    cats = normalize_categories(categories)
    changes = read_changes(store, urn)
    if not changes and not store.exists(urn):
        raise UnknownEntityError(f"urn {urn} not found in the store", urn=urn)
    return build_timeline(changes, cats, start, end, raw)


__all__ = [
    "AspectChange",
    "ChangeTransaction",
    "CATEGORIES",
    "build_timeline",
    "changes_from_mcls",
    "describe_event",
    "json_patch",
    "value_changes",
    "normalize_categories",
    "read_changes",
    "timeline",
]
