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
from typing import Any, Dict, Optional, Sequence, Tuple

from litemeta.model.jsontext import loads
from litemeta.storage.batches import fingerprint


def sqlite_file(path_or_url: str) -> Optional[str]:
    """The file path when the store is a SQLite file that exists, else None."""
    if "://" in path_or_url:
        if not path_or_url.startswith("sqlite:///"):
            return None
        path_or_url = path_or_url[len("sqlite:///"):]
    if path_or_url == ":memory:" or not os.path.isfile(path_or_url):
        return None
    return os.path.abspath(path_or_url)


def _connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30.0)


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


def json_fields(path: str, urns: Sequence[str], fields: Sequence[Tuple[str, str]]) -> Dict[str, Dict[str, Any]]:
    """``{urn: {aspect: value}}`` of one top-level field per aspect (``(aspect, field)`` pairs),
    extracted by SQLite (``json_extract``) so that a large aspect is never read whole; values
    that are not text are skipped."""
    out: Dict[str, Dict[str, Any]] = {}
    if not urns:
        return out
    wanted = dict(fields)
    with closing(_connect(path)) as con:
        q = (f"SELECT urn, aspect, metadata FROM metadata_aspect_v2 WHERE version = 0 "
             f"AND urn IN ({', '.join('?' * len(urns))}) AND aspect IN ({', '.join('?' * len(wanted))})")
        try:
            rows = con.execute(q.replace("metadata FROM", "json_extract(metadata, '$.' || CASE aspect "
                                         + " ".join("WHEN ? THEN ?" for _ in wanted) + " END) FROM"),
                               [x for pair in wanted.items() for x in pair] + list(urns) + list(wanted)).fetchall()
        except sqlite3.OperationalError:  # an SQLite without JSON functions: read the aspects
            rows = [(u, a, loads(m).get(wanted[a])) for u, a, m in con.execute(q, list(urns) + list(wanted))]
    for urn, aspect, value in rows:
        if isinstance(value, str):
            out.setdefault(urn, {})[aspect] = value
    return out


def key_row_exists(path: str, urn: str, key_aspect: str) -> bool:
    """R1.6: an entity exists iff its key aspect row (version 0) exists."""
    with closing(_connect(path)) as con:
        row = con.execute("SELECT 1 FROM metadata_aspect_v2 WHERE urn = ? AND aspect = ? AND version = 0",
                          (urn, key_aspect)).fetchone()
    return row is not None


def store_identity(path: str, topic: str) -> Tuple[Optional[str], Optional[str], int]:
    """``(store id, fingerprint of the topic's first record, the topic's end offset)`` in one
    read transaction (the same SQL as :func:`litemeta.storage.queries.store_id`,
    :func:`litemeta.storage.log.log_fingerprint` and the log's end offset)."""
    with closing(_connect(path)) as con:
        con.execute("BEGIN")
        try:
            row = con.execute("SELECT value FROM litemeta_settings WHERE name = 'store_id'").fetchone()
        except sqlite3.OperationalError:  # a store older than the settings table
            row = None
        first = con.execute('SELECT records FROM topic_log WHERE topic = ? AND "partition" = 0 '
                            'ORDER BY "offset" LIMIT 1', (topic,)).fetchone()
        last = con.execute('SELECT last_offset FROM topic_log WHERE topic = ? AND "partition" = 0 '
                           'ORDER BY "offset" DESC LIMIT 1', (topic,)).fetchone()
    return (None if row is None else str(row[0]), None if first is None else fingerprint(first[0]),
            0 if last is None or last[0] is None else int(last[0]) + 1)
