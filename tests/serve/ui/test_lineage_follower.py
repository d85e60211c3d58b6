"""The browser view's lineage graph follows the MCL log: built once, then changed by later writes
(new, replaced and deleted lineage aspects, soft deletes), from this process or any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import datahub.metadata.schema_classes as m
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

from litemeta.serve.ui.lineage import LineageFollower
from litemeta.store import open_store
from litemeta.views.graph import LineageGraph, load_graph, traverse
from litemeta.views.lineage_edges import Edge


def ds(name: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:hive,{name},PROD)"


def lineage(urn: str, *upstreams: str) -> MCPW:
    return MCPW(
        entityUrn=urn,
        aspect=m.UpstreamLineageClass(
            upstreams=[m.UpstreamClass(dataset=u, type=m.DatasetLineageTypeClass.TRANSFORMED) for u in upstreams]
        ),
    )


def ids(view: Any, side: str) -> List[str]:
    return sorted(n["id"] for n in view[side])


def test_discard_removes_an_edge_and_its_nodes() -> None:
    g = LineageGraph()
    e = Edge(ds("a"), ds("b"), "upstreamLineage", "DownstreamOf")
    g.add(e)
    g.discard(e)
    g.discard(e)  # absent: nothing happens
    assert len(g) == 0 and not g.has_node(ds("a")) and not g.has_node(ds("b"))


def test_follower_applies_later_writes_like_a_fresh_scan(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "l.db")) as store:
        store.ingest([lineage(ds("b"), ds("a")), lineage(ds("c"), ds("b"))])
        f = LineageFollower(store)
        assert ids(f.view(ds("c"), hops=3), "upstream") == [ds("a"), ds("b")]
        # written after the graph was built: a new edge, a replaced aspect, a soft delete
        store.ingest(
            [
                lineage(ds("d"), ds("c")),
                lineage(ds("c"), ds("x")),
                MCPW(entityUrn=ds("x"), aspect=m.StatusClass(removed=True)),
            ]
        )
        view = f.view(ds("c"), hops=3)
        assert ids(view, "upstream") == [ds("x")]
        assert ids(view, "downstream") == [ds("d")]
        assert [n["removed"] for n in view["upstream"]] == [True]
        # a hard delete of d (its key aspect) takes its edges away
        store.ingest([MCPW(entityUrn=ds("d"), changeType="DELETE", aspectName="datasetKey", aspect=None)])
        assert ids(f.view(ds("c"), hops=3), "downstream") == []
        # the followed graph equals a fresh scan of the store
        fresh = load_graph(store)
        for node in (ds("a"), ds("b"), ds("c"), ds("x")):
            for d in ("upstream", "downstream"):
                assert traverse(f.graph, node, d).hits == traverse(fresh, node, d).hits, (node, d)
        assert f.graph is not None and f.graph.removed == fresh.removed
