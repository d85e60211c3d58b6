"""Topic export (kafka-log, avro, jsonl) and read_export, checked with independent readers:
kafka-python for the log format, fastavro with the SDK's own .avsc files for values, and the
SDK's classes (``from_obj``) for equality with what went in."""

from __future__ import annotations

import io
import json
import random
import struct
from pathlib import Path
from typing import Any, Dict, List

import datahub.metadata
import fastavro
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.metadata import schema_classes as sc
from kafka.partitioner.default import murmur2 as kafka_python_murmur2
from kafka.record.default_records import DefaultRecordBatch
from kafka.record.memory_records import MemoryRecords

from litemeta.errors import ConfigurationError, ExportError
from litemeta.followers.export import export
from litemeta.formats.avro_fast import encode_value
from litemeta.formats.export_layout import OFFSET_HEADER, SCHEMA_IDS, read_export, sniff_format
from litemeta.formats.kafka_log import CorruptionReport
from litemeta.model import avro
from litemeta.model.events import (
    FAILED_MCP_TOPIC,
    MCL_TIMESERIES_TOPIC,
    MCL_VERSIONED_TOPIC,
    MCP_TOPIC,
    PLATFORM_EVENT_TOPIC,
    TopicRecord,
)

SDK_SCHEMAS = Path(datahub.metadata.__file__).parent / "schemas"
SDK_CLASSES = {
    MCP_TOPIC: sc.MetadataChangeProposalClass,
    MCL_VERSIONED_TOPIC: sc.MetadataChangeLogClass,
    MCL_TIMESERIES_TOPIC: sc.MetadataChangeLogClass,
    PLATFORM_EVENT_TOPIC: sc.PlatformEventClass,
}
SDK_SCHEMA_FILES = {
    MCP_TOPIC: "MetadataChangeProposal",
    MCL_VERSIONED_TOPIC: "MetadataChangeLog",
    MCL_TIMESERIES_TOPIC: "MetadataChangeLog",
    PLATFORM_EVENT_TOPIC: "PlatformEvent",
}


def _value(obj: Any) -> Dict[str, Any]:
    """An SDK object in litemeta's topic-value form (design.md choice 8: DataHub's JSON, nulls omitted)."""
    return json.loads(json.dumps(obj.to_obj()))


def _dataset(i: int) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:hive,db.table_{i},PROD)"


def _sdk_events(n: int, seed: int = 0) -> List[Any]:
    """(topic, key, timestamp, SDK object) for MCPs, MCLs (versioned and timeseries) and platform events."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        urn = _dataset(rnd.randint(0, n // 3 + 1))
        ts = 1_700_000_000_000 + i * 1000
        sm = sc.SystemMetadataClass(lastObserved=ts, runId=f"run-{i % 7}", properties={"appSource": "ui"})
        props = sc.DatasetPropertiesClass(
            description="d" * rnd.randint(0, 300), name=f"t{i}", customProperties={"k": "v", "é": "ü"}
        )
        kind = i % 4
        if kind == 0:
            obj = MetadataChangeProposalWrapper(entityUrn=urn, aspect=props, systemMetadata=sm).make_mcp()
            out.append((MCP_TOPIC, urn, ts, obj))
        elif kind == 1:
            obj = sc.MetadataChangeLogClass(
                entityType="dataset",
                entityUrn=urn,
                changeType="UPSERT",
                aspectName="datasetProperties",
                aspect=sc.GenericAspectClass(value=json.dumps(props.to_obj()).encode(), contentType="application/json"),
                systemMetadata=sm,
                previousAspectValue=sc.GenericAspectClass(value=b'{"name":"old"}', contentType="application/json")
                if i % 8 == 1
                else None,
                previousSystemMetadata=sc.SystemMetadataClass(lastObserved=ts - 5, runId="old") if i % 8 == 1 else None,
                created=sc.AuditStampClass(time=ts, actor="urn:li:corpuser:datahub"),
            )
            out.append((MCL_VERSIONED_TOPIC, urn, ts, obj))
        elif kind == 2:
            profile = sc.DatasetProfileClass(timestampMillis=ts, rowCount=rnd.randint(0, 10**12), columnCount=3)
            obj = sc.MetadataChangeLogClass(
                entityType="dataset",
                entityUrn=urn,
                changeType="UPSERT",
                aspectName="datasetProfile",
                aspect=sc.GenericAspectClass(
                    value=json.dumps(profile.to_obj()).encode(), contentType="application/json"
                ),
                systemMetadata=sm,
                created=sc.AuditStampClass(time=ts, actor="urn:li:corpuser:datahub"),
            )
            out.append((MCL_TIMESERIES_TOPIC, urn, ts, obj))
        else:
            payload = {
                "entityUrn": urn,
                "entityType": "dataset",
                "category": "TAG",
                "operation": "ADD",
                "modifier": "urn:li:tag:pii",
                "auditStamp": {"time": ts, "actor": "urn:li:corpuser:datahub"},
                "version": 0,
            }
            obj = sc.PlatformEventClass(
                header=sc.PlatformEventHeaderClass(timestampMillis=ts),
                name="entityChangeEvent",
                payload=sc.GenericPayloadClass(value=json.dumps(payload).encode(), contentType="application/json"),
            )
            out.append((PLATFORM_EVENT_TOPIC, f"entityChangeEvent-{urn}", ts, obj))
    return out


def _records(n: int, seed: int = 0) -> List[TopicRecord]:
    """TopicRecords with per-topic contiguous offsets, topics interleaved as the store's log is."""
    next_offset: Dict[str, int] = {}
    out = []
    for topic, key, ts, obj in _sdk_events(n, seed):
        off = next_offset.get(topic, 0)
        next_offset[topic] = off + 1
        headers = {"trace": f"t{off}"} if off % 5 == 0 else {}
        out.append(TopicRecord(topic, 0, off, ts, key, _value(obj), headers))
    return out


def _by_topic(records: List[TopicRecord]) -> Dict[str, List[TopicRecord]]:
    out: Dict[str, List[TopicRecord]] = {}
    for r in records:
        out.setdefault(r.topic, []).append(r)
    return out


def _kafka_python_records(folder: Path) -> list:
    """Every record of a partition folder read by kafka-python (CRC checked)."""
    out = []
    for seg in sorted(folder.glob("*.log")):
        mr = MemoryRecords(seg.read_bytes())
        while mr.has_next():
            batch = mr.next_batch()
            assert isinstance(batch, DefaultRecordBatch) and batch.validate_crc()
            out.extend(batch)
    return out


@pytest.fixture(scope="module")
def events() -> List[Any]:
    return _sdk_events(240, seed=1)


@pytest.fixture(scope="module")
def records() -> List[TopicRecord]:
    return _records(240, seed=1)


def test_kafka_log_values_decode_with_the_sdk_schemas_to_the_sdk_objects(
    tmp_path: Path, events: List[Any], records: List[TopicRecord]
) -> None:
    """Values are Confluent-framed Avro of DataHub's schemas (formats.md §3); keys UTF-8 urns; timestamps kept."""
    report = export(records, tmp_path)
    assert report.records == len(records)
    schemas = {e["subject"]: e for e in json.loads((tmp_path / "schemas.json").read_text())}
    sdk_parsed = {
        t: fastavro.parse_schema(json.loads((SDK_SCHEMAS / f"{name}.avsc").read_text()))
        for t, name in SDK_SCHEMA_FILES.items()
    }
    originals = {}
    for topic, key, ts, obj in events:
        originals.setdefault(topic, []).append((key, ts, obj))
    for topic, expected in originals.items():
        got = _kafka_python_records(tmp_path / f"{topic}-0")
        assert [r.offset for r in got] == list(range(len(expected)))
        for rec, (key, ts, obj) in zip(got, expected):
            assert rec.key == key.encode("utf-8")
            assert rec.timestamp == ts
            assert rec.value[0] == 0
            (schema_id,) = struct.unpack(">I", rec.value[1:5])
            assert schema_id == schemas[f"{topic}-value"]["id"]
            datum = fastavro.schemaless_reader(io.BytesIO(rec.value[5:]), sdk_parsed[topic])
            assert SDK_CLASSES[topic].from_obj(datum) == obj
        # headers of the store record become Kafka headers
        traced = [r for r in got if r.headers]
        assert traced
        assert all(r.headers == [("trace", f"t{r.offset}".encode())] for r in traced)


def test_schemas_json_lists_datahubs_schemas_with_litemetas_fixed_ids(
    tmp_path: Path, records: List[TopicRecord]
) -> None:
    export(records, tmp_path)
    entries = json.loads((tmp_path / "schemas.json").read_text())
    assert {e["subject"] for e in entries} == {f"{t}-value" for t in SDK_SCHEMA_FILES}
    for e in entries:
        topic = e["subject"][: -len("-value")]
        name = SDK_SCHEMA_FILES[topic]
        assert e["id"] == SCHEMA_IDS[name]
        assert json.loads(e["schema"]) == json.loads((SDK_SCHEMAS / f"{name}.avsc").read_text())
    assert SCHEMA_IDS == {
        "MetadataChangeProposal": 1,
        "FailedMetadataChangeProposal": 2,
        "MetadataChangeLog": 3,
        "PlatformEvent": 4,
    }  # documented, stable


def test_schema_ids_can_be_overridden(tmp_path: Path, records: List[TopicRecord]) -> None:
    export(records, tmp_path, schema_ids={MCL_VERSIONED_TOPIC: 100, "PlatformEvent": 7})
    entries = {e["subject"]: e["id"] for e in json.loads((tmp_path / "schemas.json").read_text())}
    assert entries[f"{MCL_VERSIONED_TOPIC}-value"] == 100
    assert entries[f"{MCL_TIMESERIES_TOPIC}-value"] == SCHEMA_IDS["MetadataChangeLog"]
    assert entries[f"{PLATFORM_EVENT_TOPIC}-value"] == 7
    first = _kafka_python_records(tmp_path / f"{MCL_VERSIONED_TOPIC}-0")[0]
    assert struct.unpack(">I", first.value[1:5]) == (100,)


def test_repartitioning_follows_kafkas_default_partitioner(tmp_path: Path, records: List[TopicRecord]) -> None:
    """partition = (murmur2(key) & 0x7fffffff) % N (kafka-python as oracle); offsets contiguous per partition."""
    report = export(records, tmp_path, partitions=3)
    by_topic = _by_topic(records)
    for topic, recs in by_topic.items():
        store_offsets_seen = []
        for p in range(3):
            got = _kafka_python_records(tmp_path / f"{topic}-{p}")
            assert [r.offset for r in got] == list(range(len(got)))
            assert report.counts[topic].get(p, 0) == len(got)
            for r in got:
                assert (kafka_python_murmur2(r.key) & 0x7FFFFFFF) % 3 == p
                store_offset = int(dict(r.headers)[OFFSET_HEADER])
                assert by_topic[topic][store_offset].key.encode() == r.key
                store_offsets_seen.append(store_offset)
        assert sorted(store_offsets_seen) == list(range(len(recs)))
    # reading back restores the store's coordinates and order
    assert list(read_export(tmp_path)) == sorted(records, key=lambda r: (_topic_rank(r.topic), r.offset))


def _topic_rank(topic: str) -> int:
    return [MCP_TOPIC, FAILED_MCP_TOPIC, MCL_VERSIONED_TOPIC, MCL_TIMESERIES_TOPIC, PLATFORM_EVENT_TOPIC].index(topic)


@pytest.mark.parametrize("fmt", ["kafka-log", "jsonl"])
def test_round_trip_gives_the_same_records(tmp_path: Path, records: List[TopicRecord], fmt: str) -> None:
    export(records, tmp_path, fmt=fmt)
    assert sniff_format(tmp_path) == fmt
    got = list(read_export(tmp_path))
    assert got == sorted(records, key=lambda r: (_topic_rank(r.topic), r.offset))


def test_avro_round_trip_gives_values_keys_and_offsets(tmp_path: Path, records: List[TopicRecord]) -> None:
    """Avro containers hold values only: keys are re-derived, offsets are positions (module docstring)."""
    export(records, tmp_path, fmt="avro")
    assert sniff_format(tmp_path) == "avro"
    got = list(read_export(tmp_path))
    expected = sorted(records, key=lambda r: (_topic_rank(r.topic), r.offset))
    assert [(r.topic, r.offset, r.key, r.value, r.timestamp) for r in got] == [
        (r.topic, r.offset, r.key, r.value, r.timestamp) for r in expected
    ]
    # the containers are readable by fastavro with the SDK's own schemas
    for topic, name in SDK_SCHEMA_FILES.items():
        with open(tmp_path / f"{topic}.avro", "rb") as f:
            reader = fastavro.reader(f, reader_schema=json.loads((SDK_SCHEMAS / f"{name}.avsc").read_text()))
            objs = [SDK_CLASSES[topic].from_obj(d) for d in reader]
        assert [_value(o) for o in objs] == [r.value for r in _by_topic(records)[topic]]


def test_read_export_filters_topics_and_reads_single_partitions(tmp_path: Path, records: List[TopicRecord]) -> None:
    export(records, tmp_path)
    mcps = [r for r in records if r.topic == MCP_TOPIC]
    assert list(read_export(tmp_path, topics=[MCP_TOPIC])) == mcps
    assert list(read_export(tmp_path / f"{MCP_TOPIC}-0")) == mcps
    seg = next((tmp_path / f"{MCP_TOPIC}-0").glob("*.log"))
    assert list(read_export(seg)) == mcps


def test_incremental_export_appends_after_what_is_there(tmp_path: Path, records: List[TopicRecord]) -> None:
    half = [r for r in records if r.offset < 30]
    export(half, tmp_path)
    second = export(records, tmp_path)
    assert second.skipped == len(half)
    assert second.records == len(records) - len(half)
    assert list(read_export(tmp_path)) == sorted(records, key=lambda r: (_topic_rank(r.topic), r.offset))
    for topic in SDK_SCHEMA_FILES:
        assert len(list((tmp_path / f"{topic}-0").glob("*.log"))) == 2  # a new segment per run


def test_incremental_export_with_partitions(tmp_path: Path, records: List[TopicRecord]) -> None:
    export([r for r in records if r.offset < 30], tmp_path, partitions=3)
    second = export(records, tmp_path, partitions=3)
    assert second.skipped == sum(1 for r in records if r.offset < 30)
    assert list(read_export(tmp_path)) == sorted(records, key=lambda r: (_topic_rank(r.topic), r.offset))
    with pytest.raises(ExportError):
        export(records, tmp_path, partitions=2)  # the folder holds partition 2 already


def test_corrupt_batches_are_reported_with_topic_partition_offset(tmp_path: Path, records: List[TopicRecord]) -> None:
    """A flipped byte (bad CRC) and a truncated tail are reported; every other record is still read."""
    mcls = [r for r in records if r.topic == MCL_VERSIONED_TOPIC]
    export(mcls, tmp_path, records_per_batch=10)
    seg = next((tmp_path / f"{MCL_VERSIONED_TOPIC}-0").glob("*.log"))
    data = bytearray(seg.read_bytes())
    # locate batches with kafka-python
    positions, bases, pos = [], [], 0
    mr = MemoryRecords(bytes(data))
    while mr.has_next():
        b = mr.next_batch()
        positions.append(pos)
        bases.append(b.base_offset)
        pos += b.size_in_bytes
    data[positions[1] + 100] ^= 0x55  # second batch: bad CRC
    seg.write_bytes(bytes(data[: positions[-1] + 50]))  # last batch: truncated
    items = list(read_export(tmp_path))
    reports = [x for x in items if isinstance(x, CorruptionReport)]
    got = [x for x in items if isinstance(x, TopicRecord)]
    assert [(r.topic, r.partition, r.base_offset, r.position) for r in reports] == [
        (MCL_VERSIONED_TOPIC, 0, bases[1], positions[1]),
        (MCL_VERSIONED_TOPIC, 0, bases[-1], positions[-1]),
    ]
    assert "CRC" in reports[0].reason and reports[1].stopped
    lost = set(range(bases[1], bases[2])) | set(range(bases[-1], len(mcls)))
    assert got == [r for r in mcls if r.offset not in lost]
    assert items.index(reports[0]) == bases[1]  # reported where the batch was


def test_a_value_that_is_not_avro_is_reported_and_reading_goes_on(tmp_path: Path, records: List[TopicRecord]) -> None:
    from litemeta.formats.kafka_segments import SegmentWriter

    mcps = [r for r in records if r.topic == MCP_TOPIC][:3]
    with SegmentWriter(tmp_path, MCP_TOPIC, 0) as w:
        w.append(1, mcps[0].key.encode(), avro.frame(1, encode_value(MCP_TOPIC, mcps[0].value)))
        w.append(2, b"k", b"\x01garbage")
        w.append(3, mcps[2].key.encode(), avro.frame(1, encode_value(MCP_TOPIC, mcps[2].value)))
    items = list(read_export(tmp_path))
    assert isinstance(items[1], CorruptionReport) and items[1].base_offset == 1 and items[1].topic == MCP_TOPIC
    assert [x.value for x in (items[0], items[2])] == [mcps[0].value, mcps[2].value]


def test_compiled_encoder_gives_the_same_bytes_as_the_avro_module(records: List[TopicRecord]) -> None:
    failed = {"metadataChangeProposal": records[0].value, "error": "boom"}
    for topic, value in [(r.topic, r.value) for r in records] + [(FAILED_MCP_TOPIC, failed)]:
        assert encode_value(topic, value) == avro.encode_event(topic, value)


def test_encoder_rejects_what_avro_cannot_hold(tmp_path: Path, records: List[TopicRecord]) -> None:
    bad = dict(records[0].value, notAField=1)
    with pytest.raises(ExportError):
        encode_value(MCP_TOPIC, bad)
    with pytest.raises(ExportError):
        encode_value(MCP_TOPIC, dict(records[0].value, changeType="NOT_A_CHANGE"))
    with pytest.raises(ExportError):
        export([TopicRecord(MCP_TOPIC, 0, 0, 0, "k", bad)], tmp_path)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        export([], tmp_path, fmt="parquet")
    with pytest.raises(ConfigurationError):
        export([], tmp_path, fmt="jsonl", partitions=2)
    with pytest.raises(ExportError):
        sniff_format(tmp_path)  # empty folder


def test_a_bad_jsonl_line_is_reported_and_the_rest_read(tmp_path: Path, records: List[TopicRecord]) -> None:
    mcps = [r for r in records if r.topic == MCP_TOPIC]
    export(mcps, tmp_path, fmt="jsonl")
    path = tmp_path / f"{MCP_TOPIC}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2][:40] + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    items = list(read_export(tmp_path))
    assert isinstance(items[2], CorruptionReport)
    assert items[2].topic == MCP_TOPIC and items[2].position == len("".join(lines[:2]).encode("utf-8"))
    assert [x for x in items if isinstance(x, TopicRecord)] == mcps[:2] + mcps[3:]


def test_platform_event_encoder_gives_the_same_bytes_as_the_avro_module(records: List[TopicRecord]) -> None:
    """The dedicated PlatformEvent encoder, and its fallbacks for other shapes, against fastavro's bytes."""
    events = [r.value for r in records if r.topic == PLATFORM_EVENT_TOPIC]
    assert events
    odd = dict(events[0], payload={"value": '{"é": "ü\\n"}', "contentType": "application/json"})
    big_ts = dict(events[0], header={"timestampMillis": 2**62})
    negative = dict(events[0], header={"timestampMillis": -5})
    for value in events + [odd, big_ts, negative]:
        assert encode_value(PLATFORM_EVENT_TOPIC, value) == avro.encode_event(PLATFORM_EVENT_TOPIC, value)
    with pytest.raises(ExportError):  # another shape falls back to the avro module, which says why
        encode_value(PLATFORM_EVENT_TOPIC, dict(events[0], extra=1))
    with pytest.raises(ExportError):
        encode_value(PLATFORM_EVENT_TOPIC, {k: v for k, v in events[0].items() if k != "name"})
