"""The search follower: keeps the whoosh index beside the store in step with the change log.

It reads ``MetadataChangeLog_Versioned_v1`` from its committed offset (kept in the index folder,
so read-only opens of the store can bring the cache up to date), re-indexes every entity the new
records touch from the entity's *current* rows, and commits the offset after the index commit.
Re-processing is harmless (idempotent), so a crash between the two only repeats work; deleting
the folder rebuilds it from scratch (design.md rule 2). The store's SQLite file is never written.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

from litemeta.followers.search import IndexBusy, SearchIndex
from litemeta.followers.search_fast import OFFSET_FILE, read_offset
from litemeta.model.events import MCL_VERSIONED_TOPIC
from litemeta.model.registry import Registry
from litemeta.storage import log as L
from litemeta.storage import queries as Q
from litemeta.storage.db import Database

CHUNK = 5000  # log records per index commit


def index_dir_for(db: Database) -> Optional[str]:
    """``<db file>.index`` beside a SQLite store; None for in-memory and server databases."""
    path = db.sqlite_file
    return path + ".index" if path is not None else None


class SearchFollower:
    """Follows the log into a :class:`SearchIndex` (one per store)."""

    def __init__(self, db: Database, registry: Registry, directory: Optional[str] = None) -> None:
        self.db = db
        self.registry = registry
        self._temp = directory is None and index_dir_for(db) is None
        self.directory = directory or index_dir_for(db) or tempfile.mkdtemp(prefix="litemeta-index-")
        self.index = SearchIndex.open(self.directory, registry)
        if self.index.schema_changed:
            self._write_offset(0)

    # ------------------------------------------------------------ offsets
    def _offset_path(self) -> str:
        return os.path.join(self.directory, OFFSET_FILE)

    def offset(self) -> int:
        """Next log offset to index (0 when the index is new)."""
        return read_offset(self.directory)

    def _write_offset(self, offset: int) -> None:
        tmp = self._offset_path() + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({MCL_VERSIONED_TOPIC: offset}, f)
        os.replace(tmp, self._offset_path())

    def lag(self) -> int:
        """MCL records not yet indexed."""
        with self.db.read() as conn:
            end = L.end_offsets(conn).get(MCL_VERSIONED_TOPIC, 0)
        return max(0, end - self.offset())

    # ------------------------------------------------------------ following
    def catch_up(self, wait_seconds: float = 600.0) -> int:
        """Index everything logged since the committed offset; return how many log records that covered.

        When another process is updating the same index (it holds the write lock), this waits for
        it and returns once the index has caught up (or the lock is free and the rest is done here).
        """
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                return self._catch_up()
            except IndexBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _catch_up(self) -> int:
        """One attempt of :meth:`catch_up`.

        The entities the new MCL records touch are collected with one light query (their keys),
        then re-indexed from their current rows through one index writer. A new index (offset 0)
        is built from the current rows directly: the index is a function of the current state,
        so replaying history record by record would only repeat work.
        """
        start = self.offset()
        with self.db.read() as conn:
            end = L.end_offsets(conn).get(MCL_VERSIONED_TOPIC, 0)
            if end <= start:
                self.index._dirty = True  # another process may have updated the folder
                return 0
            if start > 0:
                urns = L.keys_since(conn, MCL_VERSIONED_TOPIC, start, end)
        if start == 0:
            self._build(self._all_urns())
        else:
            self._index(urns)
        self._write_offset(end)
        return end - start

    def _all_urns(self) -> List[str]:
        with self.db.read() as conn:
            return Q.urns(conn, [e.key_aspect for e in self.registry.entities.values()])

    def _batches(self, urns: List[str]) -> Iterator[List[Tuple[str, Optional[Dict[str, Any]]]]]:
        for i in range(0, len(urns), CHUNK):
            part = urns[i:i + CHUNK]
            with self.db.read() as conn:
                current = Q.latest_many(conn, part)
            yield [(u, current.get(u)) for u in part]

    def _index(self, urns: List[str]) -> None:
        """Re-index these entities from their current rows (gone ones are removed), one commit."""
        if len(urns) <= CHUNK:
            for batch in self._batches(urns):
                self.index.apply(batch)
        else:
            self.index.apply_batches(self._batches(urns))

    def _build(self, urns: List[str]) -> None:
        self.index.clear()
        self.index.apply_batches(self._batches(urns))

    def on_write(self) -> None:
        """Called after a write: nothing to do eagerly (searches catch up first; SYNC_WAIT calls catch_up)."""

    def rebuild(self, from_log: bool = False) -> int:
        """Rebuild from scratch: from the current rows (default), or by replaying the whole log's
        entities (``from_log``: every urn the MCL ever mentions, re-read at its current state).
        Returns the number of entities indexed (or log records covered)."""
        with self.db.read() as conn:
            end = L.end_offsets(conn).get(MCL_VERSIONED_TOPIC, 0)
            urns = L.keys_since(conn, MCL_VERSIONED_TOPIC, 0, end) if from_log else None
        if urns is None:
            urns = self._all_urns()
        self._build(urns)
        self._write_offset(end)
        return end if from_log else len(urns)

    def close(self) -> None:
        """Close the searcher; a temporary index (in-memory store) is removed."""
        self.index.close()
        if self._temp:
            shutil.rmtree(self.directory, ignore_errors=True)

    def destroy(self) -> None:
        """Delete the index folder (``nuke``)."""
        self.index.close()
        shutil.rmtree(self.directory, ignore_errors=True)


