"""``litemeta push``: the store's journal into ``litemeta serve`` (a separate process) through acryl-datahub's REST
emitter; the two stores end equal."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest
from click.testing import CliRunner

pytest.importorskip("datahub")
pytest.importorskip("uvicorn", reason="litemeta serve needs litemeta[serve]")

from datahub.emitter.mcp import MetadataChangeProposalWrapper  # noqa: E402
from datahub.emitter.rest_emitter import DataHubRestEmitter  # noqa: E402
from datahub.metadata import schema_classes as m  # noqa: E402

from litemeta.cli import main  # noqa: E402
from litemeta.integrations.push import PushError, default_group, push  # noqa: E402
from litemeta.store import MetadataStore, open_store  # noqa: E402
from tests.integrations.conftest import free_port, serve_subprocess  # noqa: E402
from tests.sdkcorpus import build_records  # noqa: E402

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.{},PROD)"
# What DataHub's REST client writes into every proposal's systemMetadata: its id and version, and the
# schema's defaults for the run ids when a proposal has none (SystemMetadataClass)
CLIENT_FIELDS = ("clientId", "clientVersion")
NO_RUN = "no-run-id-provided"


def _normal(value: Any) -> Any:
    """A value with the REST client's own fields taken out of every systemMetadata."""
    value = copy.deepcopy(value)

    def strip(sm: Any) -> None:
        if isinstance(sm, dict):
            for k in ("runId", "lastRunId"):
                if sm.get(k) == NO_RUN:
                    del sm[k]
        if isinstance(sm, dict) and isinstance(sm.get("properties"), dict):
            for k in CLIENT_FIELDS:
                sm["properties"].pop(k, None)
            if not sm["properties"]:
                del sm["properties"]

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("systemMetadata", "previousSystemMetadata"):
                    strip(x)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(value)
    return value


def _contents(store: MetadataStore) -> Dict[str, Any]:
    """Every version of every aspect (value, system metadata, stamps) and every topic's values."""
    rows: Dict[str, Any] = {}
    for urn in sorted(store.list_urns()):
        for name in sorted(store.get(urn)):
            rows[f"{urn} {name}"] = [r.as_dict() for r in store.history(urn, name)]
    topics = {
        t: [r.value for r in store.read_topic(t)]
        for t in sorted(store.end_offsets())
        if t != "MetadataChangeProposal_v1"
    }
    return _normal({"rows": rows, "topics": topics})


def _journal(store: MetadataStore) -> List[Dict[str, Any]]:
    return _normal([r.value for r in store.read_topic("MetadataChangeProposal_v1")])


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A store of the SDK corpus (UPSERTs, PATCHes, DELETEs of aspects and keys, MCEs, timeseries) and a run."""
    db = tmp_path / "source.db"
    with open_store(str(db)) as store:
        store.ingest(build_records(300, seed=2))
        store.ingest(
            [MetadataChangeProposalWrapper(entityUrn=DS.format("r"), aspect=m.StatusClass(removed=False))],
            run_id="run-r",
        )
    return db


def _push_cli(db: Path, url: str, *args: str) -> Dict[str, Any]:
    result = CliRunner().invoke(
        main, ["push", "--db", str(db), "--server", url, "--json", *args], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_push_makes_the_served_store_equal(source: Path, tmp_path: Path) -> None:
    """Aspects (every version, system metadata, stamps), MCLs and platform events end equal, except the
    fields the REST client fills in; the server's journal is the source's."""
    with serve_subprocess(tmp_path / "target.db") as url:
        report = _push_cli(source, url, "--batch-size", "70")
    with open_store(str(source), read_only=True) as a:
        expected, journal = _contents(a), _journal(a)
    assert report["ok"] and report["records"] == len(journal) == report["scanned"]
    assert report["chunks"] == -(-len(journal) // 70)
    assert report["committed"] == {"MetadataChangeProposal_v1": len(journal)}
    with open_store(str(tmp_path / "target.db"), read_only=True) as b:
        got, served = _contents(b), _journal(b)
    assert served == journal
    assert got["topics"].keys() == expected["topics"].keys()
    for topic in expected["topics"]:
        assert got["topics"][topic] == expected["topics"][topic], topic
    assert got["rows"] == expected["rows"]


def test_push_resumes_through_its_consumer_group(source: Path, tmp_path: Path) -> None:
    """A push refused midway keeps the confirmed chunks' progress; the next push sends the rest, and one after
    that sends only what is new."""
    with serve_subprocess(tmp_path / "target.db") as url:
        real = DataHubRestEmitter(url)

        class FailsThirdChunk:
            """DataHub's emitter, with the server going away at the third chunk."""

            calls = 0

            def emit_mcps(self, mcps: Any) -> Any:
                FailsThirdChunk.calls += 1
                if FailsThirdChunk.calls == 3:
                    raise ConnectionError("connection reset by peer")
                return real.emit_mcps(mcps)

            def close(self) -> None:
                real.close()

        with open_store(str(source)) as store:
            first = push(store, url, batch_size=40, emitter=FailsThirdChunk())
            assert not first.ok and first.records == 80
            assert "ConnectionError: connection reset by peer" in first.errors[0]
            assert store.consumers.committed(default_group(url)) == {"MetadataChangeProposal_v1": 80}
        second = _push_cli(source, url)
        assert second["ok"] and second["start"] == {"MetadataChangeProposal_v1": 80}
        assert second["records"] == second["end"] - 80
        assert _push_cli(source, url)["records"] == 0  # nothing new
        with open_store(str(source)) as store:
            store.ingest(
                [MetadataChangeProposalWrapper(entityUrn=DS.format("new"), aspect=m.StatusClass(removed=True))]
            )
        third = _push_cli(source, url)
        assert third["records"] == 1 and third["byChangeType"] == {"UPSERT": 1}
    with open_store(str(source), read_only=True) as a, open_store(str(tmp_path / "target.db"), read_only=True) as b:
        assert _contents(b) == _contents(a)


def test_push_of_a_run(source: Path, tmp_path: Path) -> None:
    with serve_subprocess(tmp_path / "target.db") as url:
        report = _push_cli(source, url, "--run", "run-r")
    assert report["ok"] and report["records"] == 1 and report["group"] is None
    with open_store(str(tmp_path / "target.db"), read_only=True) as b:
        assert [r.value["entityUrn"] for r in b.read_topic("MetadataChangeProposal_v1")] == [DS.format("r")]
    with open_store(str(source), read_only=True) as a:
        assert a.consumer_groups() == []  # no progress kept for a run without --group


def test_dry_run_sends_nothing(source: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there: a dry run never connects
    report = _push_cli(source, url, "--dry-run")
    with open_store(str(source), read_only=True) as a:
        n = a.end_offsets()["MetadataChangeProposal_v1"]
        assert a.consumer_groups() == []
    assert report["dryRun"] and report["records"] == n and report["chunks"] == 0
    assert set(report["byChangeType"]) >= {"UPSERT", "PATCH", "DELETE"}


def test_a_token_is_sent_and_a_wrong_one_refused(source: Path, tmp_path: Path) -> None:
    with serve_subprocess(tmp_path / "target.db", token="s3cret") as url:
        refused = _push_cli(source, url, "--token", "wrong", "--retries", "0")
        assert not refused["ok"] and "401" in refused["errors"][0]
        accepted = _push_cli(source, url, "--token", "s3cret")
    assert accepted["ok"] and accepted["records"] == accepted["end"]


def test_an_unreachable_server_is_a_clear_error(source: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(main, ["push", "--db", str(source), "--server", url, "--retries", "0"])
    assert result.exit_code == 1
    assert f"cannot reach a DataHub at {url}" in result.output and "Traceback" not in result.output
    with open_store(str(source)) as store, pytest.raises(PushError):
        push(store, url, retries=0)
