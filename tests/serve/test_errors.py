"""Bad requests get a 4xx with a message and write nothing (never a 5xx: the client retries those
for ~30 s, rest-compat.md trap 14); a token is enforced as GMS does; concurrent clients lose nothing."""

from __future__ import annotations

import json
import threading
from typing import Any, Dict, List

import pytest
import requests
from datahub.configuration.common import OperationalError
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.emitter.rest_emitter import DataHubRestEmitter
from datahub.ingestion.graph.client import DatahubClientConfig, DataHubGraph
from datahub.metadata import schema_classes as m

from litemeta.serve import ServerThread, create_app

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
INGEST = "/aspects?action=ingestProposal"


def proposal(urn: str = DS, aspect: str = "status", value: Any = None) -> Dict[str, Any]:
    return {
        "proposal": {
            "entityType": "dataset",
            "entityUrn": urn,
            "changeType": "UPSERT",
            "aspectName": aspect,
            "aspect": {
                "value": json.dumps(value if value is not None else {"removed": False}),
                "contentType": "application/json",
            },
        },
        "async": "false",
    }


def nothing_written(store: Any) -> None:
    assert store.list_urns() == []
    assert store.read_topic("mcl") == [] and store.read_topic("mcp") == [] and store.read_topic("pe") == []


@pytest.mark.parametrize(
    "path,body,status,needle",
    [
        (INGEST, b"{not json", 400, "not valid JSON"),
        (INGEST, b"", 400, "empty"),
        (INGEST, b"[1, 2]", 400, "must be a JSON object"),
        (INGEST, json.dumps({"proposal": {"entityUrn": DS}}).encode(), 400, "changeType is missing"),
        (
            "/aspects?action=ingestProposalBatch",
            json.dumps({"proposals": "x"}).encode(),
            400,
            "proposals must be a list",
        ),
        ("/aspects?action=noSuchAction", b"{}", 400, "unknown action"),
        ("/openapi/v3/entity/dataset?async=false", b"{}", 400, "must be a list"),
        ("/openapi/v3/entity/noSuchType?async=false", b"[]", 404, "unknown entity type"),
        ("/entities?action=ingest", json.dumps({"entity": {}}).encode(), 400, "entity.value is missing"),
        ("/entities?action=search", json.dumps({"input": "*", "count": "ten"}).encode(), 400, "count must be a number"),
        (
            "/aspects?action=getTimeseriesAspectValues",
            json.dumps({"urn": DS, "aspect": "datasetProfile", "limit": -1}).encode(),
            400,
            "limit must be >= 0",
        ),
        ("/entities?action=delete", json.dumps({"urn": "not-an-urn"}).encode(), 400, "invalid urn"),
    ],
)
def test_malformed_requests_are_400s_naming_the_problem(
    litemeta_server: str, litemeta_store: Any, path: str, body: bytes, status: int, needle: str
) -> None:
    r = requests.post(litemeta_server + path, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == status, r.text
    assert needle in r.json()["message"] and r.json()["status"] == status
    nothing_written(litemeta_store)


@pytest.mark.parametrize(
    "body,needle",
    [
        (proposal(aspect="noSuchAspect"), "noSuchAspect"),
        (proposal(urn="urn:li:dataset:(urn:li:dataPlatform:hive,unclosed"), "urn"),
        (proposal(value={"removed": "yes"}), "removed"),
    ],
)
def test_invalid_proposals_are_422s_and_go_to_the_dead_letter_topic(
    litemeta_server: str, litemeta_store: Any, body: Any, needle: str
) -> None:
    """design.md choice 2: the proposal is rejected, recorded on FailedMetadataChangeProposal_v1, and
    nothing else is written; the client sees DataHub's validation status (422) with the reason."""
    r = requests.post(litemeta_server + INGEST, json=body, timeout=10)
    assert r.status_code == 422, r.text
    assert needle in r.json()["message"]
    nothing_written(litemeta_store)
    assert len(litemeta_store.read_topic("failed")) == 1


def test_the_emitter_raises_the_servers_message(datahub_emitter: Any, litemeta_store: Any) -> None:
    bad = m.MetadataChangeProposalClass(
        entityType="dataset",
        entityUrn=DS,
        changeType="UPSERT",
        aspectName="noSuchAspect",
        aspect=m.GenericAspectClass(value=b'{"a": 1}', contentType="application/json"),
    )
    with pytest.raises(OperationalError) as err:
        datahub_emitter.emit(bad)
    assert "noSuchAspect" in str(err.value)
    nothing_written(litemeta_store)


def test_reads_of_bad_input_are_4xx(litemeta_server: str) -> None:
    for path in (
        "/aspects/" + "urn%3Ali%3Acorpuser%3Aa?aspect=noSuchAspect&version=0",
        "/aspects/urn%3Ali%3Adataset%3Anot-a-dataset?aspect=status&version=0",
        "/aspects/urn%3Ali%3Acorpuser%3Aa?aspect=status&version=x",
        "/entitiesV2/not-an-urn",
        "/aspects/urn%3Ali%3Acorpuser%3Aa?aspect=datasetProfile",
    ):
        r = requests.get(litemeta_server + path, timeout=10)
        assert 400 <= r.status_code < 500 and r.json()["message"], (path, r.status_code, r.text)
    r = requests.post(litemeta_server + "/api/graphql", json={"query": "{ noSuchField }"}, timeout=10)
    assert r.status_code == 200 and "noSuchField" in r.json()["errors"][0]["message"]


def test_an_oversized_body_is_413_and_writes_nothing(litemeta_server: str, litemeta_store: Any) -> None:
    big = json.dumps(proposal(value={"removed": False, "pad": "x" * (17 * 1024 * 1024)})).encode()
    r = requests.post(litemeta_server + INGEST, data=big, timeout=60)
    assert r.status_code == 413 and "16777216" in r.json()["message"]
    chunked = requests.post(
        litemeta_server + INGEST, data=iter([big[i : i + 1 << 20] for i in range(0, len(big), 1 << 20)]), timeout=60
    )  # no Content-Length: counted as it arrives
    assert chunked.status_code == 413
    nothing_written(litemeta_store)


def test_a_token_is_required_when_set(litemeta_store: Any) -> None:
    with ServerThread(create_app(litemeta_store, token="s3cret")) as server:
        assert requests.get(server.url + "/config", timeout=5).json()["noCode"] == "true"  # public, as in GMS
        for token in (None, "wrong"):
            emitter = DataHubRestEmitter(server.url, token=token)
            with pytest.raises(OperationalError) as err:
                emitter.emit(MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)))
            assert "401" in str(err.value) or "Unauthorized" in str(err.value)
            assert (
                requests.get(
                    server.url + "/entitiesV2/urn%3Ali%3Acorpuser%3Aa",
                    timeout=5,
                    headers={"Authorization": f"Bearer {token}"} if token else {},
                ).status_code
                == 401
            )
        nothing_written(litemeta_store)
        graph = DataHubGraph(DatahubClientConfig(server=server.url, token="s3cret"))
        graph.emit(MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)))
        assert graph.get_aspect(DS, m.StatusClass) == m.StatusClass(removed=False)


def test_eight_concurrent_clients_lose_nothing(litemeta_server: str, litemeta_store: Any) -> None:
    """8 clients each write 40 entities in batches of 5 and read each batch back at once (its own
    writes are visible as soon as the call returns); every write is there at the end, in order."""
    errors: List[BaseException] = []

    def client(n: int) -> None:
        try:
            emitter = DataHubRestEmitter(litemeta_server)
            graph = DataHubGraph(DatahubClientConfig(server=litemeta_server))
            for b in range(8):
                urns = [f"urn:li:corpuser:c{n}-u{b * 5 + i}" for i in range(5)]
                emitter.emit_mcps(
                    [MCPW(entityUrn=u, aspect=m.CorpUserInfoClass(active=True, displayName=u)) for u in urns]
                )
                emitter.emit(MCPW(entityUrn=urns[0], aspect=m.CorpUserInfoClass(active=False, displayName="v2")))
                for u in urns[1:]:
                    assert graph.get_aspect(u, m.CorpUserInfoClass).displayName == u
                assert graph.get_aspect(urns[0], m.CorpUserInfoClass).active is False
        except BaseException as exc:  # reported below, with the thread's assertion
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    assert len(litemeta_store.list_urns("corpuser")) == 8 * 40
    assert all(
        len(litemeta_store.history(f"urn:li:corpuser:c{n}-u{b * 5}", "corpUserInfo")) == 2
        for n in range(8)
        for b in range(8)
    )
    mcls = [r.value for r in litemeta_store.read_topic("mcl") if r.value["aspectName"] == "corpUserInfo"]
    assert len(mcls) == 8 * 40 + 8 * 8
    assert litemeta_store.read_topic("failed") == []
