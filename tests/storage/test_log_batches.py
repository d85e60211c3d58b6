"""The topic log's record batches (storage/log.py): offsets, reads at any position, the compact
index, the zlib codec, and the migration of a schema-1 store (one row per record)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import List

import pytest

from litemeta.storage import log as L
from litemeta.storage.db import open_database


def _fill(db, monkeypatch, n: int = 53) -> List[tuple]:
    """Appends ``n`` records over three transactions with batches of at most 7 records."""
    monkeypatch.setattr(L, "MAX_BATCH_RECORDS", 7)
    expected = []
    for tx in range(3):
        with db.write() as conn:
            out = L.Appender(L.next_offsets(conn))
            for i in range(tx * n // 3, (tx + 1) * n // 3):
                key = f"urn:li:corpuser:u{i // 4}"  # runs of equal keys, written once in the index
                value = {"i": i, "text": "caf\u00e9 \u65e5" * (i % 3)}
                headers = {"h": str(i)} if i % 5 == 0 else None
                off = out.append("MetadataChangeLog_Versioned_v1", key, 1000 + i // 2, value, headers)
                expected.append((off, key, 1000 + i // 2, value, headers or {}))
            out.flush(conn)
    return expected


def test_offsets_are_contiguous_and_every_position_reads_back(tmp_path: Path, monkeypatch) -> None:
    """R2.1 / choice 9: contiguous offsets per topic; a read from any offset with any limit
    returns exactly the records at and after it, across batch rows and transactions."""
    db = open_database(str(tmp_path / "s.db"))
    expected = _fill(db, monkeypatch)
    assert [e[0] for e in expected] == list(range(len(expected)))
    with db.read() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM topic_log").scalar()
        assert rows > len(expected) // 7  # really stored as several batches
        assert L.topic_sizes(conn) == {"MetadataChangeLog_Versioned_v1": len(expected)}
        assert L.next_offsets(conn) == {"MetadataChangeLog_Versioned_v1": len(expected)}
        for start in range(0, len(expected) + 2):
            for limit in (None, 1, 3, 7, 8, 100):
                got = L.read_topic(conn, "MetadataChangeLog_Versioned_v1", start, limit)
                want = expected[start:] if limit is None else expected[start : start + limit]
                assert [(r.offset, r.key, r.timestamp, r.value, r.headers) for r in got] == want
        for chunk in (1, 2, 100):
            for start, end in ((0, None), (5, None), (5, 6), (6, 41), (0, len(expected) + 3), (60, None)):
                got = [
                    (r.offset, r.key, r.timestamp, r.value, r.headers)
                    for r in L.iter_topic(conn, "MetadataChangeLog_Versioned_v1", start, chunk=chunk, end=end)
                ]
                assert got == expected[start:end]


def test_keys_since_spans_batches_in_order_of_last_appearance(tmp_path: Path, monkeypatch) -> None:
    db = open_database(str(tmp_path / "s.db"))
    expected = _fill(db, monkeypatch)
    with db.read() as conn:
        for start, end in ((0, len(expected)), (5, 30), (13, 14), (40, 40)):
            last = {}
            for off, key, *_ in expected[start:end]:
                last.pop(key, None)
                last[key] = off
            assert L.keys_since(conn, "MetadataChangeLog_Versioned_v1", start, end) == list(last)


def test_zlib_batches_read_like_plain_ones(tmp_path: Path) -> None:
    """A batch encoded with compression (as the event helper writes them) reads back the same."""
    db = open_database(str(tmp_path / "s.db"))
    records = [
        (5, "entityChangeEvent-urn:li:corpuser:x", json.dumps({"n": i, "s": "\u00e9" * i}), None) for i in range(20)
    ]
    with db.write() as conn:
        out = L.Appender({})
        out.extend("PlatformEvent_v1", records[:3])
        first, last = out.add_batch("PlatformEvent_v1", L.encode_batch(records[3:], compress=True))
        assert (first, last) == (3, 19)
        out.flush(conn)
    with db.read() as conn:
        codecs = [c for (c,) in conn.exec_driver_sql('SELECT codec FROM topic_log ORDER BY "offset"')]
        assert codecs == [L.CODEC_NONE, L.CODEC_ZLIB]
        got = L.read_topic(conn, "PlatformEvent_v1", 2, 4)
    assert [r.offset for r in got] == [2, 3, 4, 5]
    assert [r.value["payload"]["value"] for r in got] == [r[2] for r in records[2:6]]


_DEFAULT_MIN = L.COMPRESS_MIN_BYTES


@pytest.mark.parametrize("min_bytes", [_DEFAULT_MIN, 1, 10**9], ids=["default", "all", "none"])
def test_large_batches_are_compressed_and_read_back_the_same(tmp_path: Path, monkeypatch, min_bytes: int) -> None:
    """Batches whose values reach COMPRESS_MIN_BYTES are stored with the zlib codec; whatever the
    threshold, every read (any offset, any limit, keys) gives the same records."""
    monkeypatch.setattr(L, "COMPRESS_MIN_BYTES", min_bytes)
    db = open_database(str(tmp_path / "s.db"))
    small = [(7, "urn:li:corpuser:a", json.dumps({"n": i}), None) for i in range(3)]
    large = [
        (8, f"urn:li:corpuser:b{i % 3}", json.dumps({"n": i, "text": "caf\u00e9 " * 400}), {"h": str(i)})
        for i in range(30)
    ]
    with db.write() as conn:
        out = L.Appender({})
        out.extend("MetadataChangeProposal_v1", small)
        out.flush(conn)
    with db.write() as conn:
        out = L.Appender(L.next_offsets(conn))
        out.extend("MetadataChangeProposal_v1", large)
        out.flush(conn)
    with db.read() as conn:
        rows = conn.exec_driver_sql('SELECT codec, length(value) FROM topic_log ORDER BY "offset"').fetchall()
        got = L.read_topic(conn, "MetadataChangeProposal_v1", 0)
        middle = L.read_topic(conn, "MetadataChangeProposal_v1", 10, 5)
        keys = L.keys_since(conn, "MetadataChangeProposal_v1", 0, 33)
    plain = sum(len(r[2].encode()) for r in large)
    if min_bytes == _DEFAULT_MIN:
        assert len(small[0][2]) * 3 < min_bytes < plain  # the two sides of the default threshold
        assert rows[0][0] == L.CODEC_NONE and rows[1][0] == L.CODEC_ZLIB and rows[1][1] < plain / 5
    else:
        assert {c for c, _ in rows} == {L.CODEC_ZLIB if min_bytes == 1 else L.CODEC_NONE}
    want = small + large
    assert [(r.offset, r.timestamp, r.key, json.dumps(r.value), r.headers or None) for r in got] == [
        (i, ts, k, v, h) for i, (ts, k, v, h) in enumerate(want)
    ]
    assert [r.offset for r in middle] == [10, 11, 12, 13, 14]
    # in order of last appearance: a (offsets 0-2), then b0, b1, b2 (offsets 30, 31, 32)
    assert keys == ["urn:li:corpuser:a", "urn:li:corpuser:b0", "urn:li:corpuser:b1", "urn:li:corpuser:b2"]


def test_a_schema_1_store_is_migrated_to_batches(tmp_path: Path) -> None:
    """Schema 1 kept one topic_log row per record (and, early on, platform events with their
    envelope); opening it rewrites the log as batches with the same offsets and values."""
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(
        'CREATE TABLE topic_log (topic VARCHAR(200) NOT NULL, "partition" INTEGER NOT NULL, '
        '"offset" BIGINT NOT NULL, timestamp BIGINT NOT NULL, "key" TEXT, value TEXT NOT NULL, headers TEXT, '
        'CONSTRAINT pk_topic_log PRIMARY KEY (topic, "partition", "offset"));'
        "CREATE TABLE litemeta_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL);"
        "INSERT INTO litemeta_schema_version VALUES (1, 0);"
    )
    payload = '{"entityUrn":"urn:li:corpuser:a","category":"TAG","operation":"ADD","version":0}'
    envelope = json.dumps(
        {
            "header": {"timestampMillis": 9},
            "name": "entityChangeEvent",
            "payload": {"value": payload, "contentType": "application/json"},
        },
        separators=(",", ":"),
    )
    con.executemany(
        "INSERT INTO topic_log VALUES (?,?,?,?,?,?,?)",
        [
            ("MetadataChangeProposal_v1", 0, 0, 7, "urn:li:corpuser:a", '{"entityUrn":"urn:li:corpuser:a"}', None),
            (
                "MetadataChangeProposal_v1",
                0,
                1,
                8,
                "urn:li:corpuser:b",
                '{"entityUrn":"urn:li:corpuser:b"}',
                '{"x":"1"}',
            ),
            ("PlatformEvent_v1", 0, 0, 9, "entityChangeEvent-urn:li:corpuser:a", envelope, None),
            ("PlatformEvent_v1", 0, 1, 9, "entityChangeEvent-urn:li:corpuser:a", payload, None),
        ],
    )
    con.commit()
    con.close()
    db = open_database(str(path))
    with db.read() as conn:
        mcp = L.read_topic(conn, "MetadataChangeProposal_v1")
        pe = L.read_topic(conn, "PlatformEvent_v1")
        version = conn.exec_driver_sql("SELECT max(version) FROM litemeta_schema_version").scalar()
    assert version == 2
    assert [(r.offset, r.key, r.timestamp, r.value, r.headers) for r in mcp] == [
        (0, "urn:li:corpuser:a", 7, {"entityUrn": "urn:li:corpuser:a"}, {}),
        (1, "urn:li:corpuser:b", 8, {"entityUrn": "urn:li:corpuser:b"}, {"x": "1"}),
    ]
    assert [r.value for r in pe] == [json.loads(envelope)] * 2
    with db.write() as conn:  # and appends continue after the migrated offsets
        assert L.next_offsets(conn) == {"MetadataChangeProposal_v1": 2, "PlatformEvent_v1": 2}


def test_a_store_from_a_newer_litemeta_is_refused(tmp_path: Path) -> None:
    from litemeta.errors import StorageError

    path = tmp_path / "new.db"
    open_database(str(path))
    con = sqlite3.connect(path)
    con.execute("INSERT INTO litemeta_schema_version VALUES (99, 0)")
    con.commit()
    con.close()
    with pytest.raises(StorageError, match="schema version 99"):
        open_database(str(path))
