"""Topics as append-only record batches with Kafka coordinates, and consumer-group offsets.

Offsets are contiguous per (topic, partition), as in Kafka. Appends happen only inside the
writer's transaction (:mod:`litemeta.core.ingest`), so an event exists iff its cause committed.

As in Kafka, the log is stored as record batches: one ``topic_log`` row holds the records
``offset .. last_offset`` of one topic-partition, all appended by one write transaction. The row's
``records`` column is the batch index, a JSON array of ``[timestamp, key, length, headers]``
per record (a timestamp or key equal to the previous record's is null), and ``value`` is the
records' stored values concatenated, in UTF-8, compressed when ``codec`` says so (``length``
counts code points, so a record's value is a slice of the decoded text). A write batch of 1,000
proposals thus inserts a handful of rows instead of ~8,000, and a reader fetches a batch with
one row.
"""

from __future__ import annotations

import threading
import zlib
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from litemeta.errors import StorageError
from litemeta.model.events import TOPICS, TopicRecord
from litemeta.model.jsontext import dumps
from litemeta.storage.batches import (  # noqa: F401 - encode_batch and StoredRecord are part of this API
    CODEC_NONE,
    CODEC_ZLIB,
    ENVELOPED,
    EncodedBatch,
    RawBatch,
    StoredRecord,
    decode_index,
    encode_batch,
    envelope,
    fingerprint,
    index_and_value,
    unpack,
)
from litemeta.storage.tables import consumer_offsets, topic_log

PARTITION = 0  # the store keeps one partition per topic; exports may re-partition (murmur2)


def _stored_text(topic: str, key: str, timestamp: int, value: Mapping[str, Any]) -> str:
    if topic not in ENVELOPED:
        return dumps(value)
    payload = value.get("payload") or {}
    if envelope(key, timestamp, str(payload.get("value"))) != value:
        raise StorageError(
            f"a {topic} record must be {{header: {{timestampMillis: <record timestamp>}}, "
            f"name: <key prefix>, payload: {{value, contentType: application/json}}}}; "
            f"got key {key!r}, timestamp {timestamp}, value {value!r}"
        )
    return str(payload["value"])


# A batch row holds at most this many records and (roughly) this many characters of values, so
# that reading a few records never fetches much more than it needs.
MAX_BATCH_RECORDS = 1000
MAX_BATCH_CHARS = 4_000_000


def next_offsets(conn: Connection, topics: Sequence[str] = TOPICS) -> Dict[str, int]:
    """Next offset of each topic (partition 0), read at the start of every write batch.

    One query per topic for the last batch's ``last_offset``, which the primary key (topic,
    partition, offset) answers with an index seek; a ``GROUP BY`` over the log would scan it all.
    """
    out: Dict[str, int] = {}
    for topic in topics:
        last = conn.execute(
            select(topic_log.c.last_offset)
            .where(and_(topic_log.c.topic == topic, topic_log.c.partition == PARTITION))
            .order_by(topic_log.c.offset.desc())
            .limit(1)
        ).scalar()
        if last is not None:
            out[topic] = last + 1
    return out


# Batches of at least this many value bytes are stored zlib-compressed (level 1): an ingest's MCL
# and MCP batches shrink about 7x (49 MB to 6.4 MB on the 20k corpus) for 0.3 s of CPU, about
# what SQLite saves by writing (to the WAL, then the database) an eighth of the pages (measured
# time-neutral inline; the writer now compresses on a thread, see Appender.encode). Small
# batches (an emitter's few records) stay plain: reading them needs no inflate.
COMPRESS_MIN_BYTES = 16 * 1024


class _Deflater(threading.Thread):
    """Compresses a flush's large batch values on a thread of its own while the writer goes on
    (zlib releases the GIL while it deflates): the writer's next work, the aspect rows of the
    batch, overlaps it. A thread per flush, so nothing outlives the flush (or a fork)."""

    def __init__(self, values: List[bytes]) -> None:
        super().__init__(name="litemeta-deflate", daemon=True)
        self.values = values
        self.out: List[bytes] = []
        self.error: Optional[BaseException] = None
        self.start()

    def run(self) -> None:
        try:
            self.out = [zlib.compress(v, 1) for v in self.values]
        except BaseException as exc:  # pragma: no cover - MemoryError; re-raised in the writer
            self.error = exc

    def result(self) -> List[bytes]:
        self.join()
        if self.error is not None:  # pragma: no cover
            raise self.error
        return self.out


class Appender:
    """Collects a write transaction's topic records and writes them as record batches."""

    def __init__(self, offsets: Dict[str, int]) -> None:
        self._next = offsets
        # per topic, in offset order: runs of records still to encode, and batches already encoded
        self._pending: Dict[str, List[Union[List[StoredRecord], EncodedBatch]]] = {}
        self._base: Dict[str, int] = {}
        self._rows: List[Tuple[Any, ...]] = []  # encoded, not yet inserted (see encode)
        self._deflaters: List[_Deflater] = []

    def append(
        self,
        topic: str,
        key: str,
        timestamp: int,
        value: Mapping[str, Any],
        headers: Optional[Mapping[str, str]] = None,
    ) -> int:
        """Queue one record; return its offset."""
        return self.append_text(topic, key, timestamp, _stored_text(topic, key, timestamp, value), headers)

    def append_text(
        self, topic: str, key: str, timestamp: int, value_text: str, headers: Optional[Mapping[str, str]] = None
    ) -> int:
        """Queue one record whose value is already in stored form (JSON text; for platform events,
        the payload's JSON text); return its offset."""
        off = self._next.get(topic, 0)
        self._next[topic] = off + 1
        self._run(topic, off).append((int(timestamp), key, value_text, dict(headers) if headers else None))
        return off

    def extend(self, topic: str, records: Sequence[StoredRecord]) -> Tuple[int, int]:
        """Queue records already in stored form; return their first and last offsets."""
        first = self._next.get(topic, 0)
        self._next[topic] = first + len(records)
        self._run(topic, first).extend(records)
        return first, first + len(records) - 1

    def add_batch(self, topic: str, batch: EncodedBatch) -> Tuple[int, int]:
        """Queue a batch encoded elsewhere (:func:`encode_batch`); return its first and last offsets."""
        first = self._next.get(topic, 0)
        self._next[topic] = first + batch.count
        self._base.setdefault(topic, first)
        self._pending.setdefault(topic, []).append(batch)
        return first, first + batch.count - 1

    def _run(self, topic: str, offset: int) -> List[StoredRecord]:
        parts = self._pending.get(topic)
        if parts is None:
            parts = self._pending[topic] = []
            self._base[topic] = offset
        if not parts or isinstance(parts[-1], EncodedBatch):
            parts.append([])
        run = parts[-1]
        assert isinstance(run, list)
        return run

    def encode(self) -> None:
        """Encode what is queued as batch rows now, and start compressing the large ones on a
        thread (:class:`_Deflater`); :meth:`flush` inserts them. Calling this before other work
        of the transaction (the aspect rows) lets the two overlap."""
        big: List[bytes] = []
        for topic, parts in self._pending.items():
            offset = self._base[topic]
            for part in parts:
                if isinstance(part, EncodedBatch):
                    if part.count:
                        self._rows.append(
                            (topic, PARTITION, offset, offset + part.count - 1, part.index, part.codec, part.value)
                        )
                        offset += part.count
                    continue
                for chunk in _split(part):
                    index, value = index_and_value(chunk)
                    row = (topic, PARTITION, offset, offset + len(chunk) - 1, index)
                    if len(value) >= COMPRESS_MIN_BYTES:
                        big.append(value)
                        self._rows.append(row + (CODEC_ZLIB, _PENDING))  # flush puts the deflated bytes here
                    else:
                        self._rows.append(row + (CODEC_NONE, value))
                    offset += len(chunk)
        if big:
            self._deflaters.append(_Deflater(big))
        self._pending, self._base = {}, {}

    def flush(self, conn: Connection) -> None:
        """Insert the queued records as batch rows (one executemany straight to the driver)."""
        self.encode()
        rows, self._rows = self._rows, []
        deflated = iter([v for d in self._deflaters for v in d.result()])
        self._deflaters = []
        rows = [r if r[6] is not _PENDING else r[:6] + (next(deflated),) for r in rows]
        if rows:
            insert_rows(conn, topic_log, rows)


_PENDING = b"<compressing>"


def _split(records: List[StoredRecord]) -> Iterator[List[StoredRecord]]:
    """Runs of at most MAX_BATCH_RECORDS records and about MAX_BATCH_CHARS characters."""
    i = 0
    while i < len(records):
        j, chars = i, 0
        while j < len(records) and j - i < MAX_BATCH_RECORDS and (chars < MAX_BATCH_CHARS or j == i):
            chars += len(records[j][2])
            j += 1
        yield records[i:j]
        i = j


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


def _raw_batches(
    conn: Connection,
    topic: str,
    offset: int,
    partition: int,
    max_batches: Optional[int] = None,
    before: Optional[int] = None,
    values: bool = True,
) -> List[RawBatch]:
    """The batch rows holding ``offset`` and after (and before offset ``before``), in order;
    without ``values``, the value column is left unread (empty bytes)."""
    t = topic_log.c
    cond = and_(t.topic == topic, t.partition == partition)
    # The batch holding ``offset`` starts at the largest base offset <= offset (an index seek).
    first = select(func.coalesce(func.max(t.offset), 0)).where(and_(cond, t.offset <= offset)).scalar_subquery()
    q = select(t.offset, t.records, t.codec, *([t.value] if values else [])).where(and_(cond, t.offset >= first))
    if before is not None:
        q = q.where(t.offset < before)
    q = q.order_by(t.offset)
    if max_batches is not None:
        q = q.limit(max_batches)
    return [(r[0], r[1], r[2], r[3] if values else b"") for r in conn.execute(q)]


def read_topic(
    conn: Connection, topic: str, offset: int = 0, limit: Optional[int] = None, partition: int = PARTITION
) -> List[TopicRecord]:
    """Records of a topic from ``offset`` on, in offset order (at most ``limit``: offsets are
    contiguous, so those below ``offset + limit``)."""
    return list(iter_topic(conn, topic, offset, partition=partition, end=None if limit is None else offset + limit))


def keys_since(conn: Connection, topic: str, start: int, end: int, partition: int = PARTITION) -> List[str]:
    """The distinct keys of a topic's records in ``[start, end)``, in order of last appearance."""
    last: Dict[str, None] = {}
    for base, index_text, _, _ in _raw_batches(conn, topic, start, partition, before=end, values=False):
        for i, (_ts, key, _n, _h) in enumerate(decode_index(index_text)):
            if start <= base + i < end:
                last.pop(key, None)
                last[key] = None
    return list(last)


def iter_topic(
    conn: Connection, topic: str, offset: int = 0, chunk: int = 8, partition: int = PARTITION, end: Optional[int] = None
) -> Iterator[TopicRecord]:
    """Stream a topic (bounded memory: ``chunk`` batch rows at a time), up to offset ``end``
    (exclusive) when given. Each batch row is decoded once."""
    while end is None or offset < end:
        batches = _raw_batches(conn, topic, offset, partition, max_batches=chunk, before=end)
        before = offset
        for batch in batches:
            recs, batch_end = unpack(topic, partition, batch, offset, end)
            yield from recs
            offset = max(offset, batch_end)
        if offset == before:
            return


def log_fingerprint(conn: Connection, topic: str, partition: int = PARTITION) -> Optional[str]:
    """:func:`~litemeta.storage.batches.fingerprint` of a topic's first record (None when empty)."""
    t = topic_log.c
    row = conn.execute(
        select(t.records).where(and_(t.topic == topic, t.partition == partition)).order_by(t.offset).limit(1)
    ).first()
    return None if row is None else fingerprint(row[0])


def key_records(
    conn: Connection, topic: str, key: str, partial: bool = False, partition: int = PARTITION
) -> List[TopicRecord]:
    """Every record of a topic whose key is ``key`` (with ``partial``: contains it), in offset
    order. Only batches whose index names the key (as JSON text) are fetched and decoded: an
    entity's MCLs without a log scan."""
    t = topic_log.c
    text = dumps(key)[1:-1] if partial else dumps(key)

    def keep(k: Optional[str]) -> bool:
        return key in (k or "") if partial else k == key

    q = (
        select(t.offset, t.records, t.codec, t.value)
        .where(and_(t.topic == topic, t.partition == partition, t.records.contains(text, autoescape=True)))
        .order_by(t.offset)
    )
    out: List[TopicRecord] = []
    for o, index_text, codec, value in conn.execute(q):
        recs, _ = unpack(topic, partition, (o, index_text, codec, value), o, None, keep)
        out += recs
    return out


def end_offsets(conn: Connection) -> Dict[str, int]:
    """Log-end offset (next offset) per topic."""
    return next_offsets(conn)


def committed(conn: Connection, group: str) -> Dict[Tuple[str, int], int]:
    """Committed next offsets of a consumer group, by (topic, partition)."""
    rows = conn.execute(
        select(consumer_offsets.c.topic, consumer_offsets.c.partition, consumer_offsets.c.next_offset).where(
            consumer_offsets.c.group_id == group
        )
    )
    return {(t, p): o for t, p, o in rows}


def commit(conn: Connection, group: str, offsets: Mapping[Tuple[str, int], int]) -> None:
    """Persist a group's next offsets (delete + insert: portable upsert)."""
    for (topic, partition), nxt in offsets.items():
        conn.execute(
            consumer_offsets.delete().where(
                and_(
                    consumer_offsets.c.group_id == group,
                    consumer_offsets.c.topic == topic,
                    consumer_offsets.c.partition == partition,
                )
            )
        )
        conn.execute(
            consumer_offsets.insert().values(group_id=group, topic=topic, partition=partition, next_offset=int(nxt))
        )


def groups(conn: Connection) -> List[str]:
    """Every consumer group with committed offsets."""
    return sorted({r[0] for r in conn.execute(select(consumer_offsets.c.group_id))})


def topic_sizes(conn: Connection) -> Dict[str, int]:
    """Record count per topic."""
    n = func.sum(topic_log.c.last_offset - topic_log.c.offset + 1)
    return {t: int(c) for t, c in conn.execute(select(topic_log.c.topic, n).group_by(topic_log.c.topic))}


def delete_groups(conn: Connection, names: Sequence[str]) -> None:
    """Forget the committed offsets of the named groups."""
    if names:
        conn.execute(consumer_offsets.delete().where(consumer_offsets.c.group_id.in_(list(names))))


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Slices of at most ``size`` items (for IN lists)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
