"""The schema generators: DataHub's ``SchemaMetadataChangeEventGenerator`` and
``EditableSchemaMetadataChangeEventGenerator`` (sources listed in :mod:`litemeta.core.changes`).

schemaMetadata: both field lists are sorted by ``fieldPath`` and merge-joined. Per field, in this
order: the TECHNICAL_SCHEMA event (ADD = MINOR, REMOVE = MAJOR, native type change = MODIFY MAJOR
with ``modificationCategory`` TYPE_CHANGE, rename = MODIFY MINOR with RENAME), then the field's
DOCUMENTATION, TAG and GLOSSARY_TERM events (entity = the schemaField urn, parameters carrying
``fieldPath`` and ``parentUrn`` = the dataset). A removed field is a rename when a not-yet-matched
field on the other side has the same native type, the same parent path and the same description.
Fields whose v2 path moved because the type is encoded in it are paired first ("moved field
groups"). Primary-key changes come last (MODIFY MAJOR; DataHub iterates a HashSet, litemeta sorts).

editableSchemaMetadata: four passes (DOCUMENTATION, TAG, TECHNICAL_SCHEMA which yields nothing,
GLOSSARY_TERM) over ``editableSchemaFieldInfo`` merged by ``fieldPath``. DataHub passes the
schemaField urn itself as ``parentUrn`` of field tag/term events here, and throws on a null new
value (so a DELETE MCL yields no events); both are copied.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from litemeta.core.changes_base import (
    Event,
    field_tag_events,
    field_term_events,
    raw_event,
    schema_field_urn,
    tag_diffs,
    term_diffs,
)

Field = Mapping[str, Any]
_V2 = "[version=2.0]"


def downgrade_field_path(path: str) -> str:
    """``SchemaFieldUtils.downgradeFieldPath``: a v2 field path without its type annotations."""
    if not path.startswith(_V2):
        return path
    return ".".join(c for c in path[len(_V2) :].split(".") if c and not (c.startswith("[") and c.endswith("]")))


def _fp(f: Field) -> str:
    return f["fieldPath"]


def _technical(dataset_urn: str, field: Field, op: str, semver: str, category: str, urn: Optional[str] = None) -> Event:
    """The field's TECHNICAL_SCHEMA event (``urn``: its schemaField urn, when the caller has it)."""
    if urn is None:
        urn = schema_field_urn(dataset_urn, _fp(field))
    params = {
        "fieldPath": _fp(field),
        "fieldUrn": urn,
        "nullable": bool(field.get("nullable", False)),
        "modificationCategory": category,
    }
    return raw_event(dataset_urn, "TECHNICAL_SCHEMA", op, urn, params, semver)


def _field_description(base: Optional[Field], target: Optional[Field], field_urn: str) -> Optional[Event]:
    bd = base.get("description") if base is not None else None
    td = target.get("description") if target is not None else None
    if bd is None and td is not None:
        return raw_event(field_urn, "DOCUMENTATION", "ADD", None, {"description": td}, "MINOR")
    if bd is not None and td is None:
        return raw_event(field_urn, "DOCUMENTATION", "REMOVE", None, {"description": bd}, "MINOR")
    if bd is not None and bd != td:
        return raw_event(
            field_urn, "DOCUMENTATION", "MODIFY", None, {"description": td, "previousDescription": bd}, "PATCH"
        )
    return None


_NO_FIELD: Mapping[str, Any] = {}


def _property_events(
    base: Optional[Field], target: Optional[Field], dataset_urn: str, field_urn: Optional[str] = None
) -> List[Event]:
    """``getFieldPropertyChangeEvents`` with all four categories (``field_urn``: the schemaField urn
    of the target, else the base, when the caller has it)."""
    # No events when description, tags and terms are the same on both sides, a missing side or
    # field counting as null (an added field without any of them: the common case).
    b = base if base is not None else _NO_FIELD
    t = target if target is not None else _NO_FIELD
    if (
        b.get("description") == t.get("description")
        and b.get("globalTags") == t.get("globalTags")
        and b.get("glossaryTerms") == t.get("glossaryTerms")
    ):
        return []
    named = target if target is not None else base
    assert named is not None
    path = _fp(named)
    if field_urn is None:
        field_urn = schema_field_urn(dataset_urn, path)
    out: List[Event] = []
    doc = _field_description(base, target, field_urn)
    if doc is not None:
        doc["parameters"].update(fieldPath=path, parentUrn=dataset_urn)
        out.append(doc)
    out += field_tag_events(
        tag_diffs(base.get("globalTags") if base else None, target.get("globalTags") if target else None, field_urn),
        path,
        dataset_urn,
    )
    out += field_term_events(
        term_diffs(
            base.get("glossaryTerms") if base else None, target.get("glossaryTerms") if target else None, field_urn
        ),
        path,
        dataset_urn,
    )
    return out


def _native_types(fields: List[Field]) -> str:
    return ", ".join(sorted({f.get("nativeDataType") or "" for f in fields}))


class _MovedGroup:
    """Fields on both sides sharing one type-stripped path whose own paths moved."""

    def __init__(self, base: List[Field], target: List[Field], has_stable: bool) -> None:
        key = lambda f: (_fp(f).count("."), _fp(f))  # noqa: E731  the column before its branches
        self.base = sorted(base, key=key)
        self.target = sorted(target, key=key)
        self.has_stable = has_stable

    def members(self) -> List[Field]:
        return self.base + self.target


def _moved_groups(base: List[Field], target: List[Field]) -> Dict[int, _MovedGroup]:
    if not base or not target:
        return {}  # a group needs fields on both sides (a new or a dropped schema has none)
    base_paths = {_fp(f) for f in base}
    target_paths = {_fp(f) for f in target}
    if base_paths == target_paths:
        return {}
    by_base: Dict[str, List[Field]] = {}
    by_target: Dict[str, List[Field]] = {}
    for f in base:
        if _fp(f) not in target_paths:
            by_base.setdefault(downgrade_field_path(_fp(f)), []).append(f)
    for f in target:
        if _fp(f) not in base_paths:
            by_target.setdefault(downgrade_field_path(_fp(f)), []).append(f)
    stable = {downgrade_field_path(_fp(f)) for f in base if _fp(f) in target_paths}
    groups: Dict[int, _MovedGroup] = {}
    for logical, bfs in by_base.items():
        tfs = by_target.get(logical)
        if tfs is None:
            continue
        g = _MovedGroup(bfs, tfs, logical in stable)
        for f in g.members():
            groups[id(f)] = g
    return groups


def _parents_match(a: str, b: str) -> bool:
    i, j = a.rfind("."), b.rfind(".")
    if i > 0 and j > 0:
        return a[:i] == b[:j]
    return i < 0 and j < 0


def _is_renamed(cur: Field, other: Field) -> bool:
    return (
        cur.get("nativeDataType") == other.get("nativeDataType")
        and _parents_match(_fp(cur), _fp(other))
        and cur.get("description") == other.get("description")
    )


def _rename_key(f: Field) -> Any:
    """Fields ``a`` and ``b`` satisfy :func:`_is_renamed` exactly when their keys are equal and not
    None: same native type, same description, same parent path (both top-level, or both under the
    same non-empty parent; a path starting with its only '.' matches nothing)."""
    path = _fp(f)
    i = path.rfind(".")
    if i == 0:
        return None
    return (f.get("nativeDataType"), f.get("description"), path[:i] if i > 0 else None)


class _RenameIndex:
    """The fields of one side by :func:`_rename_key`, in list order: the rename search looks only
    at fields that can match instead of scanning the rest of the other side for each field."""

    def __init__(self, fields: List[Field]) -> None:
        self.fields = fields
        self.by_key: Dict[Any, List[int]] = {}
        self.exact = True
        self._built = False  # built on the first search: most schema changes never search

    def _build(self) -> None:
        self._built = True
        for i, f in enumerate(self.fields):
            try:
                key = _rename_key(f)
                if key is not None:
                    self.by_key.setdefault(key, []).append(i)
            except TypeError:  # an unhashable type or description: scan, as DataHub does
                self.exact = False

    def candidates(self, cur: Field, start: int) -> Iterable[Field]:
        """The fields from position ``start`` on that :func:`_is_renamed` pairs with ``cur``, in order."""
        if not self._built:
            self._build()
        if self.exact:
            try:
                key = _rename_key(cur)
                found = self.by_key.get(key) if key is not None else None
            except TypeError:
                pass
            else:
                return [self.fields[i] for i in found[bisect_left(found, start) :]] if found else []
        return [f for f in self.fields[start:] if _is_renamed(cur, f)]


def _find_renamed(
    cur: Field,
    same_side: List[Field],
    same_start: int,
    other: _RenameIndex,
    other_start: int,
    renamed: Set[int],
    moved: Mapping[int, _MovedGroup],
) -> Optional[Field]:
    """The first field of the other side's rest that ``cur`` was renamed to (or from)."""
    for f in other.candidates(cur, other_start):
        if id(f) not in renamed and id(f) not in moved and f not in same_side[same_start:]:
            return f
    return None


def _moved_events(dataset_urn: str, g: _MovedGroup) -> List[Event]:
    b, t = g.base[0], g.target[0]
    out: List[Event] = []
    bt, tt = _native_types(g.base), _native_types(g.target)
    if bt != tt:
        out.append(_technical(dataset_urn, b, "MODIFY", "MAJOR", "TYPE_CHANGE"))
    if not g.has_stable:
        out += _property_events(b, t, dataset_urn)
    return out


def schema_metadata_events(
    previous: Optional[Mapping[str, Any]], new: Optional[Mapping[str, Any]], entity_urn: str
) -> List[Event]:
    """``SchemaMetadataChangeEventGenerator.getChangeEvents`` (all four categories, one pass)."""
    base = sorted((previous or {}).get("fields") or [], key=_fp)
    target = sorted((new or {}).get("fields") or [], key=_fp)
    moved = _moved_groups(base, target)
    base_index, target_index = _RenameIndex(base), _RenameIndex(target)
    renamed: Set[int] = set()
    processed: Set[int] = set()
    out: List[Event] = []
    bi = ti = 0
    while bi < len(base) and ti < len(target):
        b, t = base[bi], target[ti]
        if id(b) in renamed:
            bi += 1
        elif id(t) in renamed:
            ti += 1
        elif id(b) in processed:
            bi += 1
        elif id(t) in processed:
            ti += 1
        elif b == t:
            # Equal fields give no events (fast path for the common unchanged field).
            bi += 1
            ti += 1
        elif _fp(b) == _fp(t):
            if b.get("nativeDataType") != t.get("nativeDataType"):
                out.append(_technical(entity_urn, b, "MODIFY", "MAJOR", "TYPE_CHANGE"))
            out += _property_events(b, t, entity_urn)
            bi += 1
            ti += 1
        elif _fp(b) < _fp(t):
            g = moved.get(id(b))
            if g is not None:
                out += _moved_events(entity_urn, g)
                processed.update(id(f) for f in g.members())
                bi += 1
                continue
            r = _find_renamed(b, base, bi, target_index, ti, renamed, moved)
            if r is None:
                fu = schema_field_urn(entity_urn, _fp(b))
                out.append(_technical(entity_urn, b, "REMOVE", "MAJOR", "OTHER", fu))
                out += _property_events(b, None, entity_urn, fu)
            else:
                out.append(_technical(entity_urn, b, "MODIFY", "MINOR", "RENAME"))
                out += _property_events(b, r, entity_urn)
                renamed.add(id(r))
            bi += 1
        else:
            g = moved.get(id(t))
            if g is not None:
                out += _moved_events(entity_urn, g)
                processed.update(id(f) for f in g.members())
                ti += 1
                continue
            r = _find_renamed(t, target, ti, base_index, bi, renamed, moved)
            if r is None:
                fu = schema_field_urn(entity_urn, _fp(t))
                out.append(_technical(entity_urn, t, "ADD", "MINOR", "OTHER", fu))
                out += _property_events(None, t, entity_urn, fu)
            else:
                out.append(_technical(entity_urn, r, "MODIFY", "MINOR", "RENAME"))
                out += _property_events(r, t, entity_urn)
                renamed.add(id(r))
            ti += 1
    for b in base[bi:]:
        if id(b) not in renamed and id(b) not in processed:
            fu = schema_field_urn(entity_urn, _fp(b))
            out.append(_technical(entity_urn, b, "REMOVE", "MAJOR", "OTHER", fu))
            out += _property_events(b, None, entity_urn, fu)
    for t in target[ti:]:
        if id(t) not in renamed and id(t) not in processed:
            fu = schema_field_urn(entity_urn, _fp(t))
            out.append(_technical(entity_urn, t, "ADD", "MINOR", "OTHER", fu))
            out += _property_events(None, t, entity_urn, fu)
    out += _primary_key_events(previous, new, entity_urn)
    return out


def _primary_key_events(
    previous: Optional[Mapping[str, Any]], new: Optional[Mapping[str, Any]], dataset_urn: str
) -> List[Event]:
    base = set((previous or {}).get("primaryKeys") or [])
    target = set((new or {}).get("primaryKeys") or [])
    out = []
    for key in sorted(base - target) + sorted(target - base):
        urn = schema_field_urn(dataset_urn, key)
        params = {"fieldPath": key, "fieldUrn": urn, "nullable": False, "modificationCategory": "OTHER"}
        out.append(raw_event(dataset_urn, "TECHNICAL_SCHEMA", "MODIFY", urn, params, "MAJOR"))
    return out


def _editable_field_events(
    base: Optional[Field], target: Optional[Field], entity_urn: str, category: str
) -> List[Event]:
    named = base if base is not None else target
    assert named is not None
    field_urn = schema_field_urn(entity_urn, _fp(named))
    path = _fp(target) if target is not None else _fp(named)
    if category == "DOCUMENTATION":
        bd = base.get("description") if base is not None else None
        td = target.get("description") if target is not None else None
        if bd is None and td is not None:
            return [raw_event(field_urn, "DOCUMENTATION", "ADD", path, {"description": td}, "MINOR")]
        if bd is not None and td is None:
            return [
                raw_event(
                    field_urn,
                    "DOCUMENTATION",
                    "REMOVE",
                    _fp(base) if base is not None else path,
                    {"description": bd},
                    "MINOR",
                )
            ]
        if bd is not None and bd != td:
            return [raw_event(field_urn, "DOCUMENTATION", "MODIFY", path, {"description": td}, "PATCH")]
        return []
    if category == "TAG":
        events = tag_diffs(
            base.get("globalTags") if base else None, target.get("globalTags") if target else None, field_urn
        )
        return field_tag_events(events, path, field_urn)
    if category == "GLOSSARY_TERM":
        events = term_diffs(
            base.get("glossaryTerms") if base else None, target.get("glossaryTerms") if target else None, field_urn
        )
        return field_term_events(events, path, field_urn)
    return []


def editable_schema_metadata_events(
    previous: Optional[Mapping[str, Any]], new: Optional[Mapping[str, Any]], entity_urn: str
) -> List[Event]:
    """``EditableSchemaMetadataChangeEventGenerator.getChangeEvents``."""
    if new is None:
        # DataHub dereferences the null target and throws: no events for a DELETE.
        return []
    base = sorted((previous or {}).get("editableSchemaFieldInfo") or [], key=_fp)
    target = sorted(new.get("editableSchemaFieldInfo") or [], key=_fp)
    pairs: List[Tuple[Optional[Field], Optional[Field]]] = []
    bi = ti = 0
    while bi < len(base) and ti < len(target):
        b, t = base[bi], target[ti]
        if _fp(b) == _fp(t):
            pairs.append((b, t))
            bi += 1
            ti += 1
        elif _fp(b) < _fp(t):
            pairs.append((b, None))
            bi += 1
        else:
            pairs.append((None, t))
            ti += 1
    pairs += [(b, None) for b in base[bi:]] + [(None, t) for t in target[ti:]]
    out: List[Event] = []
    for category in ("DOCUMENTATION", "TAG", "TECHNICAL_SCHEMA", "GLOSSARY_TERM"):
        for b, t in pairs:
            out += _editable_field_events(b, t, entity_urn, category)
    return out
