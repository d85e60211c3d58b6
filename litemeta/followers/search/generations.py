"""The index folder: whole index generations, switched atomically, and the identity they record.

``<db>.index/`` holds one whoosh index per generation, ``gen-<n>/``, and ``CURRENT``, naming the
generation searches use. A (re)build writes ``gen-<n>.tmp/``, makes it durable, renames it and
replaces ``CURRENT`` (``os.replace``: atomic), so a reader finds either the previous generation
or the new one, whole; a crash at any point leaves the previous one current and a ``.tmp``
folder that the next writer removes. Incremental catch-ups commit inside the current generation
(whoosh writes a new table of contents for each commit, also by rename). A reader keeps the
generation it opened: whoosh maps each segment file when it opens it, and a file removed while
it is mapped stays readable on POSIX systems.

One writer at a time, readers never wait: every writer (catch-up, rebuild) holds the folder's
write lock (``write.lock``, an OS file lock that a killed process releases); searches take no
lock.

Each generation records what it indexes (:class:`IndexMeta`, stored inside the index so that it
changes in the same commit as the documents): the identity of its store (the ``store_id`` the
store was created with, and the first record of its change log, for stores created before store
ids) and the log position it has indexed up to. :meth:`StoreIdentity.mismatch` says why an index
cannot serve a store.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional

from whoosh.util.filelock import FileLock

from litemeta.errors import StorageError

# Bumped when the analysis or the document layout changes: an index of another format is rebuilt.
INDEX_FORMAT = 2
CURRENT = "CURRENT"
LOCK = "write.lock"
LEGACY_OFFSET_FILE = "litemeta-offset.json"  # the single-generation layout of litemeta <= 0.1
_GEN = re.compile(r"^gen-(\d{6,})(\.tmp)?$")


@dataclass(frozen=True)
class IndexMeta:
    """What a generation indexes: its store's identity and the next change-log offset to index."""

    store_id: Optional[str]
    fingerprint: Optional[str]
    offset: int
    format: int = INDEX_FORMAT

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "storeId": self.store_id,
                "logFingerprint": self.fingerprint,
                "offset": self.offset,
                "format": self.format,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: Optional[str]) -> Optional["IndexMeta"]:
        """Parse the stored form (None when missing or unreadable)."""
        try:
            d = json.loads(text or "")
            return cls(d.get("storeId"), d.get("logFingerprint"), int(d["offset"]), int(d["format"]))
        except (ValueError, TypeError, KeyError, AttributeError):
            return None


@dataclass(frozen=True)
class StoreIdentity:
    """What the store says about itself now: its id (None for stores created before ids), the
    fingerprint of its change log's first record (None when the log is empty), the log's end."""

    store_id: Optional[str]
    fingerprint: Optional[str]
    log_end: int

    def mismatch(self, meta: Optional[IndexMeta]) -> Optional[str]:
        """Why an index recording ``meta`` cannot serve this store, or None when it can."""
        if meta is None:
            return "it records no store identity"
        if meta.format != INDEX_FORMAT:
            return f"it has index format {meta.format}, this litemeta writes {INDEX_FORMAT}"
        if self.store_id and meta.store_id:
            if self.store_id != meta.store_id:
                return f"it was built for another store (id {meta.store_id}, this store is {self.store_id})"
        elif self.fingerprint != meta.fingerprint:
            return "it was built for another store (its change log starts differently)"
        if meta.offset > self.log_end:
            return f"it has indexed {meta.offset} change-log records, the store has {self.log_end}"
        return None

    def meta(self, offset: int) -> IndexMeta:
        """The record of an index of this store up to ``offset``."""
        return IndexMeta(self.store_id, self.fingerprint, offset)


class IndexFolder:
    """The generations of one index folder (see the module docstring)."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)

    # -- reading
    def current(self) -> Optional[str]:
        """The folder of the current generation, or None when there is none yet."""
        try:
            with open(os.path.join(self.path, CURRENT), encoding="utf-8") as f:
                name = json.load(f)["generation"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not isinstance(name, str) or not _GEN.match(name) or name.endswith(".tmp"):
            return None
        return os.path.join(self.path, name)

    def has_legacy_index(self) -> bool:
        """Whether the folder holds an index of the single-generation layout (litemeta <= 0.1)."""
        return os.path.isfile(os.path.join(self.path, LEGACY_OFFSET_FILE)) or any(
            n.startswith("_MAIN_") for n in self._names()
        )

    def _names(self) -> List[str]:
        try:
            return os.listdir(self.path)
        except OSError:
            return []

    # -- the write lock
    def try_lock(self) -> Optional[Any]:
        """The write lock if it is free now (release it with :meth:`unlock`), else None."""
        os.makedirs(self.path, exist_ok=True)
        lock = FileLock(os.path.join(self.path, LOCK))
        try:
            return lock if lock.acquire(blocking=False) else None
        except OSError as e:
            raise StorageError(f"search index {self.path!r}: cannot lock: {e}") from e

    @staticmethod
    def unlock(lock: Any) -> None:
        """Release a lock from :meth:`try_lock`."""
        lock.release()

    def locked(self) -> bool:
        """Whether another writer holds the write lock now."""
        lock = self.try_lock()
        if lock is None:
            return True
        self.unlock(lock)
        return False

    def acquire(self, timeout: float) -> Any:
        """The write lock, waiting up to ``timeout`` seconds for another writer (release it with
        :meth:`unlock`)."""
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            lock = self.try_lock()
            if lock is not None:
                return lock
            if time.monotonic() >= deadline:
                raise StorageError(
                    f"search index {self.path!r} is being written by another process "
                    f"(waited {timeout:.0f} s); try again later"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    @contextlib.contextmanager
    def write_lock(self, timeout: float = 600.0) -> Iterator[None]:
        """Hold the write lock, waiting up to ``timeout`` seconds for another writer."""
        lock = self.acquire(timeout)
        try:
            yield
        finally:
            self.unlock(lock)

    # -- writing (under the write lock)
    def new_generation(self) -> str:
        """An empty ``gen-<n>.tmp`` folder for the next generation (call with the lock held)."""
        numbers = [int(m.group(1)) for m in map(_GEN.match, self._names()) if m]
        path = os.path.join(self.path, f"gen-{max(numbers, default=0) + 1:06d}.tmp")
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        return path

    def publish(self, tmp: str) -> str:
        """Make the generation built in ``tmp`` current: durable files, rename, replace
        ``CURRENT``; then remove the older generations. Returns its folder."""
        final = tmp[: -len(".tmp")]
        _fsync_tree(tmp)
        os.replace(tmp, final)
        pointer = os.path.join(self.path, CURRENT)
        with open(pointer + ".tmp", "w", encoding="utf-8") as f:
            json.dump({"generation": os.path.basename(final)}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(pointer + ".tmp", pointer)
        _fsync_dir(self.path)
        self.clean()
        return final

    def clean(self) -> None:
        """Remove every generation but the current one, unfinished builds and the legacy layout's
        files (call with the lock held: no build is running). Readers that opened an old
        generation keep reading it (its files stay mapped)."""
        current = self.current()
        keep = os.path.basename(current) if current else None
        for name in self._names():
            full = os.path.join(self.path, name)
            if _GEN.match(name) and name != keep:
                shutil.rmtree(full, ignore_errors=True)
            elif (
                name == LEGACY_OFFSET_FILE
                or name.startswith("_MAIN_")
                or name == "MAIN_WRITELOCK"
                or (name.startswith("MAIN_") and name.endswith(".seg"))
            ):
                with contextlib.suppress(OSError):
                    os.remove(full)


def is_index_folder(path: str) -> bool:
    """Whether ``path`` is a litemeta search index folder (either layout)."""
    folder = IndexFolder(path)
    return os.path.isfile(os.path.join(path, CURRENT)) or folder.has_legacy_index()


def _fsync_tree(path: str) -> None:
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isfile(full):
            fd = os.open(full, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(path)


def _fsync_dir(path: str) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
