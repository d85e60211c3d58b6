"""litemeta.views.graph: lineage edges from DataHub's lineage aspects, walks, shortest paths, rendering."""

from __future__ import annotations

import json
from typing import Any, Iterator, List

import pytest
from datahub.emitter.mce_builder import make_schema_field_urn

from litemeta.store import open_store
from litemeta.views.graph import (
    DOWNSTREAM,
    UPSTREAM,
    Edge,
    LineageGraph,
    aspect_edges,
    lineage_aspects,
    load_graph,
    render,
    render_dot,
    render_mermaid,
    shortest_path,
    traverse,
)
from tests.lineage_fixture import CHART, DASH, JOB, LONELY, A, B, C, D, lineage_records


class CountingStore:
    """Wraps a store and counts its read calls (the graph must come from one scan)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.registry = store.registry
        self.calls: List[str] = []

    def scan(self, names: List[str]) -> Iterator[Any]:
        self.calls.append("scan")
        return self._store.scan(names)

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self._store, name)


@pytest.fixture(scope="module")
def graph() -> LineageGraph:
    with open_store(":memory:") as store:
        report = store.ingest(lineage_records())
        assert report.failed == 0, report.errors
        counting = CountingStore(store)
        g = load_graph(counting)
        assert counting.calls == ["scan"], "the graph is built from one scan, not per-node queries"
        return g


def urns(result: Any) -> List[tuple]:
    return [(h.urn, h.hops) for h in result.hits]


def by_hop(*pairs: tuple) -> List[tuple]:
    """The expected hits in the walk's order: nearest first, ties by urn (as DataHub's table sorts)."""
    return sorted(pairs, key=lambda p: (p[1], p[0]))


def test_lineage_aspects_come_from_the_registry(registry: Any) -> None:
    """DataHub's LineageRegistry: relationships annotated isLineage (plus inputFields for fields)."""
    names = lineage_aspects(registry)
    for n in ("upstreamLineage", "dataJobInputOutput", "chartInfo", "dashboardInfo", "inputFields"):
        assert n in names
    assert "globalTags" not in names and "ownership" not in names


def test_upstream_unlimited_from_dashboard(graph: LineageGraph) -> None:
    """Dashboard -> charts (Contains) and datasets (Consumes); chart -> inputs; job -> inputs; outputs."""
    r = traverse(graph, DASH, UPSTREAM)
    assert urns(r) == by_hop((A, 1), (CHART, 1), (D, 2), (JOB, 3), (C, 4), (B, 5))


def test_hops_limit_and_count_cap(graph: LineageGraph) -> None:
    assert urns(traverse(graph, DASH, UPSTREAM, max_hops=2)) == by_hop((A, 1), (CHART, 1), (D, 2))
    capped = traverse(graph, DASH, UPSTREAM, count=2)
    assert len(capped.hits) == 2 and capped.capped
    assert not traverse(graph, DASH, UPSTREAM, count=6).capped


def test_downstream_follows_produces_as_downstream(graph: LineageGraph) -> None:
    """dataJobInputOutput.outputDatasets is Produces with isUpstream=false: the job is upstream of d."""
    assert urns(traverse(graph, A, DOWNSTREAM)) == by_hop((C, 1), (DASH, 1), (JOB, 2), (D, 3), (CHART, 4))
    assert urns(traverse(graph, JOB, DOWNSTREAM, max_hops=1)) == [(D, 1)]
    assert urns(traverse(graph, JOB, UPSTREAM, max_hops=1)) == [(C, 1)]


def test_soft_deleted_entities_are_marked(graph: LineageGraph) -> None:
    r = traverse(graph, C, UPSTREAM)
    assert {h.urn: h.removed for h in r.hits} == {A: False, B: True}
    assert traverse(graph, B, DOWNSTREAM).start_removed


def test_column_lineage_through_fine_grained_and_input_fields(graph: LineageGraph) -> None:
    """fineGrainedLineages of a dataset and of a job, then the chart's inputFields."""
    start = make_schema_field_urn(A, "id")
    assert urns(traverse(graph, start, DOWNSTREAM)) == [
        (make_schema_field_urn(C, "id"), 1),
        (make_schema_field_urn(D, "customer_id"), 2),
        (make_schema_field_urn(CHART, "cust"), 3),
    ]
    # field edges never leak into the entity-level walk
    assert all(not h.urn.startswith("urn:li:schemaField:") for h in traverse(graph, A, DOWNSTREAM).hits)


def test_entity_with_no_lineage(graph: LineageGraph) -> None:
    assert traverse(graph, LONELY, UPSTREAM).hits == ()
    assert not graph.has_node(LONELY)


def test_shortest_path_both_ways(graph: LineageGraph) -> None:
    p = shortest_path(graph, A, CHART)
    assert p is not None and p.direction == DOWNSTREAM
    assert p.nodes == (A, C, JOB, D, CHART)
    back = shortest_path(graph, CHART, A)
    assert back is not None and back.direction == UPSTREAM
    assert back.nodes == (CHART, D, JOB, C, A)
    assert shortest_path(graph, A, DASH).nodes == (A, DASH)  # the direct datasetEdges edge
    assert shortest_path(graph, B, LONELY) is None


def test_cycles_are_walked_once(registry: Any) -> None:
    g = LineageGraph()
    g.add_aspect(A, "upstreamLineage", {"upstreams": [{"dataset": C, "type": "COPY"}]}, registry)
    g.add_aspect(C, "upstreamLineage", {"upstreams": [{"dataset": A, "type": "COPY"}]}, registry)
    assert urns(traverse(g, A, UPSTREAM)) == [(C, 1)]


def test_chart_inputs_as_bare_strings_and_union_objects(registry: Any) -> None:
    """chartInfo.inputs is a union array: ``{"string": urn}`` in Pegasus JSON; bare strings accepted."""
    for inputs in ([{"string": D}], [D]):
        entity, _ = aspect_edges(CHART, "chartInfo", {"title": "t", "inputs": inputs}, registry)
        assert entity == [Edge(D, CHART, "chartInfo", "Consumes")]


def test_incomplete_fine_grained_lineage_stops_like_datahub(registry: Any) -> None:
    """GraphIndexUtils stops at the first fine-grained lineage without upstreams or downstreams."""
    fa, fc = make_schema_field_urn(A, "x"), make_schema_field_urn(C, "x")
    value = {
        "upstreams": [],
        "fineGrainedLineages": [
            {"upstreamType": "FIELD_SET", "downstreamType": "FIELD", "upstreams": [fa]},
            {"upstreamType": "FIELD_SET", "downstreamType": "FIELD", "upstreams": [fa], "downstreams": [fc]},
        ],
    }
    assert aspect_edges(C, "upstreamLineage", value, registry) == ([], [])


def test_renderings(graph: LineageGraph) -> None:
    r = traverse(graph, C, UPSTREAM)
    dot = render_dot(C, [h.urn for h in r.hits], r.edges, [B])
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == len(r.edges) == 2
    assert "dashed" in dot and "(removed)" in dot
    mm = render_mermaid(C, [h.urn for h in r.hits], r.edges, [B])
    lines = mm.splitlines()
    assert lines[0] == "graph LR"
    assert sum("-->" in line for line in lines) == 2
    assert any(line.startswith("  class ") and "removed" in line for line in lines)
    data = json.loads(render(r, "json", 3, 100))
    assert data["metadata"]["direction"] == "upstream" and data["metadata"]["count"] == 2
    assert {x["urn"]: x["removed"] for x in data["results"]} == {A: False, B: True}
    assert {x["name"] for x in data["results"]} == {"raw.a", "raw.b"}
    table = render(r, "table")
    assert table.startswith("Upstream lineage: 2 entities, up to 1 hops")
    assert "raw.b (removed)" in table


def test_the_graph_of_a_sqlite_store_is_kept_while_the_log_does_not_move(tmp_path: Any, graph: LineageGraph) -> None:
    """Issue 19 item 8: lineage on a SQLite store reuses ``<db>.cache/lineage.json`` while the change log
    has not moved (no scan), and rebuilds it after any write (here a soft delete, R1.6 status)."""
    from litemeta.model.proposal import Proposal
    from litemeta.storage.sqlite_reads import SqliteReader
    from litemeta.views import graph as G

    path = str(tmp_path / "lineage.db")
    with open_store(path) as store:
        assert store.ingest(lineage_records()).failed == 0
    cache = tmp_path / "lineage.db.cache" / "lineage.json"
    with SqliteReader(path) as reader:
        first = G.cached_graph(reader)
        assert cache.exists() and first.edges() == graph.edges() and first.removed == graph.removed
        counting = CountingStore(reader)
        again = G.cached_graph(counting)
        assert "scan" not in counting.calls and again.edges() == graph.edges() and again.removed == graph.removed
        assert len(again) == len(graph) and again.has_node(A) and not again.has_node(LONELY)
        for start in (A, DASH, make_schema_field_urn(A, "id")):
            for direction in (UPSTREAM, DOWNSTREAM):
                for hops, count in ((None, None), (1, None), (None, 2)):
                    walk = (start, direction, hops, count)
                    assert traverse(again, *walk) == traverse(graph, *walk)
        assert shortest_path(again, DASH, A) == shortest_path(graph, DASH, A)
    with open_store(path) as store:  # any write moves the log: the cache is rebuilt
        assert store.ingest([Proposal(C, "status", "UPSERT", {"removed": True})]).failed == 0
    with SqliteReader(path) as reader:
        counting = CountingStore(reader)
        after = G.cached_graph(counting)
        assert "scan" in counting.calls and C in after.removed and C not in graph.removed
    cache.write_text("{not json")  # a damaged cache is rebuilt, never trusted
    with SqliteReader(path) as reader:
        assert G.cached_graph(reader).removed == after.removed
