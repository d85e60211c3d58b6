"""``GET /openapi/relationships/v1/`` (rest-compat.md §4.13) through acryl-datahub 1.7.0.17's real
``DataHubGraph.get_related_entities``: one hop of the graph whose edges are the registry's
Relationship annotations (R8.12), soft-deleted entities left out (R4.4)."""

from __future__ import annotations

from typing import Any, List, Set, Tuple

import requests
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.ingestion.graph.openapi import RelationshipDirection
from datahub.metadata import schema_classes as m

A = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.raw,PROD)"
B = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.clean,PROD)"
C = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.report,PROD)"
QUERY = "urn:li:query:q1"
PII = "urn:li:tag:pii"
JO = "urn:li:corpuser:jo"
RELATED = "/openapi/relationships/v1/"


def _related(graph: Any, urn: str, types: List[str], direction: str) -> Set[Tuple[str, str, Any]]:
    got = list(graph.get_related_entities(urn, types, RelationshipDirection(direction)))
    assert len(got) == len({(r.urn, r.relationship_type, r.via) for r in got})  # no edge twice
    return {(r.urn, r.relationship_type, r.via) for r in got}


def _lineage(*upstreams: str, query: Any = None) -> m.UpstreamLineageClass:
    return m.UpstreamLineageClass(
        upstreams=[
            m.UpstreamClass(dataset=u, type=m.DatasetLineageTypeClass.TRANSFORMED, query=query) for u in upstreams
        ]
    )


def test_lineage_both_directions(datahub_graph: Any) -> None:
    """R8.12: upstreamLineage.upstreams[].dataset is a DownstreamOf edge from the dataset to its upstream,
    with the upstream's query as ``via``; OUTGOING lists upstreams, INCOMING lists downstreams."""
    datahub_graph.emit_mcps([MCPW(entityUrn=B, aspect=_lineage(A, query=QUERY)), MCPW(entityUrn=C, aspect=_lineage(B))])
    assert _related(datahub_graph, B, ["DownstreamOf"], "OUTGOING") == {(A, "DownstreamOf", QUERY)}
    assert _related(datahub_graph, B, ["DownstreamOf"], "INCOMING") == {(C, "DownstreamOf", None)}
    assert _related(datahub_graph, A, ["DownstreamOf"], "INCOMING") == {(B, "DownstreamOf", QUERY)}
    assert _related(datahub_graph, A, ["DownstreamOf"], "OUTGOING") == set()
    # a new upstreamLineage replaces the old edges: the graph follows the current aspect
    datahub_graph.emit_mcp(MCPW(entityUrn=B, aspect=_lineage(C)))
    assert _related(datahub_graph, A, ["DownstreamOf"], "INCOMING") == set()
    assert _related(datahub_graph, B, ["DownstreamOf"], "OUTGOING") == {(C, "DownstreamOf", None)}


def test_fine_grained_lineage_edges_between_fields(datahub_graph: Any) -> None:
    """R8.12 (GraphIndexUtils): fineGrainedLineages give schemaField -> schemaField DownstreamOf edges;
    the registry's own annotation on ``fineGrainedLineages[].upstreams`` adds dataset -> upstream field."""
    up, down = (f"urn:li:schemaField:({d},id)" for d in (A, B))
    fgl = m.FineGrainedLineageClass(
        upstreamType=m.FineGrainedLineageUpstreamTypeClass.FIELD_SET,
        downstreamType=m.FineGrainedLineageDownstreamTypeClass.FIELD,
        upstreams=[up],
        downstreams=[down],
    )
    lineage = _lineage(A)
    lineage.fineGrainedLineages = [fgl]
    datahub_graph.emit_mcp(MCPW(entityUrn=B, aspect=lineage))
    assert _related(datahub_graph, down, ["DownstreamOf"], "OUTGOING") == {(up, "DownstreamOf", None)}
    assert _related(datahub_graph, up, ["DownstreamOf"], "INCOMING") == {
        (down, "DownstreamOf", None),
        (B, "DownstreamOf", None),
    }


def test_tags_and_owners(datahub_graph: Any) -> None:
    """globalTags.tags[].tag is TaggedWith and ownership.owners[].owner is OwnedBy (R8.12); several
    types in one call answer each edge with its own type."""
    owners = m.OwnershipClass(owners=[m.OwnerClass(owner=JO, type=m.OwnershipTypeClass.TECHNICAL_OWNER)])
    tags = m.GlobalTagsClass(tags=[m.TagAssociationClass(PII)])
    datahub_graph.emit_mcps(
        [MCPW(entityUrn=A, aspect=tags), MCPW(entityUrn=B, aspect=tags), MCPW(entityUrn=A, aspect=owners)]
    )
    assert _related(datahub_graph, PII, ["TaggedWith"], "INCOMING") == {
        (A, "TaggedWith", None),
        (B, "TaggedWith", None),
    }
    assert _related(datahub_graph, A, ["TaggedWith", "OwnedBy"], "OUTGOING") == {
        (PII, "TaggedWith", None),
        (JO, "OwnedBy", None),
    }
    assert _related(datahub_graph, JO, ["OwnedBy"], "INCOMING") == {(A, "OwnedBy", None)}
    assert _related(datahub_graph, PII, ["OwnedBy"], "INCOMING") == set()  # wrong type for the tag's edges


def test_soft_deleted_source_left_out(datahub_graph: Any) -> None:
    """R4.4: GMS's graph leaves out edges of a soft-deleted (status.removed) entity by default;
    restoring the entity brings them back."""
    tags = m.GlobalTagsClass(tags=[m.TagAssociationClass(PII)])
    datahub_graph.emit_mcps([MCPW(entityUrn=A, aspect=tags), MCPW(entityUrn=B, aspect=tags)])
    datahub_graph.soft_delete_entity(A)
    assert _related(datahub_graph, PII, ["TaggedWith"], "INCOMING") == {(B, "TaggedWith", None)}
    assert _related(datahub_graph, A, ["TaggedWith"], "OUTGOING") == set()
    datahub_graph.emit_mcp(MCPW(entityUrn=A, aspect=m.StatusClass(removed=False)))
    assert _related(datahub_graph, PII, ["TaggedWith"], "INCOMING") == {
        (A, "TaggedWith", None),
        (B, "TaggedWith", None),
    }


def test_unknown_type_is_empty_not_an_error(datahub_graph: Any, litemeta_server: str) -> None:
    datahub_graph.emit_mcp(MCPW(entityUrn=A, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(PII)])))
    assert _related(datahub_graph, PII, ["NoSuchRelationship"], "INCOMING") == set()
    params = {"urn": PII, "direction": "INCOMING", "relationshipTypes": "NoSuchRelationship"}
    r = requests.get(litemeta_server + RELATED, params=params, timeout=10)
    assert r.status_code == 200 and r.json() == {"start": 0, "count": 0, "total": 0, "entities": []}


def _tag_many(graph: Any, n: int) -> List[str]:
    urns = [f"urn:li:dataset:(urn:li:dataPlatform:hive,t{i:03d},PROD)" for i in range(n)]
    graph.emit_mcps([MCPW(entityUrn=u, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(PII)])) for u in urns])
    return urns


def test_client_pages_past_the_default_count(datahub_graph: Any) -> None:
    """The client asks without ``count`` (GMS's default: 200) and pages with ``start += count``
    until a page comes back empty: 230 edges take two full requests and an empty third."""
    urns = _tag_many(datahub_graph, 230)
    got = [r.urn for r in datahub_graph.get_related_entities(PII, ["TaggedWith"], RelationshipDirection.INCOMING)]
    assert sorted(got) == urns and len(got) == 230


def test_start_and_count_page_the_server(datahub_graph: Any, litemeta_server: str) -> None:
    """``start``/``count`` slice one stable order; ``total`` counts every edge; ``count`` is the
    number of entities returned (what the client adds to ``start``)."""
    urns = _tag_many(datahub_graph, 30)
    seen: List[str] = []
    start = 0
    while True:
        params = {"urn": PII, "direction": "INCOMING", "relationshipTypes": "TaggedWith", "start": start, "count": 7}
        body = requests.get(litemeta_server + RELATED, params=params, timeout=10).json()
        assert body["start"] == start and body["total"] == 30 and body["count"] == len(body["entities"]) <= 7
        if not body["count"]:
            break
        seen += [e["urn"] for e in body["entities"]]
        start += body["count"]
    assert seen == urns  # every edge exactly once, none skipped between pages


def test_missing_or_bad_parameters_are_400(litemeta_server: str) -> None:
    """GMS requires urn, relationshipTypes and direction; litemeta answers DataHub's error body naming the parameter."""
    full = {"urn": PII, "direction": "INCOMING", "relationshipTypes": "TaggedWith"}
    for name in ("urn", "direction", "relationshipTypes"):
        params = {k: v for k, v in full.items() if k != name}
        r = requests.get(litemeta_server + RELATED, params=params, timeout=10)
        assert r.status_code == 400 and name in r.json()["message"] and r.json()["status"] == 400, r.text
    for bad in ({"direction": "SIDEWAYS"}, {"start": "x"}, {"count": "-1"}):
        r = requests.get(litemeta_server + RELATED, params={**full, **bad}, timeout=10)
        assert r.status_code == 400 and next(iter(bad)) in r.json()["message"], r.text
