"""Order-insensitive diff of two metadata files, by urn and aspect (``datahub check metadata-diff``).

    >>> a = [{"entityUrn": "urn:li:corpuser:a", "aspectName": "status", "changeType": "UPSERT",
    ...       "aspect": {"json": {"removed": False}}}]
    >>> b = [{"entityUrn": "urn:li:corpuser:a", "aspectName": "status", "changeType": "UPSERT",
    ...       "aspect": {"json": {"removed": True}}}]
    >>> d = diff_objects(a, b)
    >>> bool(d), [c.path for c in d.urns[0].aspects[0].changes]
    (True, ["['removed']"])

This copies DataHub's ``MCPDiff`` (``datahub/testing/mcp_diff.py``) and the rules around it
(``compare_metadata_json.py``):

- records are grouped ``urn -> aspectName -> [entries]``; each entry is (changeType, aspect value,
  headers), **systemMetadata is not compared** (MCPDiff leaves it out of ``AspectForDiff``);
- lists compare as sets at every level, repetitions included (DeepDiff ``ignore_order=True``
  without ``report_repetition``): ``[a, b]`` equals ``[b, a, a]``; ``1`` and ``1.0`` differ;
- DataHub's default ignore paths apply: ``timestampMillis``, ``lastUpdatedTimestamp``, ``created``
  and ``lastModified`` at the top of an aspect, ``upstreams[*].created.time`` and
  ``.lastModified.time``, ``source.created.time``, and ``auditStamp.time`` anywhere;
- ``--ignore-path`` takes DataHub's DeepDiff regexes (``root\\[\\d+\\]\\['aspect'\\]\\['json'\\]\\['x'\\]``,
  rewritten by ``MCPDiff.convert_path``) or a dotted path into the aspect (``x.y``, ``*`` for any
  key or list item, ``systemMetadata.x`` / ``headers.x`` when those are compared);
- "added" means present in ACTUAL only, "removed" in EXPECTED only (``MCPDiff.create(golden=
  expected, output=actual)``).

Where litemeta differs: legacy MCEs are expanded into one UPSERT per aspect and diffed like MCPs
(DataHub falls back to a whole-file DeepDiff), DELETEs without an aspect are diffed too, and within
one (urn, aspect) unmatched entries are paired in file order as "changed" (DataHub pairs them by
DeepDiff distance, so a very different single value may show there as removed + added).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Pattern, Sequence, Tuple

from litemeta.errors import InputError
from litemeta.model.registry import Registry

# compare_metadata_json.default_exclude_paths (acryl-datahub 1.7), as DeepDiff regexes.
DEFAULT_IGNORE_PATHS: Tuple[str, ...] = (
    r"root\[\d+\]\['systemMetadata'\]\['lastObserved'\]",
    r"root\[\d+\]\['aspect'\]\['json'\]\['timestampMillis'\]",
    r"root\[\d+\]\['aspect'\]\['json'\]\['lastUpdatedTimestamp'\]",
    r"root\[\d+\]\['aspect'\]\['json'\]\['created'\]",
    r"root\[\d+\]\['aspect'\]\['json'\]\['lastModified'\]",
    r"root\[\d+\].*?\['systemMetadata'\]\['runId'\]",
    r"root\[\d+\].*?\['systemMetadata'\]\['lastRunId'\]",
    r"root\[\d+\]\['aspect'\]\['json'\]\['upstreams'\]\[\d+\]\['created'\]\['time'\]",
    r"root\[\d+\]\['aspect'\]\['json'\]\['upstreams'\]\[\d+\]\['lastModified'\]\['time'\]",
    r"root\[\d+\]\['aspect'\]\['json'\]\['source'\]\['created'\]\['time'\]",
    r"root\[\d+\].*\['auditStamp'\]\['time'\]",
)

_CONVERT = re.compile(r"^root\\?\[([0-9]+|\\d\+)\\?]\\?\['aspect'\\?](\\?\['(json|value)'\\?])?")


def convert_path(path: str) -> str:
    """``MCPDiff.convert_path``: a file-level DeepDiff regex to one over an entry (``root[i].aspect...``)."""
    return _CONVERT.sub(r"root\[\\d+].aspect", path)


def _dotted_to_regex(path: str) -> str:
    parts = [p for p in re.split(r"\.|\[|\]", path) if p != ""]
    if not parts:
        raise InputError(f"empty ignore path {path!r}")
    head = {"systemMetadata": r"\['systemMetadata'\]", "headers": r"\.headers", "changeType": r"\.change_type"}
    if parts[0] in head:
        out = r"root\[\d+\]" + head[parts[0]]
        parts = parts[1:]
    else:
        out = r"root\[\d+\]\.aspect"
    for p in parts:
        if p == "*":
            out += r"\[[^\]]+\]"
        elif p.isdigit():
            out += rf"\[{p}\]"
        else:
            out += r"\['" + re.escape(p) + r"'\]"
    return "^" + out + r"(?:\[|$)"


def compile_ignore_paths(paths: Iterable[str], defaults: bool = True) -> Optional[Pattern[str]]:
    """One regex for the ignore paths (DeepDiff regexes or dotted paths), DataHub's defaults first."""
    regexes = [convert_path(p) for p in DEFAULT_IGNORE_PATHS] if defaults else []
    for p in paths:
        regexes.append(convert_path(p) if p.startswith("root") else _dotted_to_regex(p))
    if not regexes:
        return None
    try:
        return re.compile("|".join(f"(?:{r})" for r in regexes))
    except re.error as e:
        raise InputError(f"invalid ignore path regex: {e}") from None


@dataclass(frozen=True)
class Entry:
    """One record's contribution to an (urn, aspect): what MCPDiff's ``AspectForDiff`` compares."""

    change_type: str
    aspect: Any
    headers: Optional[Dict[str, str]] = None
    system_metadata: Optional[Dict[str, Any]] = None
    index: int = 0  # position of the record in its file

    def fields(self, with_system_metadata: bool) -> Dict[str, Any]:
        """The compared fields, keyed by their DeepDiff attribute names."""
        d = {"change_type": self.change_type, "aspect": self.aspect, "headers": self.headers}
        if with_system_metadata:
            d["system_metadata"] = self.system_metadata
        return d


Grouped = Dict[str, Dict[str, List[Entry]]]


@dataclass(frozen=True)
class Change:
    """One difference inside a changed entry: ``kind`` is added, removed, changed or type_changed."""

    path: str
    kind: str
    old: Any = None
    new: Any = None

    def as_dict(self) -> Dict[str, Any]:
        """JSON form."""
        d: Dict[str, Any] = {"path": self.path, "kind": self.kind}
        if self.kind != "added":
            d["old"] = self.old
        if self.kind != "removed":
            d["new"] = self.new
        return d


@dataclass(frozen=True)
class AspectDiff:
    """How one (urn, aspect) differs. ``status``: added (ACTUAL only), removed (EXPECTED only), changed."""

    aspect: str
    status: str
    added: Tuple[Entry, ...] = ()
    removed: Tuple[Entry, ...] = ()
    changed: Tuple[Tuple[Entry, Entry], ...] = ()
    changes: Tuple[Change, ...] = ()

    def as_dict(self, verbose: bool = False) -> Dict[str, Any]:
        """JSON form; ``verbose`` adds the values of added and removed entries."""
        d: Dict[str, Any] = {
            "aspect": self.aspect,
            "status": self.status,
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "changes": [c.as_dict() for c in self.changes],
        }
        if verbose:
            d["addedValues"] = [e.aspect for e in self.added]
            d["removedValues"] = [e.aspect for e in self.removed]
        return d


@dataclass(frozen=True)
class UrnDiff:
    """The aspects of one urn that differ; ``status`` added / removed / changed like the aspects."""

    urn: str
    status: str
    aspects: Tuple[AspectDiff, ...]


@dataclass(frozen=True)
class MetadataDiff:
    """The whole diff; falsy when the files are equal under the ignore rules."""

    urns: Tuple[UrnDiff, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.urns)

    @property
    def urns_added(self) -> List[str]:
        """Urns in ACTUAL only."""
        return [u.urn for u in self.urns if u.status == "added"]

    @property
    def urns_removed(self) -> List[str]:
        """Urns in EXPECTED only."""
        return [u.urn for u in self.urns if u.status == "removed"]

    def aspects_with(self, status: str) -> List[Tuple[str, str]]:
        """``(urn, aspect)`` pairs whose status is added, removed or changed."""
        return [(u.urn, a.aspect) for u in self.urns for a in u.aspects if a.status == status]

    def as_dict(self, verbose: bool = False) -> Dict[str, Any]:
        """JSON form (``--json``)."""
        return {
            "equal": not self,
            "urnsAdded": self.urns_added,
            "urnsRemoved": self.urns_removed,
            "aspectsAdded": [list(p) for p in self.aspects_with("added")],
            "aspectsRemoved": [list(p) for p in self.aspects_with("removed")],
            "aspectsChanged": [list(p) for p in self.aspects_with("changed")],
            "urns": [
                {"urn": u.urn, "status": u.status, "aspects": [a.as_dict(verbose) for a in u.aspects]}
                for u in self.urns
            ],
        }

    def pretty(self, verbose: bool = False) -> str:
        """Text in the spirit of ``MCPDiff.pretty``."""
        if not self:
            return "No differences."
        out: List[str] = []
        for u in self.urns:
            out.append(f"Urn {u.status}, {u.urn}:")
            for a in u.aspects:
                if a.status != "changed":
                    out.append(f"  <{a.aspect}> {a.status}")
                    if verbose:
                        for e in a.added or a.removed:
                            out.append(_indent(e.aspect))
                    continue
                for e in a.added:
                    out.append(f"  <{a.aspect}> entry added")
                    if verbose:
                        out.append(_indent(e.aspect))
                for e in a.removed:
                    out.append(f"  <{a.aspect}> entry removed")
                    if verbose:
                        out.append(_indent(e.aspect))
                if a.changes:
                    out.append(f"  <{a.aspect}> changed:")
                    out.extend("    " + _describe(c) for c in a.changes)
                if verbose:
                    for old, new in a.changed:
                        out.append(f"    Old aspect:\n{_indent(old.aspect, 6)}")
                        out.append(f"    New aspect:\n{_indent(new.aspect, 6)}")
            out.append("")
        return "\n".join(out).rstrip("\n")


def _indent(value: Any, n: int = 4) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
    return "\n".join(" " * n + line for line in text.splitlines())


def _short(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= 120 else s[:117] + "..."


def _describe(c: Change) -> str:
    if c.kind == "added":
        return f"{c.path} added: {_short(c.new)}"
    if c.kind == "removed":
        return f"{c.path} removed: {_short(c.old)}"
    if c.kind == "type_changed":
        return f"Type of {c.path} changed from {type(c.old).__name__} to {type(c.new).__name__}: {_short(c.old)} -> {_short(c.new)}"
    return f"Value of {c.path} changed from {_short(c.old)} to {_short(c.new)}"


# ------------------------------------------------------------------------------- grouping
def group_proposals(proposals: Iterable[Any]) -> Grouped:
    """``urn -> aspectName -> [Entry]`` from :class:`~litemeta.model.proposal.Proposal` objects."""
    out: Grouped = {}
    for i, p in enumerate(proposals):
        urn = p.entity_urn or ("<key> " + json.dumps(p.entity_key_aspect, sort_keys=True))
        entry = Entry(
            p.change_type, p.aspect, p.headers, p.system_metadata, p.origin.index if p.origin.index is not None else i
        )
        out.setdefault(urn, {}).setdefault(p.aspect_name or "", []).append(entry)
    return out


def read_grouped(paths: Sequence[str], registry: Registry) -> Grouped:
    """Read metadata files (MCPs in both dialects, legacy MCEs expanded) and group them.

    Raises :class:`InputError` naming the first unreadable or invalid record.
    """
    from litemeta.model.codec import proposals_of
    from litemeta.sources.files import read_records

    proposals: List[Any] = []
    for rec in read_records(paths):
        if isinstance(rec, Exception):
            raise InputError(str(rec)) from rec
        proposals.extend(proposals_of(rec, registry))
    return group_proposals(proposals)


# ---------------------------------------------------------------------------- comparison
def _key(k: Any) -> str:
    return f"[{k}]" if isinstance(k, int) else "['" + str(k) + "']"


def _canon(v: Any, path: str, ignore: Optional[Pattern[str]]) -> str:
    """A string equal for values equal under ignore-order and the ignore paths."""
    if isinstance(v, dict):
        items = []
        for k in sorted(v):
            sub = path + _key(k)
            if ignore is not None and ignore.search(sub):
                continue
            items.append(json.dumps(k) + ":" + _canon(v[k], sub, ignore))
        return "{" + ",".join(items) + "}"
    if isinstance(v, list):
        return "[" + ",".join(sorted({_canon(x, f"{path}[{i}]", ignore) for i, x in enumerate(v)})) + "]"
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, int):
        return "i" + str(v)
    if isinstance(v, float):
        return "f" + repr(v)
    return json.dumps(v, ensure_ascii=False)


def _same_type(a: Any, b: Any) -> bool:
    return type(a) is type(b)


def _changes(old: Any, new: Any, path: str, shown: str, ignore: Optional[Pattern[str]], out: List[Change]) -> None:
    if _canon(old, path, ignore) == _canon(new, path, ignore):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in list(old) + [k for k in new if k not in old]:
            sub = path + _key(k)
            if ignore is not None and ignore.search(sub):
                continue
            if k not in new:
                out.append(Change(shown + _key(k), "removed", old[k], None))
            elif k not in old:
                out.append(Change(shown + _key(k), "added", None, new[k]))
            else:
                _changes(old[k], new[k], sub, shown + _key(k), ignore, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        oc = {_canon(x, f"{path}[{i}]", ignore): (i, x) for i, x in enumerate(old)}
        nc = {_canon(x, f"{path}[{i}]", ignore): (i, x) for i, x in enumerate(new)}
        gone = [v for k, v in oc.items() if k not in nc]
        came = [v for k, v in nc.items() if k not in oc]
        for (i, a), (j, b) in zip(gone, came):
            if isinstance(a, (dict, list)) and _same_type(a, b):
                _changes(a, b, f"{path}[{i}]", f"{shown}[{j}]", ignore, out)
            else:
                out.append(Change(f"{shown}[{j}]", "changed", a, b))
        for i, a in gone[len(came) :]:
            out.append(Change(f"{shown}[{i}]", "removed", a, None))
        for j, b in came[len(gone) :]:
            out.append(Change(f"{shown}[{j}]", "added", None, b))
        return
    out.append(Change(shown, "changed" if _same_type(old, new) else "type_changed", old, new))


def _attr_path(i: int, name: str) -> str:
    """DeepDiff's path of an entry attribute; systemMetadata is spelled as DataHub's ignore paths expect."""
    return f"root[{i}]['systemMetadata']" if name == "system_metadata" else f"root[{i}].{name}"


def _entry_changes(old: Entry, new: Entry, i: int, ignore: Optional[Pattern[str]], with_sm: bool) -> List[Change]:
    out: List[Change] = []
    a, b = old.fields(with_sm), new.fields(with_sm)
    for name in a:
        p = _attr_path(i, name)
        if ignore is not None and ignore.search(p):
            continue
        shown = {"aspect": "", "system_metadata": "systemMetadata"}.get(name, name)
        _changes(a[name], b[name], p, shown, ignore, out)
    return out


def diff_aspect(
    expected: List[Entry], actual: List[Entry], ignore: Optional[Pattern[str]], with_system_metadata: bool = False
) -> Tuple[List[Entry], List[Entry], List[Tuple[Entry, Entry]], List[Change]]:
    """``(added, removed, changed pairs, changes)`` between the entries of one (urn, aspect)."""

    def canon(e: Entry, i: int) -> str:
        d = e.fields(with_system_metadata)
        parts = []
        for name in sorted(d):
            p = _attr_path(i, name)
            if ignore is not None and ignore.search(p):
                continue
            parts.append(name + "=" + _canon(d[name], p, ignore))
        return ";".join(parts)

    ec = {canon(e, i): (i, e) for i, e in enumerate(expected)}
    ac = {canon(e, i): (i, e) for i, e in enumerate(actual)}
    removed = [v for k, v in ec.items() if k not in ac]
    added = [v for k, v in ac.items() if k not in ec]
    pairs = list(zip(removed, added))
    changes: List[Change] = []
    for (i, old), (_, new) in pairs:
        changes += _entry_changes(old, new, i, ignore, with_system_metadata)
    return (
        [e for _, e in added[len(pairs) :]],
        [e for _, e in removed[len(pairs) :]],
        [(o, n) for (_, o), (_, n) in pairs],
        changes,
    )


def diff_grouped(
    actual: Grouped, expected: Grouped, ignore: Optional[Pattern[str]], with_system_metadata: bool = False
) -> MetadataDiff:
    """Compare two grouped files (``MCPDiff.create(golden=expected, output=actual)``)."""
    urns: List[UrnDiff] = []
    for urn in sorted(actual.keys() | expected.keys()):
        amap, emap = actual.get(urn, {}), expected.get(urn, {})
        aspects: List[AspectDiff] = []
        for name in sorted(amap.keys() | emap.keys()):
            t1, t2 = emap.get(name, []), amap.get(name, [])
            added, removed, changed, changes = diff_aspect(t1, t2, ignore, with_system_metadata)
            if not (added or removed or changed):
                continue
            status = "added" if not t1 else "removed" if not t2 else "changed"
            aspects.append(AspectDiff(name, status, tuple(added), tuple(removed), tuple(changed), tuple(changes)))
        if aspects:
            status = "added" if urn not in expected else "removed" if urn not in actual else "changed"
            urns.append(UrnDiff(urn, status, tuple(aspects)))
    return MetadataDiff(tuple(urns))


def diff_objects(
    actual: Sequence[Any],
    expected: Sequence[Any],
    ignore_paths: Sequence[str] = (),
    registry: Optional[Registry] = None,
    with_system_metadata: bool = False,
) -> MetadataDiff:
    """Diff two lists of file-sink JSON objects (MCPs or MCEs)."""
    from litemeta.model.codec import proposals_of, record_from_obj
    from litemeta.model.proposal import Origin
    from litemeta.model.registry import load_registry

    reg = registry or load_registry()

    def group(objs: Sequence[Any], name: str) -> Grouped:
        ps: List[Any] = []
        for i, o in enumerate(objs):
            ps.extend(proposals_of(record_from_obj(o, Origin(name, i)), reg))
        return group_proposals(ps)

    return diff_grouped(
        group(actual, "<actual>"),
        group(expected, "<expected>"),
        compile_ignore_paths(ignore_paths),
        with_system_metadata,
    )


def diff_files(
    actual: str,
    expected: str,
    ignore_paths: Sequence[str] = (),
    registry: Optional[Registry] = None,
    with_system_metadata: bool = False,
) -> MetadataDiff:
    """Diff two metadata files (any format ``litemeta ingest`` reads)."""
    from litemeta.model.registry import load_registry

    reg = registry or load_registry()
    ignore = compile_ignore_paths(ignore_paths)
    return diff_grouped(read_grouped([actual], reg), read_grouped([expected], reg), ignore, with_system_metadata)


__all__ = [
    "DEFAULT_IGNORE_PATHS",
    "MetadataDiff",
    "UrnDiff",
    "AspectDiff",
    "Change",
    "Entry",
    "convert_path",
    "compile_ignore_paths",
    "diff_files",
    "diff_objects",
    "diff_grouped",
    "group_proposals",
    "read_grouped",
]
