"""DataHubRestEmitter (acryl-datahub 1.7.0.17, unchanged) against ``litemeta serve``, in both dialects
and every EmitMode; the store then equals what ``litemeta ingest`` of the same objects gives
(rest-compat.md §3, §4.1-4.4, §4.12)."""

from __future__ import annotations

from typing import Any, List

import pytest
from datahub.emitter.emit_mode import EmitMode
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.emitter.rest_emitter import DataHubRestEmitter
from datahub.metadata import schema_classes as m
from datahub.specific.dataset import DatasetPatchBuilder

import litemeta
from tests.serve.compare import assert_same

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
DS2 = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)"


def objects(i: int = 0) -> List[Any]:
    """A varied set of SDK objects: UPSERTs, a PATCH, a timeseries aspect, an MCE."""
    ds = f"urn:li:dataset:(urn:li:dataPlatform:hive,shop.t{i},PROD)"
    out: List[Any] = [
        MCPW(entityUrn=ds, aspect=m.DatasetPropertiesClass(description=f"table {i} é", customProperties={"k": "v"})),
        MCPW(
            entityUrn=ds,
            aspect=m.SchemaMetadataClass(
                schemaName="t",
                platform="urn:li:dataPlatform:hive",
                version=0,
                hash="",
                platformSchema=m.MySqlDDLClass(""),
                fields=[m.SchemaFieldClass("id", m.SchemaFieldDataTypeClass(m.NumberTypeClass()), "int")],
            ),
        ),
        MCPW(entityUrn=ds, aspect=m.DatasetProfileClass(timestampMillis=1_700_000_000_000 + i, rowCount=10 + i)),
        MCPW(entityUrn=f"urn:li:corpuser:user{i}", aspect=m.CorpUserInfoClass(active=True, displayName=f"User {i}")),
    ]
    out += list(
        DatasetPatchBuilder(ds)
        .add_tag(m.TagAssociationClass(tag="urn:li:tag:pii"))
        .set_description(f"patched {i}")
        .build()
    )
    return out


def mce(i: int = 0) -> m.MetadataChangeEventClass:
    return m.MetadataChangeEventClass(
        proposedSnapshot=m.DatasetSnapshotClass(
            urn=f"urn:li:dataset:(urn:li:dataPlatform:mysql,db.mce{i},PROD)",
            aspects=[m.StatusClass(removed=False), m.DatasetPropertiesClass(description=f"from an MCE {i}")],
        )
    )


def reference(tmp_path: Any, items: List[Any]) -> Any:
    ref = litemeta.open_store(str(tmp_path / "reference.db"))
    report = ref.ingest(items)
    assert report.failed == 0, report.errors
    return ref


@pytest.mark.parametrize("mode", list(EmitMode), ids=lambda m: m.name)
@pytest.mark.parametrize("openapi", [False, True], ids=["restli", "openapi"])
def test_emit_in_every_mode_equals_an_ingest_of_the_same_objects(
    litemeta_server: str, litemeta_store: Any, tmp_path: Any, mode: EmitMode, openapi: bool
) -> None:
    emitter = DataHubRestEmitter(litemeta_server, openapi_ingestion=openapi)
    emitter.test_connection()
    sent: List[Any] = []
    for i in range(2):
        batch = objects(i)
        for item in batch[:3]:
            emitter.emit(item, emit_mode=mode)
        emitter.emit_mcps(batch[3:], emit_mode=mode)
        sent += batch
        event = mce(i)
        emitter.emit(event)  # an MCE always takes the Rest.li path (entities?action=ingest)
        sent.append(event)
    with reference(tmp_path, sent) as ref:
        assert_same(litemeta_store, ref)
    assert litemeta_store.get(DS2) == {}
    got = litemeta_store.get("urn:li:dataset:(urn:li:dataPlatform:hive,shop.t1,PROD)")
    assert got["datasetProperties"]["description"] == "patched 1"
    assert got["globalTags"] == {"tags": [{"tag": "urn:li:tag:pii"}]}


def test_the_openapi_dialect_is_chosen_by_sdk_clients(datahub_graph: Any, litemeta_server: str) -> None:
    """Trap 5: only an SDK-mode client (DataHubClient.from_env) picks OpenAPI, after reading /config's version."""
    from datahub.sdk.main_client import DataHubClient

    client = DataHubClient.from_env()
    client._graph.test_connection()
    assert client._graph._openapi_ingestion is True
    datahub_graph.test_connection()
    assert not datahub_graph._openapi_ingestion  # a plain DataHubGraph stays on Rest.li


def test_emit_mcps_in_one_request_with_a_repeated_aspect(
    datahub_emitter: Any, litemeta_store: Any, tmp_path: Any
) -> None:
    """One ingestProposalBatch holding two writes of one aspect: both versions are kept (design.md rule 6)."""
    items = [MCPW(entityUrn=DS, aspect=m.StatusClass(removed=flag)) for flag in (False, True)]
    datahub_emitter.emit_mcps(items)
    assert [r.value for r in litemeta_store.history(DS, "status")] == [{"removed": False}, {"removed": True}]
    with reference(tmp_path, items) as ref:
        assert_same(litemeta_store, ref)


def test_sync_wait_answers_after_the_search_index_caught_up(litemeta_server: str, litemeta_store: Any) -> None:
    """Design rule 3 / trap 6: SYNC_WAIT travels as an in-body header of the OpenAPI v3 dialect;
    the answer then waits for the search index. SYNC_PRIMARY answers after the commit alone."""
    follower = litemeta_store.search_follower
    emitter = DataHubRestEmitter(litemeta_server, openapi_ingestion=True)
    emitter.emit(MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)), emit_mode=EmitMode.SYNC_PRIMARY)
    assert follower.lag() > 0
    emitter.emit(MCPW(entityUrn=DS2, aspect=m.StatusClass(removed=False)), emit_mode=EmitMode.SYNC_WAIT)
    assert follower.lag() == 0


def test_async_wait_follows_the_trace_and_warns_of_nothing(litemeta_server: str, litemeta_store: Any) -> None:
    """rest-compat.md §4.14: an OpenAPI write answers with a traceparent, so an ASYNC_WAIT client polls
    /openapi/v1/trace/write/{id} (every aspect committed) instead of warning that tracing is not active."""
    import time
    import warnings

    from datahub.emitter.response_helper import TraceData

    emitter = DataHubRestEmitter(litemeta_server, openapi_ingestion=True)
    emitter.test_connection()
    asked: List[Any] = []
    traces: List[TraceData] = []
    original = emitter._await_status

    def await_status(trace_data: List[TraceData], *args: Any, **kwargs: Any) -> None:
        asked.extend({urn: list(aspects) for urn, aspects in t.data.items()} for t in trace_data)
        traces.extend(trace_data)
        original(trace_data, *args, **kwargs)

    emitter._await_status = await_status  # type: ignore[method-assign]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an APITracingWarning (or any other) fails the test
        emitter.emit(MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)), emit_mode=EmitMode.ASYNC_WAIT)
    assert asked == [{DS: ["status"]}]
    assert [t.data for t in traces] == [{}]  # the client drops what the trace endpoint says is written
    assert abs(traces[0].extract_timestamp().timestamp() - time.time()) < 60
    assert litemeta_store.get(DS, ["status"]) == {"status": {"removed": False}}
