"""Kafka's on-disk log format, checked against kafka-python's independent reader and writer."""

from __future__ import annotations

import os
import random
import struct
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.partitioner.default import murmur2 as kafka_python_murmur2
from kafka.record._crc32c import crc as pure_python_crc32c
from kafka.record.default_records import DefaultRecordBatch
from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder
from kafka.record.util import decode_varint as kp_decode_varint
from kafka.record.util import encode_varint as kp_encode_varint

from litemeta.formats.kafka_log import (
    BatchRecord,
    CorruptionReport,
    decode_varint,
    encode_record_batch,
    encode_varint,
    iter_batches,
    kafka_partition,
    murmur2,
    read_segment,
)
from litemeta.formats.kafka_segments import SegmentWriter, list_segments, read_partition

Rec = Tuple[int, Optional[bytes], Optional[bytes], List[Tuple[str, Optional[bytes]]]]


def _random_records(n: int, seed: int) -> List[Rec]:
    rnd = random.Random(seed)
    out: List[Rec] = []
    ts = 1_700_000_000_000
    for i in range(n):
        ts += rnd.randint(-5000, 60_000)  # timestamps need not increase (CreateTime)
        key = None if rnd.random() < 0.05 else f"urn:li:dataset:(urn:li:dataPlatform:hive,db.t{i},PROD)".encode()
        value = None if rnd.random() < 0.05 else os.urandom(rnd.randint(0, 3000))
        headers = [
            (f"h{j}é", None if rnd.random() < 0.2 else os.urandom(rnd.randint(0, 20))) for j in range(rnd.randint(0, 3))
        ]
        out.append((ts, key, value, headers))
    return out


def _kafka_python_read(path: Path) -> List[Tuple[DefaultRecordBatch, list]]:
    """Every batch of a segment read by kafka-python, with its CRC checked by its pure-Python CRC-32C."""
    data = path.read_bytes()
    batches = []
    records = MemoryRecords(data)
    while records.has_next():
        batch = records.next_batch()
        assert isinstance(batch, DefaultRecordBatch)
        assert batch.magic == 2
        assert batch.validate_crc()
        start = batch._buffer  # the batch's own bytes
        assert batch.crc == pure_python_crc32c(bytes(start[21:]))
        batches.append((batch, list(batch)))
    assert records.valid_bytes() == len(data)  # no trailing bytes
    return batches


def test_segments_written_by_litemeta_are_read_by_kafka_python(tmp_path: Path) -> None:
    """RecordBatch v2 as Kafka's DefaultRecordBatch writes it: CRC, offsets, keys, values, timestamps, headers."""
    records = _random_records(700, seed=1)
    with SegmentWriter(
        tmp_path, "MetadataChangeLog_Versioned_v1", 2, records_per_batch=37, max_segment_bytes=200_000
    ) as w:
        for ts, key, value, headers in records:
            w.append(ts, key, value, headers)
    folder = tmp_path / "MetadataChangeLog_Versioned_v1-2"
    segments = sorted(folder.glob("*.log"))
    assert len(segments) > 3  # rolled by size
    seen = []
    for path in segments:
        batches = _kafka_python_read(path)
        assert int(path.stem) == batches[0][0].base_offset  # file named after its base offset
        assert len(path.stem) == 20
        for batch, recs in batches:
            assert batch.producer_id == -1 and batch.producer_epoch == -1 and batch.base_sequence == -1
            assert batch.timestamp_type == 0 and batch.compression_type == 0 and not batch.is_transactional
            assert batch.leader_epoch == 0
            assert batch.first_timestamp == recs[0].timestamp
            assert batch.max_timestamp == max(r.timestamp for r in recs)
            assert batch.last_offset == recs[-1].offset
            seen.extend(recs)
        assert path.stat().st_size <= 200_000
    assert [r.offset for r in seen] == list(range(700))  # contiguous
    for got, (ts, key, value, headers) in zip(seen, records):
        assert (got.timestamp, got.key, got.value, got.headers) == (ts, key, value, headers)


def test_batches_built_by_kafka_python_are_read_by_litemeta() -> None:
    """The reverse: kafka-python's DefaultRecordBatchBuilder output, decoded by litemeta."""
    records = _random_records(300, seed=2)
    segment = bytearray()
    expected = []
    offset = 1000
    for chunk_start in range(0, 300, 50):
        builder = MemoryRecordsBuilder(magic=2, compression_type=0, batch_size=10_000_000)
        for ts, key, value, headers in records[chunk_start : chunk_start + 50]:
            assert builder.append(ts, key, value, headers) is not None
        builder.close()
        batch = bytearray(builder.records()._buffer)
        struct.pack_into(">q", batch, 0, offset)  # the broker assigns the base offset (outside the CRC)
        segment += batch
        for i, (ts, key, value, headers) in enumerate(records[chunk_start : chunk_start + 50]):
            expected.append(BatchRecord(offset + i, ts, key, value, tuple(headers)))
        offset += 50
    got = list(read_segment(bytes(segment)))
    assert got == expected


def test_transactional_batch_from_kafka_python_is_read() -> None:
    builder = MemoryRecordsBuilder(
        magic=2,
        compression_type=0,
        batch_size=100_000,
        transactional=True,
        producer_id=7,
        producer_epoch=1,
        base_sequence=0,
    )
    builder.append(5, b"k", b"v", [])
    builder.close()
    assert list(read_segment(bytes(builder.records()._buffer))) == [BatchRecord(0, 5, b"k", b"v", ())]


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_varints_match_kafka_python(n: int) -> None:
    """Zig-zag varlongs as Kafka's ByteUtils writes them (kafka-python's encoder as the oracle)."""
    expected = bytearray()
    kp_encode_varint(n, expected.append)
    assert encode_varint(n) == bytes(expected)
    assert decode_varint(bytes(expected), 0) == (n, len(expected))
    assert kp_decode_varint(bytearray(encode_varint(n)), 0) == (n, len(expected))


def test_murmur2_matches_kafkas_utils_test_vectors() -> None:
    """Kafka's UtilsTest.testMurmur2 vectors (Java signed ints)."""
    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    for data, expected in cases.items():
        assert murmur2(data) == expected


def test_murmur2_and_partition_match_kafka_python_on_random_keys() -> None:
    rnd = random.Random(3)
    for _ in range(3000):
        key = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 70)))
        expected = kafka_python_murmur2(key)  # unsigned 32-bit
        assert murmur2(key) & 0xFFFFFFFF == expected
        n = rnd.randint(1, 50)
        assert kafka_partition(key, n) == (expected & 0x7FFFFFFF) % n


def _three_batches() -> Tuple[bytes, List[int]]:
    batches = [
        encode_record_batch([BatchRecord(o, 1000 + o, b"k%d" % o, b"v" * 40, ()) for o in range(base, base + 5)])
        for base in (0, 5, 10)
    ]
    positions = [0, len(batches[0]), len(batches[0]) + len(batches[1])]
    return b"".join(batches), positions


def test_bad_crc_is_reported_and_the_next_batch_read() -> None:
    data, positions = _three_batches()
    corrupt = bytearray(data)
    corrupt[positions[1] + 70] ^= 0xFF  # inside the second batch's records
    items = list(read_segment(bytes(corrupt), file="seg.log", topic="T", partition=3))
    reports = [x for x in items if isinstance(x, CorruptionReport)]
    offsets = [x.offset for x in items if isinstance(x, BatchRecord)]
    assert offsets == [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    assert len(reports) == 1
    r = reports[0]
    assert (r.file, r.position, r.base_offset, r.topic, r.partition) == ("seg.log", positions[1], 5, "T", 3)
    assert "CRC" in r.reason and not r.stopped
    assert "T-3" in r.describe() and "offset 5" in r.describe()
    # kafka-python agrees that this batch's CRC is wrong
    assert not DefaultRecordBatch(bytes(corrupt[positions[1] : positions[2]])).validate_crc()


def test_truncated_tail_stops_with_a_report() -> None:
    data, positions = _three_batches()
    items = list(read_segment(data[: positions[2] + 30]))
    assert [x.offset for x in items if isinstance(x, BatchRecord)] == list(range(10))
    assert isinstance(items[-1], CorruptionReport)
    assert items[-1].stopped and items[-1].base_offset == 10 and items[-1].position == positions[2]
    assert "truncated" in items[-1].reason
    items = list(read_segment(data[: positions[2] + 5]))  # too short even for the batch prefix
    assert isinstance(items[-1], CorruptionReport) and items[-1].base_offset is None


def test_bad_magic_and_impossible_length_are_reported() -> None:
    data, positions = _three_batches()
    corrupt = bytearray(data)
    corrupt[positions[0] + 16] = 1  # magic of the first batch
    items = list(read_segment(bytes(corrupt)))
    assert "magic 1" in items[0].reason
    assert [x.offset for x in items[1:]] == list(range(5, 15))
    corrupt = bytearray(data)
    struct.pack_into(">i", corrupt, positions[1] + 8, 3)  # batch length below the header size
    items = list(read_segment(bytes(corrupt)))
    assert [x.offset for x in items[:-1]] == list(range(5))
    assert items[-1].stopped and items[-1].base_offset == 5


def test_record_level_malformation_with_valid_crc_is_reported() -> None:
    """A batch whose CRC matches but whose records do not fill it exactly (a writer bug) is reported."""
    good = encode_record_batch([BatchRecord(0, 1, b"k", b"v", ())])
    bad = bytearray(good)
    struct.pack_into(">i", bad, 57, 2)  # record count 2, only one record present
    import crc32c

    struct.pack_into(">I", bad, 17, crc32c.crc32c(bytes(bad[21:])))
    items = list(iter_batches(bytes(bad) + good))
    assert isinstance(items[0], CorruptionReport) and "malformed" in items[0].reason
    assert items[1][1] == [BatchRecord(0, 1, b"k", b"v", ())]


def test_appending_to_an_existing_partition_continues_offsets(tmp_path: Path) -> None:
    with SegmentWriter(tmp_path, "T", 0, records_per_batch=10) as w:
        for i in range(25):
            w.append(i, b"k", b"first")
    with SegmentWriter(tmp_path, "T", 0, records_per_batch=10) as w:
        assert w.next_offset == 25
        for i in range(5):
            assert w.append(100 + i, b"k", b"second") == 25 + i
    got = list(read_partition(tmp_path, "T", 0))
    assert [r.offset for r in got] == list(range(30))
    assert [base for base, _ in list_segments(tmp_path / "T-0")] == [0, 25]
    offsets = []
    for _base, path in list_segments(tmp_path / "T-0"):
        offsets += [r.offset for batch, recs in _kafka_python_read(path) for r in recs]
    assert offsets == list(range(30))


def test_reopening_cuts_a_truncated_tail_like_kafka_recovery(tmp_path: Path) -> None:
    with SegmentWriter(tmp_path, "T", 0, records_per_batch=10) as w:
        for i in range(30):
            w.append(i, b"k", b"v")
    seg = tmp_path / "T-0" / f"{0:020d}.log"
    data = seg.read_bytes()
    seg.write_bytes(data[:-7])  # the third batch is cut short
    with SegmentWriter(tmp_path, "T", 0) as w:
        assert w.next_offset == 20
        w.append(99, b"k", b"again")
    got = list(read_partition(tmp_path, "T", 0))
    assert all(isinstance(r, BatchRecord) for r in got)
    assert [r.offset for r in got] == list(range(21))


def test_explicit_offsets_with_a_gap_start_a_new_batch(tmp_path: Path) -> None:
    with SegmentWriter(tmp_path, "T", 0) as w:
        w.append(1, b"a", b"1", offset=5)
        w.append(2, b"b", b"2")
        w.append(3, b"c", b"3", offset=9)
        with pytest.raises(ValueError):
            w.append(4, b"d", b"4", offset=3)
    batches = _kafka_python_read(tmp_path / "T-0" / f"{5:020d}.log")
    assert [[r.offset for r in recs] for _b, recs in batches] == [[5, 6], [9]]


def test_index_files_follow_kafkas_format(tmp_path: Path) -> None:
    """.index: (relative offset int32, position int32) every index.interval.bytes; .timeindex: (ts int64, rel int32)."""
    rnd = random.Random(4)
    with SegmentWriter(tmp_path, "T", 0, records_per_batch=5, index_interval_bytes=4096) as w:
        for _ in range(400):
            w.append(1_000_000 + rnd.randint(0, 10_000), b"key", os.urandom(200))
    folder = tmp_path / "T-0"
    log = (folder / f"{0:020d}.log").read_bytes()
    index = (folder / f"{0:020d}.index").read_bytes()
    time_index = (folder / f"{0:020d}.timeindex").read_bytes()
    entries = [struct.unpack_from(">ii", index, i) for i in range(0, len(index), 8)]
    assert len(entries) > 10
    previous_position = -1
    for rel, position in entries:
        batch = DefaultRecordBatch(log[position : position + struct.unpack_from(">i", log, position + 8)[0] + 12])
        assert batch.validate_crc()
        assert batch.last_offset == rel  # Kafka indexes the batch's last offset at the batch's position
        assert position - previous_position > 4096
        previous_position = position
    time_entries = [struct.unpack_from(">qi", time_index, i) for i in range(0, len(time_index), 12)]
    timestamps = [t for t, _ in time_entries]
    assert timestamps == sorted(set(timestamps))
    all_batches = _kafka_python_read(folder / f"{0:020d}.log")
    max_ts = max(b.max_timestamp for b, _ in all_batches)
    assert time_entries[-1][0] == max_ts
    first_with_max = next(b for b, _ in all_batches if b.max_timestamp == max_ts)
    assert time_entries[-1][1] == first_with_max.last_offset


def test_reopening_drops_an_unreadable_last_segment(tmp_path: Path) -> None:
    with SegmentWriter(tmp_path, "T", 0) as w:
        for i in range(10):
            w.append(i, b"k", b"v", [("litemeta.offset", b"%d" % i)])
    with SegmentWriter(tmp_path, "T", 0) as w:
        w.append(10, b"k", b"v")
    (tmp_path / "T-0" / f"{10:020d}.log").write_bytes(b"\x00" * 7)  # a crash left only garbage
    w = SegmentWriter(tmp_path, "T", 0)
    assert w.next_offset == 10 and w.last_headers == (("litemeta.offset", b"9"),)
    w.close()
    assert [base for base, _ in list_segments(tmp_path / "T-0")] == [0]


@pytest.mark.parametrize("bits", range(0, 64))
def test_varints_at_every_length_boundary_match_kafka_python(bits: int) -> None:
    """Each byte-length boundary of the varint encoder (table, 3-byte and loop paths, and the
    cache of long varints) against kafka-python's encoder, twice (cached the second time)."""
    for n in (2**bits - 1, 2**bits, -(2**bits), -(2**bits) - 1, 2**bits + 1):
        if not -(2**63) <= n < 2**63:
            continue
        expected = bytearray()
        kp_encode_varint(n, expected.append)
        assert encode_varint(n) == bytes(expected) == encode_varint(n)


def test_records_with_and_without_headers_or_nulls_are_read_by_kafka_python(tmp_path: Path) -> None:
    """The no-header fast path of SegmentWriter.append and the general one give records kafka-python reads alike."""
    rows = [
        (1_714_584_830_280, b"k", b"v" * 300, []),
        (1_714_584_830_280 + 5_000_000, b"k2", b"x", [("h", b"1")]),
        (1_714_584_830_280 - 3, None, b"y", []),
        (1_714_584_830_280 + 2**40, b"k3", None, []),
    ]
    with SegmentWriter(tmp_path, "t", 0) as w:
        for ts, key, value, headers in rows:
            w.append(ts, key, value, headers)
    (path,) = sorted((tmp_path / "t-0").glob("*.log"))
    ((_batch, records),) = _kafka_python_read(path)
    assert [(r.timestamp, r.key, r.value, list(r.headers)) for r in records] == [
        (ts, k, v, [(hk, hv) for hk, hv in h]) for ts, k, v, h in rows
    ]
