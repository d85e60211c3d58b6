"""The export layouts (design.md choice 9) and their reader: what an export folder or file holds.

    >>> from litemeta.formats.export_layout import key_for
    >>> key_for("MetadataChangeLog_Versioned_v1", {"entityUrn": "urn:li:corpuser:a"})
    'urn:li:corpuser:a'

Layouts (design.md choice 9):

- ``kafka-log``: ``OUT/<topic>-<partition>/<20-digit base offset>.log`` segments of RecordBatch v2
  (with ``.index``/``.timeindex``), key = the record key in UTF-8, value = Confluent framing
  (``0x00``, 4-byte big-endian schema id, Avro binary of the topic's DataHub schema), timestamp =
  the record's (CreateTime), the record's headers as Kafka headers (UTF-8 values). ``OUT/schemas.json``
  lists ``{subject: "<topic>-value", id, schema}``. Schema ids are litemeta's own and fixed per
  schema (:data:`SCHEMA_IDS`); ``schema_ids`` overrides them by topic or schema name.
  With one partition the Kafka offsets are the store's offsets. With ``partitions=N > 1``
  records are placed by Kafka's default partitioner (murmur2 of the key) and numbered
  contiguously per partition; each then carries its store offset in the header
  ``litemeta.offset``, which :func:`read_export` uses to restore the store's coordinates and
  order. Exporting again into the same folder appends: records already there (by offset) are
  skipped, new ones continue the partitions in new segments.
- ``avro``: ``OUT/<topic>.avro``, one Avro object container file of the topic's values. Avro holds
  values only: reading it back gives offsets 0.., keys derived from the values
  (:func:`key_for`) and timestamps from the values (:func:`timestamp_for`).
- ``jsonl``: ``OUT/<topic>.jsonl``, one object per record: topic, partition, offset, timestamp,
  key, value (and headers when there are any).

Avro and JSONL files are rewritten by each export; kafka-log folders are appended to.

:func:`read_export` reads any of the three back (:func:`sniff_format` tells which), topic by
topic in offset order, with unreadable parts as :class:`CorruptionReport` items; the writer is
:func:`litemeta.followers.export.export`.
"""

from __future__ import annotations

import heapq
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from litemeta.errors import ExportError, LitemetaError
from litemeta.formats.avro_fast import schema_of as _schema_of
from litemeta.formats.kafka_log import BatchRecord, CorruptionReport, read_segment
from litemeta.formats.kafka_segments import list_segments, split_partition_dir
from litemeta.model import avro
from litemeta.model.events import FAILED_MCP_TOPIC, PLATFORM_EVENT_TOPIC, TOPICS, TopicRecord, platform_event_key
from litemeta.model.jsontext import std_loads

FORMATS = ("kafka-log", "avro", "jsonl")
# litemeta's Schema Registry ids, fixed per schema so that every export frames values alike.
SCHEMA_IDS: Mapping[str, int] = {
    "MetadataChangeProposal": 1,
    "FailedMetadataChangeProposal": 2,
    "MetadataChangeLog": 3,
    "PlatformEvent": 4,
}
OFFSET_HEADER = "litemeta.offset"  # store offset of a re-partitioned record
SCHEMAS_FILE = "schemas.json"

ExportItem = Union[TopicRecord, CorruptionReport]


# --- schema ids --------------------------------------------------------------------------------


def schema_id_for(topic: str, schema_ids: Optional[Mapping[str, int]] = None) -> int:
    """The schema id framing ``topic``'s values: ``schema_ids[topic]``, ``schema_ids[schema]`` or SCHEMA_IDS."""
    schema = _schema_of(topic)
    for key in (topic, schema):
        if schema_ids and key in schema_ids:
            return int(schema_ids[key])
    return SCHEMA_IDS[schema]


def partition_folders(out: Path) -> Dict[str, List[int]]:
    """The ``<topic>-<partition>`` folders of an export folder: partition numbers by topic."""
    found: Dict[str, List[int]] = {}
    if out.is_dir():
        for child in out.iterdir():
            parsed = split_partition_dir(child.name) if child.is_dir() else None
            if parsed:
                found.setdefault(parsed[0], []).append(parsed[1])
    return found


# --- import ------------------------------------------------------------------------------------


def sniff_format(path: Union[str, os.PathLike]) -> str:
    """``kafka-log``, ``avro`` or ``jsonl`` for an export folder, a partition folder or a single file."""
    p = Path(path)
    if p.is_file():
        for suffix, fmt in ((".log", "kafka-log"), (".avro", "avro"), (".jsonl", "jsonl")):
            if p.name.endswith(suffix):
                return fmt
        raise ExportError(f"{p}: not an export file (expected .log, .avro or .jsonl)")
    if not p.is_dir():
        raise ExportError(f"{p}: no such export file or folder")
    if split_partition_dir(p.name) and list_segments(p):
        return "kafka-log"
    if any(list_segments(c) for c in p.iterdir() if c.is_dir() and split_partition_dir(c.name)):
        return "kafka-log"
    for suffix, fmt in ((".avro", "avro"), (".jsonl", "jsonl")):
        if any(p.glob(f"*{suffix}")):
            return fmt
    raise ExportError(f"{p}: no kafka-log partition folders, .avro or .jsonl files found")


def _topic_order(topic: str) -> Tuple[int, str]:
    return (TOPICS.index(topic) if topic in TOPICS else len(TOPICS), topic)


def read_export(path: Union[str, os.PathLike], topics: Optional[Iterable[str]] = None) -> Iterator[ExportItem]:
    """The records of an export (any of the three formats, sniffed), topic by topic, in offset order.

    Unreadable parts come as :class:`CorruptionReport` (topic, partition, offset, file, reason)
    and reading goes on with what follows them.
    """
    p = Path(path)
    fmt = sniff_format(p)
    wanted = set(topics) if topics is not None else None
    if fmt == "kafka-log":
        yield from _read_kafka_log(p, wanted)
        return
    suffix = ".avro" if fmt == "avro" else ".jsonl"
    files = [p] if p.is_file() else sorted(p.glob(f"*{suffix}"), key=lambda f: _topic_order(f.name[: -len(suffix)]))
    for f in files:
        if wanted is not None and f.name[: -len(suffix)] not in wanted:
            continue
        yield from (_read_avro(f) if fmt == "avro" else _read_jsonl(f, wanted))


def _read_kafka_log(p: Path, wanted: Optional[set]) -> Iterator[ExportItem]:
    if p.is_file():
        parsed = split_partition_dir(p.parent.name)
        if not parsed:
            raise ExportError(f"{p}: a segment must sit in a <topic>-<partition> folder")
        yield from _topic_records(parsed[0], {parsed[1]: [p]})
        return
    own = split_partition_dir(p.name)
    if own and list_segments(p):
        folders = {own[0]: [own[1]]}
        root = p.parent
    else:
        folders = partition_folders(p)
        root = p
    for topic in sorted(folders, key=_topic_order):
        if wanted is not None and topic not in wanted:
            continue
        segs = {part: [path for _b, path in list_segments(root / f"{topic}-{part}")] for part in sorted(folders[topic])}
        yield from _topic_records(topic, segs)


def _partition_items(topic: str, partition: int, segments: List[Path]) -> Iterator[Tuple[int, int, ExportItem]]:
    """(sort key, tie-break, item) for one partition: the store offset when known, else the Kafka offset."""
    last = -1
    for seg in segments:
        for item in read_segment(seg, topic=topic, partition=partition):
            if isinstance(item, CorruptionReport):
                yield last, 1, item
                continue
            rec = _to_topic_record(topic, partition, item, str(seg))
            if isinstance(rec, TopicRecord):
                last = rec.offset
            yield last, 0, rec


def _topic_records(topic: str, segments: Dict[int, List[Path]]) -> Iterator[ExportItem]:
    streams = [_partition_items(topic, part, segs) for part, segs in segments.items()]
    if len(streams) == 1:
        for _k, _t, item in streams[0]:
            yield item
        return
    for _k, _t, item in heapq.merge(*streams, key=lambda x: (x[0], x[1])):
        yield item


def _to_topic_record(topic: str, partition: int, rec: BatchRecord, file: str) -> ExportItem:
    def report(reason: str) -> CorruptionReport:
        return CorruptionReport(
            file, rec.position, rec.offset, f"record at offset {rec.offset}: {reason}", topic, partition
        )

    if rec.value is None:
        return report("no value")
    try:
        _schema_id, body = avro.unframe(rec.value)
        value = avro.decode_event(topic, body)
    except LitemetaError as e:
        return report(str(e))
    headers: Dict[str, str] = {}
    offset, part = rec.offset, partition
    try:
        for k, v in rec.headers:
            if k == OFFSET_HEADER and v is not None:
                offset, part = int(v), 0
            else:
                headers[k] = v.decode("utf-8") if v is not None else ""
        key = rec.key.decode("utf-8") if rec.key is not None else ""
    except (UnicodeDecodeError, ValueError) as e:
        return report(f"undecodable key or header: {e}")
    return TopicRecord(topic, part, offset, rec.timestamp, key, value, headers)


def key_for(topic: str, value: Mapping[str, Any]) -> str:
    """The Kafka key DataHub gives a topic value: the entity urn (``entityChangeEvent-<urn>`` for platform events)."""
    if topic == PLATFORM_EVENT_TOPIC:
        try:
            urn = json.loads(value["payload"]["value"]).get("entityUrn", "")
        except (KeyError, TypeError, ValueError):
            urn = ""
        return platform_event_key(urn)
    if topic == FAILED_MCP_TOPIC:
        value = value.get("metadataChangeProposal") or {}
    return str(value.get("entityUrn", ""))


def timestamp_for(topic: str, value: Mapping[str, Any]) -> int:
    """A record timestamp recovered from a value (avro exports keep no timestamps); 0 when none."""
    if topic == PLATFORM_EVENT_TOPIC:
        return int((value.get("header") or {}).get("timestampMillis", 0))
    if topic == FAILED_MCP_TOPIC:
        value = value.get("metadataChangeProposal") or {}
    created = value.get("created") or {}
    if "time" in created:
        return int(created["time"])
    return int((value.get("systemMetadata") or {}).get("lastObserved", 0))


def _read_avro(path: Path) -> Iterator[ExportItem]:
    index = 0
    default_topic = path.name[: -len(".avro")]
    try:
        with open(path, "rb") as f:
            for topic, value in avro.read_container(f):
                topic = topic or default_topic
                yield TopicRecord(topic, 0, index, timestamp_for(topic, value), key_for(topic, value), value)
                index += 1
    except (LitemetaError, OSError, ValueError, EOFError) as e:
        yield CorruptionReport(
            str(path),
            -1,
            index,
            f"Avro container unreadable from record {index} on: {e}",
            default_topic,
            0,
            stopped=True,
        )


def _read_jsonl(path: Path, wanted: Optional[set]) -> Iterator[ExportItem]:
    position = 0
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            start = position
            position += len(line)
            if not line.strip():
                continue
            try:
                obj = std_loads(line)
                rec = TopicRecord(
                    obj["topic"],
                    int(obj["partition"]),
                    int(obj["offset"]),
                    int(obj["timestamp"]),
                    obj["key"],
                    obj["value"],
                    obj.get("headers") or {},
                )
            except (ValueError, KeyError, TypeError) as e:
                yield CorruptionReport(str(path), start, None, f"line {number}: {e}", path.stem, None)
                continue
            if wanted is None or rec.topic in wanted:
                yield rec
