"""The lineage graph for the browser: built once, then kept current by following the MCL log.

    >>> follower = LineageFollower(store)                                        # doctest: +SKIP
    >>> follower.view("urn:li:dataset:(...)", hops=3)["nodes"][0]["data"]["label"]  # doctest: +SKIP

Building the graph scans every lineage aspect (:func:`litemeta.views.graph.load_graph`'s work: ~2 s on
the 200k-record store), far too slow for a page. So the server builds it once and, before each
answer, reads the ``MetadataChangeLog_Versioned_v1`` records written since (by this server's writer
or by any other process writing the file, such as ``litemeta ingest``) and replaces the edges of
each lineage aspect they change: the log is the integration point (design.md rule 2), and this is
one more follower of it, in memory.

:meth:`LineageFollower.view` walks the graph (:func:`litemeta.views.graph.traverse`) both ways from an
entity and returns the nodes and edges in Cytoscape.js's JSON form, at entity level or, where
``fineGrainedLineages`` (or ``inputFields``) exist, at column level: fields as children of their
datasets.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any, Dict, List, Optional, Set, Tuple

from litemeta.model.events import MCL_VERSIONED_TOPIC
from litemeta.model.jsontext import loads
from litemeta.serve.ui.entity import type_label, urn_name
from litemeta.serve.ui.paths import entity_url
from litemeta.views.graph import DOWNSTREAM, UPSTREAM, LineageGraph, traverse
from litemeta.views.lineage_edges import Edge, aspect_edges, lineage_aspects, schema_field_parts

_log = logging.getLogger(__name__)
MAX_NODES = 250  # per direction: a graph beyond that is unreadable in a page; the view says it was capped
MAX_HOPS = 10
_Key = Tuple[str, str]  # (urn, aspect)


class LineageFollower:
    """A :class:`LineageGraph` of the store's current lineage aspects, updated from the MCL log."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.registry = store.registry
        self._aspects = set(lineage_aspects(self.registry))
        self._keys = {e.key_aspect for e in self.registry.entities.values()}
        self._lock = threading.Lock()
        self.graph: Optional[LineageGraph] = None
        self.offset = 0  # next MCL offset to read
        self._by_key: Dict[_Key, List[Edge]] = {}
        self._by_urn: Dict[str, Set[str]] = defaultdict(set)  # urn -> its aspects that declare edges
        self._fields: Dict[str, Set[str]] = defaultdict(set)  # dataset urn -> its field nodes in the graph

    # ------------------------------------------------------------------ keeping current
    def catch_up(self) -> None:
        """Build the graph on first use; afterwards apply the MCLs written since the last call."""
        with self._lock:
            if self.graph is None:
                self._build()
                return
            end = self.store.end_offsets().get(MCL_VERSIONED_TOPIC, 0)
            if end <= self.offset:
                return
            for rec in self.store.iter_topic(MCL_VERSIONED_TOPIC, self.offset, end):
                self._apply(rec.value)
            self.offset = end

    def _build(self) -> None:
        # The end offset first: MCLs committed during the scan are applied again by the next
        # catch-up, which is harmless (applying a value replaces the aspect's edges).
        self.offset = self.store.end_offsets().get(MCL_VERSIONED_TOPIC, 0)
        self.graph = LineageGraph()
        for row in self.store.scan(sorted(self._aspects) + ["status"]):
            self._set(row.urn, row.aspect, row.value)

    def _apply(self, mcl: Any) -> None:
        name = mcl.get("aspectName") or ""
        urn = mcl.get("entityUrn") or ""
        change = mcl.get("changeType")
        if change == "DELETE" and name in self._keys:  # a hard delete: every aspect goes
            for aspect in list(self._by_urn.get(urn, ())):
                self._set(urn, aspect, None)
            self._set(urn, "status", None)
            return
        if name in self._aspects or name == "status":
            self._set(urn, name, None if change == "DELETE" else aspect_value(mcl.get("aspect")))

    def _set(self, urn: str, aspect: str, value: Any) -> None:
        g = self.graph
        assert g is not None
        if aspect == "status":
            if isinstance(value, dict) and value.get("removed"):
                g.removed.add(urn)
            else:
                g.removed.discard(urn)
            return
        for e in self._by_key.pop((urn, aspect), ()):
            g.discard(e)
            for end in (e.upstream, e.downstream):
                parts = schema_field_parts(end)
                if parts and not g.has_node(end):
                    self._fields[parts[0]].discard(end)
        self._by_urn[urn].discard(aspect)
        if value is None:
            return
        entity, fields = aspect_edges(urn, aspect, value, self.registry)
        edges = entity + fields
        if not edges:
            return
        self._by_key[(urn, aspect)] = edges
        self._by_urn[urn].add(aspect)
        for e in edges:
            g.add(e)
        for e in fields:
            for end in (e.upstream, e.downstream):
                parts = schema_field_parts(end)
                if parts:
                    self._fields[parts[0]].add(end)

    # ------------------------------------------------------------------ views
    def view(self, urn: str, hops: int = 3, columns: bool = False) -> Dict[str, Any]:
        """Nodes and edges within ``hops`` both ways from ``urn`` (Cytoscape.js elements), with the
        lists of upstream and downstream entities for the page's text view."""
        self.catch_up()
        hops = max(1, min(MAX_HOPS, hops))
        with self._lock:
            g = self.graph
            assert g is not None
            walks = {d: traverse(g, urn, d, hops, MAX_NODES) for d in (UPSTREAM, DOWNSTREAM)}
            nodes: Dict[str, Dict[str, Any]] = {urn: _node(urn, 0, "center", urn in g.removed)}
            edges: Dict[Tuple[str, str], Edge] = {}
            lists: Dict[str, List[Dict[str, Any]]] = {}
            for d, walk in walks.items():
                lists[d] = [dict(_node(h.urn, h.hops, d, h.removed)["data"]) for h in walk.hits]
                for h in walk.hits:
                    nodes.setdefault(h.urn, _node(h.urn, h.hops, d, h.removed))
                for e in walk.edges:
                    edges.setdefault((e.upstream, e.downstream), e)
            field_count = 0
            if columns:
                field_count = self._add_columns(g, set(nodes), nodes, edges)
            capped = any(w.capped for w in walks.values())
        elements = list(nodes.values()) + [
            {
                "data": {
                    "id": f"e{i}",
                    "source": e.upstream,
                    "target": e.downstream,
                    "label": e.relationship,
                    "column": bool(schema_field_parts(e.upstream)),
                }
            }
            for i, e in enumerate(edges.values())
            if e.upstream in nodes and e.downstream in nodes
        ]
        return {
            "urn": urn,
            "hops": hops,
            "columns": columns,
            "capped": capped,
            "elements": elements,
            "upstream": lists[UPSTREAM],
            "downstream": lists[DOWNSTREAM],
            "fields": field_count,
            "hasColumns": bool(self._fields.get(urn)),
        }

    def _add_columns(
        self, g: LineageGraph, entities: Set[str], nodes: Dict[str, Dict[str, Any]], edges: Dict[Tuple[str, str], Edge]
    ) -> int:
        # Field-level edges between datasets already shown: the fields become children of their dataset.
        added = 0
        for parent in entities:
            for f in self._fields.get(parent, ()):
                for d in (UPSTREAM, DOWNSTREAM):
                    for e in g.edges_of(f, d):
                        other = e.upstream if d == UPSTREAM else e.downstream
                        parts = schema_field_parts(other)
                        if parts is None or parts[0] not in entities:
                            continue
                        for fu in (f, other):
                            if fu not in nodes:
                                p = schema_field_parts(fu)
                                assert p is not None
                                nodes[fu] = {
                                    "data": {
                                        "id": fu,
                                        "label": urn_name(fu),
                                        "parent": p[0],
                                        "type": "Field",
                                        "url": entity_url(p[0], "Schema"),
                                    }
                                }
                                added += 1
                        edges.setdefault((e.upstream, e.downstream), e)
        return added

    def neighbours(self, urn: str) -> Dict[str, int]:
        """How many entities are one hop upstream and downstream (for the page header)."""
        self.catch_up()
        with self._lock:
            g = self.graph
            assert g is not None
            return {d: len(g.edges_of(urn, d)) for d in (UPSTREAM, DOWNSTREAM)}


def aspect_value(aspect: Any) -> Any:
    """The value of an MCL's ``aspect`` (``{"value": "<json text>", "contentType": ...}``), or None."""
    if not isinstance(aspect, dict):
        return None
    value = aspect.get("value")
    if isinstance(value, str):
        try:
            return loads(value)
        except ValueError:
            return None
    return value


def _node(urn: str, hops: int, side: str, removed: bool) -> Dict[str, Any]:
    et = urn.split(":", 3)[2] if urn.count(":") >= 3 else ""
    platform = ""
    if et == "dataset":
        p = urn.split(":", 3)[3].lstrip("(").split(",", 1)[0]
        platform = p.rsplit(":", 1)[-1]
    elif et in ("chart", "dashboard", "dataFlow"):
        platform = urn.split(":", 3)[3].lstrip("(").split(",", 1)[0]
    name = urn_name(urn)
    label = name.rsplit(".", 1)[-1] if et == "dataset" and "/" not in name else name  # a table's own name
    return {
        "data": {
            "id": urn,
            "label": label,
            "type": type_label(et),
            "platform": platform,
            "url": entity_url(urn),
            "hops": hops,
            "side": side,
            "removed": removed,
        }
    }


def follower_of(app: Any) -> LineageFollower:
    """The app's lineage follower (one per served store), created on first use."""
    state = app.state
    with _create_lock:
        f = getattr(state, "ui_lineage", None)
        if f is None:
            f = LineageFollower(state.served.store)
            state.ui_lineage = f
    return f  # type: ignore[no-any-return]


_create_lock = threading.Lock()


def warm(app: Any) -> None:
    """Start building the graph and opening the search index on a thread (once per app), so that
    the first lineage page and the first search do not wait for them. Called by the first page served."""
    with _create_lock:
        if getattr(app.state, "ui_lineage_warming", False):
            return
        app.state.ui_lineage_warming = True
    follower = follower_of(app)

    def build() -> None:
        try:
            follower.catch_up()
            app.state.served.search("*", count=0)  # the search index's first open (~1 s on 200k records) too
        except Exception:  # a page that needs them retries and reports; the warm-up only saves time
            _log.warning("warming the browser view failed", exc_info=True)

    threading.Thread(target=build, name="litemeta-ui-warm", daemon=True).start()
