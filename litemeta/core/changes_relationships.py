"""Relationship change events: the graph edges an MCL removes and adds, as pure functions (R8.12).

    >>> from litemeta.model.registry import load_registry
    >>> relationship_change_events(
    ...     entity_urn="urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)", aspect_name="globalTags",
    ...     change_type="UPSERT", previous=None, new={"tags": [{"tag": "urn:li:tag:pii"}]},
    ...     audit_stamp={"actor": "urn:li:corpuser:datahub", "time": 1}, registry=load_registry())[0]["operation"]
    'ADD'

Edges come from an aspect's ``Relationship`` annotations (the registry's paths, walked by
:func:`extract_paths`) plus DataHub's hand-made fine-grained lineage and ``inputFields`` edges
(``GraphIndexUtils``); ``Edge`` identity is source, destination, relationshipType, via. The hook
emits removed edges first, then added ones, with no change-type filter. Sources are listed in
:mod:`litemeta.core.changes`, which re-exports both public functions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Collection, Dict, List, Mapping, Optional, Tuple

from litemeta.core.changes_base import event_stamp, schema_field_urn

Value = Optional[Mapping[str, Any]]


def extract_paths(value: Any, path: str) -> List[Any]:
    """Values at a registry path like ``/upstreams/*/dataset``; ``*`` walks list items and map
    values, ``$key`` yields map keys. Missing or null steps yield nothing.

        >>> extract_paths({"tags": [{"tag": "a"}, {"tag": "b"}]}, "/tags/*/tag")
        ['a', 'b']
    """
    current = [value]
    for step in _steps(path):
        nxt: List[Any] = []
        for v in current:
            if v is None:
                continue
            if step == "*":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            elif step == "$key":
                if isinstance(v, dict):
                    nxt.extend(v.keys())
            elif isinstance(v, dict) and step in v:
                nxt.append(v[step])
        current = nxt
    return [v for v in current if v is not None]


@lru_cache(maxsize=1024)
def _steps(path: str) -> Tuple[str, ...]:
    return tuple(step for step in path.strip("/").split("/") if step)


_FINE_GRAINED = ("upstreamLineage", "dataJobInputOutput")
_HAND_MADE = _FINE_GRAINED + ("inputFields",)  # aspects with GraphIndexUtils' hand-made DownstreamOf edges


def _edges(urn: str, aspect_name: str, value: Value, relationships: Mapping[str, Mapping[str, Any]]) -> List[tuple]:
    """Edges (source, destination, type, via) of one aspect value, first-seen order, no duplicates."""
    if not value:
        return []
    edges: List[tuple] = []
    if aspect_name in _FINE_GRAINED:
        # GraphIndexUtils.updateFineGrainedEdgesAndRelationships: schemaField -> schemaField edges,
        # via the dataJob itself or the lineage's query; stops at the first incomplete lineage.
        for fgl in value.get("fineGrainedLineages") or []:
            if not fgl.get("downstreams") or not fgl.get("upstreams"):
                break
            via = urn if aspect_name == "dataJobInputOutput" else fgl.get("query")
            edges += [(d, u, "DownstreamOf", via) for d in fgl["downstreams"] for u in fgl["upstreams"]]
    elif aspect_name == "inputFields":
        for f in value.get("fields") or []:
            fp = (f.get("schemaField") or {}).get("fieldPath")
            if f.get("schemaFieldUrn") and fp:
                edges.append((schema_field_urn(urn, fp), f["schemaFieldUrn"], "DownstreamOf", None))
    for path, ann in relationships.items():
        dests = extract_paths(value, path)
        via_path = ann.get("via")
        vias = extract_paths(value, "/" + via_path) if via_path else []
        for i, dest in enumerate(dests):
            via = vias[i] if via_path and len(vias) == len(dests) else None
            edges.append((urn, dest, ann["name"], via))
    return list(dict.fromkeys(edges))


def relationship_change_events(
    *,
    entity_urn: str,
    aspect_name: str,
    change_type: str,
    previous: Value,
    new: Value,
    audit_stamp: Mapping[str, Any],
    registry: Any,
) -> List[Dict[str, Any]]:
    """RelationshipChangeEvent payloads for the graph edges an MCL removes and adds (R8.12).

    Edges come from the aspect's Relationship annotations (plus DataHub's hand-made fine-grained
    lineage and inputFields edges); identity is (source, destination, type, via) as in ``Edge``.
    Removed edges come first, then added ones. RESTATE carries equal values, so it yields nothing.
    """
    spec = registry.aspects.get(aspect_name)
    if spec is None or (not spec.relationships and aspect_name not in _HAND_MADE):
        return []
    old_edges = _edges(entity_urn, aspect_name, previous, spec.relationships)
    new_edges = _edges(entity_urn, aspect_name, new, spec.relationships)
    if old_edges == new_edges:
        return []
    old_set, new_set = set(old_edges), set(new_edges)
    stamp = event_stamp(audit_stamp)

    def ev(edge: tuple, op: str) -> Dict[str, Any]:
        return {
            "sourceUrn": edge[0],
            "destinationUrn": edge[1],
            "operation": op,
            "relationshipType": edge[2],
            "auditStamp": stamp,
        }

    return [ev(e, "REMOVE") for e in old_edges if e not in new_set] + [
        ev(e, "ADD") for e in new_edges if e not in old_set
    ]


def graph_edges(urn: str, aspect_name: str, value: Value, registry: Any) -> List[Tuple[str, str, str, Optional[str]]]:
    """The graph edges ``(source, destination, relationshipType, via)`` one current aspect value
    declares (R8.12), as DataHub's graph index holds them; nothing for an aspect without edges.

        >>> from litemeta.model.registry import load_registry
        >>> graph_edges("urn:li:corpuser:jo", "ownership", {"owners": [{"owner": "urn:li:corpGroup:g"}]},
        ...             load_registry())
        [('urn:li:corpuser:jo', 'urn:li:corpGroup:g', 'OwnedBy', None)]
    """
    spec = registry.aspects.get(aspect_name)
    return [] if spec is None else _edges(urn, aspect_name, value, spec.relationships)


def aspects_with_relationships(registry: Any, types: Collection[str]) -> Tuple[str, ...]:
    """Names of the aspects whose edges can have one of these relationship types, sorted: those
    with a matching ``Relationship`` annotation, plus the hand-made ``DownstreamOf`` ones.

        >>> from litemeta.model.registry import load_registry
        >>> aspects_with_relationships(load_registry(), ["TaggedWith"])
        ('globalTags',)
    """
    wanted = set(types)
    names = {n for n, s in registry.aspects.items() if any(a.get("name") in wanted for a in s.relationships.values())}
    if "DownstreamOf" in wanted:
        names.update(n for n in _HAND_MADE if n in registry.aspects)
    return tuple(sorted(names))
