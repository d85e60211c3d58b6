"""Topics as append-only tables with Kafka coordinates, and consumer-group offsets.

Offsets are contiguous per (topic, partition), as in Kafka. Appends happen only inside the
writer's transaction (:mod:`litemeta.core.ingest`), so an event exists iff its cause committed.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from litemeta.errors import StorageError
from litemeta.model.events import PLATFORM_EVENT_TOPIC, TOPICS, TopicRecord
from litemeta.storage.db import consumer_offsets, topic_log

PARTITION = 0  # the store keeps one partition per topic; exports may re-partition (murmur2)

# Platform events are stored as their payload's JSON text: their envelope (design.md choice 8:
# ``{header: {timestampMillis}, name, payload: {value, contentType}}``) is a function of the
# record's timestamp and key (``<name>-<urn>``, R3.4), rebuilt on read. This keeps the largest
# topic a third smaller and spares a JSON escape on write and a JSON parse on read.
ENVELOPED = frozenset({PLATFORM_EVENT_TOPIC})


def envelope(key: str, timestamp: int, payload_text: str) -> Dict[str, Any]:
    """The PlatformEvent value of a stored payload."""
    return {"header": {"timestampMillis": timestamp}, "name": key.split("-", 1)[0],
            "payload": {"value": payload_text, "contentType": "application/json"}}


def _stored_text(topic: str, key: str, timestamp: int, value: Mapping[str, Any]) -> str:
    if topic not in ENVELOPED:
        return dumps(value)
    payload = value.get("payload") or {}
    if envelope(key, timestamp, str(payload.get("value"))) != value:
        raise StorageError(f"a {topic} record must be {{header: {{timestampMillis: <record timestamp>}}, "
                           f"name: <key prefix>, payload: {{value, contentType: application/json}}}}; "
                           f"got key {key!r}, timestamp {timestamp}, value {value!r}")
    return str(payload["value"])


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
dumps = _ENCODER.encode  # compact JSON as stored in the log and in metadata columns (one encoder, C speed)
_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # C scanner, untyped in typeshed


def _loads(text: str) -> Any:
    """json.loads for the log's compact JSON: the C scanner directly (no whitespace regex or wrappers)."""
    try:
        obj, end = _SCAN(text, 0)
    except StopIteration:
        return json.loads(text)  # raises the usual error
    return obj if end == len(text) else json.loads(text)


def next_offsets(conn: Connection, topics: Sequence[str] = TOPICS) -> Dict[str, int]:
    """Next offset of each topic (partition 0), read at the start of every write batch.

    One ``max(offset)`` per topic, which the primary key (topic, partition, offset) answers with
    an index seek; a ``GROUP BY`` over the whole log would scan millions of rows.
    """
    out: Dict[str, int] = {}
    for topic in topics:
        mx = conn.execute(select(func.max(topic_log.c.offset)).where(
            and_(topic_log.c.topic == topic, topic_log.c.partition == PARTITION))).scalar()
        if mx is not None:
            out[topic] = mx + 1
    return out


class Appender:
    """Collects a batch's topic records and writes them with contiguous offsets."""

    def __init__(self, offsets: Dict[str, int]) -> None:
        self._next = offsets
        self.rows: List[Tuple[Any, ...]] = []

    def append(self, topic: str, key: str, timestamp: int, value: Mapping[str, Any],
               headers: Optional[Mapping[str, str]] = None) -> int:
        """Queue one record; return its offset."""
        return self.append_text(topic, key, timestamp, _stored_text(topic, key, timestamp, value), headers)

    def append_text(self, topic: str, key: str, timestamp: int, value_text: str,
                    headers: Optional[Mapping[str, str]] = None) -> int:
        """Queue one record whose value is already in stored form (JSON text; for platform events,
        the payload's JSON text); return its offset."""
        off = self._next.get(topic, 0)
        self._next[topic] = off + 1
        self.rows.append((topic, PARTITION, off, int(timestamp), key, value_text,
                          dumps(dict(headers)) if headers else None))
        return off

    def flush(self, conn: Connection) -> None:
        """Insert every queued record (one executemany straight to the driver: no per-row compilation)."""
        if self.rows:
            insert_rows(conn, topic_log, self.rows)
            self.rows = []


def insert_rows(conn: Connection, table: Any, rows: Sequence[Sequence[Any]]) -> None:
    """executemany of positional rows (in the table's column order) with the driver's paramstyle."""
    style = conn.dialect.paramstyle
    marks = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(style)
    if marks is None:  # named / numeric styles: let SQLAlchemy bind
        names = [c.name for c in table.columns]
        conn.execute(table.insert(), [dict(zip(names, r)) for r in rows])
        return
    prep = conn.dialect.identifier_preparer
    cols = ", ".join(prep.quote(c.name) for c in table.columns)
    sql = f"INSERT INTO {prep.format_table(table)} ({cols}) VALUES ({', '.join([marks] * len(table.columns))})"
    conn.exec_driver_sql(sql, list(rows))


def _record(row: Any) -> TopicRecord:
    value = (envelope(row.key, row.timestamp, row.value) if row.topic in ENVELOPED else json.loads(row.value))
    return TopicRecord(
        topic=row.topic, partition=row.partition, offset=row.offset, timestamp=row.timestamp,
        key=row.key, value=value, headers=json.loads(row.headers) if row.headers else {},
    )


def read_topic(conn: Connection, topic: str, offset: int = 0, limit: Optional[int] = None,
               partition: int = PARTITION) -> List[TopicRecord]:
    """Records of a topic from ``offset`` on, in offset order.

    Followers and exports read the log in bulk, so this goes straight to the driver (portable SQL,
    no per-row result processing).
    """
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if mark is None:  # pragma: no cover - named/numeric paramstyles: let SQLAlchemy bind
        q = (select(topic_log).where(and_(topic_log.c.topic == topic, topic_log.c.partition == partition,
                                          topic_log.c.offset >= offset)).order_by(topic_log.c.offset))
        if limit is not None:
            q = q.limit(limit)
        return [_record(r) for r in conn.execute(q)]
    prep = conn.dialect.identifier_preparer
    off = prep.quote("offset")
    sql = (f"SELECT topic, {prep.quote('partition')}, {off}, timestamp, {prep.quote('key')}, value, headers "
           f"FROM topic_log WHERE topic = {mark} AND {prep.quote('partition')} = {mark} AND {off} >= {mark} "
           f"ORDER BY {off}" + (f" LIMIT {int(limit)}" if limit is not None else ""))
    loads = _loads
    if topic in ENVELOPED:
        return [TopicRecord(t, p, o, ts, k, envelope(k, ts, v), loads(h) if h else {})
                for t, p, o, ts, k, v, h in conn.exec_driver_sql(sql, (topic, partition, offset)).fetchall()]
    return [TopicRecord(t, p, o, ts, k, loads(v), loads(h) if h else {})
            for t, p, o, ts, k, v, h in conn.exec_driver_sql(sql, (topic, partition, offset)).fetchall()]


def keys_since(conn: Connection, topic: str, start: int, end: int, partition: int = PARTITION) -> List[str]:
    """The distinct keys of a topic's records in ``[start, end)``, in order of last appearance."""
    q = (select(topic_log.c.key, func.max(topic_log.c.offset).label("last"))
         .where(and_(topic_log.c.topic == topic, topic_log.c.partition == partition,
                     topic_log.c.offset >= start, topic_log.c.offset < end))
         .group_by(topic_log.c.key).order_by("last"))
    return [k for k, _ in conn.execute(q)]


def iter_topic(conn: Connection, topic: str, offset: int = 0, chunk: int = 5000,
               partition: int = PARTITION) -> Iterator[TopicRecord]:
    """Stream a topic in chunks (bounded memory)."""
    while True:
        rows = read_topic(conn, topic, offset, chunk, partition)
        if not rows:
            return
        yield from rows
        offset = rows[-1].offset + 1


def end_offsets(conn: Connection) -> Dict[str, int]:
    """Log-end offset (next offset) per topic."""
    return next_offsets(conn)


def committed(conn: Connection, group: str) -> Dict[Tuple[str, int], int]:
    """Committed next offsets of a consumer group, by (topic, partition)."""
    rows = conn.execute(select(consumer_offsets.c.topic, consumer_offsets.c.partition,
                               consumer_offsets.c.next_offset).where(consumer_offsets.c.group_id == group))
    return {(t, p): o for t, p, o in rows}


def commit(conn: Connection, group: str, offsets: Mapping[Tuple[str, int], int]) -> None:
    """Persist a group's next offsets (delete + insert: portable upsert)."""
    for (topic, partition), nxt in offsets.items():
        conn.execute(consumer_offsets.delete().where(and_(
            consumer_offsets.c.group_id == group, consumer_offsets.c.topic == topic,
            consumer_offsets.c.partition == partition)))
        conn.execute(consumer_offsets.insert().values(group_id=group, topic=topic, partition=partition,
                                                      next_offset=int(nxt)))


def groups(conn: Connection) -> List[str]:
    """Every consumer group with committed offsets."""
    return sorted({r[0] for r in conn.execute(select(consumer_offsets.c.group_id))})


def topic_sizes(conn: Connection) -> Dict[str, int]:
    """Record count per topic."""
    return {t: n for t, n in conn.execute(select(topic_log.c.topic, func.count()).group_by(topic_log.c.topic))}


def delete_groups(conn: Connection, names: Sequence[str]) -> None:
    """Forget the committed offsets of the named groups."""
    if names:
        conn.execute(consumer_offsets.delete().where(consumer_offsets.c.group_id.in_(list(names))))


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Slices of at most ``size`` items (for IN lists)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]
