"""The folder watcher: real watchdog observers on temporary folders, slow writers, restarts, --once."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Iterator, List, Optional, Tuple

import datahub.metadata.schema_classes as S
import pytest
from datahub.emitter.mce_builder import make_dataset_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.sink.file import write_metadata_file

from litemeta.sources import watch as wt
from litemeta.sources import watch_state as ws
from litemeta.sources.watch import FileOutcome, FolderWatcher
from litemeta.sources.watch_state import Pending, WatchOptions
from litemeta.store import MetadataStore, open_store
from tests.conftest import Cli

SETTLE = 0.3
FAST = dict(settle_seconds=SETTLE, poll_interval=0.05)


def mcps(n: int, prefix: str = "t") -> List[Any]:
    return [
        W(
            entityUrn=make_dataset_urn("hive", f"db.{prefix}{i}"),
            aspect=S.DatasetPropertiesClass(name=f"{prefix}{i}", description="x" * 200),
        )
        for i in range(n)
    ]


def sdk_bytes(tmp_path: pathlib.Path, n: int, prefix: str = "t") -> bytes:
    """A DataHub file-sink JSON array written by the SDK's own writer."""
    p = tmp_path / f"_src_{prefix}_{n}.json"
    write_metadata_file(p, mcps(n, prefix))
    data = p.read_bytes()
    p.unlink()
    return data


def jsonl_bytes(n: int, prefix: str = "l") -> bytes:
    return b"".join(json.dumps(m.to_obj(simplified_structure=True)).encode() + b"\n" for m in mcps(n, prefix))


class Recorder:
    """The ingest callable: store.ingest, noting each file's size and the time of the call."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store
        self.calls: List[Tuple[str, int, float]] = []

    def __call__(self, items: List[str], run_id: Optional[str] = None) -> Any:
        self.calls.append((items[0], os.path.getsize(items[0]), time.time()))
        return self.store.ingest(items, run_id=run_id)


@pytest.fixture
def inbox(tmp_path: pathlib.Path) -> pathlib.Path:
    d = tmp_path / "inbox"
    d.mkdir()
    return d


def wait_for(cond: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@contextlib.contextmanager
def watching(folder: pathlib.Path, ingest: Any, **opts: Any) -> Iterator[Tuple[FolderWatcher, List[FileOutcome]]]:
    """A watcher running with a real observer in a thread; stopped (bounded) at the end."""
    w = FolderWatcher(str(folder), ingest, WatchOptions(**{**FAST, **opts}))
    stop = threading.Event()
    outcomes: List[FileOutcome] = []
    errors: List[BaseException] = []

    def target() -> None:
        try:
            w.run(stop, outcomes.append)
        except BaseException as e:  # surfaced by the test
            errors.append(e)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    assert w.started.wait(10), "watcher did not start"
    try:
        yield w, outcomes
    finally:
        stop.set()
        t.join(10)
        assert not t.is_alive(), "watcher did not stop"
        assert not errors, errors


def slow_write(
    path: pathlib.Path, data: bytes, chunks: int, pause: float, pause_at: Optional[Tuple[int, float]] = None
) -> float:
    """Write ``data`` through one open handle in ``chunks`` pieces; return the time it was closed."""
    step = max(1, len(data) // chunks)
    with open(path, "wb") as f:
        for i, start in enumerate(range(0, len(data), step)):
            f.write(data[start : start + step])
            f.flush()
            time.sleep(pause_at[1] if pause_at and i == pause_at[0] else pause)
    return time.time()


# ------------------------------------------------------------------------------ pure decisions
def test_decide() -> None:
    opts = WatchOptions(settle_seconds=1.0, incomplete_timeout=10.0, open_timeout=100.0)
    now = 1_000.0
    fresh = Pending(size=5, mtime_ns=int((now - 0.5) * 1e9))
    assert ws.decide(fresh, now, opts) == ws.WAIT  # changed 0.5 s ago
    old = Pending(size=5, mtime_ns=int((now - 5) * 1e9))
    assert ws.decide(old, now, opts) == ws.CHECK
    assert ws.decide(Pending(5, old.mtime_ns, changed_at=now - 0.2), now, opts) == ws.WAIT  # seen changing
    assert ws.decide(Pending(5, old.mtime_ns, opens=1), now, opts) == ws.WAIT  # a writer holds it open
    assert ws.decide(Pending(5, old.mtime_ns, closed=True), now, opts) == ws.INGEST
    assert ws.decide(Pending(5, old.mtime_ns, parses=ws.COMPLETE), now, opts) == ws.INGEST
    assert ws.decide(Pending(5, old.mtime_ns, parses=ws.BROKEN), now, opts) == ws.INGEST
    assert ws.decide(Pending(5, old.mtime_ns, parses=ws.INCOMPLETE), now, opts) == ws.WAIT
    stale = Pending(5, int((now - 20) * 1e9), parses=ws.INCOMPLETE)
    assert ws.decide(stale, now, opts) == ws.INGEST  # unchanged past incomplete_timeout: broken


def test_parse_state(tmp_path: pathlib.Path) -> None:
    data = sdk_bytes(tmp_path, 3)
    cases = {
        "full.json": data,
        "cut.json": data[:-40],
        "empty.json": b"",
        "junk.json": b"hello",
        "lines.jsonl": jsonl_bytes(2),
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
    assert {n: ws.parse_state(str(tmp_path / n)) for n in cases} == {
        "full.json": "complete",
        "cut.json": "incomplete",
        "empty.json": "incomplete",
        "junk.json": "broken",
        "lines.jsonl": "complete",
    }


def test_run_id_for() -> None:
    assert ws.run_id_for("sub/nightly-42.json", WatchOptions(run_id_from="filename")) == "nightly-42"
    assert ws.run_id_for("a.jsonl", WatchOptions(run_id="fixed", run_id_from="filename")) == "fixed"
    assert ws.run_id_for("a.json", WatchOptions()) is None


# ------------------------------------------------------------------------------ --once
def test_once_ingests_and_moves(store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (inbox / "good.json").write_bytes(sdk_bytes(tmp_path, 5))
    (inbox / "notes.txt").write_text("not mine")
    (inbox / ".hidden.json").write_bytes(b"[")
    rec = Recorder(store)
    outcomes = FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    assert [(os.path.basename(o.path), o.status, o.written) for o in outcomes] == [("good.json", "processed", 5)]
    assert sorted(os.listdir(inbox)) == [".hidden.json", "failed", "notes.txt", "processed"]
    assert (inbox / "processed" / "good.json").exists()
    assert len(store.list_urns("dataset")) == 5


def test_error_json_lists_every_rejected_record(store: MetadataStore, inbox: pathlib.Path) -> None:
    good = W(entityUrn=make_dataset_urn("hive", "db.ok"), aspect=S.StatusClass(removed=False)).to_obj()
    bad_urn = {**good, "entityUrn": "not-an-urn"}
    bad_aspect = {**good, "aspectName": "nopeAspect"}
    (inbox / "mixed.json").write_text(json.dumps([good, bad_urn, bad_aspect]))
    (inbox / "junk.json").write_text("this is not json")
    outcomes = FolderWatcher(str(inbox), store.ingest, WatchOptions(**FAST)).run_once(lambda o: None)
    by_name = {os.path.basename(o.path): o for o in outcomes}
    assert by_name["mixed.json"].status == "processed" and by_name["junk.json"].status == "failed"
    report = json.loads((inbox / "processed" / "mixed.json.error.json").read_text())
    assert (report["records"], report["written"], report["failed"]) == (3, 1, 2)
    assert [(e["index"], e["urn"], e["aspect"]) for e in report["errors"]] == [
        (1, "not-an-urn", "status"),
        (2, good["entityUrn"], "nopeAspect"),
    ]
    assert all(e["message"] for e in report["errors"])
    assert (inbox / "failed" / "junk.json").read_text() == "this is not json"
    failed = json.loads((inbox / "failed" / "junk.json.error.json").read_text())
    assert failed["written"] == 0 and "not a metadata file" in failed["errors"][0]["message"]
    assert not (inbox / "processed" / "junk.json").exists()


@pytest.mark.slow
def test_once_leaves_a_file_still_being_written(
    store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """A cut JSON array written just now is left for the next run, then taken as broken when it stays so."""
    data = sdk_bytes(tmp_path, 4)
    (inbox / "cut.json").write_bytes(data[: len(data) // 2])
    rec = Recorder(store)
    outcomes = FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    assert [o.status for o in outcomes] == ["left"] and rec.calls == [] and (inbox / "cut.json").exists()
    old = time.time() - 120
    os.utime(inbox / "cut.json", (old, old))
    outcomes = FolderWatcher(str(inbox), rec, WatchOptions(incomplete_timeout=60, **FAST)).run_once(lambda o: None)
    assert [o.status for o in outcomes] == ["processed"]  # the records before the cut are kept
    assert (inbox / "processed" / "cut.json.error.json").exists() and len(rec.calls) == 1


def test_restart_does_not_ingest_twice(
    store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash after the ledger write but before the move: the restarted watcher moves the file
    without ingesting it again."""
    (inbox / "a.json").write_bytes(sdk_bytes(tmp_path, 3))
    rec = Recorder(store)

    def crash(self: FolderWatcher, src: str, dest: str, held: Any) -> str:
        raise RuntimeError("simulated crash before the move")

    monkeypatch.setattr(FolderWatcher, "_move", crash)
    with pytest.raises(RuntimeError):
        FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    monkeypatch.undo()
    assert (inbox / "a.json").exists() and len(rec.calls) == 1
    mcp_records = len(store.read_topic("MetadataChangeProposal_v1"))
    outcomes = FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    assert [o.status for o in outcomes] == ["duplicate"] and len(rec.calls) == 1
    assert len(store.read_topic("MetadataChangeProposal_v1")) == mcp_records
    assert (inbox / "processed" / "a.json").exists() and not (inbox / "a.json").exists()
    ledger = (inbox / "processed" / wt.LEDGER_NAME).read_text().splitlines()
    entry = json.loads(ledger[0])
    assert len(ledger) == 1 and entry["name"] == "a.json" and len(entry["sha256"]) == 64


def test_same_name_new_content_is_ingested_again(
    store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    (inbox / "a.json").write_bytes(sdk_bytes(tmp_path, 2, "x"))
    rec = Recorder(store)
    FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    (inbox / "a.json").write_bytes(sdk_bytes(tmp_path, 3, "y"))
    outcomes = FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    assert [o.status for o in outcomes] == ["processed"] and len(rec.calls) == 2
    assert sorted(os.listdir(inbox / "processed")) == [wt.LEDGER_NAME, "a.1.json", "a.json"]


# ------------------------------------------------------------------------------ real observer
@pytest.mark.slow
def test_slow_writer_json_array_is_not_ingested_before_it_is_complete(
    store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    data = sdk_bytes(tmp_path, 300)
    rec = Recorder(store)
    with watching(inbox, rec) as (_, outcomes):
        done = slow_write(inbox / "big.json", data, chunks=15, pause=0.1)
        wait_for(lambda: len(outcomes) == 1)
    assert len(rec.calls) == 1
    _, size, when = rec.calls[0]
    assert size == len(data) and when >= done
    assert outcomes[0].status == "processed" and outcomes[0].written == 300
    assert len(store.list_urns("dataset")) == 300


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="open/close events are inotify's")
def test_slow_writer_pausing_at_a_record_boundary(store: MetadataStore, inbox: pathlib.Path) -> None:
    """JSON Lines parse at every line end; a writer that pauses longer than the settle period with
    the file open is still waited for (it has not closed the file)."""
    lines = jsonl_bytes(40)
    half = lines.index(b"\n", len(lines) // 2) + 1
    rec = Recorder(store)
    with watching(inbox, rec) as (_, outcomes):
        with open(inbox / "feed.jsonl", "wb") as f:
            f.write(lines[:half])
            f.flush()
            time.sleep(SETTLE * 4)
            assert rec.calls == [], "ingested while the writer still had the file open"
            f.write(lines[half:])
        done = time.time()
        wait_for(lambda: len(outcomes) == 1)
    assert [(size, when >= done) for _, size, when in rec.calls] == [(len(lines), True)]
    assert outcomes[0].written == 40


def test_temp_name_then_rename(store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path) -> None:
    data = sdk_bytes(tmp_path, 50)
    rec = Recorder(store)
    with watching(inbox, rec) as (_, outcomes):
        slow_write(inbox / ".incoming.json.part", data, chunks=5, pause=0.1)
        os.rename(inbox / ".incoming.json.part", inbox / "published.json")
        wait_for(lambda: len(outcomes) == 1)
    assert [(os.path.basename(p), size) for p, size, _ in rec.calls] == [("published.json", len(data))]
    assert outcomes[0].written == 50


def test_files_present_at_start_and_later(store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path) -> None:
    (inbox / "before.json").write_bytes(sdk_bytes(tmp_path, 2, "b"))
    (inbox / "sub").mkdir()
    with watching(inbox, store.ingest, recursive=True, run_id_from="filename") as (_, outcomes):
        wait_for(lambda: len(outcomes) == 1)
        (inbox / "sub" / "later.json").write_bytes(sdk_bytes(tmp_path, 3, "l"))
        wait_for(lambda: len(outcomes) == 2)
    assert [(os.path.relpath(o.moved_to or "", inbox), o.run_id) for o in outcomes] == [
        ("processed/before.json", "before"),
        ("processed/sub/later.json", "later"),
    ]
    assert {r["runId"] for r in store.runs()} == {"before", "later"}


def test_stop_is_prompt(store: MetadataStore, inbox: pathlib.Path) -> None:
    before = {t.ident for t in threading.enumerate()}
    t0 = time.time()
    with watching(inbox, store.ingest):
        pass
    assert time.time() - t0 < 5
    wait_for(lambda: {t.ident for t in threading.enumerate() if t.is_alive()} <= before, timeout=5)


# ------------------------------------------------------------------------------ CLI
def test_cli_once(cli: Cli, tmp_path: pathlib.Path, inbox: pathlib.Path) -> None:
    db = str(tmp_path / "cli.db")
    (inbox / "nightly-42.json").write_bytes(sdk_bytes(tmp_path, 4))
    (inbox / "junk.json").write_text("nope")
    res = cli(
        "watch", str(inbox), "--once", "--settle", "0.1", "--run-id-from", "filename", "--json", "--db", db, code=None
    )
    assert res.exit_code == 1, res.output  # a file failed
    lines = [json.loads(x) for x in res.output.splitlines() if x.startswith("{")]
    assert {(os.path.basename(d["path"]), d["status"]) for d in lines} == {
        ("nightly-42.json", "processed"),
        ("junk.json", "failed"),
    }
    with open_store(db, read_only=True) as s:
        assert [r["runId"] for r in s.runs()] == ["nightly-42"]
    res = cli("watch", str(inbox), "--once", "--db", db, code=None)
    assert res.exit_code == 0 and res.output == ""
    res = cli("watch", str(tmp_path / "nowhere"), "--once", "--db", db, code=None)
    assert res.exit_code == 1 and "not a folder" in res.output and "Traceback" not in res.output


@pytest.mark.slow
def test_cli_ctrl_c_stops_cleanly(tmp_path: pathlib.Path, inbox: pathlib.Path) -> None:
    db = str(tmp_path / "sig.db")
    proc = subprocess.Popen(
        [sys.executable, "-m", "litemeta", "watch", str(inbox), "--settle", "0.2", "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True).start()  # type: ignore[union-attr]
    try:
        assert "watching" in lines.get(timeout=30)
        (inbox / "a.json").write_bytes(sdk_bytes(tmp_path, 2))
        wait_for(lambda: (inbox / "processed" / "a.json").exists())
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "processed" in proc.stdout.read()  # type: ignore[union-attr]
    rest = []
    with contextlib.suppress(queue.Empty):
        while True:
            rest.append(lines.get(timeout=2).strip())
    assert rest == ["stopped"]  # and nothing else: no traceback, no noise


# ------------------------------------------------------------ shared, hostile folders (issue 15)
def test_a_file_another_watcher_holds_is_left_to_it(
    store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """Issue 15 item 7: the claim is an exclusive lock (as another watcher process takes it): the
    file is neither ingested nor reported while it is held, and is handled once it is free."""
    from litemeta.sources.watch_files import claim

    (inbox / "a.json").write_bytes(sdk_bytes(tmp_path, 3))
    rec = Recorder(store)
    held = claim(str(inbox / "a.json"))
    assert held is not None
    try:
        assert FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None) == []
        assert rec.calls == [] and (inbox / "a.json").exists()
    finally:
        held.release()
    outcomes = FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    assert [o.status for o in outcomes] == ["processed"] and len(rec.calls) == 1


def test_two_watch_processes_on_one_folder_ingest_each_file_once(tmp_path: pathlib.Path, inbox: pathlib.Path) -> None:
    """Issue 15 item 7: both ingested the same file; the loser died with a FileNotFoundError."""
    db = str(tmp_path / "two.db")
    open_store(db).close()
    for i in range(12):
        (inbox / f"f{i:02d}.json").write_bytes(sdk_bytes(tmp_path, 40, prefix=f"p{i}_"))
    old = time.time() - 60
    for p in inbox.iterdir():
        os.utime(p, (old, old))  # settled already: both watchers go for the same files at once
    cmd = [sys.executable, "-m", "litemeta", "watch", str(inbox), "--once", "--settle", "0.05", "--json", "--db", db]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, results):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    handled = [json.loads(x)["path"] for out, _ in results for x in out.splitlines() if x.startswith("{")]
    assert sorted(os.path.basename(h) for h in handled) == [f"f{i:02d}.json" for i in range(12)]  # once each
    with open_store(db, read_only=True) as s:
        assert len(s.read_topic("MetadataChangeProposal_v1")) == 12 * 40
    assert sorted(p.name for p in (inbox / "processed").iterdir() if p.suffix == ".json") == [
        f"f{i:02d}.json" for i in range(12)
    ]


def test_a_symbolic_link_is_never_followed(store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path) -> None:
    """Issue 15 item 8: `in/x.json -> /elsewhere/secret` was ingested, or its first bytes copied
    into a world-readable error file. The link itself moves to failed/; the target is not read."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    secret = elsewhere / "secret.json"
    secret.write_bytes(sdk_bytes(tmp_path, 2, prefix="secret"))
    not_json = elsewhere / "passwords"
    not_json.write_text("root:hunter2\n")
    os.symlink(secret, inbox / "x.json")
    os.symlink(not_json, inbox / "y.json")
    rec = Recorder(store)
    outcomes = FolderWatcher(str(inbox), rec, WatchOptions(**FAST)).run_once(lambda o: None)
    assert sorted((os.path.basename(o.path), o.status) for o in outcomes) == [
        ("x.json", "failed"),
        ("y.json", "failed"),
    ]
    assert rec.calls == [] and store.list_urns() == []
    for name in ("x.json", "y.json"):
        moved = inbox / "failed" / name
        assert moved.is_symlink()  # the link moved, not a copy of its target
        report = inbox / "failed" / (name + wt.ERROR_SUFFIX)
        assert "symbolic link" in report.read_text() and "hunter2" not in report.read_text()
        assert report.stat().st_mode & 0o077 == 0  # not readable by others
    assert secret.read_bytes() == sdk_bytes(tmp_path, 2, prefix="secret") and not_json.exists()


@pytest.mark.parametrize("planted", ["processed", "failed"])
def test_a_planted_processed_or_failed_link_is_refused(
    store: MetadataStore, inbox: pathlib.Path, cli: Cli, tmp_path: pathlib.Path, planted: str
) -> None:
    """Issue 15 item 8: a `processed`/`failed` link redirected moves, the ledger and error files."""
    target = tmp_path / "target"
    target.mkdir()
    os.symlink(target, inbox / planted)
    (inbox / "a.json").write_bytes(sdk_bytes(tmp_path, 2))
    with pytest.raises(wt.ConfigurationError, match="symbolic link"):
        FolderWatcher(str(inbox), Recorder(store), WatchOptions(**FAST))
    res = cli("watch", str(inbox), "--once", "--db", str(tmp_path / "c.db"), code=1)
    assert "symbolic link" in res.output
    assert list(target.iterdir()) == [] and (inbox / "a.json").exists()


def test_a_link_planted_after_start_is_not_written_through(
    store: MetadataStore, inbox: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    """The folders are checked again before every move and write, and error files are created
    exclusively: a link planted under the error file's name is replaced, its target untouched."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    w = FolderWatcher(str(inbox), Recorder(store), WatchOptions(**FAST))
    (inbox / "bad.json").write_text("[1, 2]")
    os.symlink(victim, inbox / "failed" / ("bad.json" + wt.ERROR_SUFFIX))
    outcomes = w.run_once(lambda o: None)
    assert [o.status for o in outcomes] == ["failed"]
    assert victim.read_text() == "keep me"
    (inbox / "other.json").write_text("[1]")
    os.rename(inbox / "failed", inbox / "failed-real")
    os.symlink(tmp_path, inbox / "failed")
    outcomes = w.run_once(lambda o: None)
    assert [o.status for o in outcomes] == ["error"] and "symbolic link" in (outcomes[0].message or "")
    assert not (tmp_path / "other.json").exists() and (inbox / "other.json").exists()


@pytest.mark.parametrize("mode", [0o600, 0o640])
def test_an_error_file_has_at_most_the_source_file_s_permissions(
    store: MetadataStore, inbox: pathlib.Path, mode: int
) -> None:
    """Issue 15 item 8: error files quote the content of the file they describe."""
    bad = inbox / "bad.json"
    bad.write_text('[{"entityUrn": "urn:li:corpuser:x", "aspectName": "status", "changeType": "UPSERT"}]')
    bad.chmod(mode)
    [outcome] = FolderWatcher(str(inbox), Recorder(store), WatchOptions(**FAST)).run_once(lambda o: None)
    assert outcome.error_file is not None
    assert os.stat(outcome.error_file).st_mode & 0o777 & ~mode == 0
