"""The half of a replay that needs no Kafka: what to send, where to resume, what happened.

    >>> parse_schema_ids(["mcp=12"])
    {'MetadataChangeProposal_v1': 12}
    >>> mock_brokers("mock:3"), mock_brokers("localhost:9092")
    (3, None)

Sources turn a store's topic log or an export folder into :data:`Outgoing` tuples (Avro body
without framing; the schema id is chosen at send time) interleaved with the
:class:`CorruptionReport` of unreadable parts. Progress trackers keep the next offset to send
per source topic-partition (:data:`Done`). :mod:`litemeta.followers.replay` (confluent-kafka's
only home) produces them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from litemeta.errors import ConfigurationError, ExportError, LitemetaError
from litemeta.formats.avro_fast import encode_value
from litemeta.formats.export_layout import SCHEMAS_FILE, read_export
from litemeta.formats.kafka_log import CorruptionReport, read_segment
from litemeta.formats.kafka_segments import list_segments, split_partition_dir
from litemeta.model.events import TOPIC_SCHEMAS, TOPICS, TopicRecord, resolve_topic

PROGRESS_FILE = "replay-progress.json"

# (topic, source partition, source offset, key, Avro body, timestamp, headers)
Outgoing = Tuple[str, int, int, Optional[bytes], bytes, int, Optional[List[Tuple[str, Optional[bytes]]]]]
SourceItem = Union[Outgoing, CorruptionReport]
Done = Dict[Tuple[str, int], int]  # next offset to send per (topic, source partition)


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did: records confirmed per topic, skipped (already replayed), failed, unreadable parts."""

    bootstrap: str
    source: str
    delivered: Mapping[str, int]
    skipped: int = 0
    failed: int = 0
    errors: Tuple[str, ...] = ()
    corrupt: Tuple[str, ...] = ()
    schema_ids: Mapping[str, int] = field(default_factory=dict)
    progress: str = ""
    seconds: float = 0.0

    @property
    def records(self) -> int:
        """Records whose delivery the broker confirmed."""
        return sum(self.delivered.values())

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was unreadable."""
        return not self.failed and not self.corrupt

    def as_dict(self) -> Dict[str, Any]:
        """JSON form for ``--json`` output."""
        return {
            "bootstrapServers": self.bootstrap,
            "source": self.source,
            "records": self.records,
            "delivered": dict(self.delivered),
            "skipped": self.skipped,
            "failed": self.failed,
            "errors": list(self.errors),
            "corrupt": list(self.corrupt),
            "schemaIds": dict(self.schema_ids),
            "progress": self.progress,
            "seconds": round(self.seconds, 3),
        }


def parse_schema_ids(pairs: Iterable[str]) -> Dict[str, int]:
    """``{topic: id}`` from ``TOPIC=ID`` strings (topic names or aliases such as ``mcp``)."""
    out: Dict[str, int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not value.strip().isdigit():
            raise ConfigurationError(f"--schema-id {pair!r}: expected TOPIC=ID, e.g. MetadataChangeProposal_v1=12")
        schema_id = int(value)
        if schema_id >= 2**32:
            raise ConfigurationError(f"--schema-id {pair!r}: the id must fit 4 unsigned bytes")
        out[resolve_topic(name.strip())] = schema_id
    return out


def parse_config(pairs: Iterable[str]) -> Dict[str, str]:
    """Producer settings from ``KEY=VALUE`` strings (librdkafka names, e.g. ``security.protocol=SSL``)."""
    out: Dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(f"--producer-config {pair!r}: expected KEY=VALUE, e.g. compression.type=zstd")
        out[key.strip()] = value
    return out


def mock_brokers(bootstrap: str) -> Optional[int]:
    """The broker count of ``mock`` / ``mock:N`` (librdkafka's mock cluster), None for a real cluster."""
    name, _, count = bootstrap.partition(":")
    if name != "mock":
        return None
    if count and not count.isdigit():
        raise ConfigurationError(f"--bootstrap-servers {bootstrap!r}: use mock or mock:N (N brokers)")
    return int(count or 1)


def schema_name(topic: str) -> str:
    """The Avro schema name of a topic; :class:`ExportError` for a topic litemeta does not know."""
    try:
        return TOPIC_SCHEMAS[topic]
    except KeyError:
        raise ExportError(f"no Avro schema for topic {topic!r}; known topics: {', '.join(TOPICS)}") from None


def read_schemas_file(folder: Path) -> Tuple[Dict[str, int], Dict[str, str]]:
    """(schema id, schema text) per topic from a kafka-log export's ``schemas.json`` (empty when absent)."""
    path = folder / SCHEMAS_FILE
    if not path.is_file():
        return {}, {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
        ids = {e["subject"][: -len("-value")]: int(e["id"]) for e in entries}
        texts = {e["subject"][: -len("-value")]: str(e["schema"]) for e in entries}
    except (ValueError, KeyError, TypeError) as e:
        raise ExportError(f"{path} is not a litemeta schemas file: {e}") from e
    return ids, texts


# --- progress ------------------------------------------------------------------------------------


class Progress(Protocol):
    """Where a replay resumes: the next offset to send per (topic, source partition)."""

    def describe(self) -> str:
        """Where the progress is kept, for the report."""

    def load(self) -> Done:
        """The saved progress (empty when there is none)."""

    def save(self, done: Done) -> None:
        """Persist ``done`` (called after each confirmed chunk)."""

    def reset(self) -> None:
        """Forget the saved progress, so that the next replay starts from offset 0."""


class FolderProgress(Progress):
    """``replay-progress.json`` in the export folder: ``{bootstrap: {"<topic>-<partition>": next offset}}``."""

    def __init__(self, folder: Path, target: str) -> None:
        self.path = folder / PROGRESS_FILE
        self.target = target

    def describe(self) -> str:
        return f"file {self.path}"

    def _all(self) -> Dict[str, Dict[str, int]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {str(k): {str(tp): int(o) for tp, o in v.items()} for k, v in data.items()}
        except (ValueError, AttributeError, TypeError) as e:
            raise ExportError(f"{self.path}: unreadable replay progress ({e}); delete it or use --reset") from e

    def load(self) -> Done:
        done: Done = {}
        for tp, nxt in self._all().get(self.target, {}).items():
            parsed = split_partition_dir(tp)
            if parsed:
                done[parsed] = nxt
        return done

    def save(self, done: Done) -> None:
        data = self._all()
        data[self.target] = {f"{t}-{p}": o for (t, p), o in sorted(done.items())}
        self._write(data)

    def _write(self, data: Dict[str, Dict[str, int]]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as e:
            raise ExportError(f"cannot save replay progress to {self.path}: {e.strerror or e}") from e

    def reset(self) -> None:
        data = self._all()
        if data.pop(self.target, None) is not None:
            self._write(data)


class StoreProgress(Progress):
    """A consumer group's committed offsets in the store (one partition per topic)."""

    def __init__(self, store: Any, group: str) -> None:
        self.store = store
        self.group = group

    def describe(self) -> str:
        return f"consumer group {self.group}"

    def load(self) -> Done:
        return {(t, 0): o for t, o in self.store.consumers.committed(self.group).items()}

    def save(self, done: Done) -> None:
        self.store.commit(self.group, {t: o for (t, _p), o in done.items()})

    def reset(self) -> None:
        committed = self.store.consumers.committed(self.group)
        if committed:
            self.store.commit(self.group, {t: 0 for t in committed})


class NoProgress(Progress):
    """No progress kept (the mock cluster lives only as long as the replay)."""

    def describe(self) -> str:
        return "not kept (mock cluster)"

    def load(self) -> Done:
        return {}

    def save(self, done: Done) -> None:
        pass

    def reset(self) -> None:
        pass


# --- sources -------------------------------------------------------------------------------------


def store_source(
    store: Any, topics: Sequence[str], done: Done, counters: Dict[str, int], chunk: int = 5000
) -> Iterator[SourceItem]:
    """The store's topics from the progress on, read in chunks (no read transaction held across commits)."""
    for topic in topics:
        offset = done.get((topic, 0), 0)
        counters["skipped"] += offset  # the store's offsets are contiguous from 0: all replayed already
        while True:
            recs = store.read_topic(topic, offset, chunk)
            if not recs:
                break
            for rec in recs:
                yield _encoded(rec, 0, "<store>")
            offset = recs[-1].offset + 1


def _encoded(rec: TopicRecord, partition: int, file: str) -> SourceItem:
    try:
        body = encode_value(rec.topic, rec.value)
    except LitemetaError as e:
        return CorruptionReport(
            file, -1, rec.offset, f"record at offset {rec.offset} cannot be encoded: {e}", rec.topic, partition
        )
    key: Optional[bytes] = rec.key.encode("utf-8") if rec.key is not None else None
    headers: Optional[List[Tuple[str, Optional[bytes]]]] = (
        [(k, v.encode("utf-8")) for k, v in rec.headers.items()] if rec.headers else None
    )
    return (rec.topic, partition, rec.offset, key, body, rec.timestamp, headers)


def _partitions(path: Path) -> List[Tuple[str, int, List[Path]]]:
    """(topic, partition, segment files) of a kafka-log export folder, a partition folder or one segment."""
    if path.is_file():
        parsed = split_partition_dir(path.parent.name)
        if not parsed:
            raise ExportError(f"{path}: a segment must sit in a <topic>-<partition> folder")
        return [(parsed[0], parsed[1], [path])]
    own = split_partition_dir(path.name)
    if own and list_segments(path):
        return [(own[0], own[1], [p for _b, p in list_segments(path)])]
    found = []
    for child in sorted(path.iterdir()):
        parsed = split_partition_dir(child.name) if child.is_dir() else None
        if parsed:
            found.append((parsed[0], parsed[1], [p for _b, p in list_segments(child)]))
    order = {t: i for i, t in enumerate(TOPICS)}
    return sorted(found, key=lambda x: (order.get(x[0], len(order)), x[0], x[1]))


def kafka_log_source(
    path: Path, topics: Optional[Sequence[str]], done: Done, counters: Dict[str, int]
) -> Iterator[SourceItem]:
    """Raw records of the segments: values keep their Avro bodies, only the schema id is rewritten."""
    for topic, part, segments in _partitions(path):
        if topics is not None and topic not in topics:
            continue
        start = done.get((topic, part), 0)
        bases = [int(p.stem) if p.stem.isdigit() else 0 for p in segments]
        for i, seg in enumerate(segments):
            if i + 1 < len(segments) and bases[i + 1] <= start:
                continue  # every record of this segment was replayed already
            for item in read_segment(seg, topic=topic, partition=part):
                if isinstance(item, CorruptionReport):
                    yield item
                    continue
                if item.offset < start:
                    counters["skipped"] += 1
                    continue
                value = item.value
                if value is None or len(value) < 5 or value[0] != 0:
                    yield CorruptionReport(
                        str(seg),
                        item.position,
                        item.offset,
                        f"record at offset {item.offset}: value is not in Confluent framing",
                        topic,
                        part,
                    )
                    continue
                yield (
                    topic,
                    part,
                    item.offset,
                    item.key,
                    value[5:],
                    item.timestamp,
                    list(item.headers) if item.headers else None,
                )


def file_source(
    path: Path, topics: Optional[Sequence[str]], done: Done, counters: Dict[str, int]
) -> Iterator[SourceItem]:
    """Records of an avro or jsonl export, re-encoded as Avro."""
    for item in read_export(path, topics):
        if isinstance(item, CorruptionReport):
            yield item
            continue
        if item.offset < done.get((item.topic, item.partition), 0):
            counters["skipped"] += 1
            continue
        yield _encoded(item, item.partition, str(path))
