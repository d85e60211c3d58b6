"""litemeta's plugins found by DataHub's own CLIs through the entry points of litemeta's installed wheel.

Each test runs the real command (``python -m datahub ingest``, ``python -m datahub actions``,
``litemeta ingest``) in :func:`conftest.wheel_env`, where litemeta exists only as its wheel.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List

import pytest

from tests.integrations.conftest import WheelEnv, first_line

pytest.importorskip("datahub_actions")

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.{},PROD)"
GROUPS = (
    "datahub.ingestion.sink.plugins",
    "datahub.ingestion.checkpointing_provider.plugins",
    "datahub_actions.source.plugins",
)


def _write_file(path: Path, names: List[str], bad: bool = False) -> None:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.ingestion.sink.file import write_metadata_file
    from datahub.metadata.schema_classes import ChangeAuditStampsClass, ChartInfoClass, DatasetPropertiesClass

    records = [
        MetadataChangeProposalWrapper(entityUrn=DS.format(n), aspect=DatasetPropertiesClass(description=n))
        for n in names
    ]
    if bad:  # valid for the SDK, not for the registry: chartInfo is no aspect of a dataset
        records.insert(
            1,
            MetadataChangeProposalWrapper(
                entityUrn=DS.format("bad"),
                aspect=ChartInfoClass(title="t", description="d", lastModified=ChangeAuditStampsClass()),
            ),
        )
    write_metadata_file(path, records)


def test_the_entry_points_are_the_wheels(wheel_env: WheelEnv, tmp_path: Path, dh_env: Dict[str, str]) -> None:
    code = (
        "import importlib.metadata as m, json, litemeta\n"
        f"eps = [e for g in {GROUPS!r} for e in m.entry_points(group=g) if e.name == 'litemeta']\n"
        "dists = [str(d._path) for d in m.distributions() if d.metadata['Name'] == 'litemeta']\n"
        "print(json.dumps({'eps': [[e.group, e.value, str(e.dist._path)] for e in eps], 'dists': dists,\n"
        "                  'module': litemeta.__file__, 'loaded': [e.load().__name__ for e in eps]}))\n"
    )
    out = json.loads(wheel_env.run(["-c", code], tmp_path, dh_env).stdout)
    assert len(out["dists"]) == 1 and out["dists"][0].startswith(str(wheel_env.site))
    assert out["module"].startswith(str(wheel_env.site))
    assert sorted(g for g, _, _ in out["eps"]) == sorted(GROUPS)
    assert all(path.startswith(str(wheel_env.site)) for _, _, path in out["eps"])
    assert out["loaded"] == ["LitemetaSink", "LitemetaCheckpointingProvider", "LitemetaEventSource"]


def test_datahub_ingest_finds_the_sink_and_the_checkpoint_provider(
    wheel_env: WheelEnv, tmp_path: Path, dh_env: Dict[str, str]
) -> None:
    """``datahub ingest`` with ``sink: litemeta`` and stateful ingestion (the provider defaults to litemeta's):
    the second run soft-deletes the dataset the first run saw and the second did not."""
    _write_file(tmp_path / "run1.json", ["a", "b"])
    _write_file(tmp_path / "run2.json", ["a"])
    (tmp_path / "recipe.yml").write_text(
        "pipeline_name: nightly\n"
        "source: {type: file, config: {path: '${IN}', stateful_ingestion: {enabled: true, remove_stale_metadata: true}}}\n"
        "sink: {type: litemeta, config: {db: meta.db}}\n"
    )
    for name in ("run1.json", "run2.json"):
        proc = wheel_env.run(
            ["-m", "datahub", "ingest", "-c", "recipe.yml", "--no-default-report"], tmp_path, {**dh_env, "IN": name}
        )
        assert "Sink (litemeta) report" in proc.stdout
    assert "Soft-deleting stale entity - " + DS.format("b") in proc.stdout + proc.stderr
    from litemeta.store import open_store

    with open_store(str(tmp_path / "meta.db"), read_only=True) as store:
        assert store.get(DS.format("b"))["status"] == {"removed": True}
        assert store.get(DS.format("a"))["datasetProperties"]["description"] == "a"
        job = "urn:li:dataJob:(urn:li:dataFlow:(datahub,nightly,prod),default_stale_entity_removal)"
        checkpoints = store.timeseries(job, "datahubIngestionCheckpoint")
    assert len(checkpoints) == 2 and {c["pipelineName"] for c in checkpoints} == {"nightly"}


def test_datahub_ingest_prints_the_sinks_per_record_failures(
    wheel_env: WheelEnv, tmp_path: Path, dh_env: Dict[str, str]
) -> None:
    _write_file(tmp_path / "in.json", ["a", "b"], bad=True)
    (tmp_path / "recipe.yml").write_text(
        "source: {type: file, config: {path: in.json}}\nsink: {type: litemeta, config: {db: meta.db}}\n"
    )
    proc = wheel_env.run(
        ["-m", "datahub", "ingest", "-c", "recipe.yml", "--no-default-report"], tmp_path, dh_env, check=False
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    report = proc.stdout[proc.stdout.index("Sink (litemeta) report") :]
    assert "'total_records_written': 2" in report
    assert "aspect 'chartInfo' is not registered for entity type 'dataset'" in report
    assert DS.format("bad") in report
    assert first_line(proc.stdout, "Pipeline finished with at least 1 failures") is not None


def test_datahub_actions_runs_hello_world_over_the_store(
    wheel_env: WheelEnv, tmp_path: Path, dh_env: Dict[str, str]
) -> None:
    _write_file(tmp_path / "in.json", ["a", "b"])
    wheel_env.run(["-m", "litemeta", "ingest", "in.json", "--db", "meta.db"], tmp_path, dh_env)
    (tmp_path / "action.yml").write_text(
        "name: hello\n"
        "source: {type: litemeta, config: {db: meta.db, kill_after_idle_timeout: true, idle_timeout_duration_seconds: 0}}\n"
        f"action: {{type: hello_world}}\noptions: {{failed_events_dir: {str(tmp_path / 'failed')!r}}}\n"
    )
    proc = wheel_env.run(["-m", "datahub", "actions", "-c", "action.yml"], tmp_path, dh_env)
    from litemeta.store import open_store

    with open_store(str(tmp_path / "meta.db"), read_only=True) as store:
        ends = store.end_offsets()
        committed = store.consumers.committed("hello")
    expected = ends["MetadataChangeLog_Versioned_v1"] + ends["PlatformEvent_v1"]
    assert proc.stdout.count("Hello world! Received event:") == expected
    assert '"event_type": "EntityChangeEvent_v1"' in proc.stdout
    assert committed == {t: ends[t] for t in ("MetadataChangeLog_Versioned_v1", "PlatformEvent_v1")}


def test_litemeta_ingest_runs_a_datahub_source_type(
    wheel_env: WheelEnv, tmp_path: Path, dh_env: Dict[str, str]
) -> None:
    (tmp_path / "glossary.yml").write_text(
        "version: '1'\nsource: DataHub\nowners: {users: [ann]}\n"
        "nodes:\n  - name: Classification\n    description: Data classes\n"
        "    terms:\n      - {name: Sensitive, description: Sensitive data}\n"
    )
    (tmp_path / "recipe.yml").write_text("source: {type: datahub-business-glossary, config: {file: glossary.yml}}\n")
    proc = wheel_env.run(["-m", "litemeta", "ingest", "-c", "recipe.yml", "--db", "g.db", "--json"], tmp_path, dh_env)
    summary = json.loads(proc.stdout)
    assert summary["failures"] == 0
    assert [s["step"] for s in summary["steps"]] == ["datahub-business-glossary", "litemeta"]
    from litemeta.store import open_store

    with open_store(str(tmp_path / "g.db"), read_only=True) as store:
        assert (
            store.get("urn:li:glossaryTerm:Classification.Sensitive")["glossaryTermInfo"]["definition"]
            == "Sensitive data"
        )
