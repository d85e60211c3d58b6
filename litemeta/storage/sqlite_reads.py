"""Reads on a SQLite store with the standard library only.

The read commands (``get``, ``exists``, ``history``, ``list-urns``, ``ls``, ``timeline``,
``lineage``, ``log``, ``runs``, ``stats``) are whole-process commands: importing SQLAlchemy costs
more than their queries. For a SQLite file they open it read-only with :mod:`sqlite3` through
:class:`SqliteReader`, which has the read methods of :class:`litemeta.store.MetadataStore` that
the views use and runs the same SQL as :mod:`litemeta.storage.queries` and
:mod:`litemeta.storage.log` (tests hold the two to the same answers); anything else (other
databases, writes, consumer groups) goes through the full store.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from contextlib import closing
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from litemeta.errors import StorageError
from litemeta.model.events import MCL_VERSIONED_TOPIC, TopicRecord, resolve_topic
from litemeta.model.jsontext import dumps, loads
from litemeta.storage.batches import RawBatch, fingerprint, unpack
from litemeta.storage.identity import MARKER, TABLES, is_url, read_only_uri, refusal, storage_error
from litemeta.storage.rows import AspectRow, aspect_row, dt_to_ms

# The store layout this reader knows (storage/db.py SCHEMA_VERSION; a test keeps them equal). A
# store of another version is read through the full store, which migrates or refuses it.
SCHEMA_VERSION = 2
_COLUMNS = "urn, aspect, version, metadata, systemmetadata, createdon, createdby, createdfor"
_IN_CHUNK = 500


def sqlite_file(path_or_url: str) -> Optional[str]:
    """The file path when the store is a SQLite file that exists, else None (a value without a URL
    scheme is a literal path; a ``sqlite:///`` URL with a query is left to the full store)."""
    if is_url(path_or_url):
        if not path_or_url.startswith("sqlite:///") or "?" in path_or_url:
            return None
        path_or_url = path_or_url[len("sqlite:///") :]
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


def json_fields(path: str, urns: Sequence[str], fields: Sequence[Tuple[str, str]]) -> Dict[str, Dict[str, Any]]:
    """``{urn: {aspect: value}}`` of one top-level field per aspect (``(aspect, field)`` pairs),
    extracted by SQLite (``json_extract``) so that a large aspect is never read whole; values
    that are not text are skipped."""
    out: Dict[str, Dict[str, Any]] = {}
    if not urns:
        return out
    wanted = dict(fields)
    with closing(_connect(path)) as con:
        q = (
            f"SELECT urn, aspect, metadata FROM metadata_aspect_v2 WHERE version = 0 "
            f"AND urn IN ({', '.join('?' * len(urns))}) AND aspect IN ({', '.join('?' * len(wanted))})"
        )
        try:
            rows = con.execute(
                q.replace(
                    "metadata FROM",
                    "json_extract(metadata, '$.' || CASE aspect "
                    + " ".join("WHEN ? THEN ?" for _ in wanted)
                    + " END) FROM",
                ),
                [x for pair in wanted.items() for x in pair] + list(urns) + list(wanted),
            ).fetchall()
        except sqlite3.OperationalError:  # an SQLite without JSON functions: read the aspects
            rows = [(u, a, loads(m).get(wanted[a])) for u, a, m in con.execute(q, list(urns) + list(wanted))]
    for urn, aspect, value in rows:
        if isinstance(value, str):
            out.setdefault(urn, {})[aspect] = value
    return out


def key_row_exists(path: str, urn: str, key_aspect: str) -> bool:
    """R1.6: an entity exists iff its key aspect row (version 0) exists."""
    with closing(_connect(path)) as con:
        row = con.execute(
            "SELECT 1 FROM metadata_aspect_v2 WHERE urn = ? AND aspect = ? AND version = 0", (urn, key_aspect)
        ).fetchone()
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
        first = con.execute(
            'SELECT records FROM topic_log WHERE topic = ? AND "partition" = 0 ORDER BY "offset" LIMIT 1', (topic,)
        ).fetchone()
        last = con.execute(
            'SELECT last_offset FROM topic_log WHERE topic = ? AND "partition" = 0 ORDER BY "offset" DESC LIMIT 1',
            (topic,),
        ).fetchone()
    return (
        None if row is None else str(row[0]),
        None if first is None else fingerprint(first[0]),
        0 if last is None or last[0] is None else int(last[0]) + 1,
    )


def topic_end(path: str, topic: str) -> int:
    """Next offset of a topic's partition 0 (0 when empty), with an index seek on the log's key."""
    with closing(_connect(path)) as con:
        row = con.execute(
            'SELECT last_offset FROM topic_log WHERE topic = ? AND "partition" = 0 ORDER BY "offset" DESC LIMIT 1',
            (topic,),
        ).fetchone()
    return 0 if row is None or row[0] is None else int(row[0]) + 1


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class SqliteReader:
    """A read-only view of a SQLite store file through :mod:`sqlite3` (no SQLAlchemy).

    It answers like :class:`litemeta.store.MetadataStore`'s read methods (same rows, same order);
    :func:`open_reader` returns one only for a store file of the layout it knows.
    """

    read_only = True

    def __init__(self, path: str) -> None:
        self.path = path
        self._con = _connect(path)
        self._registry: Any = None

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "SqliteReader":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._con.close()

    @property
    def location(self) -> str:
        """The store file."""
        return self.path

    @property
    def registry(self) -> Any:
        """DataHub's entity registry (loaded on first use)."""
        if self._registry is None:
            from litemeta.model.registry import load_registry

            self._registry = load_registry()
        return self._registry

    def _execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._con.execute(sql, tuple(args))
        except sqlite3.Error as e:  # as the full store translates its driver's errors
            raise storage_error(f"cannot read {self.path}", e) from e

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> List[AspectRow]:
        return [aspect_row(*r) for r in self._execute(sql, args)]

    # ------------------------------------------------------------ aspects
    def get(self, urn: str, aspects: Optional[Sequence[str]] = None) -> Dict[str, Any]:
        """``{aspectName: value}``: row 0 of each aspect, then the newest value of each timeseries aspect."""
        return latest(self.path, urn, aspects)

    def history(self, urn: str, aspect: str) -> List[AspectRow]:
        """Every stored version of an aspect, oldest first (archive 1..N, then row 0)."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM metadata_aspect_v2 WHERE urn = ? AND aspect = ? ORDER BY version", (urn, aspect)
        )
        return [r for r in rows if r.version > 0] + [r for r in rows if r.version == 0]

    def exists(self, urn: str, include_soft_deleted: bool = True) -> bool:
        """R1.6: the key aspect row exists (and, unless asked, the entity is not soft-deleted)."""
        from litemeta.model.urns import entity_type_of

        spec = self.registry.entities.get(entity_type_of(urn))
        if (
            spec is None
            or self._execute(
                "SELECT 1 FROM metadata_aspect_v2 WHERE urn = ? AND aspect = ? AND version = 0", (urn, spec.key_aspect)
            ).fetchone()
            is None
        ):
            return False
        if include_soft_deleted:
            return True
        st = self.latest_many([urn], ["status"]).get(urn, {}).get("status")
        return not (isinstance(st, dict) and st.get("removed"))

    def list_urns(self, entity_type: Optional[str] = None) -> List[str]:
        """Urns of existing entities (R1.6), optionally of one type, sorted."""
        keys = (
            [self.registry.entity(entity_type).key_aspect]
            if entity_type
            else sorted({e.key_aspect for e in self.registry.entities.values()})
        )
        sql = f"SELECT urn FROM metadata_aspect_v2 WHERE version = 0 AND aspect IN ({_marks(len(keys))}) ORDER BY urn"
        return [u for (u,) in self._execute(sql, keys)]

    def latest_many(self, urns: Sequence[str], aspects: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, Any]]:
        """Current values of many entities, ``{urn: {aspect: value}}`` (all aspects, or the named ones)."""
        out: Dict[str, Dict[str, Any]] = {}
        names = list(aspects or ())
        for i in range(0, len(urns), _IN_CHUNK):
            part = list(urns[i : i + _IN_CHUNK])
            sql = (
                "SELECT urn, aspect, metadata FROM metadata_aspect_v2 WHERE version = 0 "
                f"AND urn IN ({_marks(len(part))})"
            )
            if names:
                sql += f" AND aspect IN ({_marks(len(names))})"
            for urn, aspect, metadata in self._execute(sql, part + names):
                out.setdefault(urn, {})[aspect] = loads(metadata)
        return out

    def scan(self, aspects: Sequence[str]) -> Iterator[AspectRow]:
        """Row 0 of every aspect with one of these names, in (urn, aspect) order."""
        names = list(aspects)
        sql = (
            f"SELECT {_COLUMNS} FROM metadata_aspect_v2 WHERE version = 0 AND aspect IN ({_marks(len(names))}) "
            "ORDER BY urn, aspect"
        )
        for r in self._execute(sql, names):
            yield aspect_row(*r)

    def removed_urns(self) -> List[str]:
        """Urns whose current ``status`` says ``removed`` (soft-deleted), sorted. ``status`` has one
        field, so only a value holding ``true`` can say so: the others are not decoded."""
        sql = (
            "SELECT urn, metadata FROM metadata_aspect_v2 WHERE version = 0 AND aspect = 'status' "
            "AND instr(metadata, 'true') > 0 ORDER BY urn"
        )
        return [u for u, m in self._execute(sql) if (loads(m) or {}).get("removed") is True]

    def log_mark(self, topic: str = MCL_VERSIONED_TOPIC) -> Tuple[int, str]:
        """A topic's position: its last offset and a digest of its last batch's index (timestamps
        and keys), ``(-1, "")`` when empty. Every committed aspect change moves the change log's
        (the default), every accepted proposal the MCP topic's (caches of views compare them)."""
        row = self._execute(
            'SELECT last_offset, records FROM topic_log WHERE topic = ? AND "partition" = 0 '
            'ORDER BY "offset" DESC LIMIT 1',
            (resolve_topic(topic),),
        ).fetchone()
        if row is None:
            return -1, ""
        return int(row[0]), hashlib.sha1(row[1].encode("utf-8")).hexdigest()

    def aspect_counts(self) -> Dict[str, Dict[str, int]]:
        """Per aspect name: current rows (version 0) and archived versions."""
        sql = "SELECT aspect, sum(version = 0), count(*) FROM metadata_aspect_v2 GROUP BY aspect"
        return {name: {"current": cur, "archived": n - cur} for name, cur, n in self._execute(sql)}

    def timeseries_counts(self) -> Dict[str, int]:
        """Stored timeseries rows per aspect name."""
        return {a: n for a, n in self._execute("SELECT aspect, count(*) FROM metadata_timeseries GROUP BY aspect")}

    # ------------------------------------------------------------ runs
    def runs(self) -> List[Dict[str, Any]]:
        """Runs that wrote the current rows, newest first (as :meth:`MetadataStore.runs`)."""
        out: Dict[str, Dict[str, Any]] = {}
        # SQLite's JSON functions group in C: one pass, no row decoded in Python.
        sql = (
            "SELECT coalesce(json_extract(systemmetadata, '$.runId'), ''), count(*), min(createdon), "
            "max(createdon) FROM metadata_aspect_v2 WHERE version = 0 GROUP BY 1"
        )
        for rid, n, first, last in self._execute(sql):
            rid = rid or "no-run-id-provided"
            d = out.setdefault(rid, {"runId": rid, "rows": 0, "first": None, "last": None})
            d["rows"] += n
            f, la = dt_to_ms(first), dt_to_ms(last)
            d["first"] = f if d["first"] is None else min(d["first"], f)
            d["last"] = la if d["last"] is None else max(d["last"], la)
        return sorted(out.values(), key=lambda r: r["last"] or 0, reverse=True)

    def run_rows(self, run_id: str, values: bool = True) -> List[AspectRow]:
        """Row-0 aspects whose systemMetadata.runId is ``run_id`` (without ``values``, value None)."""
        like = "%" + f'"runId":{dumps(run_id)}'.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cols = _COLUMNS if values else _COLUMNS.replace("metadata,", "'null',", 1)
        rows = self._rows(
            f"SELECT {cols} FROM metadata_aspect_v2 WHERE version = 0 AND systemmetadata LIKE ? ESCAPE '\\'", (like,)
        )
        return [r for r in rows if (r.system_metadata or {}).get("runId") == run_id]

    def run_page(self, run_id: str, start: int = 0, count: Optional[int] = None) -> Tuple[int, int, List[AspectRow]]:
        """``(aspects, entities, rows)`` of a run (``runs show``): how many current aspects and
        entities it wrote, and the rows ``start .. start + count`` in (urn, aspect) order, values
        unread (None). Counted and paged in SQL: a run may have written the whole store."""
        like = "%" + f'"runId":{dumps(run_id)}'.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where = (
            "FROM metadata_aspect_v2 WHERE version = 0 AND systemmetadata LIKE ? ESCAPE '\\' "
            "AND json_extract(systemmetadata, '$.runId') = ?"
        )
        total, entities = self._execute(f"SELECT count(*), count(DISTINCT urn) {where}", (like, run_id)).fetchone()
        cols = _COLUMNS.replace("metadata,", "'null',", 1)
        rows = self._rows(
            f"SELECT {cols} {where} ORDER BY urn, aspect LIMIT ? OFFSET ?",
            (like, run_id, -1 if count is None else count, start),
        )
        return int(total), int(entities), rows

    # ------------------------------------------------------------ topics
    def _batches(self, topic: str, offset: int, max_batches: int, before: Optional[int]) -> List[RawBatch]:
        sql = (
            'SELECT "offset", records, codec, value FROM topic_log WHERE topic = ? AND "partition" = 0 AND '
            '"offset" >= (SELECT coalesce(max("offset"), 0) FROM topic_log WHERE topic = ? AND "partition" = 0 '
            'AND "offset" <= ?)'
        )
        args: List[Any] = [topic, topic, offset]
        if before is not None:
            sql += ' AND "offset" < ?'
            args.append(before)
        sql += ' ORDER BY "offset" LIMIT ?'
        return [(o, r, c, bytes(v)) for o, r, c, v in self._execute(sql, args + [max_batches])]

    def iter_topic(self, topic: str, offset: int = 0, end: Optional[int] = None) -> Iterator[TopicRecord]:
        """Stream a topic (name or alias) from ``offset``, up to ``end`` (exclusive) when given."""
        name = resolve_topic(topic)
        while end is None or offset < end:
            before = offset
            for batch in self._batches(name, offset, 8, end):
                recs, batch_end = unpack(name, 0, batch, offset, end)
                yield from recs
                offset = max(offset, batch_end)
            if offset == before:
                return

    def follow(
        self,
        topic: str,
        group: Optional[str] = None,
        from_offset: Optional[int] = None,
        accept: Optional[Callable[[TopicRecord], bool]] = None,
        limit: Optional[int] = None,
        follow: bool = False,
        poll_interval: float = 0.5,
    ) -> Iterator[TopicRecord]:
        """:meth:`MetadataStore.follow` without a consumer group (a reader commits nothing): the
        records from ``from_offset`` (or 0) that ``accept`` takes, at most ``limit``, then with
        ``follow`` the new ones, polling every ``poll_interval`` seconds."""
        if group is not None:
            raise StorageError("a read-only reader cannot consume as a group; open the store")
        offset, delivered = from_offset or 0, 0
        while True:
            for r in self.iter_topic(topic, offset):
                offset = r.offset + 1
                if accept is None or accept(r):
                    yield r
                    delivered += 1
                    if limit is not None and delivered >= limit:
                        return
            if not follow:
                return
            time.sleep(poll_interval)

    def read_topic(self, topic: str, offset: int = 0, limit: Optional[int] = None) -> List[TopicRecord]:
        """Records of a topic from ``offset`` (at most ``limit``)."""
        return list(self.iter_topic(topic, offset, None if limit is None else offset + limit))

    def key_records(self, topic: str, key: str, partial: bool = False) -> List[TopicRecord]:
        """Every record of a topic whose key is ``key`` (with ``partial``: contains it, as a platform
        event's ``<name>-<urn>`` contains its urn), in offset order: only the batches whose index
        names the key are decoded (the index holds each key as JSON text)."""
        name = resolve_topic(topic)
        out: List[TopicRecord] = []

        def keep(k: Optional[str]) -> bool:
            return key in (k or "") if partial else k == key

        sql = (
            'SELECT "offset", records, codec, value FROM topic_log WHERE topic = ? AND "partition" = 0 '
            'AND instr(records, ?) > 0 ORDER BY "offset"'
        )
        for o, r, c, v in self._execute(sql, (name, dumps(key)[1:-1] if partial else dumps(key))):
            recs, _ = unpack(name, 0, (o, r, c, bytes(v)), o, None, keep)
            out += recs
        return out

    def end_offsets(self) -> Dict[str, int]:
        """Log-end offset (the next offset) of every topic with records."""
        sql = 'SELECT topic, max(last_offset) FROM topic_log WHERE "partition" = 0 GROUP BY topic'
        return {t: int(o) + 1 for t, o in self._execute(sql) if o is not None}

    def topic_sizes(self) -> Dict[str, int]:
        """Records per topic."""
        sql = 'SELECT topic, sum(last_offset - "offset" + 1) FROM topic_log GROUP BY topic'
        return {t: int(n) for t, n in self._execute(sql)}

    def consumer_groups(self) -> List[str]:
        """Every consumer group with committed offsets."""
        return sorted({g for (g,) in self._execute("SELECT group_id FROM consumer_offsets")})

    def lag(self, group: str, topics: Optional[Iterable[str]] = None) -> Dict[str, int]:
        """Records not yet committed by the group, per topic."""
        ends = self.end_offsets()
        done = {
            t: o
            for t, o in self._execute("SELECT topic, next_offset FROM consumer_offsets WHERE group_id = ?", (group,))
        }
        names = [resolve_topic(t) for t in topics] if topics else sorted(ends)
        return {t: max(0, ends.get(t, 0) - done.get(t, 0)) for t in names}


def open_reader(path_or_url: str) -> Optional[SqliteReader]:
    """A :class:`SqliteReader` on the store when it is an existing SQLite file of the layout this
    reader knows; None otherwise (the caller opens the full store)."""
    path = sqlite_file(path_or_url)
    if path is None:
        return None
    try:
        reader = SqliteReader(path)
    except (sqlite3.Error, StorageError):  # not a store this reader knows: the full store says what is wrong
        return None
    try:
        row = reader._con.execute("SELECT max(version) FROM litemeta_schema_version").fetchone()
    except sqlite3.Error:  # not a litemeta store (yet): the full store says what is wrong
        row = None
    if row is None or row[0] != SCHEMA_VERSION:
        reader.close()
        return None
    return reader
