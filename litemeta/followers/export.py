"""Topic export: the store's topics written as Kafka log segments, Avro container files or JSON Lines.

    >>> import tempfile
    >>> from litemeta.model.events import TopicRecord
    >>> value = {"entityType": "dataset", "entityUrn": "urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)",
    ...          "changeType": "UPSERT", "aspectName": "status",
    ...          "aspect": {"value": '{"removed":false}', "contentType": "application/json"}}
    >>> rec = TopicRecord("MetadataChangeProposal_v1", 0, 0, 1700000000000, value["entityUrn"], value)
    >>> out = tempfile.mkdtemp()
    >>> export([rec], out).records
    1
    >>> from litemeta.formats.export_layout import read_export
    >>> list(read_export(out)) == [rec]
    True

The layouts are those of :mod:`litemeta.formats.export_layout` (design.md choice 9), which also
reads them back. Avro and JSONL files are rewritten by each export; kafka-log folders are appended to.
"""
from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from litemeta.errors import ConfigurationError, ExportError, LitemetaError
from litemeta.formats.avro_fast import encode_value
from litemeta.formats.avro_fast import schema_of as _schema_of
from litemeta.formats.export_layout import (
    FORMATS,
    OFFSET_HEADER,
    SCHEMAS_FILE,
    partition_folders,
    schema_id_for,
)
from litemeta.formats.kafka_log import SegmentWriter, kafka_partition
from litemeta.model import avro
from litemeta.model.events import TopicRecord


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: records per topic and partition, records skipped, bytes, seconds."""

    format: str
    out_dir: str
    counts: Mapping[str, Mapping[int, int]]
    skipped: int = 0
    bytes: int = 0
    seconds: float = 0.0
    files: Tuple[str, ...] = field(default=())

    @property
    def records(self) -> int:
        """Records written, all topics and partitions together."""
        return sum(n for parts in self.counts.values() for n in parts.values())

    def as_dict(self) -> Dict[str, Any]:
        """JSON form for ``--json`` output."""
        return {
            "format": self.format, "out": self.out_dir, "records": self.records, "skipped": self.skipped,
            "bytes": self.bytes, "seconds": round(self.seconds, 3),
            "counts": {t: {str(p): n for p, n in parts.items()} for t, parts in self.counts.items()},
            "files": list(self.files),
        }


# --- export ------------------------------------------------------------------------------------

def export(records: Iterable[TopicRecord], out_dir: Union[str, os.PathLike], fmt: str = "kafka-log",
           partitions: int = 1, schema_ids: Optional[Mapping[str, int]] = None, *,
           max_segment_bytes: int = 64 * 1024 * 1024, records_per_batch: int = 500,
           write_indexes: bool = True) -> ExportReport:
    """Write topic records to ``out_dir`` in ``fmt`` (``kafka-log``, ``avro`` or ``jsonl``).

    ``partitions`` (kafka-log only) re-partitions by Kafka's default partitioner. ``schema_ids``
    overrides :data:`SCHEMA_IDS` by topic or schema name. Raises :class:`ExportError` naming the
    topic and offset of a record that cannot be written.
    """
    if fmt not in FORMATS:
        raise ConfigurationError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if partitions < 1 or (partitions != 1 and fmt != "kafka-log"):
        raise ConfigurationError(f"partitions={partitions}: must be >= 1, and only kafka-log exports re-partition")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if fmt == "kafka-log":
        report = _export_kafka_log(records, out, partitions, schema_ids, max_segment_bytes, records_per_batch,
                                   write_indexes)
    elif fmt == "avro":
        report = _export_avro(records, out)
    else:
        report = _export_jsonl(records, out)
    return ExportReport(fmt, str(out), report[0], report[1], report[2], time.perf_counter() - started,
                        tuple(sorted(report[3])))


_Counts = Dict[str, Dict[int, int]]
_Result = Tuple[_Counts, int, int, List[str]]


def _export_kafka_log(records: Iterable[TopicRecord], out: Path, partitions: int,
                      schema_ids: Optional[Mapping[str, int]], max_segment_bytes: int, records_per_batch: int,
                      write_indexes: bool) -> _Result:
    writers: Dict[str, List[SegmentWriter]] = {}
    prefixes: Dict[str, bytes] = {}
    exported_until: Dict[str, int] = {}  # per topic: store offsets below this are already in the folder
    counts: _Counts = {}
    skipped = 0
    partition_of: Dict[Optional[bytes], int] = {}

    def open_topic(topic: str) -> List[SegmentWriter]:
        existing = [p for p in partition_folders(out).get(topic, []) if p >= partitions]
        if existing:
            raise ExportError(f"{out} already holds {topic} partition {max(existing)}; export with "
                              f"partitions={max(existing) + 1} or into a new folder")
        ws = [SegmentWriter(out, topic, p, max_segment_bytes=max_segment_bytes,
                            records_per_batch=records_per_batch, write_indexes=write_indexes)
              for p in range(partitions)]
        if partitions == 1:
            exported_until[topic] = ws[0].next_offset
        else:
            until = 0
            for w in ws:
                if w.next_offset == 0:
                    continue
                stored = dict(w.last_headers).get(OFFSET_HEADER)
                if stored is None:
                    raise ExportError(f"{w.folder} was not written by a re-partitioning export "
                                      f"(no {OFFSET_HEADER} header); export into a new folder")
                until = max(until, int(stored) + 1)
            exported_until[topic] = until
        prefixes[topic] = avro.frame(schema_id_for(topic, schema_ids), b"")
        write_schemas(out, [topic], schema_ids)  # before any segment: the folder always describes itself
        counts[topic] = {}
        writers[topic] = ws
        return ws

    try:
        for rec in records:
            topic = rec.topic
            ws = writers.get(topic) or open_topic(topic)
            if rec.offset < exported_until[topic]:
                skipped += 1
                continue
            key = rec.key.encode("utf-8") if rec.key is not None else None
            try:
                value = prefixes[topic] + encode_value(topic, rec.value)
            except LitemetaError as e:
                raise ExportError(f"{topic} offset {rec.offset}: {e}") from e
            headers = [(k, v.encode("utf-8")) for k, v in rec.headers.items()] if rec.headers else []
            if partitions == 1:
                ws[0].append(rec.timestamp, key, value, headers, offset=rec.offset)
                p = 0
            else:
                cached = partition_of.get(key)
                if cached is not None:
                    p = cached
                else:  # an entity's records share its urn key: hash each key once
                    if len(partition_of) >= 65536:
                        partition_of.clear()
                    p = partition_of[key] = kafka_partition(key or b"", partitions)
                headers.append((OFFSET_HEADER, str(rec.offset).encode("ascii")))
                ws[p].append(rec.timestamp, key, value, headers)
            exported_until[topic] = rec.offset + 1
            c = counts[topic]
            c[p] = c.get(p, 0) + 1
    finally:
        for ws in writers.values():
            for w in ws:
                w.close()
    written = sum(w.bytes_written for ws in writers.values() for w in ws)
    files = [str(w.folder) for ws in writers.values() for w in ws]
    return counts, skipped, written, files + [str(out / SCHEMAS_FILE)] if writers else files



def write_schemas(out: Path, topics: List[str], schema_ids: Optional[Mapping[str, int]] = None) -> None:
    """schemas.json: {subject, id, schema} per topic, merged with what an earlier export listed."""
    path = out / SCHEMAS_FILE
    entries: Dict[str, Dict[str, Any]] = {}
    if path.exists():
        try:
            for e in json.loads(path.read_text(encoding="utf-8")):
                entries[e["subject"]] = e
        except (ValueError, KeyError, TypeError) as e:
            raise ExportError(f"{path} is not a litemeta schemas file: {e}") from e
    for topic in topics:
        entries[f"{topic}-value"] = {"subject": f"{topic}-value", "id": schema_id_for(topic, schema_ids),
                                     "schema": avro.schema_text(_schema_of(topic))}
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")  # two export processes may write it at once
    tmp.write_text(json.dumps(sorted(entries.values(), key=lambda e: e["subject"]), indent=1), encoding="utf-8")
    tmp.replace(path)


def _export_avro(records: Iterable[TopicRecord], out: Path) -> _Result:
    counts: _Counts = {}
    seen: set = set()
    for topic, group in itertools.groupby(records, key=lambda r: r.topic):
        _schema_of(topic)
        path = out / f"{topic}.avro"
        # a topic met again after another one is appended to the container it started
        with open(path, "a+b" if topic in seen else "wb") as f:
            n = avro.write_container(f, topic, (r.value for r in group))
        seen.add(topic)
        counts.setdefault(topic, {0: 0})[0] += n
    files = [str(out / f"{t}.avro") for t in seen]
    return counts, 0, sum(os.path.getsize(p) for p in files), files


def _export_jsonl(records: Iterable[TopicRecord], out: Path) -> _Result:
    counts: _Counts = {}
    handles: Dict[str, IO[str]] = {}
    try:
        for rec in records:
            f = handles.get(rec.topic)
            if f is None:
                f = handles[rec.topic] = open(out / f"{rec.topic}.jsonl", "w", encoding="utf-8")
                counts[rec.topic] = {}
            obj = rec.as_dict()
            if rec.headers:
                obj["headers"] = dict(rec.headers)
            f.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False))
            f.write("\n")
            c = counts[rec.topic]
            c[rec.partition] = c.get(rec.partition, 0) + 1
    finally:
        for f in handles.values():
            f.close()
    files = [str(out / f"{t}.jsonl") for t in handles]
    return counts, 0, sum(os.path.getsize(p) for p in files), files
