"""CLI: `litemeta export` (three formats, incremental with --group), `litemeta ingest` of exports
(store A -> export -> fresh store B gives the same aspects and versions), corrupt segments, and
`litemeta replay` into librdkafka's mock cluster on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, List

import fastavro
import pytest
from confluent_kafka import Producer
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as sc
from kafka.record.memory_records import MemoryRecords

from litemeta.cli import COMMANDS
from litemeta.cli.export import FORMAT_CHOICES
from litemeta.followers.export import export
from litemeta.followers.export_process import LOCK_FILE
from litemeta.followers.replay import mock_cluster_address
from litemeta.formats.export_layout import FORMATS
from litemeta.model.events import MCL_VERSIONED_TOPIC, MCP_TOPIC
from litemeta.store import open_store
from tests.conftest import Cli

CLOCK = 1_750_000_000_000


def avro_defaults(mcp: dict) -> dict:
    """An MCP as it reads back from Avro: SystemMetadata's defaults (runId, lastRunId) filled in."""
    sm = mcp.get("systemMetadata")
    if sm is None:
        return mcp
    return {**mcp, "systemMetadata": {"runId": "no-run-id-provided", "lastRunId": "no-run-id-provided", **sm}}


@pytest.fixture
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store opened by the CLI runs on the same clock, so that two stores can be compared row by row."""
    monkeypatch.setattr("litemeta.store.clock_ms", lambda: CLOCK)


def rows(db: Path, table: str) -> List[Any]:
    with sqlite3.connect(db) as c:
        return sorted(c.execute(f"SELECT * FROM {table}"))


def mcpws(start: int, n: int) -> List[MCPW]:
    out = []
    for i in range(start, start + n):
        urn = f"urn:li:dataset:(urn:li:dataPlatform:hive,db.cli_{i % 7},PROD)"
        sm = sc.SystemMetadataClass(lastObserved=1_700_000_000_000 + i, runId=f"run-{i}")
        out.append(MCPW(entityUrn=urn, aspect=sc.DatasetPropertiesClass(description=f"v{i}"), systemMetadata=sm))
    return out


def kafka_python_offsets(folder: Path) -> List[int]:
    """Offsets of every record of a partition folder, read by kafka-python (an independent reader, CRC checked)."""
    out = []
    for seg in sorted(folder.glob("*.log")):
        mr = MemoryRecords(seg.read_bytes())
        while mr.has_next():
            batch = mr.next_batch()
            assert batch.validate_crc()
            out.extend(r.offset for r in batch)
    return out


@pytest.mark.parametrize("fmt", ["kafka-log", "avro", "jsonl"])
def test_store_a_export_fresh_store_b_gives_the_same_aspects_and_versions(
    cli: Cli, fmt: str, tmp_path: Path, corpus_file: Callable[..., Path], pinned_clock: None
) -> None:
    """The MCP topic is the journal of accepted proposals (design.md choice 5): ingesting its export
    rebuilds every aspect row (all versions, R1.1-R1.5), every timeseries row and the same journal."""
    a, b, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "out"
    cli("ingest", "--db", a, corpus_file(size=300, seed=3))
    export_args = ["--topic", "mcp"] if fmt != "kafka-log" else []  # kafka-log: all topics; ingest reads the MCP one
    report = cli.json("export", "--db", a, "--out", out, "--format", fmt, *export_args)
    with open_store(str(a), read_only=True) as s:
        journal = [r.value for r in s.read_topic(MCP_TOPIC)]
    assert report["counts"][MCP_TOPIC] == {"0": len(journal)}
    ingested = cli.json("ingest", "--db", b, out)
    assert (ingested["records"], ingested["failed"]) == (len(journal), 0)
    assert rows(b, "metadata_aspect_v2") == rows(a, "metadata_aspect_v2")
    assert rows(b, "metadata_timeseries") == rows(a, "metadata_timeseries")
    assert any(r[2] > 0 for r in rows(a, "metadata_aspect_v2"))  # history rows (version > 0) took part
    with open_store(str(b), read_only=True) as s:
        assert [avro_defaults(r.value) for r in s.read_topic(MCP_TOPIC)] == [avro_defaults(v) for v in journal]


def test_group_exports_write_only_what_is_new_and_kafka_log_appends(cli: Cli, tmp_path: Path) -> None:
    db, out = tmp_path / "s.db", tmp_path / "out"
    with open_store(str(db)) as s:
        s.ingest(mcpws(0, 10))
        first_sizes = {t: len(s.read_topic(t)) for t in (MCP_TOPIC, MCL_VERSIONED_TOPIC)}
    r1 = cli.json("export", "--db", db, "--out", out, "--group", "nightly")
    assert r1["records"] > 0 and r1["group"] == "nightly"
    assert r1["nextOffsets"][MCP_TOPIC] == first_sizes[MCP_TOPIC] == 10
    with open_store(str(db)) as s:
        s.ingest(mcpws(10, 5))
        assert s.consumers.committed("nightly")[MCP_TOPIC] == 10
    r2 = cli.json("export", "--db", db, "--out", out, "--group", "nightly")
    assert r2["fromOffsets"][MCP_TOPIC] == 10 and r2["counts"][MCP_TOPIC] == {"0": 5}
    assert r2["records"] == sum(sum(p.values()) for p in r2["counts"].values())
    assert kafka_python_offsets(out / f"{MCP_TOPIC}-0") == list(range(15))
    assert len(list((out / f"{MCP_TOPIC}-0").glob("*.log"))) == 2  # appended as a new segment
    assert cli.json("export", "--db", db, "--out", out, "--group", "nightly")["records"] == 0


@pytest.mark.parametrize("fmt", ["avro", "jsonl"])
def test_group_exports_append_to_avro_and_jsonl_files(cli: Cli, fmt: str, tmp_path: Path) -> None:
    """Documented choice: with --group a topic exported before is appended to; without, rewritten."""
    db, out = tmp_path / "s.db", tmp_path / "out"
    path = out / f"{MCP_TOPIC}.{fmt}"

    def read_back() -> List[Any]:
        if fmt == "avro":
            with open(path, "rb") as f:
                return [d["entityUrn"] for d in fastavro.reader(f)]
        return [json.loads(line)["offset"] for line in path.read_text().splitlines()]

    with open_store(str(db)) as s:
        s.ingest(mcpws(0, 8))
    cli("export", "--db", db, "--out", out, "--format", fmt, "--topic", "mcp", "--group", "g")
    assert len(read_back()) == 8
    with open_store(str(db)) as s:
        s.ingest(mcpws(8, 4))
    r = cli.json("export", "--db", db, "--out", out, "--format", fmt, "--topic", "mcp", "--group", "g")
    assert r["records"] == 4
    got = read_back()
    assert len(got) == 12
    if fmt == "jsonl":
        assert got == list(range(12))
    cli("export", "--db", db, "--out", out, "--format", fmt, "--topic", "mcp")  # no group: rewritten
    assert len(read_back()) == 12
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [LOCK_FILE]  # no temporary folder left


def test_topic_filter_and_from_offset(cli: Cli, tmp_path: Path) -> None:
    db, out = tmp_path / "s.db", tmp_path / "out"
    with open_store(str(db)) as s:
        s.ingest(mcpws(0, 10))
        n = len(s.read_topic(MCL_VERSIONED_TOPIC))
    r = cli.json("export", "--db", db, "--out", out, "--topic", "mcl", "--from-offset", "4", "--format", "jsonl")
    assert r["counts"] == {MCL_VERSIONED_TOPIC: {"0": n - 4}}
    lines = [json.loads(x) for x in (out / f"{MCL_VERSIONED_TOPIC}.jsonl").read_text().splitlines()]
    assert [x["offset"] for x in lines] == list(range(4, n))
    assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE, f"{MCL_VERSIONED_TOPIC}.jsonl"]
    text = cli("export", "--db", db, "--out", tmp_path / "o2").output
    assert "Exported" in text and MCP_TOPIC in text
    assert cli("export", "--db", db, "--out", out, "--format", "avro", "--partitions", "2", code=2)
    assert cli("export", "--db", db, "--out", out, "--topic", "nope", code=1).output.count("unknown topic") == 1


def test_corrupt_segment_is_reported_with_topic_partition_offset_and_the_rest_ingested(
    cli: Cli, tmp_path: Path
) -> None:
    """A bad CRC and a truncated batch: each reported with topic, partition and offset; every
    proposal before, between and after them is applied."""
    a, b, out = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "out"
    with open_store(str(a)) as s:
        s.ingest(mcpws(0, 30))
        journal = [r.value for r in s.read_topic(MCP_TOPIC)]
        export(s.iter_topic(MCP_TOPIC), out, records_per_batch=5)
    seg = next((out / f"{MCP_TOPIC}-0").glob("*.log"))
    data = bytearray(seg.read_bytes())
    positions, pos = [], 0
    while pos < len(data):  # batch boundaries: 12 bytes + batchLength each
        positions.append(pos)
        pos += 12 + int.from_bytes(data[pos + 8 : pos + 12], "big")
    data[positions[1] + 80] ^= 0x5A  # offsets 5-9: bad CRC
    seg.write_bytes(bytes(data[: positions[-1] + 30]))  # offsets 25-29: truncated
    report = cli.json("ingest", "--db", b, out, code=1)
    messages = [f"{e.get('position') or ''}: {e['message']}" for e in report["errors"]]
    assert len(messages) == 2
    assert f"topic {MCP_TOPIC}, partition 0, offset 5" in messages[0] and "CRC" in messages[0]
    assert f"topic {MCP_TOPIC}, partition 0, offset 25" in messages[1]
    with open_store(str(b), read_only=True) as s:
        assert [r.value for r in s.read_topic(MCP_TOPIC)] == journal[:5] + journal[10:25]


def test_an_export_without_proposals_is_explained(cli: Cli, tmp_path: Path) -> None:
    db, out = tmp_path / "s.db", tmp_path / "out"
    with open_store(str(db)) as s:
        s.ingest(mcpws(0, 3))
    cli("export", "--db", db, "--out", out, "--topic", "mcl")
    result = cli("ingest", "--db", tmp_path / "b.db", out, code=1)
    assert "holds no MetadataChangeProposal_v1 topic" in result.output


@pytest.fixture
def cluster() -> Iterator[str]:
    owner = Producer({"test.mock.num.brokers": 1, "logger": __import__("logging").getLogger("tests.quiet")})
    yield mock_cluster_address(owner)
    del owner


def test_replay_command_from_a_folder_and_from_the_store(cli: Cli, tmp_path: Path, cluster: str) -> None:
    db, out = tmp_path / "s.db", tmp_path / "out"
    with open_store(str(db)) as s:
        s.ingest(mcpws(0, 10))
        total = sum(len(s.read_topic(t)) for t in s.lag("nobody"))
    cli("export", "--db", db, "--out", out)
    r = cli.json(
        "replay",
        "--bootstrap-servers",
        cluster,
        "--from",
        out,
        "--schema-registry",
        "mock://cli-test",
        "--timeout",
        "10",
    )
    assert r["records"] == total and r["failed"] == 0 and r["corrupt"] == []
    assert r["progress"] == f"file {out / 'replay-progress.json'}"
    again = cli.json("replay", "--bootstrap-servers", cluster, "--from", out, "--timeout", "10")
    assert again["records"] == 0 and again["skipped"] == total
    text = cli("replay", "-b", cluster, "--db", db, "--topic", "mcp", "--schema-id", "mcp=9", "--timeout", "10").output
    assert "Replayed 10 records" in text and "schema id 9" in text and f"consumer group replay-{cluster}" in text


def test_replay_errors_are_messages_not_tracebacks(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    with open_store(str(db)) as s:
        s.ingest(mcpws(0, 2))
    r = cli("replay", "-b", "127.0.0.1:1", "--db", db, "--timeout", "1", code=1)
    assert "cannot reach Kafka at 127.0.0.1:1 within 1 s" in r.output
    assert "TOPIC=ID" in cli("replay", "-b", "mock", "--db", db, "--schema-id", "mcp", code=1).output
    assert cli("replay", "-b", "mock", "--db", db, "--from", tmp_path, code=2)
    assert "not an export" in cli("replay", "-b", "mock", "--from", db, code=1).output
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)
    assert "pip install 'litemeta[kafka]'" in cli("replay", "-b", "localhost:9092", "--db", db, code=1).output


def test_commands_are_registered_with_help_and_examples(cli: Cli) -> None:
    assert FORMAT_CHOICES == FORMATS
    for name in ("export", "replay"):
        assert name in COMMANDS
        text = cli(name, "--help").output
        assert "Examples:" in text and f"litemeta {name}" in text
    assert "litemeta export --out export/" in cli("export", "--help").output
    assert (
        "litemeta replay --bootstrap-servers localhost:9092 --schema-registry http://localhost:8081 --from export/"
        in cli("replay", "--help").output
    )
