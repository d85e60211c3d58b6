"""Point reads on a SQLite store with the standard library only.

``litemeta get`` and ``litemeta exists`` are whole-process commands: importing SQLAlchemy costs more
than the query. For a SQLite file these reads open it read-only with :mod:`sqlite3` and run the
same SQL as :mod:`litemeta.storage.queries` (row 0 per aspect, R1.6 key-row existence); anything
else (other databases, versions, as-of, details) goes through the full store.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from typing import Any, Dict, Optional, Sequence, Set

from litemeta.errors import StorageError
from litemeta.model.jsontext import loads
from litemeta.storage.identity import MARKER, TABLES, is_url, read_only_uri, refusal, storage_error

SCHEMA_VERSION = 2  # storage/db.py's (a test holds the two equal; db.py imports SQLAlchemy)


def sqlite_file(path_or_url: str) -> Optional[str]:
    """The file path when the store is a SQLite file that exists, else None (a value without a URL
    scheme is a literal path; a ``sqlite:///`` URL with a query is left to the full store)."""
    if is_url(path_or_url):
        if not path_or_url.startswith("sqlite:///") or "?" in path_or_url:
            return None
        path_or_url = path_or_url[len("sqlite:///"):]
    if path_or_url == ":memory:" or not os.path.isfile(path_or_url):
        return None
    return os.path.abspath(path_or_url)


_checked: Set[str] = set()


def _connect(path: str) -> sqlite3.Connection:
    """A read-only connection to a litemeta store (checked as the full store checks it, once per process)."""
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True, timeout=30.0)
        if path not in _checked:
            _check(con, path)
            _checked.add(path)
    except sqlite3.Error as e:
        raise storage_error(f"cannot read {path}", e) from None
    return con


def check_store_file(path: str, *, new_ok: bool = False) -> None:
    """Refuse (:class:`StorageError`) a SQLite file that is not a litemeta store of a schema this
    litemeta knows (:func:`litemeta.storage.identity.refusal`); with ``new_ok``, a database
    without litemeta's tables is fine (a write creates them). Reads only: a foreign file is
    left exactly as it was (not even its journal mode changes)."""
    try:
        with closing(sqlite3.connect(read_only_uri(path), uri=True, timeout=30.0)) as con:
            _check(con, path, new_ok)
    except sqlite3.Error as e:
        raise storage_error(f"cannot read {path}", e) from None


def _check(con: sqlite3.Connection, path: str, new_ok: bool = False) -> None:
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} & set(TABLES)
    tables: Dict[str, Set[str]] = {t: set() for t in names}
    if "metadata_aspect_v2" in names:
        tables["metadata_aspect_v2"] = {r[1] for r in con.execute("PRAGMA table_info(metadata_aspect_v2)")}
    version = con.execute(f"SELECT max(version) FROM {MARKER}").fetchone()[0] if MARKER in names else None
    why = refusal(path, tables, version, SCHEMA_VERSION)
    if why is None and not names and not new_ok:
        why = f"{path} is not a litemeta store (it has none of litemeta's tables); ingest into it first"
    if why is not None:
        con.close()
        raise StorageError(why)


def latest(path: str, urn: str, names: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """``{aspect: value}`` of row 0 of the urn's aspects, then the newest value of each timeseries aspect."""
    out: Dict[str, Any] = {}
    with closing(_connect(path)) as con:
        q = "SELECT aspect, metadata FROM metadata_aspect_v2 WHERE urn = ? AND version = 0"
        args: list = [urn]
        if names:
            q += f" AND aspect IN ({', '.join('?' * len(names))})"
            args += list(names)
        for aspect, metadata in con.execute(q + " ORDER BY aspect", args):
            out[aspect] = loads(metadata)
        q = "SELECT aspect, metadata FROM metadata_timeseries WHERE urn = ?"
        args = [urn]
        if names:
            q += f" AND aspect IN ({', '.join('?' * len(names))})"
            args += list(names)
        newest: Dict[str, Any] = {}
        for aspect, metadata in con.execute(q + " ORDER BY timestampmillis", args):
            newest[aspect] = metadata  # ascending time: the last one wins
    for aspect, metadata in newest.items():
        out.setdefault(aspect, loads(metadata))
    return out


def key_row_exists(path: str, urn: str, key_aspect: str) -> bool:
    """R1.6: an entity exists iff its key aspect row (version 0) exists."""
    with closing(_connect(path)) as con:
        row = con.execute("SELECT 1 FROM metadata_aspect_v2 WHERE urn = ? AND aspect = ? AND version = 0",
                          (urn, key_aspect)).fetchone()
    return row is not None


def topic_end(path: str, topic: str) -> int:
    """Next offset of a topic's partition 0 (0 when empty), with an index seek on the log's key."""
    with closing(_connect(path)) as con:
        row = con.execute('SELECT last_offset FROM topic_log WHERE topic = ? AND "partition" = 0 '
                          'ORDER BY "offset" DESC LIMIT 1', (topic,)).fetchone()
    return 0 if row is None or row[0] is None else int(row[0]) + 1
