"""The search follower: keeps the index beside a store in step with its change log (the cursor).

It reads ``MetadataChangeLog_Versioned_v1`` from the offset the current generation records,
re-indexes every entity the new records touch from the entity's *current* rows, and commits the
documents and the new offset together (design.md rule 2: re-processing is harmless, a follower can
always be rebuilt by replaying from 0). It never writes the store.

Where catching up happens (issue 14, design.md rule 3): a search serves the current generation as
it is, reporting how far behind it is and starting a background catch-up, except that a process
always sees its own committed writes: after this process wrote, its next search first catches up
to the log's end (:meth:`SearchFollower.on_write`). ``catch_up`` (SYNC_WAIT, ``flush()``, the end
of ``litemeta ingest``) brings the index to the log's end. A missing, damaged or foreign index is
rebuilt into a new generation, with a one-line notice; a generation is never served half-built.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
import tempfile
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from litemeta.errors import LitemetaError, SearchIndexDamaged
from litemeta.followers.search.current import open_current, staleness, start_catch_up
from litemeta.followers.search.documents import MAX_ARRAY_LENGTH, MAX_FIELD_CHARS, field_defs
from litemeta.followers.search.generations import IndexFolder, StoreIdentity
from litemeta.followers.search.index import SearchIndex
from litemeta.followers.search.results import SearchResult
from litemeta.model.events import MCL_VERSIONED_TOPIC
from litemeta.model.registry import Registry
from litemeta.model.urns import entity_type_of
from litemeta.storage import log as L
from litemeta.storage import queries as Q
from litemeta.storage.db import Database

CHUNK = 2000  # entities read from the store per batch of documents
LOCK_TIMEOUT = 600.0
READ_CACHE_KIB = 2048  # SQLite page cache of the reads that feed the index (see Database.read)
# An aspect over 1 MB of JSON is read no further than the index looks: strings to the per-field
# bound, arrays to DataHub's element limit (memory stays bounded whatever one aspect holds).
BOUNDED = (1 << 20, MAX_FIELD_CHARS, MAX_ARRAY_LENGTH)
_log = logging.getLogger("litemeta.search")


def index_dir_for(db: Database) -> Optional[str]:
    """``<db file>.index`` beside a SQLite store; None for in-memory and server databases."""
    path = db.sqlite_file
    return path + ".index" if path is not None else None


def _log_notice(message: str) -> None:
    _log.warning(message)


class SearchFollower:
    """Follows the log into the generations of one index folder (one per store)."""

    def __init__(
        self,
        db: Database,
        registry: Registry,
        directory: Optional[str] = None,
        *,
        notice: Optional[Callable[[str], None]] = None,
        background: bool = True,
        wrote: bool = False,
    ) -> None:
        self.db = db
        self.registry = registry
        self._temp = directory is None and index_dir_for(db) is None
        self.directory = directory or index_dir_for(db) or tempfile.mkdtemp(prefix="litemeta-index-")
        self.folder = IndexFolder(self.directory)
        #: Called with a one-line message when the index is rebuilt (default: a logging warning).
        self.notice: Callable[[str], None] = notice or _log_notice
        #: Called with the number of entities indexed so far while a generation is built.
        self.progress: Optional[Callable[[int], None]] = None
        # Another process may catch up in the background (not for an in-memory store's index).
        self.background = background and not self._temp
        self._wrote = wrote
        self._ix: Optional[SearchIndex] = None
        self._gen: Optional[str] = None
        self._lock = threading.RLock()
        self._depth = 0  # how deep this follower is in holding the folder's write lock
        keys = {e.key_aspect for e in registry.entities.values()}
        self._key_aspects = sorted(keys)
        searchable = {name for name, spec in registry.aspects.items() if spec.searchable and not spec.timeseries}
        self._aspects = sorted(keys | searchable)
        field_defs(registry)  # fail early on a registry whose annotations do not merge

    # ------------------------------------------------------------ the store's side
    def identity(self) -> StoreIdentity:
        """The store's id, log fingerprint and change-log end, read in one transaction."""
        with self.db.read() as conn:
            return StoreIdentity(
                Q.store_id(conn),
                L.log_fingerprint(conn, MCL_VERSIONED_TOPIC),
                L.end_offsets(conn).get(MCL_VERSIONED_TOPIC, 0),
            )

    @contextlib.contextmanager
    def _writing(self, timeout: Optional[float] = LOCK_TIMEOUT) -> Iterator[bool]:
        """Hold the folder's write lock (reentrant for this follower); yields False when
        ``timeout`` is None and another writer holds it."""
        if self._depth:
            self._depth += 1
            try:
                yield True
            finally:
                self._depth -= 1
            return
        if timeout is None:
            lock = self.folder.try_lock()
            if lock is None:
                yield False
                return
        else:
            lock = self.folder.acquire(timeout)
        self._depth = 1
        try:
            yield True
        finally:
            self._depth = 0
            self.folder.unlock(lock)

    def on_write(self) -> None:
        """This process committed a write: its next search first catches up (it sees its own writes)."""
        self._wrote = True

    # ------------------------------------------------------------ generations
    @property
    def index(self) -> SearchIndex:
        """The current generation, built first if there is none or it cannot serve the store."""
        return self.ensure()[0]

    def ensure(self) -> Tuple[SearchIndex, StoreIdentity]:
        """A generation that can serve the store (opened, or built under the write lock when there
        is none or the current one is damaged or belongs to another store), and the store's identity."""
        with self._lock:
            identity = self.identity()
            gen = self.folder.current()
            if self._ix is not None and gen == self._gen:
                try:
                    self._ix.refresh()
                    if identity.mismatch(self._ix.meta()) is None:
                        return self._ix, identity
                except SearchIndexDamaged:
                    pass
            self._drop()
            ix, problem = open_current(self.folder, self.registry, identity)
            if ix is None:
                with self._writing():
                    identity = self.identity()
                    ix, problem = open_current(self.folder, self.registry, identity)  # built meanwhile?
                    if ix is None:
                        if problem is not None:
                            self.notice(f"search index {self.directory}: {problem}; rebuilding it from the store")
                        self._build(identity)
                        return self._ix, identity  # type: ignore[return-value]
            self._ix, self._gen = ix, ix.directory
            return ix, identity

    def _drop(self) -> None:
        if self._ix is not None:
            self._ix.close()
        self._ix, self._gen = None, None

    def _build(self, identity: StoreIdentity, from_log: bool = False) -> int:
        """Build a new generation from the store and make it current (call with the write lock)."""
        if from_log:
            with self.db.read() as conn:
                urns = L.keys_since(conn, MCL_VERSIONED_TOPIC, 0, identity.log_end)
        else:
            urns = self._all_urns()
        tmp = self.folder.new_generation()
        ix = SearchIndex.open(tmp, self.registry)
        try:
            ix.apply_batches(self._batches(urns, self.progress), identity.meta(identity.log_end))
        finally:
            ix.close()
        gen = self.folder.publish(tmp)
        self._drop()
        self._ix, self._gen = SearchIndex.open(gen, self.registry, create=False), gen
        return len(urns)

    def rebuild(self, from_log: bool = False) -> int:
        """Rebuild into a new generation: from the current rows (default), or from every entity the
        whole log mentions (``from_log``), re-read at its current state. Searches meanwhile answer
        from the previous generation. Returns the number of entities (or log records) covered."""
        with self._lock, self._writing():
            identity = self.identity()
            n = self._build(identity, from_log=from_log)
        return identity.log_end if from_log else n

    # ------------------------------------------------------------ catching up
    def offset(self) -> int:
        """Next log offset the current generation will index (0 when there is none)."""
        ix, _problem = open_current(self.folder, self.registry, self.identity())
        if ix is None:
            return 0
        try:
            meta = ix.meta()
        finally:
            ix.close()
        return meta.offset if meta is not None else 0

    def lag(self) -> int:
        """Change-log records not yet indexed."""
        return max(0, self.identity().log_end - self.offset())

    def catch_up(self, wait_seconds: float = LOCK_TIMEOUT, wait: bool = True) -> int:
        """Index everything logged since the current generation's offset; return how many log
        records that covered. Another writer of the index holding its lock is waited for (up to
        ``wait_seconds``), or, with ``wait=False``, left to a background catch-up."""
        with self._lock:
            ix, identity = self.ensure()
            meta = ix.meta()
            if meta is not None and meta.offset >= identity.log_end:
                self._wrote = False
                return 0
            with self._writing(wait_seconds if wait else None) as held:
                if held:
                    return self._catch_up_locked()
            if self.background:  # another writer is at work: make sure what is left gets done
                start_catch_up(self.db.url, self.folder)
            return 0

    def _catch_up_locked(self) -> int:
        """Catch up until the offset reaches the log's end (call with the write lock)."""
        done = 0
        while True:
            ix, identity = self.ensure()
            meta = ix.meta()
            start = meta.offset if meta is not None else 0
            end = identity.log_end
            if start >= end:
                self._wrote = False
                return done
            with self.db.read() as conn:
                urns = L.keys_since(conn, MCL_VERSIONED_TOPIC, start, end)
            try:
                ix.apply_batches(self._batches(urns), identity.meta(end))
            except SearchIndexDamaged as e:
                self.notice(f"search index {self.directory}: {e}; rebuilding it from the store")
                self._build(self.identity())
                return done + end - start
            done += end - start

    # ------------------------------------------------------------ reading the store
    def _all_urns(self) -> List[str]:
        with self.db.read() as conn:
            return Q.urns(conn, self._key_aspects)

    def _batches(
        self, urns: List[str], progress: Optional[Callable[[int], None]] = None
    ) -> Iterator[List[Tuple[str, Optional[Dict[str, Any]]]]]:
        """The entities' current searchable aspects, ``CHUNK`` entities at a time; an entity
        without its key aspect row does not exist (R1.6) and leaves the index."""
        for i in range(0, len(urns), CHUNK):
            part = urns[i : i + CHUNK]
            with self.db.read(cache_kib=READ_CACHE_KIB) as conn:
                current = Q.latest_many(conn, part, self._aspects, bounded=BOUNDED)
            batch: List[Tuple[str, Optional[Dict[str, Any]]]] = []
            for u in part:
                aspects = current.pop(u, None)
                batch.append((u, aspects if aspects is not None and self._exists(u, aspects) else None))
            yield batch
            if progress is not None:
                progress(len(part))

    def _exists(self, urn: str, aspects: Dict[str, Any]) -> bool:
        try:
            return self.registry.entity(entity_type_of(urn)).key_aspect in aspects
        except LitemetaError:  # an unregistered entity type: index what there is
            return True

    # ------------------------------------------------------------ searching
    def search(self, query: str = "*", **kwargs: Any) -> SearchResult:
        """:meth:`SearchIndex.search` on the current generation, caught up first when this
        process wrote since its last search; ``stale`` says how far behind the answer is."""
        return self._read(lambda ix: ix.search(query, **kwargs))

    def autocomplete(self, prefix: str, **kwargs: Any) -> List[Tuple[str, str, str]]:
        """:meth:`SearchIndex.autocomplete` on the current generation (caught up like :meth:`search`)."""
        return self._read(lambda ix: ix.autocomplete(prefix, **kwargs))  # type: ignore[no-any-return]

    def _read(self, run: Callable[[SearchIndex], Any]) -> Any:
        with self._lock:
            for attempt in (1, 2):
                if self._wrote:
                    self.catch_up()
                ix, identity = self.ensure()
                try:
                    meta = ix.meta()
                    out = run(ix)
                except SearchIndexDamaged as e:
                    if attempt == 2:
                        raise
                    with self._writing():
                        self.notice(f"search index {self.directory}: {e}; rebuilding it from the store")
                        self._build(self.identity())
                    continue
                if not isinstance(out, SearchResult):
                    return out
                stale = staleness(meta, identity)
                if stale is not None and self.background:
                    start_catch_up(self.db.url, self.folder)
                return dataclasses.replace(out, stale=stale)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the searcher; a temporary index (in-memory store) is removed."""
        with self._lock:
            self._drop()
            if self._temp:
                shutil.rmtree(self.directory, ignore_errors=True)

    def destroy(self) -> None:
        """Delete the index folder (``nuke``)."""
        with self._lock:
            self._drop()
            shutil.rmtree(self.directory, ignore_errors=True)
