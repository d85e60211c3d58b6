"""storage/sqlite_reads.SqliteReader answers every read the views use exactly as MetadataStore
does (issue 19 item 8: the read commands read with the standard library), and the read commands
never import SQLAlchemy on a SQLite store."""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Any, Iterator, Tuple

import pytest

from litemeta.model.proposal import Proposal
from litemeta.storage import db as storage_db
from litemeta.storage import sqlite_reads
from litemeta.storage.sqlite_reads import SqliteReader, open_reader
from litemeta.store import open_store

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "examples" / "sample.json")
ORDERS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
ALICE = "urn:li:corpuser:alice"


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Any, SqliteReader]]:
    path = str(tmp_path_factory.mktemp("reader") / "store.db")
    with open_store(path) as store:
        store.ingest([SAMPLE])
        store.ingest([Proposal(ALICE, "status", "UPSERT", {"removed": True}, system_metadata={"runId": "r_2%"})])
        store.consume("pe", "alerts", 40)
        store.commit("alerts")
    with open_store(path, read_only=True) as store, SqliteReader(path) as reader:
        yield store, reader


def test_the_reader_knows_the_store_layout() -> None:
    assert sqlite_reads.SCHEMA_VERSION == storage_db.SCHEMA_VERSION


def test_same_answers_as_the_store(both: Tuple[Any, SqliteReader]) -> None:
    store, reader = both
    assert reader.history(ORDERS, "datasetProperties") == store.history(ORDERS, "datasetProperties")
    assert reader.list_urns() == store.list_urns() and reader.list_urns("dataset") == store.list_urns("dataset")
    urns = store.list_urns()
    assert reader.latest_many(urns) == store.latest_many(urns)
    assert reader.latest_many(urns, ["status", "ownership"]) == store.latest_many(urns, ["status", "ownership"])
    assert list(reader.scan(["status", "upstreamLineage"])) == list(store.scan(["status", "upstreamLineage"]))
    tmp = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders_tmp,PROD)"  # the sample soft-deletes it
    assert reader.removed_urns() == store.removed_urns() == [ALICE, tmp]
    for urn in urns + ["urn:li:corpuser:nobody", "urn:li:nosuchtype:x"]:
        assert reader.exists(urn) == store.exists(urn)
        assert reader.exists(urn, include_soft_deleted=False) == store.exists(urn, include_soft_deleted=False)
        assert reader.get(urn) == store.get(urn)
    assert reader.runs() == store.runs()
    for run in ("sample-run-1", "r_2%", "r_2"):  # LIKE's wildcards in a run id match only themselves
        assert reader.run_rows(run) == store.run_rows(run)
        assert reader.run_rows(run, values=False) == store.run_rows(run, values=False)
        for start, count in ((0, None), (3, 5), (50, 10)):
            assert reader.run_page(run, start, count) == store.run_page(run, start, count)
    assert reader.run_page("sample-run-1")[:2] == (54, 12)
    assert reader.aspect_counts() == store.aspect_counts()
    assert reader.timeseries_counts() == store.timeseries_counts()
    assert reader.topic_sizes() == store.topic_sizes() and reader.end_offsets() == store.end_offsets()
    assert reader.consumer_groups() == store.consumer_groups() == ["alerts"]
    assert reader.lag("alerts") == store.lag("alerts") and reader.lag("alerts")["PlatformEvent_v1"] > 0
    for topic in ("mcl", "pe", "mcp"):
        assert reader.read_topic(topic) == store.read_topic(topic)
        assert reader.read_topic(topic, 5, 7) == store.read_topic(topic, 5, 7)
        assert list(reader.iter_topic(topic, 3)) == list(store.iter_topic(topic, 3))
    for urn in (ORDERS, ALICE, "urn:li:corpuser:nobody"):
        keyed = reader.key_records("mcl", urn)
        assert keyed == store.key_records("mcl", urn) == [r for r in store.read_topic("mcl") if r.key == urn]
    assert reader.key_records("mcl", ORDERS)  # not vacuous


def test_open_reader_takes_only_a_store_file_it_knows(tmp_path: pathlib.Path) -> None:
    assert open_reader(str(tmp_path / "missing.db")) is None
    assert open_reader("postgresql://u@h/db") is None and open_reader(":memory:") is None
    other = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert open_reader(str(other)) is None  # not a litemeta store: the full store says what is wrong


READ_COMMANDS = [
    ["get", ORDERS],
    ["get", ORDERS, "-a", "datasetProperties"],
    ["exists", ORDERS],
    ["history", ORDERS, "-a", "datasetProperties"],
    ["list-urns"],
    ["ls"],
    ["ls", "/dataset/hive"],
    ["timeline", ORDERS],
    ["lineage", "--urn", ORDERS, "--direction", "downstream"],
    ["log", "mcl", "--limit", "5"],
    ["log", "pe", "--urn", ORDERS],
    ["runs", "list"],
    ["runs", "show", "--run-id", "sample-run-1"],
    ["stats"],
]


def test_log_with_urn_reads_only_that_entitys_batches_and_misses_nothing(both: Tuple[Any, SqliteReader]) -> None:
    """``log TOPIC --urn U`` reads the batches keyed by U (a column's events by its dataset) and
    prints what a filter over the whole topic prints (the full store with a consumer group)."""
    from click.testing import CliRunner

    from litemeta.cli import main

    _, reader = both
    column = "urn:li:schemaField:(urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD),customer_id)"
    for topic, urn in (("pe", ORDERS), ("pe", column), ("mcl", ORDERS), ("mcp", ALICE), ("pe", ALICE)):
        fast = CliRunner().invoke(main, ["log", topic, "--urn", urn, "--json", "--db", reader.path]).output
        grouped = (
            CliRunner()
            .invoke(main, ["log", topic, "--urn", urn, "--json", "--group", f"g-{topic}-{urn}", "--db", reader.path])
            .output
        )
        assert fast == grouped, (topic, urn)
    assert CliRunner().invoke(main, ["log", "pe", "--urn", column, "--db", reader.path]).output.strip()


def test_read_commands_do_not_import_sqlalchemy(both: Tuple[Any, SqliteReader], tmp_path: pathlib.Path) -> None:
    _, reader = both
    code = (
        "import sys, runpy; sys.argv = ['litemeta'] + sys.argv[1:]\n"
        "from litemeta.cli import main\n"
        "try:\n    main(prog_name='litemeta')\nexcept SystemExit as e:\n    code = e.code\n"
        "print(json.dumps([code, sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy')]))"
    )
    for cmd in READ_COMMANDS:
        proc = subprocess.run(
            [sys.executable, "-c", "import json\n" + code, *cmd, "--db", reader.path],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        status, loaded = json.loads(proc.stdout.strip().splitlines()[-1])
        assert status in (0, None), (cmd, proc.stderr)
        assert loaded == [], f"litemeta {' '.join(cmd)} imported {loaded[:3]}"
