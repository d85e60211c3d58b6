"""Kafka's on-disk record format: RecordBatch v2 (encoded and read back), varints, and Kafka's partitioner.

Pure bytes; the only third-party import is ``crc32c`` (CRC-32C in C). The layout follows Kafka's
protocol guide ("Record Batch") exactly as ``DefaultRecordBatch``/``DefaultRecord`` write it::

    baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (=2) | crc uint32
    | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 | maxTimestamp int64
    | producerId int64 | producerEpoch int16 | baseSequence int32 | recordCount int32 | records

    record = length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
             | keyLength varint | key | valueLength varint | value | headerCount varint
             | (headerKeyLength varint | headerKey | headerValueLength varint | headerValue)*

Varints are zig-zag encoded; a length of -1 is null. The CRC covers attributes to the end of the
batch. litemeta writes uncompressed batches with CreateTime timestamps, no producer id
(-1/-1/-1) and a partition leader epoch of 0, as a fresh single-broker log would hold.

    >>> batch = encode_record_batch([BatchRecord(0, 1_700_000_000_000, b"k", b"v", (("h", b"x"),))])
    >>> [r.offset for r in read_segment(batch)]
    [0]
    >>> kafka_partition(b"urn:li:corpuser:datahub", 3) in (0, 1, 2)
    True

Segments, their folders and indexes are in :mod:`litemeta.formats.kafka_segments`.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import crc32c

Headers = Sequence[Tuple[str, Optional[bytes]]]

MAGIC = 2
NO_PRODUCER_ID = -1
NO_PRODUCER_EPOCH = -1
NO_SEQUENCE = -1
ATTR_COMPRESSION_MASK = 0x07
ATTR_LOG_APPEND_TIME = 0x08
ATTR_TRANSACTIONAL = 0x10
ATTR_CONTROL = 0x20

# baseOffset, batchLength, partitionLeaderEpoch, magic, crc
_PREFIX = struct.Struct(">qiibI")
# attributes .. recordCount: the part of the header the CRC covers
_CRC_HEADER = struct.Struct(">hiqqqhii")
LOG_OVERHEAD = 12  # baseOffset + batchLength: what batchLength does not count
HEADER_SIZE = _PREFIX.size + _CRC_HEADER.size  # 61, Kafka's RECORD_BATCH_OVERHEAD
_CRC_OFFSET = 17
_ATTRIBUTES_OFFSET = 21
_INDEX_ENTRY = struct.Struct(">ii")  # relative offset, physical position
_TIME_INDEX_ENTRY = struct.Struct(">qi")  # timestamp, relative offset

DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
DEFAULT_RECORDS_PER_BATCH = 500
DEFAULT_BATCH_BYTES = 1024 * 1024  # Kafka's default max.message.bytes is about 1 MiB
DEFAULT_INDEX_INTERVAL_BYTES = 4096  # Kafka's index.interval.bytes


# --- varints (zig-zag, as Kafka's ByteUtils.writeVarint/writeVarlong) -------------------------


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL_UVARINTS = [_uvarint(i) for i in range(1 << 14)]  # every 1- and 2-byte varint
# Longer varints (timestamps and their deltas, mostly) repeat: the records of one write share
# a timestamp. A bounded cache, cleared when full, saves the byte-by-byte loop for most of them.
_LARGE_UVARINTS: Dict[int, bytes] = {}
_LARGE_CACHE_SIZE = 1 << 16


def encode_varint(n: int) -> bytes:
    """Kafka's zig-zag varint/varlong of a signed 64-bit integer (also Avro's int/long encoding)."""
    zz = (n << 1) ^ (n >> 63)
    if zz < 16384:
        return _SMALL_UVARINTS[zz]
    b = _LARGE_UVARINTS.get(zz)
    if b is None:
        if zz < 2097152:  # 3 bytes, built in one step
            b = bytes(((zz & 0x7F) | 0x80, ((zz >> 7) & 0x7F) | 0x80, zz >> 14))
        else:
            b = _uvarint(zz)
        if len(_LARGE_UVARINTS) >= _LARGE_CACHE_SIZE:
            _LARGE_UVARINTS.clear()
        _LARGE_UVARINTS[zz] = b
    return b


def decode_varint(buf: Union[bytes, bytearray, memoryview], pos: int) -> Tuple[int, int]:
    """Decode a zig-zag varint at ``pos``; returns (value, next position). IndexError when truncated."""
    b = buf[pos]
    pos += 1
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos
    result = b & 0x7F
    shift = 7
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


# --- Kafka's default partitioner --------------------------------------------------------------


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2`` (seed 0x9747b28c), as a signed 32-bit int like Java's."""
    m = 0x5BD1E995
    mask = 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    n4 = length // 4
    for k in struct.unpack_from(f"<{n4}I", data):
        k = (k * m) & mask
        k ^= k >> 24
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    rest = length & 3
    tail = length & ~3
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def kafka_partition(key: bytes, num_partitions: int) -> int:
    """The partition Kafka's default partitioner picks for a keyed record: ``toPositive(murmur2) % n``."""
    if num_partitions < 1:
        raise ValueError(f"num_partitions must be >= 1, got {num_partitions}")
    return (murmur2(key) & 0x7FFFFFFF) % num_partitions


# --- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRecord:
    """One record read from (or to be written to) a segment, with its absolute offset."""

    offset: int
    timestamp: int
    key: Optional[bytes]
    value: Optional[bytes]
    headers: Tuple[Tuple[str, Optional[bytes]], ...] = ()
    position: int = field(default=-1, compare=False)  # byte position of its batch in the segment


@dataclass(frozen=True)
class CorruptionReport:
    """A part of a segment that could not be read: where, which batch, and why."""

    file: str
    position: int
    base_offset: Optional[int]
    reason: str
    topic: Optional[str] = None
    partition: Optional[int] = None
    stopped: bool = False  # True when the rest of the segment could not be located

    def describe(self) -> str:
        """One line naming topic-partition, offset, file and byte position."""
        where = f"{self.topic}-{self.partition} " if self.topic is not None else ""
        offset = f"batch at offset {self.base_offset}" if self.base_offset is not None else "batch"
        return f"{where}{offset} ({self.file} byte {self.position}): {self.reason}"


@dataclass(frozen=True)
class BatchInfo:
    """What a batch header says, plus where the batch starts in its file."""

    position: int
    base_offset: int
    last_offset: int
    size: int
    max_timestamp: int
    record_count: int


def _record_bytes(
    offset_delta: int,
    timestamp_delta: int,
    key: Optional[bytes],
    value: Optional[bytes],
    headers: Headers,
    varint: Callable[[int], bytes] = encode_varint,
) -> bytes:
    """One record (length-prefixed), as Kafka's DefaultRecord.writeTo lays it out.

    Built in one join (the length prefix is computed from the parts, so the value is copied once).
    """
    parts = [b"", b"\x00", varint(timestamp_delta), varint(offset_delta)]  # [length], attributes int8 = 0
    if key is None:
        parts.append(b"\x01")  # varint -1: null
    else:
        parts.append(varint(len(key)))
        parts.append(key)
    if value is None:
        parts.append(b"\x01")
    else:
        parts.append(varint(len(value)))
        parts.append(value)
    if headers:
        parts.append(varint(len(headers)))
        for h_key, h_value in headers:
            hk = h_key.encode("utf-8")
            parts.append(varint(len(hk)))
            parts.append(hk)
            if h_value is None:
                parts.append(b"\x01")
            else:
                parts.append(varint(len(h_value)))
                parts.append(h_value)
    else:
        parts.append(b"\x00")
    parts[0] = varint(sum(map(len, parts)))
    return b"".join(parts)


def _assemble_batch(
    base_offset: int,
    last_offset: int,
    base_timestamp: int,
    max_timestamp: int,
    count: int,
    body: bytes,
    partition_leader_epoch: int,
) -> Tuple[bytes, bytes]:
    """(batch header, records): the header with its CRC computed over header tail and records."""
    covered_header = _CRC_HEADER.pack(
        0,  # attributes: no compression, CreateTime, not transactional, not control
        last_offset - base_offset,
        base_timestamp,
        max_timestamp,
        NO_PRODUCER_ID,
        NO_PRODUCER_EPOCH,
        NO_SEQUENCE,
        count,
    )
    crc = crc32c.crc32c(body, crc32c.crc32c(covered_header))
    batch_length = len(covered_header) + len(body) + 9  # + partitionLeaderEpoch, magic, crc
    return _PREFIX.pack(base_offset, batch_length, partition_leader_epoch, MAGIC, crc) + covered_header, body


def encode_record_batch(records: Sequence[BatchRecord], *, partition_leader_epoch: int = 0) -> bytes:
    """One uncompressed RecordBatch v2 holding ``records`` (increasing offsets; the first is the base)."""
    if not records:
        raise ValueError("a record batch needs at least one record")
    base_offset = records[0].offset
    base_timestamp = records[0].timestamp
    body = b"".join(
        [
            _record_bytes(r.offset - base_offset, r.timestamp - base_timestamp, r.key, r.value, r.headers)
            for r in records
        ]
    )
    header, body = _assemble_batch(
        base_offset,
        records[-1].offset,
        base_timestamp,
        max(r.timestamp for r in records),
        len(records),
        body,
        partition_leader_epoch,
    )
    return header + body


# --- decoding -----------------------------------------------------------------------------------


def _decode_records(
    buf: memoryview, info: BatchInfo, attributes: int, base_timestamp: int, end: int, pos: int
) -> List[BatchRecord]:
    """Records of one batch whose header and CRC are valid. Raises ValueError/IndexError when malformed."""
    out: List[BatchRecord] = []
    base_offset = info.base_offset
    log_append = attributes & ATTR_LOG_APPEND_TIME
    for _ in range(info.record_count):
        length, pos = decode_varint(buf, pos)
        start = pos
        if length < 0 or start + length > end:
            raise ValueError(f"record length {length} runs past the batch end")
        pos += 1  # record attributes (int8, unused)
        ts_delta, pos = decode_varint(buf, pos)
        offset_delta, pos = decode_varint(buf, pos)
        key_len, pos = decode_varint(buf, pos)
        key = None
        if key_len >= 0:
            key = bytes(buf[pos : pos + key_len])
            pos += key_len
        value_len, pos = decode_varint(buf, pos)
        value = None
        if value_len >= 0:
            value = bytes(buf[pos : pos + value_len])
            pos += value_len
        count, pos = decode_varint(buf, pos)
        if count < 0:
            raise ValueError(f"negative header count {count}")
        headers = []
        for _h in range(count):
            hk_len, pos = decode_varint(buf, pos)
            if hk_len < 0:
                raise ValueError(f"negative header key length {hk_len}")
            h_key = bytes(buf[pos : pos + hk_len]).decode("utf-8")
            pos += hk_len
            hv_len, pos = decode_varint(buf, pos)
            h_value = None
            if hv_len >= 0:
                h_value = bytes(buf[pos : pos + hv_len])
                pos += hv_len
            headers.append((h_key, h_value))
        if pos - start != length:
            raise ValueError(f"record declares {length} bytes but holds {pos - start}")
        if offset_delta < 0 or offset_delta > info.last_offset - base_offset:
            raise ValueError(f"offset delta {offset_delta} outside the batch's range")
        timestamp = info.max_timestamp if log_append else base_timestamp + ts_delta
        out.append(BatchRecord(base_offset + offset_delta, timestamp, key, value, tuple(headers), info.position))
    if pos != end:
        raise ValueError(f"{end - pos} bytes left after the batch's {info.record_count} records")
    return out


def iter_batches(
    data: Union[bytes, bytearray, memoryview], file: str = "<bytes>"
) -> Iterator[Union[Tuple[BatchInfo, List[BatchRecord]], CorruptionReport]]:
    """Each batch of a segment as (info, records), or a CorruptionReport.

    A batch with a bad CRC, magic or content is reported and skipped (its length field says where
    the next batch starts); a length that runs past the end, or a tail too short for a batch
    header, ends the segment with a report.
    """
    buf = memoryview(data)
    size = len(buf)
    pos = 0
    while pos < size:
        if size - pos < LOG_OVERHEAD:
            yield CorruptionReport(
                file, pos, None, f"truncated: {size - pos} bytes at the end, too short for a batch", stopped=True
            )
            return
        base_offset, batch_length = struct.unpack_from(">qi", buf, pos)
        end = pos + LOG_OVERHEAD + batch_length
        if batch_length < HEADER_SIZE - LOG_OVERHEAD:
            yield CorruptionReport(
                file,
                pos,
                base_offset,
                f"batch length {batch_length} is below the minimum {HEADER_SIZE - LOG_OVERHEAD}"
                "; the rest of the segment cannot be located",
                stopped=True,
            )
            return
        if end > size:
            yield CorruptionReport(
                file,
                pos,
                base_offset,
                f"truncated: batch declares {batch_length + LOG_OVERHEAD} bytes, {size - pos} remain in the file",
                stopped=True,
            )
            return
        magic = buf[pos + 16]
        if magic != MAGIC:
            yield CorruptionReport(file, pos, base_offset, f"magic {magic}, expected {MAGIC} (RecordBatch v2)")
            pos = end
            continue
        (stored_crc,) = struct.unpack_from(">I", buf, pos + _CRC_OFFSET)
        actual_crc = crc32c.crc32c(buf[pos + _ATTRIBUTES_OFFSET : end])
        if stored_crc != actual_crc:
            yield CorruptionReport(
                file, pos, base_offset, f"CRC-32C mismatch: stored {stored_crc:#010x}, computed {actual_crc:#010x}"
            )
            pos = end
            continue
        (attributes, last_delta, base_ts, max_ts, _pid, _pepoch, _seq, count) = _CRC_HEADER.unpack_from(
            buf, pos + _ATTRIBUTES_OFFSET
        )
        info = BatchInfo(pos, base_offset, base_offset + last_delta, end - pos, max_ts, count)
        if attributes & ATTR_COMPRESSION_MASK:
            yield CorruptionReport(
                file,
                pos,
                base_offset,
                f"compressed batch (codec {attributes & ATTR_COMPRESSION_MASK}) is not supported",
            )
            pos = end
            continue
        if attributes & ATTR_CONTROL:  # transaction markers carry no data
            yield info, []
            pos = end
            continue
        if count < 0 or last_delta < 0:
            yield CorruptionReport(
                file, pos, base_offset, f"invalid header: record count {count}, last offset delta {last_delta}"
            )
            pos = end
            continue
        try:
            records = _decode_records(buf, info, attributes, base_ts, end, pos + HEADER_SIZE)
        except (ValueError, IndexError, UnicodeDecodeError) as e:
            yield CorruptionReport(file, pos, base_offset, f"malformed records: {e}")
        else:
            yield info, records
        pos = end


def read_segment(
    source: Union[str, os.PathLike, bytes, bytearray, memoryview],
    *,
    file: Optional[str] = None,
    topic: Optional[str] = None,
    partition: Optional[int] = None,
) -> Iterator[Union[BatchRecord, CorruptionReport]]:
    """The records of one segment (a path or its bytes), with a CorruptionReport for each bad batch."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data: Union[bytes, bytearray, memoryview] = source
        name = file or "<bytes>"
    else:
        name = file or str(source)
        data = Path(source).read_bytes()
    for item in iter_batches(data, name):
        if isinstance(item, CorruptionReport):
            yield replace(item, topic=topic, partition=partition) if topic is not None else item
        else:
            yield from item[1]
