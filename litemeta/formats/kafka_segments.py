"""Kafka's on-disk log layout: ``<topic>-<partition>`` folders of RecordBatch v2 segments
(``<20-digit base offset>.log``) with their ``.index`` and ``.timeindex``, as Kafka's
``LogSegment`` writes and recovers them. The record format itself is :mod:`litemeta.formats.kafka_log`.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with SegmentWriter(d, "demo", 0) as w:
    ...     w.append(1_700_000_000_000, b"k", b"v", [("h", b"x")])
    0
    >>> [r.offset for r in read_partition(d, "demo", 0)]
    [0]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from litemeta.formats.kafka_log import (
    _INDEX_ENTRY,
    _TIME_INDEX_ENTRY,
    DEFAULT_BATCH_BYTES,
    DEFAULT_INDEX_INTERVAL_BYTES,
    DEFAULT_RECORDS_PER_BATCH,
    DEFAULT_SEGMENT_BYTES,
    BatchInfo,
    BatchRecord,
    CorruptionReport,
    Headers,
    _assemble_batch,
    _record_bytes,
    encode_varint,
    iter_batches,
    read_segment,
)


def partition_dir(directory: Union[str, os.PathLike], topic: str, partition: int) -> Path:
    """``<dir>/<topic>-<partition>``, Kafka's folder for a topic-partition."""
    return Path(directory) / f"{topic}-{partition}"


def segment_name(base_offset: int, suffix: str = ".log") -> str:
    """Kafka's file name: the base offset on 20 digits."""
    return f"{base_offset:020d}{suffix}"


def list_segments(folder: Union[str, os.PathLike]) -> List[Tuple[int, Path]]:
    """(base offset, path) of each ``.log`` segment of a partition folder, in offset order."""
    out = []
    for p in Path(folder).glob("*.log"):
        stem = p.stem
        if len(stem) == 20 and stem.isdigit():
            out.append((int(stem), p))
    return sorted(out)


def split_partition_dir(name: str) -> Optional[Tuple[str, int]]:
    """``("Topic", 3)`` from a folder name ``Topic-3``; None when it is not one."""
    topic, sep, part = name.rpartition("-")
    if not sep or not topic or not part.isdigit():
        return None
    return topic, int(part)


def read_partition(
    directory: Union[str, os.PathLike], topic: str, partition: int
) -> Iterator[Union[BatchRecord, CorruptionReport]]:
    """Every record of a topic-partition folder, segment after segment, with corruption reports."""
    for _base, path in list_segments(partition_dir(directory, topic, partition)):
        yield from read_segment(path, topic=topic, partition=partition)


def _index_entries(batches: Iterable[BatchInfo], base_offset: int, interval: int) -> Tuple[bytes, bytes]:
    """Kafka's .index and .timeindex for a segment's batches, as LogSegment.append/recover build them."""
    index = bytearray()
    time_index = bytearray()
    since_last = 0
    max_ts, offset_of_max = -1, base_offset
    last_time_entry = -1
    for b in batches:
        if b.max_timestamp > max_ts:
            max_ts, offset_of_max = b.max_timestamp, b.last_offset
        if since_last > interval:
            index += _INDEX_ENTRY.pack(b.last_offset - base_offset, b.position)
            if max_ts > last_time_entry:
                time_index += _TIME_INDEX_ENTRY.pack(max_ts, offset_of_max - base_offset)
                last_time_entry = max_ts
            since_last = 0
        since_last += b.size
    if max_ts > last_time_entry:  # a closed segment always ends with its largest timestamp
        time_index += _TIME_INDEX_ENTRY.pack(max_ts, offset_of_max - base_offset)
    return bytes(index), bytes(time_index)


class SegmentWriter:
    """Appends records to ``<dir>/<topic>-<partition>/<base offset>.log`` segments, rolling by size.

    Records are buffered into batches of ``records_per_batch`` (or ``max_batch_bytes``). Opening an
    existing partition folder continues after its last valid offset in a new segment (an invalid
    tail of the last segment is cut off first, as Kafka's recovery does). ``.index`` and
    ``.timeindex`` files are written when a segment is closed if ``write_indexes``.
    """

    def __init__(
        self,
        directory: Union[str, os.PathLike],
        topic: str,
        partition: int,
        *,
        max_segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        records_per_batch: int = DEFAULT_RECORDS_PER_BATCH,
        max_batch_bytes: int = DEFAULT_BATCH_BYTES,
        write_indexes: bool = True,
        index_interval_bytes: int = DEFAULT_INDEX_INTERVAL_BYTES,
    ) -> None:
        if records_per_batch < 1:
            raise ValueError(f"records_per_batch must be >= 1, got {records_per_batch}")
        self.topic = topic
        self.partition = partition
        self.folder = partition_dir(directory, topic, partition)
        self.max_segment_bytes = max_segment_bytes
        self.records_per_batch = records_per_batch
        self.max_batch_bytes = max_batch_bytes
        self.write_indexes = write_indexes
        self.index_interval_bytes = index_interval_bytes
        self.bytes_written = 0
        self.records_written = 0
        self._pending: List[bytes] = []  # encoded records of the open batch
        self._pending_bytes = 0
        self._base_offset = 0
        self._base_timestamp = 0
        self._max_timestamp = 0
        self._file: Optional[BinaryIO] = None
        self._segment_base = 0
        self._segment_size = 0
        self._segment_batches: List[BatchInfo] = []
        self.folder.mkdir(parents=True, exist_ok=True)
        self.next_offset = self._recover()
        self.last_headers: Tuple[Tuple[str, Optional[bytes]], ...] = self._last_headers

    def _recover(self) -> int:
        """Next offset after the existing segments; cuts an unreadable tail off the last segment.

        Like Kafka's recovery, bytes from a batch whose framing is broken (a truncated batch or an
        impossible length) to the end of the segment are removed; a batch with a bad CRC but a
        sound length is kept, and readers go on reporting it.
        """
        self._last_headers: Tuple[Tuple[str, Optional[bytes]], ...] = ()
        segments = list_segments(self.folder)
        if not segments:
            return 0
        base, path = segments[-1]
        data = path.read_bytes()
        valid_end = len(data)
        batches: List[BatchInfo] = []
        next_offset = base
        for item in iter_batches(data, str(path)):
            if isinstance(item, CorruptionReport):
                if item.stopped:
                    valid_end = item.position
                continue
            info, records = item
            batches.append(info)
            next_offset = info.last_offset + 1
            if records:
                self._last_headers = records[-1].headers
        if valid_end == 0:  # nothing readable: drop the segment and continue after the one before
            for suffix in (".log", ".index", ".timeindex"):
                (self.folder / segment_name(base, suffix)).unlink(missing_ok=True)
            return base if len(segments) == 1 else self._recover()
        if valid_end < len(data):
            with open(path, "r+b") as f:
                f.truncate(valid_end)
            if self.write_indexes:
                self._write_index_files(base, batches)
        return next_offset

    def _write_index_files(self, base: int, batches: Sequence[BatchInfo]) -> None:
        index, time_index = _index_entries(batches, base, self.index_interval_bytes)
        (self.folder / segment_name(base, ".index")).write_bytes(index)
        (self.folder / segment_name(base, ".timeindex")).write_bytes(time_index)

    def append(
        self,
        timestamp: int,
        key: Optional[bytes],
        value: Optional[bytes],
        headers: Headers = (),
        *,
        offset: Optional[int] = None,
    ) -> int:
        """Buffer one record; returns its offset (``offset`` if given, which must not go backwards)."""
        if offset is None:
            offset = self.next_offset
        elif offset != self.next_offset:
            if offset < self.next_offset:
                raise ValueError(
                    f"{self.topic}-{self.partition}: offset {offset} is below the next offset {self.next_offset}"
                )
            self._flush_batch()  # a gap: start a new batch at the given offset
        pending = self._pending
        if not pending:
            self._base_offset = offset
            self._base_timestamp = timestamp
            self._max_timestamp = timestamp
        elif timestamp > self._max_timestamp:
            self._max_timestamp = timestamp
        if headers or key is None or value is None:
            record = _record_bytes(offset - self._base_offset, timestamp - self._base_timestamp, key, value, headers)
        else:  # the export hot path: key and value, no headers (the same bytes as _record_bytes)
            varint = encode_varint
            ts_delta = varint(timestamp - self._base_timestamp)
            offset_delta = varint(offset - self._base_offset)
            key_len = varint(len(key))
            value_len = varint(len(value))
            size = 2 + len(ts_delta) + len(offset_delta) + len(key_len) + len(key) + len(value_len) + len(value)
            record = b"".join((varint(size), b"\x00", ts_delta, offset_delta, key_len, key, value_len, value, b"\x00"))
        pending.append(record)
        self._pending_bytes += len(record)
        self.next_offset = offset + 1
        if len(pending) >= self.records_per_batch or self._pending_bytes >= self.max_batch_bytes:
            self._flush_batch()
        return offset

    def _flush_batch(self) -> None:
        pending = self._pending
        if not pending:
            return
        base = self._base_offset
        last = self.next_offset - 1
        header, body = _assemble_batch(
            base, last, self._base_timestamp, self._max_timestamp, len(pending), b"".join(pending), 0
        )
        size = len(header) + len(body)
        if self._file is not None and self._segment_size > 0 and self._segment_size + size > self.max_segment_bytes:
            self._close_segment()
        if self._file is None:
            self._segment_base = base
            self._segment_size = 0
            self._segment_batches = []
            self._file = open(self.folder / segment_name(base), "xb")
        self._file.write(header)
        self._file.write(body)
        self._segment_batches.append(BatchInfo(self._segment_size, base, last, size, self._max_timestamp, len(pending)))
        self._segment_size += size
        self.bytes_written += size
        self.records_written += len(pending)
        self._pending = []
        self._pending_bytes = 0

    def _close_segment(self) -> None:
        if self._file is None:
            return
        self._file.close()
        self._file = None
        if self.write_indexes:
            self._write_index_files(self._segment_base, self._segment_batches)

    def flush(self) -> None:
        """Write the pending batch (the segment stays open)."""
        self._flush_batch()
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Write the pending batch, close the segment and write its indexes."""
        self._flush_batch()
        self._close_segment()

    def __enter__(self) -> "SegmentWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
