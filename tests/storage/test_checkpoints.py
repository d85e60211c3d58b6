"""WAL checkpoints during an ingest (storage/db.py): committed batches reach the database file while
the ingest goes on, and the store is whole (no WAL left) when the ingest ends."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any, List

import datahub.metadata.schema_classes as m
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

import litemeta


def _rows_in_database_file(path: str) -> int:
    """Aspect rows in the database file itself: ``immutable=1`` makes SQLite ignore the WAL."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM metadata_aspect_v2").fetchone()[0])
    except sqlite3.DatabaseError:  # the table is still only in the WAL, or a checkpoint is mid-copy
        return 0
    finally:
        conn.close()


def test_committed_batches_are_checkpointed_while_the_ingest_goes_on(tmp_path: Any) -> None:
    """After each batch that more input follows, a checkpoint runs on a thread of its own: before
    the next batch is written, the rows of the batches committed so far are in the database file,
    not only in the WAL (without it they would reach the file at the ingest's end). Each corpuser
    gets its key and status rows, so batch k (3 proposals) leaves 6 * k rows. The last batch is
    checkpointed by the session's close, and the database file is whole at the end."""
    path = str(tmp_path / "ck.db")
    recs = [MCPW(entityUrn=f"urn:li:corpuser:u{i}", aspect=m.StatusClass(removed=False)) for i in range(12)]
    seen: List[int] = []

    def after_batch(n: int) -> None:
        expected = 6 * (len(seen) + 1)
        deadline = time.monotonic() + (10 if len(seen) < 3 else 0)
        rows = _rows_in_database_file(path)
        while rows < expected and time.monotonic() < deadline:
            time.sleep(0.01)
            rows = _rows_in_database_file(path)
        seen.append(rows)
        assert any(t.name == "litemeta-checkpoint" for t in threading.enumerate())

    with litemeta.open_store(path) as s:
        s.ingest(recs, batch_size=3, progress=after_batch)
        assert not any(t.name == "litemeta-checkpoint" for t in threading.enumerate())
    assert seen == [6, 12, 18, 18]
    assert _rows_in_database_file(path) == 24 and not os.path.exists(path + "-wal")


def test_a_one_batch_ingest_starts_no_checkpoint_thread(tmp_path: Any) -> None:
    """A single transaction (an emitter's record) leaves its checkpoint to the session's close."""
    started: List[str] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        started.append(self.name)
        real_start(self)

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        with litemeta.open_store(str(tmp_path / "one.db")) as s:
            s.ingest([MCPW(entityUrn="urn:li:corpuser:one", aspect=m.StatusClass(removed=False))])
    finally:
        threading.Thread.start = real_start  # type: ignore[method-assign]
    assert "litemeta-checkpoint" not in started
