"""Issue 15 items 10, 11, 13, 14: ``--db`` values, foreign databases, newer schemas and resource
faults give one clear line naming the file and what to do (exit code 1), never a traceback, and
nothing is written where it must not be."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from typing import Any, Iterator, List

import pytest
from click.testing import CliRunner

from litemeta.cli import main
from litemeta.store import open_store

SAMPLE = str(pathlib.Path(__file__).resolve().parents[2] / "examples" / "sample.json")
ALICE = "urn:li:corpuser:alice"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(*args: str, code: int = 1) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


def cli(*args: str) -> subprocess.CompletedProcess:
    """The ``litemeta`` command in a process of its own (what a user sees on stderr, and its exit code)."""
    return subprocess.run([sys.executable, "-m", "litemeta", *args], capture_output=True, text=True, timeout=120)


def one_line(proc: subprocess.CompletedProcess, *words: str) -> str:
    """The process failed with exit code 1 and one ``Error:`` line on stderr holding ``words``."""
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------- item 10
def test_db_without_a_url_scheme_is_a_literal_path(tmp_path: pathlib.Path) -> None:
    """`ingest --db 'd/q?x=1.db'` wrote `d/q`; `get --db 'a#b.db'` created an empty `a`."""
    (tmp_path / "d").mkdir()
    odd = str(tmp_path / "d" / "q?x=1.db")
    run("ingest", SAMPLE, "--db", odd, code=0)
    assert sorted(p.name for p in (tmp_path / "d").iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["q?x=1.db"]
    assert '"username": "alice"' in run("get", ALICE, "--db", odd, code=0).output
    assert run("exists", ALICE, "--db", odd, code=0).output.strip() == "true"
    assert "alice" in run("search", "alice", "--db", odd, code=0).output
    assert sorted(p.name for p in (tmp_path / "d").iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "q?x=1.db",
        "q?x=1.db.index",
    ]
    hashed = str(tmp_path / "a#b.db")
    for command in ("get", "exists", "search"):
        out = run(command, ALICE if command != "search" else "alice", "--db", hashed).output
        assert "no litemeta store at" in out and "a#b.db" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]  # no file `a`, no `a#b.db`


def test_a_url_is_still_a_url(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "u.db"
    run("ingest", SAMPLE, "--db", f"sqlite:///{path}", code=0)
    assert run("exists", ALICE, "--db", str(path), code=0).output.strip() == "true"


# --------------------------------------------------------------------------------- item 11
@pytest.fixture()
def lite_db(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A DataHub Lite database written by acryl-datahub's own Lite (sqlite engine)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATAHUB_TELEMETRY_ENABLED", "false")
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
    from datahub.lite.lite_util import get_datahub_lite
    from datahub.metadata.schema_classes import StatusClass

    path = tmp_path / "lite" / "datahub.db"
    path.parent.mkdir()
    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(path)}})
    lite.write(MCPW(entityUrn="urn:li:corpuser:x", aspect=StatusClass(removed=False)))
    lite.close()
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", SAMPLE],
        ["get", ALICE],
        ["exists", ALICE],
        ["search", "x"],
        ["reindex"],
        ["list-urns"],
        ["export", "--out", "{tmp}/exp"],
    ],
)
def test_a_datahub_lite_database_is_refused_and_left_untouched(
    lite_db: pathlib.Path, tmp_path: pathlib.Path, args: List[str]
) -> None:
    """Both use metadata_aspect_v2: litemeta added its tables and an index folder to the Lite file."""
    before = digest(lite_db)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    line = one_line(cli(*args, "--db", str(lite_db)), str(lite_db), "DataHub Lite database", "datahub-lite")
    assert "recipe" in line
    assert digest(lite_db) == before
    assert sorted(p.name for p in lite_db.parent.iterdir()) == ["datahub.db"]  # no -wal, no index folder
    with sqlite3.connect(lite_db) as con:
        assert {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")} == {
            "metadata_aspect_v2",
            "metadata_edge_v2",
        }


def test_unrelated_tables_are_left_alone(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        con.execute("INSERT INTO customers VALUES (1, 'ann')")
    run("ingest", SAMPLE, "--db", str(path), code=0)
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT * FROM customers").fetchall() == [(1, "ann")]
    assert run("exists", ALICE, "--db", str(path), code=0).output.strip() == "true"


def test_a_table_of_litemeta_s_name_without_its_marker_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE topic_log (id INTEGER)")
    before = digest(path)
    one_line(cli("ingest", SAMPLE, "--db", str(path)), "not a litemeta store", "topic_log")
    assert digest(path) == before


# --------------------------------------------------------------------------------- item 14
@pytest.fixture(scope="module")
def newer_store(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("newer") / "s.db"
    with open_store(str(path)) as store:
        assert store.ingest([SAMPLE]).failed == 0
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("INSERT INTO litemeta_schema_version VALUES (3, 0)")
        con.commit()
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["get", ALICE],
        ["exists", ALICE],
        ["search", "alice"],
        ["reindex"],
        ["dump", "{tmp}/d.json"],
        ["export", "--out", "{tmp}/exp"],
        ["log", "mcl"],
        ["stats"],
        ["list-urns"],
        ["history", ALICE, "-a", "corpUserInfo"],
        ["timeline", ALICE],
        ["ingest", SAMPLE],
    ],
)
def test_a_store_of_a_newer_schema_is_refused_by_every_command(
    newer_store: pathlib.Path, tmp_path: pathlib.Path, args: List[str]
) -> None:
    """Writes were refused; reads, exports, dumps and reindex went on without a word."""
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    out = run(*args, "--db", str(newer_store)).output
    assert "schema version 3" in out and "Upgrade litemeta" in out
    assert not (tmp_path / "d.json").exists() and not (tmp_path / "exp").exists()


# --------------------------------------------------------------------------------- item 13
@pytest.fixture()
def store_path(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "s.db"
    with open_store(str(path)) as store:
        assert store.ingest([SAMPLE]).failed == 0
    return path


@pytest.mark.parametrize("damage", ["random-bytes", "pages"])
@pytest.mark.parametrize("args", [["get", ALICE], ["exists", ALICE], ["list-urns"], ["ingest", SAMPLE]])
def test_a_corrupt_database_gives_one_line(store_path: pathlib.Path, damage: str, args: List[str]) -> None:
    data = bytearray(store_path.read_bytes())
    if damage == "random-bytes":
        data = bytearray(os.urandom(len(data)))
    else:
        data[100:4096] = b"\xff" * 3996  # the schema page
    store_path.write_bytes(bytes(data))
    for extra in store_path.parent.glob("s.db-*"):
        extra.unlink()
    one_line(cli(*args, "--db", str(store_path)), str(store_path))


@contextlib.contextmanager
def read_only(folder: pathlib.Path, *files: pathlib.Path) -> Iterator[None]:
    """``folder`` (and ``files`` in it) not writable: by permissions, or, for root (whom permissions
    do not stop), by a read-only bind mount of the folder."""
    if ROOT:
        if (
            not shutil.which("mount")
            or subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode != 0
        ):
            pytest.skip("a read-only folder needs a bind mount, which needs root")
        try:
            subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True, capture_output=True)
            yield
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        return
    modes = {p: p.stat().st_mode for p in (folder, *files)}
    for p in files:
        p.chmod(0o444)
    folder.chmod(0o555)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


def _store_in(folder: pathlib.Path) -> pathlib.Path:
    path = folder / "s.db"
    with open_store(str(path)) as store:
        assert store.ingest([SAMPLE]).failed == 0
    return path


@pytest.mark.parametrize("args", [["get", ALICE], ["exists", ALICE], ["search", "alice"], ["list-urns"]])
def test_reads_in_a_folder_that_is_not_writable(tmp_path: pathlib.Path, args: List[str]) -> None:
    """SQLite writes -shm beside a WAL store even to read it: a traceback in a read-only folder."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _store_in(folder)
    for p in folder.iterdir():
        if p.name.endswith(("-wal", "-shm")):
            p.unlink()
    with read_only(folder):
        one_line(cli(*args, "--db", str(path)), str(path), "writable")


def test_ingest_into_a_read_only_store_is_one_line(tmp_path: pathlib.Path) -> None:
    """It printed the SQL and its parameters over 4 lines."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = _store_in(folder)
    with read_only(folder, path):
        line = one_line(cli("ingest", SAMPLE, "--db", str(path)), str(path), "writable")
    assert "INSERT" not in line and "UPDATE" not in line and "SELECT" not in line


@contextlib.contextmanager
def full_disk() -> Iterator[pathlib.Path]:
    """A 512 KB tmpfs (root only; skipped elsewhere)."""
    if not ROOT or not shutil.which("mount"):
        pytest.skip("a full disk needs a tmpfs mount, which needs root")
    with tempfile.TemporaryDirectory(prefix="litemeta-full-") as name:
        folder = pathlib.Path(name)
        if (
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder)], capture_output=True
            ).returncode
            != 0
        ):
            pytest.skip("cannot mount a tmpfs here")
        try:
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--out", "{full}/exp"],
        ["export", "--out", "{full}/exp", "--format", "jsonl"],
        ["export", "--out", "{full}/exp", "--format", "avro"],
        ["dump", "{full}/d.json"],
    ],
)
def test_export_and_dump_on_a_full_disk(corpus_file: Any, tmp_path: pathlib.Path, args: List[str]) -> None:
    db = str(tmp_path / "big.db")
    with open_store(db) as store:
        assert store.ingest([str(corpus_file(1500, 5))]).failed == 0
    with full_disk() as full:
        args = [a.replace("{full}", str(full)) for a in args]
        one_line(cli(*args, "--db", db), str(full), "No space left on device", "free some space")
