"""``deleteReferences``: find the aspects that point at an entity, and the proposals that unlink them.

GMS's ``DeleteEntityService`` follows the graph's relationships into the entity and edits each
referring aspect. litemeta reads the same relationships from the registry (``@Relationship``
paths such as ``/tags/*/tag``): an array element holding the urn is removed from the aspect (an
UPSERT of what is left); a reference outside any array (``/container``) deletes the aspect, as
the aspect would be invalid without it.

    >>> unlink({"tags": [{"tag": "urn:li:tag:a"}, {"tag": "urn:li:tag:b"}]}, "/tags/*/tag", "urn:li:tag:a")
    {'tags': [{'tag': 'urn:li:tag:b'}]}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

from litemeta.model import proposal as P
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.urns import entity_type_of


@dataclass(frozen=True)
class Reference:
    """An aspect of entity ``urn`` that refers to the target through ``path`` (relationship ``relationship``)."""

    urn: str
    aspect: str
    relationship: str
    path: str


def _parts(path: str) -> List[str]:
    return [p for p in path.split("/") if p]


def refers(value: Any, parts: List[str], target: str) -> bool:
    """Whether the value at ``parts`` (``*`` = every array element) is, or holds, ``target``."""
    if not parts:
        return value == target or (isinstance(value, list) and target in value)
    head, rest = parts[0], parts[1:]
    if head == "*":
        return isinstance(value, list) and any(refers(v, rest, target) for v in value)
    return isinstance(value, dict) and head in value and refers(value[head], rest, target)


def unlink(value: Any, path: str, target: str) -> Optional[Any]:
    """The value without the array elements that refer to ``target`` through ``path``; None when the
    reference is not inside an array (the whole aspect must go)."""
    parts = _parts(path)
    if "*" not in parts:
        return None
    return _drop(value, parts, target)


def _drop(value: Any, parts: List[str], target: str) -> Any:
    head, rest = parts[0], parts[1:]
    if head == "*":
        if not isinstance(value, list):
            return value
        if "*" in rest:
            return [_drop(v, rest, target) for v in value]
        return [v for v in value if not refers(v, rest, target)]
    if not isinstance(value, dict) or head not in value:
        return value
    return {**value, head: _drop(value[head], rest, target)}


def find(store: Any, target: str) -> List[Reference]:
    """Every current aspect that refers to ``target`` (its relationship paths that may point at
    the target's entity type)."""
    et = entity_type_of(target)
    paths = {
        name: [
            (path, str(rel.get("name")))
            for path, rel in spec.relationships.items()
            if et in (rel.get("entityTypes") or ())
        ]
        for name, spec in store.registry.aspects.items()
        if not spec.timeseries
    }
    paths = {name: ps for name, ps in paths.items() if ps}
    out: List[Reference] = []
    for row in store.scan(sorted(paths)):
        for path, rel in paths[row.aspect]:
            if row.urn != target and refers(row.value, _parts(path), target):
                out.append(Reference(row.urn, row.aspect, rel, path))
                break
    return out


def plan(store: Any, found: List[Reference], target: str, origin_file: str) -> List[Proposal]:
    """The proposals that remove ``found`` references to ``target``: an UPSERT of each aspect without
    them, or a DELETE of an aspect whose reference is not in an array."""
    out: List[Proposal] = []
    for i, ref in enumerate(found):
        current = store.get(ref.urn, [ref.aspect]).get(ref.aspect)
        if current is None:
            continue
        new: Any = current
        for path in store.registry.aspects[ref.aspect].relationships:
            if new is None:
                break
            if refers(new, _parts(path), target):
                new = unlink(new, path, target)
        origin = Origin(origin_file, i)
        if new is None:
            out.append(Proposal(ref.urn, ref.aspect, P.DELETE, origin=origin))
        elif new != current:
            out.append(Proposal(ref.urn, ref.aspect, P.UPSERT, new, origin=origin))
    return out
