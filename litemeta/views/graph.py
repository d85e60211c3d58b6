"""Lineage: an in-memory graph built from the stored lineage aspects, walked like ``datahub lineage``.

    >>> g = LineageGraph()
    >>> g.add_aspect("urn:li:dataset:(urn:li:dataPlatform:hive,b,PROD)", "upstreamLineage",
    ...              {"upstreams": [{"dataset": "urn:li:dataset:(urn:li:dataPlatform:hive,a,PROD)",
    ...                              "type": "TRANSFORMED"}]}, load_registry())
    >>> [(h.urn, h.hops) for h in traverse(g, "urn:li:dataset:(urn:li:dataPlatform:hive,b,PROD)",
    ...                                     "upstream").hits]
    [('urn:li:dataset:(urn:li:dataPlatform:hive,a,PROD)', 1)]

What makes an edge (DataHub's ``LineageRegistry``: every ``isLineage`` relationship of the registry,
plus field-level lineage) is in :mod:`litemeta.views.lineage_edges`. Edges always point the way data
flows (upstream to downstream). Soft-deleted entities (``status.removed``) stay in the graph and are
marked, where DataHub's search hides them. The graph is built from one scan of the lineage aspects
(:func:`load_graph`), never one query per node. Rendering (:func:`render_table`, :func:`render_json`,
:func:`render_dot`, :func:`render_mermaid`) is pure.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from litemeta.errors import InvalidUrnError
from litemeta.model.registry import Registry, load_registry
from litemeta.model.urns import parse_urn
from litemeta.views.lineage_edges import Edge, aspect_edges, lineage_aspects, schema_field_parts

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"
DIRECTIONS = (UPSTREAM, DOWNSTREAM)


@dataclass(frozen=True)
class Hit:
    """One entity (or field) reached by a walk, ``hops`` edges away from the start."""

    urn: str
    hops: int
    removed: bool = False


@dataclass(frozen=True)
class Lineage:
    """The result of a walk: the entities reached (in hop order) and the edges between them."""

    start: str
    direction: str
    max_hops: Optional[int]
    hits: Tuple[Hit, ...]
    edges: Tuple[Edge, ...]
    capped: bool = False
    start_removed: bool = False


@dataclass(frozen=True)
class LineagePath:
    """A shortest path between two nodes, listed from ``source`` to ``target``.

    ``direction`` is ``downstream`` when data flows from source to target, else ``upstream``.
    """

    source: str
    target: str
    direction: str
    nodes: Tuple[str, ...]
    edges: Tuple[Edge, ...]
    removed: frozenset = field(default_factory=frozenset)


class LineageGraph:
    """Adjacency lists of entity-level and field-level lineage edges, plus soft-deleted urns."""

    def __init__(self) -> None:
        self._up: Dict[str, List[Edge]] = defaultdict(list)  # node -> edges where it is downstream
        self._down: Dict[str, List[Edge]] = defaultdict(list)  # node -> edges where it is upstream
        self._edges: Set[Edge] = set()
        self.removed: Set[str] = set()

    def add(self, edge: Edge) -> None:
        """Add an edge (an identical edge is kept once; self-loops are ignored)."""
        if edge in self._edges or edge.upstream == edge.downstream:
            return
        self._edges.add(edge)
        self._up[edge.downstream].append(edge)
        self._down[edge.upstream].append(edge)

    def discard(self, edge: Edge) -> None:
        """Remove an edge (nothing happens when it is absent): a follower of the log replaces the
        edges of an aspect when a new value of it is written."""
        if edge not in self._edges:
            return
        self._edges.discard(edge)
        for side, node in ((self._up, edge.downstream), (self._down, edge.upstream)):
            side[node].remove(edge)
            if not side[node]:
                del side[node]

    def add_aspect(self, urn: str, aspect_name: str, value: Any, registry: Registry) -> None:
        """Add the edges one aspect value declares (entity and field level)."""
        entity, fields = aspect_edges(urn, aspect_name, value, registry)
        for e in entity + fields:
            self.add(e)

    def edges_of(self, node: str, direction: str) -> List[Edge]:
        """Edges towards ``direction`` from ``node``, sorted by the neighbour's urn."""
        return _in_order(self._up.get(node, ()) if direction == UPSTREAM else self._down.get(node, ()), direction)

    def has_node(self, node: str) -> bool:
        """Whether any edge touches ``node``."""
        return node in self._up or node in self._down

    def edges(self) -> Set[Edge]:
        """Every edge."""
        return set(self._edges)

    def __len__(self) -> int:
        return len(self._edges)


def _in_order(edges: Iterable[Edge], direction: str) -> List[Edge]:
    if direction == UPSTREAM:
        return sorted(edges, key=lambda e: (e.upstream, e.aspect, e.relationship))
    return sorted(edges, key=lambda e: (e.downstream, e.aspect, e.relationship))


class _StoredGraph(LineageGraph):
    """A graph read back from :func:`cached_graph`'s file: a row becomes an :class:`Edge` only when
    a walk asks for its node's edges (a walk visits a few nodes of tens of thousands)."""

    def __init__(self, rows: Sequence[Sequence[Any]], removed: Iterable[str]) -> None:
        super().__init__()
        self._rows_up: Dict[str, List[Sequence[Any]]] = defaultdict(list)  # by downstream node
        self._rows_down: Dict[str, List[Sequence[Any]]] = defaultdict(list)  # by upstream node
        for r in rows:
            self._rows_up[r[1]].append(r)
            self._rows_down[r[0]].append(r)
        self._rows = rows
        self.removed = set(removed)

    def add(self, edge: Edge) -> None:
        raise TypeError("a stored lineage graph is read-only")

    def edges_of(self, node: str, direction: str) -> List[Edge]:
        """Edges towards ``direction`` from ``node``, sorted by the neighbour's urn."""
        rows = (self._rows_up if direction == UPSTREAM else self._rows_down).get(node, ())
        return _in_order([Edge(*r) for r in rows], direction)

    def has_node(self, node: str) -> bool:
        """Whether any edge touches ``node``."""
        return node in self._rows_up or node in self._rows_down

    def edges(self) -> Set[Edge]:
        """Every edge."""
        return {Edge(*r) for r in self._rows}

    def __len__(self) -> int:
        return len(self._rows)


def _other(edge: Edge, direction: str) -> str:
    return edge.upstream if direction == UPSTREAM else edge.downstream


def traverse(
    graph: LineageGraph, start: str, direction: str, max_hops: Optional[int] = None, count: Optional[int] = None
) -> Lineage:
    """Breadth-first walk from ``start``: every node within ``max_hops`` (None = unlimited), at most
    ``count`` of them, nearest first (ties by urn). Cycles are walked once."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    seen = {start: 0}
    order: List[Hit] = []
    edges: List[Edge] = []
    capped = False
    queue = deque([start])
    while queue:
        node = queue.popleft()
        depth = seen[node]
        if max_hops is not None and depth >= max_hops:
            continue
        for e in graph.edges_of(node, direction):
            other = _other(e, direction)
            if other in seen:
                edges.append(e)
                continue
            if count is not None and len(order) >= count:
                capped = True
                continue
            seen[other] = depth + 1
            order.append(Hit(other, depth + 1, other in graph.removed))
            edges.append(e)
            queue.append(other)
    hits = sorted(order, key=lambda h: (h.hops, h.urn))
    return Lineage(start, direction, max_hops, tuple(hits), tuple(dict.fromkeys(edges)), capped, start in graph.removed)


def _bfs_path(graph: LineageGraph, source: str, target: str) -> Optional[List[Edge]]:
    prev: Dict[str, Optional[Edge]] = {source: None}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == target:
            path: List[Edge] = []
            while prev[node] is not None:
                e = prev[node]
                assert e is not None
                path.append(e)
                node = e.upstream
            return path[::-1]
        for e in graph.edges_of(node, DOWNSTREAM):
            if e.downstream not in prev:
                prev[e.downstream] = e
                queue.append(e.downstream)
    return None


def shortest_path(graph: LineageGraph, source: str, target: str) -> Optional[LineagePath]:
    """The shortest lineage path between two nodes, either way, or None.

    Like ``datahub lineage path``: first downstream from ``source`` to ``target``; if there is
    none, downstream from ``target`` to ``source`` (then ``direction`` is ``upstream``). Unlike
    it, the search has no hop limit.
    """
    found = _bfs_path(graph, source, target)
    direction = DOWNSTREAM
    if found is None:
        back = _bfs_path(graph, target, source)
        if back is None:
            return None
        found, direction = back, UPSTREAM
    if direction == DOWNSTREAM:
        nodes = [source] + [e.downstream for e in found]
    else:
        nodes = [source] + [e.upstream for e in reversed(found)]
    removed = frozenset(n for n in nodes if n in graph.removed)
    return LineagePath(source, target, direction, tuple(nodes), tuple(found), removed)


def load_graph(store: Any, registry: Optional[Registry] = None) -> LineageGraph:
    """Build the graph from one scan of the store's current lineage and ``status`` aspects."""
    reg = registry or getattr(store, "registry", None) or load_registry()
    graph = LineageGraph()
    for row in store.scan(list(lineage_aspects(reg)) + ["status"]):
        if row.aspect == "status":
            if isinstance(row.value, dict) and row.value.get("removed"):
                graph.removed.add(row.urn)
        else:
            graph.add_aspect(row.urn, row.aspect, row.value, reg)
    return graph


def cached_graph(store: Any, registry: Optional[Registry] = None) -> LineageGraph:
    """:func:`load_graph`, kept beside a SQLite store (``<db>.cache/lineage.json``) and reused while
    its change log has not moved (:func:`litemeta.views.cache.cached`): an unchanged store answers
    lineage without a scan. Read back lazily (:class:`_StoredGraph`)."""
    from litemeta.views.cache import cached

    def encode(graph: LineageGraph) -> Dict[str, Any]:
        return {
            "edges": [[e.upstream, e.downstream, e.aspect, e.relationship, e.via] for e in graph.edges()],
            "removed": sorted(graph.removed),
        }

    return cached(
        store, "lineage", lambda: load_graph(store, registry), encode, lambda d: _StoredGraph(d["edges"], d["removed"])
    )


# ----------------------------------------------------------------------------------- rendering
def describe(urn: str) -> Dict[str, Optional[str]]:
    """``{type, platform, name}`` of a urn, from the urn alone (DataHub's CLI falls back the same way)."""
    try:
        u = parse_urn(urn)
    except InvalidUrnError:
        return {"type": "UNKNOWN", "platform": None, "name": urn}
    et, parts = u.entity_type, u.parts
    type_ = "".join("_" + c if c.isupper() else c.upper() for c in et).lstrip("_")
    platform: Optional[str] = None
    name = parts[-1]
    if et == "dataset" and len(parts) >= 2:
        platform, name = parts[0].rsplit(":", 1)[-1], parts[1]
    elif et in ("chart", "dashboard", "dataFlow") and len(parts) >= 2:
        platform, name = parts[0], parts[1]
    elif et == "dataJob" and len(parts) >= 2:
        try:
            flow = parse_urn(parts[0]).parts
            platform = flow[0]
        except InvalidUrnError:
            platform = None
        name = parts[1]
    elif et == "schemaField":
        sf = schema_field_parts(urn)
        if sf:
            name = sf[1]
            platform = describe(sf[0])["platform"]
    return {"type": type_, "platform": platform, "name": name}


def summary(lineage: Lineage) -> str:
    """DataHub's summary line: ``Upstream lineage: N entities, up to M hops``."""
    deepest = max((h.hops for h in lineage.hits), default=0)
    text = f"{lineage.direction.title()} lineage: {len(lineage.hits)} entities, up to {deepest} hops"
    if lineage.capped:
        text += " (capped by --count, increase to see more)"
    return text


def render_table(lineage: Lineage) -> str:
    """DataHub's table (Hop, Type, Platform, Name, URN); soft-deleted entities say ``(removed)``."""
    if not lineage.hits:
        return f"No {lineage.direction} lineage found."
    lines = [
        f"{'Hop':<5} {'Type':<15} {'Platform':<15} {'Name':<40} URN",
        f"{'---':<5} {'---':<15} {'---':<15} {'---':<40} ---",
    ]
    for h in lineage.hits:
        d = describe(h.urn)
        name = str(d["name"]) + (" (removed)" if h.removed else "")
        lines.append(f"{h.hops:<5} {d['type']:<15} {d['platform'] or '?':<15} {name:<40} {h.urn}")
    return "\n".join(lines)


def lineage_dict(lineage: Lineage, hops: Optional[int] = None, count: Optional[int] = None) -> Dict[str, Any]:
    """DataHub's JSON shape ``{metadata, results}`` plus ``removed`` per result and the ``edges``."""
    meta: Dict[str, Any] = {
        "urn": lineage.start,
        "direction": lineage.direction,
        "hops_requested": hops if hops is not None else lineage.max_hops,
        "max_hops_found": max((h.hops for h in lineage.hits), default=0),
        "count": len(lineage.hits),
        "capped": lineage.capped,
    }
    if lineage.start_removed:
        meta["removed"] = True
    if lineage.capped and count is not None:
        meta["hint"] = f"Results capped at {count}. Increase --count to see more."
    results = []
    for h in lineage.hits:
        d = describe(h.urn)
        results.append(
            {
                "urn": h.urn,
                "type": d["type"],
                "hops": h.hops,
                "direction": lineage.direction,
                "platform": d["platform"],
                "name": d["name"],
                "removed": h.removed,
            }
        )
    return {"metadata": meta, "results": results, "edges": [e.as_dict() for e in lineage.edges]}


def render_json(lineage: Lineage, hops: Optional[int] = None, count: Optional[int] = None) -> str:
    """:func:`lineage_dict` as indented JSON text."""
    return json.dumps(lineage_dict(lineage, hops, count), indent=2, ensure_ascii=False)


def _picture_nodes(start: str, nodes: Iterable[str], edges: Sequence[Edge]) -> List[str]:
    out = dict.fromkeys([start, *nodes])
    for e in edges:
        out.setdefault(e.upstream)
        out.setdefault(e.downstream)
    return list(out)


def _merged(edges: Sequence[Edge]) -> List[Tuple[str, str, str]]:
    """Parallel edges drawn once: ``(upstream, downstream, "aspectA, aspectB")``."""
    labels: Dict[Tuple[str, str], List[str]] = {}
    for e in edges:
        names = labels.setdefault((e.upstream, e.downstream), [])
        if e.aspect not in names:
            names.append(e.aspect)
    return [(u, d, ", ".join(names)) for (u, d), names in labels.items()]


def _label(urn: str, removed: bool) -> str:
    d = describe(urn)
    label = str(d["name"])
    if d["platform"]:
        label += f"\n{d['platform']} {str(d['type']).lower()}"
    else:
        label += f"\n{str(d['type']).lower()}"
    return label + ("\n(removed)" if removed else "")


def render_dot(start: str, nodes: Iterable[str], edges: Sequence[Edge], removed: Iterable[str] = ()) -> str:
    """A Graphviz digraph, left to right; the start is bold, soft-deleted nodes are dashed and grey.
    Parallel edges are drawn once, labelled with every aspect that declares them."""
    gone = set(removed)
    ordered = _picture_nodes(start, nodes, edges)

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = [
        "digraph lineage {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for n in ordered:
        attrs = [f"label={q(_label(n, n in gone))}"]
        styles = ["rounded"]
        if n == start:
            styles.append("bold")
        if n in gone:
            styles.append("dashed")
            attrs.append('color="grey50", fontcolor="grey50"')
        attrs.append(f'style="{",".join(styles)}"')
        lines.append(f"  {q(n)} [{', '.join(attrs)}];")
    for up, down, label in _merged(edges):
        lines.append(f"  {q(up)} -> {q(down)} [label={q(label)}];")
    lines.append("}")
    return "\n".join(lines)


def render_mermaid(start: str, nodes: Iterable[str], edges: Sequence[Edge], removed: Iterable[str] = ()) -> str:
    """A Mermaid flowchart (``graph LR``); the start is highlighted, soft-deleted nodes dashed."""
    gone = set(removed)
    ordered = _picture_nodes(start, nodes, edges)
    ids = {n: f"n{i}" for i, n in enumerate(ordered)}

    def text(s: str) -> str:
        return s.replace('"', "#quot;").replace("\n", "<br/>")

    lines = ["graph LR"]
    for n in ordered:
        lines.append(f'  {ids[n]}["{text(_label(n, n in gone))}"]')
    for up, down, label in _merged(edges):
        lines.append(f"  {ids[up]} -->|{text(label)}| {ids[down]}")
    lines.append("  classDef start stroke-width:3px")
    lines.append(f"  class {ids[start]} start")
    dead = [ids[n] for n in ordered if n in gone]
    if dead:
        lines.append("  classDef removed stroke-dasharray: 5 5,color:#888")
        lines.append(f"  class {','.join(dead)} removed")
    return "\n".join(lines)


def render(lineage: Lineage, fmt: str, hops: Optional[int] = None, count: Optional[int] = None) -> str:
    """Render a walk as ``table``, ``json``, ``dot`` or ``mermaid``."""
    if fmt == "json":
        return render_json(lineage, hops, count)
    removed = [h.urn for h in lineage.hits if h.removed] + ([lineage.start] if lineage.start_removed else [])
    nodes = [h.urn for h in lineage.hits]
    if fmt == "dot":
        return render_dot(lineage.start, nodes, lineage.edges, removed)
    if fmt == "mermaid":
        return render_mermaid(lineage.start, nodes, lineage.edges, removed)
    return summary(lineage) + "\n\n" + render_table(lineage)


def render_path(path: LineagePath, fmt: str) -> str:
    """Render a :class:`LineagePath` as ``table``, ``json``, ``dot`` or ``mermaid``."""
    if fmt == "json":
        return json.dumps(
            {
                "from": path.source,
                "to": path.target,
                "direction": path.direction,
                "hops": len(path.edges),
                "nodes": [{"urn": n, **describe(n), "removed": n in path.removed} for n in path.nodes],
                "edges": [e.as_dict() for e in path.edges],
            },
            indent=2,
            ensure_ascii=False,
        )
    if fmt == "dot":
        return render_dot(path.source, path.nodes, path.edges, path.removed)
    if fmt == "mermaid":
        return render_mermaid(path.source, path.nodes, path.edges, path.removed)
    lines = [
        f"Path found ({len(path.edges)} hops, {path.direction}):",
        f"{'Hop':<5} {'Type':<15} {'Platform':<15} {'Name':<40} URN",
        f"{'---':<5} {'---':<15} {'---':<15} {'---':<40} ---",
    ]
    for i, n in enumerate(path.nodes):
        d = describe(n)
        name = str(d["name"]) + (" (removed)" if n in path.removed else "")
        lines.append(f"{i:<5} {d['type']:<15} {d['platform'] or '?':<15} {name:<40} {n}")
    return "\n".join(lines)
