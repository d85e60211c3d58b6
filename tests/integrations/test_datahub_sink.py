"""``sink: litemeta`` in DataHub's ingestion framework, and the stateful-ingestion checkpoint provider.

DataHub's own Pipeline, sink registry, record envelopes and write callbacks drive the sink; the
CLI and the wheel's entry points are covered by test_wheel.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

pytest.importorskip("datahub")

from datahub.emitter.mcp import MetadataChangeProposalWrapper  # noqa: E402
from datahub.ingestion.api.common import PipelineContext, RecordEnvelope  # noqa: E402
from datahub.ingestion.api.sink import WriteCallback  # noqa: E402
from datahub.ingestion.run.pipeline import Pipeline  # noqa: E402
from datahub.ingestion.sink.file import write_metadata_file  # noqa: E402
from datahub.ingestion.sink.sink_registry import sink_registry  # noqa: E402
from datahub.metadata.schema_classes import ChangeAuditStampsClass, ChartInfoClass, DatasetPropertiesClass, StatusClass  # noqa: E402

from litemeta.integrations.datahub_sink import LitemetaSink  # noqa: E402
from litemeta.store import MetadataStore, open_store  # noqa: E402
from tests.sdkcorpus import build_records  # noqa: E402

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.{},PROD)"
CLOCK = 1_750_000_000_000


class Recorder(WriteCallback):
    """A DataHub write callback that keeps what it was told."""

    def __init__(self) -> None:
        self.ok: List[Any] = []
        self.failed: List[Tuple[Any, Exception, dict]] = []

    def on_success(self, record_envelope: RecordEnvelope, success_metadata: dict) -> None:
        self.ok.append(record_envelope.record)

    def on_failure(self, record_envelope: RecordEnvelope, failure_exception: Exception, failure_metadata: dict) -> None:
        self.failed.append((record_envelope.record, failure_exception, failure_metadata))


def _snapshot(store: MetadataStore) -> Dict[str, Any]:
    """Everything a write leaves: every aspect version of every urn, every topic's values."""
    rows: Dict[str, Any] = {}
    for urn in sorted(store.list_urns()):
        for name in sorted(store.get(urn)):
            rows[f"{urn} {name}"] = [(r.version, r.value) for r in store.history(urn, name)]
    topics = {t: [r.value for r in store.read_topic(t)] for t in sorted(store.end_offsets())}
    return {"rows": rows, "topics": topics}


def test_the_registry_finds_the_sink() -> None:
    assert sink_registry.get("litemeta") is LitemetaSink


def test_the_sink_writes_what_litemeta_ingest_writes(tmp_path: Path) -> None:
    """The SDK corpus (MCPWs, PATCHes, DELETEs, MCEs, timeseries) through DataHub's sink interface in
    batches of 64 gives the store a direct ingest of the same objects gives (design.md rule 6)."""
    records = build_records(300, seed=3)
    sink = LitemetaSink.create({"db": str(tmp_path / "sink.db"), "batch_size": 64}, PipelineContext(run_id="r1"))
    sink.store.clock = lambda: CLOCK
    cb = Recorder()
    for i, rec in enumerate(records):
        sink.write_record_async(RecordEnvelope(rec, {"workunit_id": f"wu-{i}"}), cb)
    sink.close()
    with open_store(str(tmp_path / "direct.db")) as direct:
        direct.clock = lambda: CLOCK
        report = direct.ingest(records)
        expected = _snapshot(direct)
    with open_store(str(tmp_path / "sink.db"), read_only=True) as written:
        got = _snapshot(written)
    assert got == expected
    assert len(cb.ok) + len(cb.failed) == len(records)
    assert len(cb.failed) == report.failed  # the corpus's own invalid records, if any, fail the same way
    assert sink.report.total_records_written == len(records) - report.failed
    assert sink.report.mcl == report.mcl and sink.report.platform_events == report.platform_events


def test_a_rejected_record_is_a_failure_of_the_report_and_the_callback(tmp_path: Path) -> None:
    """R1.14 for the sink: the invalid record fails alone (report, callback, dead-letter topic); the records
    around it are written."""
    good = [
        MetadataChangeProposalWrapper(entityUrn=DS.format(n), aspect=DatasetPropertiesClass(description=n))
        for n in "ab"
    ]
    bad = MetadataChangeProposalWrapper(
        entityUrn=DS.format("bad"),
        aspect=ChartInfoClass(title="t", description="d", lastModified=ChangeAuditStampsClass()),
    )
    sink = LitemetaSink.create({"db": str(tmp_path / "m.db")}, PipelineContext(run_id="r1"))
    cb = Recorder()
    for i, rec in enumerate([good[0], bad, good[1]]):
        sink.write_record_async(RecordEnvelope(rec, {"workunit_id": f"wu-{i}"}), cb)
    sink.close()
    assert cb.ok == [good[0], good[1]]
    [(record, exc, meta)] = cb.failed
    assert record is bad and "chartInfo" in str(exc) and meta["info"]["urn"] == DS.format("bad")
    [failure] = list(sink.report.failures)
    assert failure["error"] == "aspect 'chartInfo' is not registered for entity type 'dataset'"
    assert failure["info"] == {
        "workunit_id": "wu-1",
        "record": 1,
        "urn": DS.format("bad"),
        "aspect": "chartInfo",
        "reason": "UnknownAspectError",
    }
    assert sink.report.total_records_written == 2
    with open_store(str(tmp_path / "m.db"), read_only=True) as store:
        assert [r.value["metadataChangeProposal"]["entityUrn"] for r in store.read_topic("failed")] == [
            DS.format("bad")
        ]
        assert store.get(DS.format("b"))["datasetProperties"]["description"] == "b"


def test_datahub_pipeline_reports_the_failure_and_logs_it_to_the_failure_log(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    write_metadata_file(
        path,
        [
            MetadataChangeProposalWrapper(entityUrn=DS.format("a"), aspect=StatusClass(removed=False)),
            MetadataChangeProposalWrapper(
                entityUrn=DS.format("bad"),
                aspect=ChartInfoClass(title="t", description="d", lastModified=ChangeAuditStampsClass()),
            ),
        ],
    )
    pipeline = Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(path)}},
            "sink": {"type": "litemeta", "config": {"db": str(tmp_path / "m.db")}},
            "failure_log": {"enabled": True, "log_config": {"filename": str(tmp_path / "failed.json")}},
        },
        report_to=None,
        no_progress=True,
    )
    pipeline.run()
    assert pipeline.has_failures()
    assert pipeline.sink.get_report().total_records_written == 1
    [logged] = json.loads((tmp_path / "failed.json").read_text())
    assert logged["entityUrn"] == DS.format("bad") and logged["aspectName"] == "chartInfo"


def _stateful_recipe(path: Path, sink_db: Path, provider: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "pipeline_name": "p1",
        "source": {
            "type": "file",
            "config": {
                "path": str(path),
                "stateful_ingestion": {"enabled": True, "remove_stale_metadata": True, **provider},
            },
        },
        "sink": {"type": "litemeta", "config": {"db": str(sink_db)}},
    }


def test_checkpoints_in_a_named_store_drive_stale_entity_removal(tmp_path: Path) -> None:
    """``state_provider: {type: litemeta, config: {db}}``: checkpoints go to that store, the metadata to the
    sink's, and the second run soft-deletes what only the first run saw."""

    def run(names: str) -> None:
        path = tmp_path / f"{names}.json"
        write_metadata_file(
            path,
            [
                MetadataChangeProposalWrapper(entityUrn=DS.format(n), aspect=DatasetPropertiesClass(description=n))
                for n in names
            ],
        )
        provider = {"state_provider": {"type": "litemeta", "config": {"db": str(tmp_path / "state.db")}}}
        pipeline = Pipeline.create(
            _stateful_recipe(path, tmp_path / "m.db", provider), report_to=None, no_progress=True
        )
        pipeline.run()
        pipeline.raise_from_status()

    run("abc")
    run("ac")
    job = "urn:li:dataJob:(urn:li:dataFlow:(datahub,p1,prod),default_stale_entity_removal)"
    with open_store(str(tmp_path / "m.db"), read_only=True) as meta:
        assert meta.get(DS.format("b"))["status"] == {"removed": True}
        assert meta.get(DS.format("c"))["status"] == {"removed": False}
        assert meta.timeseries(job, "datahubIngestionCheckpoint") == []
    with open_store(str(tmp_path / "state.db"), read_only=True) as state:
        checkpoints = state.timeseries(job, "datahubIngestionCheckpoint")
        assert state.get(job)["status"]["removed"] is True  # hidden from search, as DataHub's provider does
    assert [c["pipelineName"] for c in checkpoints] == ["p1", "p1"]


def test_a_named_provider_is_left_alone(tmp_path: Path) -> None:
    """Only a missing ``state_provider`` becomes litemeta's: DataHub's ``file`` provider stays the file's."""
    path = tmp_path / "in.json"
    write_metadata_file(
        path, [MetadataChangeProposalWrapper(entityUrn=DS.format("a"), aspect=DatasetPropertiesClass(description="a"))]
    )
    provider = {"state_provider": {"type": "file", "config": {"filename": str(tmp_path / "state.json")}}}
    pipeline = Pipeline.create(_stateful_recipe(path, tmp_path / "m.db", provider), report_to=None, no_progress=True)
    pipeline.run()
    pipeline.raise_from_status()
    assert "datahubIngestionCheckpoint" in (tmp_path / "state.json").read_text()
    with open_store(str(tmp_path / "m.db"), read_only=True) as meta:
        assert not any("dataJob" in u for u in meta.list_urns())


def test_records_convert_as_datahubs_file_sink_writes_them() -> None:
    """The sink's conversion (compiled converters, no avrogen validation) gives DataHub's file-sink form of
    every record of the SDK corpus: MCPWs simplified, PATCH MCPs, DELETEs, MCEs."""
    from datahub.ingestion.sink.file import _to_obj_for_file

    from litemeta.integrations.avro_classes import to_obj
    from litemeta.integrations.sdk import sdk_to_obj

    records = build_records(400, seed=4)
    kinds = set()
    for rec in records:
        kinds.add(type(rec).__name__)
        expected = _to_obj_for_file(rec) if isinstance(rec, MetadataChangeProposalWrapper) else rec.to_obj()
        assert json.loads(json.dumps(sdk_to_obj(rec))) == json.loads(json.dumps(expected))
        if not isinstance(rec, MetadataChangeProposalWrapper):
            assert json.dumps(to_obj(rec)) == json.dumps(rec.to_obj())  # same keys, same order
        elif rec.aspect is not None:
            assert json.dumps(to_obj(rec.aspect)) == json.dumps(rec.aspect.to_obj())
    assert kinds == {"MetadataChangeProposalWrapper", "MetadataChangeProposalClass", "MetadataChangeEventClass"}
