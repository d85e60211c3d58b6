"""Which generation a search serves, how far behind it is, and the background catch-up.

A search never waits for writers (issue 14): it opens the current generation (no lock), checks
that it indexes this store (:meth:`~.generations.StoreIdentity.mismatch`), answers from it, and
when it has not indexed the end of the change log yet, says by how much (``stale``) and starts a
background process that catches up (``python -m litemeta.followers.search``), unless a writer
of the index is already at work. This module needs neither SQLAlchemy nor the store: a
whole-process ``litemeta search`` on a SQLite file reads the store's identity and log end with
the standard library (:func:`search_sqlite_file`).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from typing import Any, Optional, Tuple

from litemeta.config import helper_command
from litemeta.errors import SearchIndexDamaged
from litemeta.followers.search.generations import IndexFolder, IndexMeta, StoreIdentity
from litemeta.followers.search.index import SearchIndex
from litemeta.followers.search.results import SearchResult, Staleness
from litemeta.model.events import MCL_VERSIONED_TOPIC
from litemeta.model.registry import Registry

WORKER_MODULE = "litemeta.followers.search"


def open_current(
    folder: IndexFolder, registry: Registry, identity: StoreIdentity
) -> Tuple[Optional[SearchIndex], Optional[str]]:
    """The current generation if it can serve the store, else ``(None, why)`` (``why`` is None
    when there is no generation yet)."""
    for _attempt in range(3):
        gen = folder.current()
        if gen is None:
            return None, ("it uses an older layout" if folder.has_legacy_index() else None)
        try:
            ix = SearchIndex.open(gen, registry, create=False)
            problem = identity.mismatch(ix.meta())
        except SearchIndexDamaged as e:
            if folder.current() != gen:
                continue  # a new generation replaced this one while it was being opened
            return None, str(e).replace(f"search index {gen!r} ", "it ")
        if problem is None:
            return ix, None
        ix.close()
        return None, problem
    return None, "its generations kept changing while it was opened"


def staleness(meta: Optional[IndexMeta], identity: StoreIdentity) -> Optional[Staleness]:
    """How far an index is behind its store's change log (None when current)."""
    done = meta.offset if meta is not None else 0
    return Staleness(done, identity.log_end) if done < identity.log_end else None


def start_catch_up(db: str, folder: IndexFolder) -> bool:
    """Start ``python -m litemeta.followers.search`` in the background to bring the index up to
    date, unless a writer of the index is already at work. Returns whether one was started."""
    if folder.locked():
        return False
    command = helper_command(WORKER_MODULE)
    if command is None:
        return False
    argv, env = command
    try:
        subprocess.Popen(
            argv + ["--db", db, "--index-dir", folder.path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
            start_new_session=os.name != "nt",
        )
    except OSError:
        return False  # the next search tries again; the index is still whole
    return True


def search_sqlite_file(
    db_file: str, index_dir: str, registry: Registry, query: str, **kwargs: Any
) -> Optional[SearchResult]:
    """Search a SQLite store's index without opening the store, when its current generation can
    serve it (None otherwise: the caller goes through the store, which builds or rebuilds the
    index and says why)."""
    from litemeta.storage.sqlite_reads import store_identity

    identity = StoreIdentity(*store_identity(db_file, MCL_VERSIONED_TOPIC))
    folder = IndexFolder(index_dir)
    ix, _problem = open_current(folder, registry, identity)
    if ix is None:
        return None
    try:
        meta = ix.meta()
        res = ix.search(query, **kwargs)
    except SearchIndexDamaged:
        return None
    finally:
        ix.close()
    stale = staleness(meta, identity)
    if stale is not None:
        start_catch_up(db_file, folder)
    return dataclasses.replace(res, stale=stale)
