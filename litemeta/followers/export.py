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
reads them back. :func:`export` writes any records; :func:`export_store` (behind
:meth:`litemeta.MetadataStore.export`) writes a store's topics:

- Every topic is exported up to its end offset when the export starts (a consistent cut while
  writers go on). Start offsets: ``from_offset`` when given, else the group's committed offsets,
  else 0. With a ``group``, the new end offsets are committed once the files are written
  (at-least-once: an export interrupted before the commit is written again by the next run).
- ``kafka-log`` appends to the existing segments (new segments after the last offset there; a
  record already in the folder is never written twice, with or without a group).
- ``avro`` and ``jsonl`` append too: a topic the group exported before gets its new records
  added to the end of ``OUT/<topic>.avro`` (a new block of the same container) or
  ``OUT/<topic>.jsonl``. A topic exported for the first time, and every topic of an export
  without ``--group``, has its file rewritten. Files are written in a temporary folder inside
  OUT and moved into place, so a failed export leaves the previous files as they were.
- **One export at a time per folder:** an export holds an exclusive lock on
  ``OUT/.litemeta-export.lock`` (``flock``) from start to end, and its second process holds it
  too. Another export into the same folder waits for it, up to ``lock_wait`` seconds (default
  10), then fails with :class:`ExportError`; two exports never interleave their records.
- **The second process dies with the export:** a kafka-log export of a SQLite store with at least
  :data:`PARALLEL_MIN_RECORDS` platform events writes that topic in a second process
  (``python -m litemeta.followers.export``, read-only on the store) while this one writes the
  others. The second process ends when its parent does, however the parent ends (SIGKILL
  included): Linux delivers it SIGKILL at its parent's death (``PR_SET_PDEATHSIG``), and on
  every platform it watches a pipe from its parent and exits when the pipe closes. A killed
  export run again therefore resumes after what is in the folder, with no record written twice.

The lock, and starting, hearing from and ending the second process, live in
:mod:`litemeta.followers.export_process`; the lock's names stay importable from here.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from litemeta import config
from litemeta.errors import ConfigurationError, ExportError, LitemetaError, os_problem
from litemeta.followers.consumers import Consumers
from litemeta.followers.export_process import LOCK_WAIT_SECONDS, FolderLock, end_helper, helper_report, start_helper
from litemeta.formats.avro_fast import encode_value
from litemeta.formats.avro_fast import schema_of as _schema_of
from litemeta.formats.export_layout import FORMATS, OFFSET_HEADER, SCHEMAS_FILE, partition_folders, schema_id_for
from litemeta.formats.kafka_log import kafka_partition
from litemeta.formats.kafka_segments import SegmentWriter
from litemeta.model import avro
from litemeta.model.events import PLATFORM_EVENT_TOPIC, TOPICS, TopicRecord, resolve_topic
from litemeta.storage import log as L
from litemeta.storage.db import Database, open_database

# A kafka-log export of at least this many platform events writes that topic in a second process.
PARALLEL_MIN_RECORDS = 20_000


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
    group: Optional[str] = None  # the consumer group of a store export
    from_offsets: Mapping[str, int] = field(default_factory=dict)  # where each topic started
    next_offsets: Mapping[str, int] = field(default_factory=dict)  # the offset after each topic's last record

    @property
    def records(self) -> int:
        """Records written, all topics and partitions together."""
        return sum(n for parts in self.counts.values() for n in parts.values())

    def as_dict(self) -> Dict[str, Any]:
        """JSON form for ``--json`` output."""
        return {
            "format": self.format,
            "out": self.out_dir,
            "records": self.records,
            "skipped": self.skipped,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "counts": {t: {str(p): n for p, n in parts.items()} for t, parts in self.counts.items()},
            "files": list(self.files),
            "group": self.group,
            "fromOffsets": dict(self.from_offsets),
            "nextOffsets": dict(self.next_offsets),
        }


# --- export ------------------------------------------------------------------------------------


def export(
    records: Iterable[TopicRecord],
    out_dir: Union[str, os.PathLike],
    fmt: str = "kafka-log",
    partitions: int = 1,
    schema_ids: Optional[Mapping[str, int]] = None,
    *,
    max_segment_bytes: int = 64 * 1024 * 1024,
    records_per_batch: int = 500,
    write_indexes: bool = True,
) -> ExportReport:
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
    started = time.perf_counter()
    try:
        out.mkdir(parents=True, exist_ok=True)
        if fmt == "kafka-log":
            report = _export_kafka_log(
                records, out, partitions, schema_ids, max_segment_bytes, records_per_batch, write_indexes
            )
        elif fmt == "avro":
            report = _export_avro(records, out)
        else:
            report = _export_jsonl(records, out)
    except OSError as e:  # a full disk, a folder that is not writable: one line naming the file
        raise ExportError(f"cannot write the export to {e.filename or out}: {os_problem(e)}") from e
    return ExportReport(
        fmt, str(out), report[0], report[1], report[2], time.perf_counter() - started, tuple(sorted(report[3]))
    )


_Counts = Dict[str, Dict[int, int]]
_Result = Tuple[_Counts, int, int, List[str]]


def _export_kafka_log(
    records: Iterable[TopicRecord],
    out: Path,
    partitions: int,
    schema_ids: Optional[Mapping[str, int]],
    max_segment_bytes: int,
    records_per_batch: int,
    write_indexes: bool,
) -> _Result:
    writers: Dict[str, List[SegmentWriter]] = {}
    prefixes: Dict[str, bytes] = {}
    exported_until: Dict[str, int] = {}  # per topic: store offsets below this are already in the folder
    counts: _Counts = {}
    skipped = 0
    partition_of: Dict[Optional[bytes], int] = {}

    def open_topic(topic: str) -> List[SegmentWriter]:
        existing = [p for p in partition_folders(out).get(topic, []) if p >= partitions]
        if existing:
            raise ExportError(
                f"{out} already holds {topic} partition {max(existing)}; export with "
                f"partitions={max(existing) + 1} or into a new folder"
            )
        ws = [
            SegmentWriter(
                out,
                topic,
                p,
                max_segment_bytes=max_segment_bytes,
                records_per_batch=records_per_batch,
                write_indexes=write_indexes,
            )
            for p in range(partitions)
        ]
        if partitions == 1:
            exported_until[topic] = ws[0].next_offset
        else:
            until = 0
            for w in ws:
                if w.next_offset == 0:
                    continue
                stored = dict(w.last_headers).get(OFFSET_HEADER)
                if stored is None:
                    raise ExportError(
                        f"{w.folder} was not written by a re-partitioning export "
                        f"(no {OFFSET_HEADER} header); export into a new folder"
                    )
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
        entries[f"{topic}-value"] = {
            "subject": f"{topic}-value",
            "id": schema_id_for(topic, schema_ids),
            "schema": avro.schema_text(_schema_of(topic)),
        }
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")  # two export processes may write it at once
    try:
        tmp.write_text(json.dumps(sorted(entries.values(), key=lambda e: e["subject"]), indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {os_problem(e)}") from e


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


# --- a store's topics ------------------------------------------------------------------------------


def export_store(
    db: Database,
    consumers: Consumers,
    out: Union[str, os.PathLike],
    fmt: str = "kafka-log",
    topics: Sequence[str] = (),
    partitions: int = 1,
    from_offset: Optional[int] = None,
    group: Optional[str] = None,
    progress: Optional[Callable[[int], None]] = None,
    parallel: Optional[bool] = None,
    helper_processes: bool = True,
    lock_wait: float = LOCK_WAIT_SECONDS,
) -> ExportReport:
    """Export a store's topics to ``out`` (see the module docstring); the report carries the start
    and next offsets by topic.

    ``parallel=False`` never uses a second process, ``True`` always tries (for a kafka-log export
    of a SQLite store); by default a large one does when ``helper_processes`` and two CPUs allow.
    """
    names = list(dict.fromkeys(resolve_topic(t) for t in topics)) if topics else list(TOPICS)
    if from_offset is not None and from_offset < 0:
        raise ConfigurationError(f"--from-offset must be >= 0, got {from_offset}")
    target = Path(out)
    with FolderLock(target, lock_wait) as lock:
        committed: Dict[str, int] = consumers.committed(group) if group else {}
        starts = {t: (from_offset if from_offset is not None else committed.get(t, 0)) for t in names}
        with db.read() as conn:
            end_of = L.end_offsets(conn)
        ends: Dict[str, int] = {}

        def records(which: Sequence[str]) -> Iterator[TopicRecord]:
            return _records(db, which, starts, end_of, ends, progress)

        if fmt == "kafka-log":
            pe_records = end_of.get(PLATFORM_EVENT_TOPIC, 0) - starts.get(PLATFORM_EVENT_TOPIC, 0)
            if parallel is None:
                parallel = helper_processes and pe_records >= PARALLEL_MIN_RECORDS and config.usable_cpus() >= 2
            db_path = db.sqlite_file
            if db_path is not None and PLATFORM_EVENT_TOPIC in names and len(names) > 1 and parallel:
                mine = [t for t in names if t != PLATFORM_EVENT_TOPIC]
                report = _export_two_processes(
                    db_path,
                    records,
                    target,
                    partitions,
                    mine,
                    [PLATFORM_EVENT_TOPIC],
                    starts,
                    end_of,
                    ends,
                    progress,
                    lock,
                )
            else:
                report = export(records(names), target, fmt, partitions)
        else:
            appending = {t for t in names if group and committed.get(t, 0) > 0 and from_offset is None}
            report = _export_files(records(names), target, fmt, partitions, appending)
        if group and ends:
            consumers.commit(group, ends)
    return replace(report, group=group, from_offsets=starts, next_offsets=ends)


def _records(
    db: Database,
    topics: Sequence[str],
    starts: Mapping[str, int],
    end_of: Mapping[str, int],
    ends: Dict[str, int],
    progress: Optional[Callable[[int], None]] = None,
) -> Iterator[TopicRecord]:
    """The records of ``topics`` from their start to their end offsets; ``ends`` keeps, per topic,
    the offset after the last record yielded; ``progress`` hears of every 1,000 records."""
    n = 0
    for topic in topics:
        with db.read() as conn:
            for rec in L.iter_topic(conn, topic, starts[topic], end=end_of.get(topic, 0)):
                ends[topic] = rec.offset + 1
                yield rec
                n += 1
                if progress is not None and n == 1000:
                    progress(n)
                    n = 0
    if progress is not None and n:
        progress(n)


def _export_two_processes(
    db_path: str,
    records: Callable[[Sequence[str]], Iterator[TopicRecord]],
    out: Path,
    partitions: int,
    mine: List[str],
    theirs: List[str],
    starts: Dict[str, int],
    end_of: Dict[str, int],
    ends: Dict[str, int],
    progress: Optional[Callable[[int], None]],
    lock: FolderLock,
) -> ExportReport:
    """kafka-log: ``theirs`` written by a child process (``python -m litemeta.followers.export``),
    ``mine`` here, at the same time. Topics have their own folders; schemas.json lists every topic
    before either starts. The child holds the folder's lock with this process and ends with it.
    Should the child fail, its topics are written here afterwards, resuming after whatever it
    wrote (an export never writes a record twice)."""
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    write_schemas(out, [t for t in mine + theirs if end_of.get(t, 0) > starts[t]])
    spec = {
        "db": db_path,
        "out": str(out),
        "topics": theirs,
        "partitions": partitions,
        "parent": os.getpid(),
        "starts": {t: starts[t] for t in theirs},
        "ends": {t: end_of.get(t, 0) for t in theirs},
    }
    child = start_helper("litemeta.followers.export", spec, lock)
    try:
        reports = [export(records(mine), out, "kafka-log", partitions)]
        theirs_report = helper_report(child) if child is not None else None
    finally:
        if child is not None:
            end_helper(child)
    if theirs_report is None:
        reports.append(export(records(theirs), out, "kafka-log", partitions))
    else:
        ends.update(theirs_report["ends"])
        counts = {t: {int(p): n for p, n in parts.items()} for t, parts in theirs_report["counts"].items()}
        reports.append(
            ExportReport(
                "kafka-log",
                str(out),
                counts,
                theirs_report["skipped"],
                theirs_report["bytes"],
                0.0,
                tuple(theirs_report["files"]),
            )
        )
        if progress is not None:
            progress(sum(n for parts in counts.values() for n in parts.values()))
    counts_all: Dict[str, Dict[int, int]] = {}
    for r in reports:
        for t, parts in r.counts.items():
            merged = counts_all.setdefault(t, {})
            for p, n in parts.items():
                merged[p] = merged.get(p, 0) + n
    return ExportReport(
        "kafka-log",
        str(out),
        counts_all,
        sum(r.skipped for r in reports),
        sum(r.bytes for r in reports),
        time.perf_counter() - t0,
        tuple(sorted({f for r in reports for f in r.files})),
    )


def _child(spec_json: str) -> int:
    """The second export process: its topics of ``spec`` to kafka-log; prints a JSON report."""
    spec = json.loads(spec_json)
    config.exit_with_parent(spec["parent"], sys.stdin.fileno())
    ends: Dict[str, int] = {}
    db = open_database(spec["db"], read_only=True)
    try:
        records = _records(db, spec["topics"], spec["starts"], spec["ends"], ends)
        report = export(records, Path(spec["out"]), "kafka-log", spec["partitions"])
    finally:
        db.close()
    d = report.as_dict()
    print(
        json.dumps(
            {
                "counts": d["counts"],
                "skipped": report.skipped,
                "bytes": report.bytes,
                "files": list(report.files),
                "ends": ends,
            }
        )
    )
    return 0


def _export_files(records: Iterator[TopicRecord], out: Path, fmt: str, partitions: int, appending: set) -> ExportReport:
    """avro/jsonl: export into a temporary folder, then append to or replace the files in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".litemeta-export-", dir=out))
    try:
        report = export(records, tmp, fmt, partitions)
        files: List[str] = []
        for produced in sorted(tmp.iterdir()):
            topic = produced.name[: -len(produced.suffix)]
            final = out / produced.name
            if topic in appending and final.exists() and final.stat().st_size > 0:
                if fmt == "jsonl":
                    with open(final, "ab") as dst, open(produced, "rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
                else:  # a new block of the existing Avro container (same schema, same sync marker)
                    with open(produced, "rb") as src, open(final, "a+b") as dst:
                        avro.write_container(dst, topic, (v for _t, v in avro.read_container(src)))
            else:
                os.replace(produced, final)
            files.append(str(final))
        size = sum(os.path.getsize(f) for f in files)
        return replace(report, out_dir=str(out), files=tuple(files), bytes=size)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":  # the second process of a parallel export (see _export_two_processes)
    code = _child(sys.argv[1])
    sys.stdout.flush()
    os._exit(code)  # nothing left to clean up (the store is closed): skip the interpreter's teardown
