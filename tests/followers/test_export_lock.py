"""Issue 15 item 6, the parts that need no big store: one export at a time per folder (a second one
waits, then fails with a clear error), and a helper process that ends when its parent's pipe
closes (the portable half of "dies with its parent"; tests/followers/test_export_kill.py kills
real exports)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from litemeta.errors import ExportError
from litemeta.followers.export import export_store
from litemeta.followers.export_process import LOCK_FILE, FolderLock
from litemeta.store import open_store


@pytest.fixture
def small_store(tmp_path: Path) -> Path:
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
    from datahub.metadata.schema_classes import StatusClass

    db = tmp_path / "s.db"
    with open_store(str(db)) as s:
        s.ingest([MCPW(entityUrn=f"urn:li:corpuser:u{i}", aspect=StatusClass(removed=False)) for i in range(5)])
    return db


def test_a_second_export_into_a_busy_folder_fails_with_a_clear_error(small_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FolderLock(out), open_store(str(small_store), read_only=True) as s:
        t0 = time.monotonic()
        with pytest.raises(ExportError, match="being written by another export") as e:
            export_store(s.db, s.consumers, out, lock_wait=0.3)
        assert 0.3 <= time.monotonic() - t0 < 5
        assert str(out) in str(e.value)
    assert not list(out.glob("*-0")), "nothing was written while the folder was locked"


def test_a_second_export_waits_for_the_first_to_finish(small_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    lock = FolderLock(out).__enter__()
    threading.Timer(0.3, lock.__exit__).start()
    with open_store(str(small_store), read_only=True) as s:
        report = s.export(out)  # waits (up to 10 s by default), then writes
    assert report.records > 0 and (out / LOCK_FILE).exists()


def test_an_export_ends_with_the_folder_unlocked(small_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with open_store(str(small_store), read_only=True) as s:
        s.export(out, fmt="jsonl")
        with FolderLock(out, wait=0):  # free again at once
            pass


CHILD = """
import os, sys, time
from litemeta import config
config.exit_with_parent(int(sys.argv[1]), sys.stdin.fileno())
print("armed", flush=True)
time.sleep(30)
"""


def test_a_helper_ends_when_its_parents_pipe_closes() -> None:
    import os

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "armed"
        assert child.poll() is None
        assert child.stdin is not None
        child.stdin.close()  # what the kernel does when the parent dies
        assert child.wait(timeout=5) == 1
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_helper_whose_parent_is_already_gone_ends_at_once() -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD, "1"], stdin=subprocess.PIPE, capture_output=True, text=True, timeout=10
    )
    assert child.returncode == 1 and "armed" not in child.stdout
