"""Replay topics into a real Kafka with confluent-kafka (the optional extra ``litemeta[kafka]``).

    >>> from litemeta.followers.replay import replay                      # doctest: +SKIP
    >>> report = replay("localhost:9092", folder="export/", schema_registry="http://localhost:8081")
    >>> report.records, report.failed                                     # doctest: +SKIP
    (120433, 0)

The source is an export folder (any of the three formats, :mod:`litemeta.followers.export`) or a
store's topic log. Every value goes out in Confluent framing (``0x00``, 4-byte schema id, Avro
body) with the entity urn as key, the original timestamp (CreateTime) and headers, partitioned
by Kafka's default (Java) partitioner, murmur2 of the key, as DataHub's producers do.

Schema ids (formats.md §3, datahub-semantics.md R5.4-R5.5): a value's id must name its schema in
the target registry. ``schema_ids`` fixes an id per topic (e.g. DataHub's INTERNAL registry with
its fixed ids); otherwise, with ``schema_registry``, the topic's schema (from the export's
``schemas.json``, else litemeta's copy of DataHub's) is registered under ``<topic>-value``
(TopicNameStrategy) and that id is written; with neither, the source's own ids are kept.

Delivery is confirmed for every record: records go out in chunks; each chunk is flushed and its
delivery callbacks checked before progress is saved. Progress is the next offset per source
topic-partition: for a store, the committed offsets of a consumer group in the store
(``replay-<bootstrap servers>`` by default); for a folder, ``replay-progress.json`` in the folder,
keyed by the bootstrap servers. A replay that stops (Ctrl-C, crash, delivery failures) resumes
from the first record not confirmed; records sent but not yet confirmed when it stopped are sent
again (at-least-once, as Kafka producers are). Delivery failures stop the replay after the chunk
in which they happen. Unreadable parts of an export are reported and skipped.

``bootstrap="mock"`` (or ``mock:N`` for N brokers) replays into librdkafka's built-in mock
cluster, which lives only as long as the replay: for demos and benchmarks; no progress is kept.

confluent-kafka is imported only here (design.md: one home per third-party library).
"""
from __future__ import annotations

import functools
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from litemeta.errors import ConfigurationError, ExportError, LitemetaError
from litemeta.followers.export import (
    SCHEMA_IDS,
    SCHEMAS_FILE,
    encode_value,
    read_export,
    sniff_format,
)
from litemeta.followers.kafka_log import CorruptionReport, list_segments, read_segment, split_partition_dir
from litemeta.model import avro
from litemeta.model.events import TOPIC_SCHEMAS, TOPICS, TopicRecord, resolve_topic

KAFKA_HINT = "replay needs confluent-kafka (the optional extra): pip install 'litemeta[kafka]'"
PROGRESS_FILE = "replay-progress.json"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CHUNK = 20000
MAX_ERRORS = 20

# (topic, source partition, source offset, key, Avro body, timestamp, headers)
Outgoing = Tuple[str, int, int, Optional[bytes], bytes, int, Optional[List[Tuple[str, Optional[bytes]]]]]
SourceItem = Union[Outgoing, CorruptionReport]
Done = Dict[Tuple[str, int], int]  # next offset to send per (topic, source partition)

_log = logging.getLogger("litemeta.replay")
_kafka_log = logging.getLogger("litemeta.replay.librdkafka")
_kafka_log.addHandler(logging.NullHandler())  # librdkafka chatter stays quiet unless the user configures logging


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
        return {"bootstrapServers": self.bootstrap, "source": self.source, "records": self.records,
                "delivered": dict(self.delivered), "skipped": self.skipped, "failed": self.failed,
                "errors": list(self.errors), "corrupt": list(self.corrupt), "schemaIds": dict(self.schema_ids),
                "progress": self.progress, "seconds": round(self.seconds, 3)}


# --- confluent-kafka, imported lazily -------------------------------------------------------------

def kafka_module() -> Any:
    """The ``confluent_kafka`` module, or a :class:`ConfigurationError` saying how to install it."""
    try:
        import confluent_kafka
    except ImportError as e:
        raise ConfigurationError(f"{KAFKA_HINT} ({e})") from None
    return confluent_kafka


def _registry_module() -> Any:
    kafka_module()
    try:
        import confluent_kafka.schema_registry as sr
    except ImportError as e:  # its own dependencies (httpx, authlib, ...) are missing
        raise ConfigurationError(f"{KAFKA_HINT}; the schema registry client could not load: {e}") from None
    return sr


def schema_registry_client(url: str) -> Any:
    """A confluent-kafka Schema Registry client for ``url`` (``mock://...`` gives its MockSchemaRegistryClient)."""
    sr = _registry_module()
    try:
        return sr.SchemaRegistryClient.new_client({"url": url})
    except Exception as e:  # the client validates its configuration eagerly
        raise ConfigurationError(f"schema registry {url!r}: {e}") from e


def register_schemas(client: Any, schemas: Mapping[str, str]) -> Dict[str, int]:
    """Register each topic's Avro schema text under ``<topic>-value``; return ``{topic: schema id}``.

    ``client`` is a confluent-kafka ``SchemaRegistryClient`` (or its ``MockSchemaRegistryClient``).
    Registering a schema the subject already has returns its existing id.
    """
    sr = _registry_module()
    ids: Dict[str, int] = {}
    for topic, text in schemas.items():
        subject = f"{topic}-value"
        try:
            ids[topic] = int(client.register_schema(subject, sr.Schema(text, "AVRO")))
        except Exception as e:  # SchemaRegistryError, or the HTTP client's connection errors
            raise ExportError(f"cannot register the schema of {subject} in the schema registry: {e}") from e
    return ids


def parse_schema_ids(pairs: Iterable[str]) -> Dict[str, int]:
    """``{topic: id}`` from ``TOPIC=ID`` strings (topic names or aliases such as ``mcp``)."""
    out: Dict[str, int] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not value.strip().isdigit():
            raise ConfigurationError(f"--schema-id {pair!r}: expected TOPIC=ID, e.g. MetadataChangeProposal_v1=12")
        schema_id = int(value)
        if schema_id >= 2 ** 32:
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


def _mock_brokers(bootstrap: str) -> Optional[int]:
    name, _, count = bootstrap.partition(":")
    if name != "mock":
        return None
    if count and not count.isdigit():
        raise ConfigurationError(f"--bootstrap-servers {bootstrap!r}: use mock or mock:N (N brokers)")
    return int(count or 1)


def make_producer(bootstrap: str, *, timeout: float = DEFAULT_TIMEOUT,
                  config: Optional[Mapping[str, Any]] = None) -> Any:
    """A confluent-kafka Producer for ``bootstrap`` whose cluster answered within ``timeout`` seconds.

    Defaults: ``acks=all``, idempotence on (per-key order survives retries), Kafka's Java
    partitioner (``murmur2_random``), ``message.timeout.ms`` = ``timeout``. ``config`` overrides them.
    """
    ck = kafka_module()
    conf: Dict[str, Any] = {
        "bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
        "partitioner": "murmur2_random", "linger.ms": 10, "message.timeout.ms": int(timeout * 1000),
        "queue.buffering.max.messages": 500000, "logger": _kafka_log,
    }
    mock = _mock_brokers(bootstrap)
    if mock is not None:
        conf["test.mock.num.brokers"] = mock
    conf.update(config or {})
    try:
        producer = ck.Producer(conf)
    except (ck.KafkaException, TypeError, ValueError) as e:
        raise ConfigurationError(f"bad Kafka producer configuration: {_kafka_error(e)}") from None
    try:
        producer.list_topics(timeout=timeout)
    except ck.KafkaException as e:
        raise ExportError(f"cannot reach Kafka at {bootstrap} within {timeout:g} s: {_kafka_error(e)}") from None
    return producer


def mock_cluster_address(producer: Any) -> str:
    """``host:port`` of a broker of the cluster a producer is connected to (the mock cluster's, for tests)."""
    broker = next(iter(producer.list_topics(timeout=5).brokers.values()))
    return f"{broker.host}:{broker.port}"


def _kafka_error(e: BaseException) -> str:
    err = e.args[0] if e.args else e
    text = err.str() if hasattr(err, "str") else str(err)
    return str(text)


# --- schema ids ----------------------------------------------------------------------------------

class _SchemaIds:
    """Target schema id per topic: fixed by the user, registered, or the source's own."""

    def __init__(self, fixed: Mapping[str, int], registry: Any, source_ids: Mapping[str, int],
                 schema_texts: Mapping[str, str]) -> None:
        self.fixed = dict(fixed)
        self.registry = registry
        self.source_ids = dict(source_ids)
        self.schema_texts = dict(schema_texts)
        self.used: Dict[str, int] = {}

    def id_for(self, topic: str) -> int:
        if topic in self.used:
            return self.used[topic]
        if topic in self.fixed:
            schema_id = self.fixed[topic]
        elif self.registry is not None:
            text = self.schema_texts.get(topic) or avro.schema_text(_schema_name(topic))
            schema_id = register_schemas(self.registry, {topic: text})[topic]
        else:
            schema_id = self.source_ids.get(topic, SCHEMA_IDS[_schema_name(topic)])
        self.used[topic] = schema_id
        return schema_id


def _schema_name(topic: str) -> str:
    try:
        return TOPIC_SCHEMAS[topic]
    except KeyError:
        raise ExportError(f"no Avro schema for topic {topic!r}; known topics: {', '.join(TOPICS)}") from None


def _read_schemas_file(folder: Path) -> Tuple[Dict[str, int], Dict[str, str]]:
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

class _FolderProgress:
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


class _StoreProgress:
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


class _NoProgress:
    def describe(self) -> str:
        return "not kept (mock cluster)"

    def load(self) -> Done:
        return {}

    def save(self, done: Done) -> None:
        pass

    def reset(self) -> None:
        pass


# --- sources -------------------------------------------------------------------------------------

def _store_source(store: Any, topics: Sequence[str], done: Done, counters: Dict[str, int],
                  chunk: int = 5000) -> Iterator[SourceItem]:
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
        return CorruptionReport(file, -1, rec.offset, f"record at offset {rec.offset} cannot be encoded: {e}",
                                rec.topic, partition)
    key: Optional[bytes] = rec.key.encode("utf-8") if rec.key is not None else None
    headers: Optional[List[Tuple[str, Optional[bytes]]]] = (
        [(k, v.encode("utf-8")) for k, v in rec.headers.items()] if rec.headers else None)
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


def _kafka_log_source(path: Path, topics: Optional[Sequence[str]], done: Done,
                      counters: Dict[str, int]) -> Iterator[SourceItem]:
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
                    yield CorruptionReport(str(seg), item.position, item.offset,
                                           f"record at offset {item.offset}: value is not in Confluent framing",
                                           topic, part)
                    continue
                yield (topic, part, item.offset, item.key, value[5:], item.timestamp,
                       list(item.headers) if item.headers else None)


def _file_source(path: Path, topics: Optional[Sequence[str]], done: Done,
                 counters: Dict[str, int]) -> Iterator[SourceItem]:
    """Records of an avro or jsonl export, re-encoded as Avro."""
    for item in read_export(path, topics):
        if isinstance(item, CorruptionReport):
            yield item
            continue
        if item.offset < done.get((item.topic, item.partition), 0):
            counters["skipped"] += 1
            continue
        yield _encoded(item, item.partition, str(path))


# --- the replay ----------------------------------------------------------------------------------

def replay(bootstrap: str, *, store: Any = None, folder: Optional[Union[str, os.PathLike]] = None,
           topics: Optional[Iterable[str]] = None, schema_registry: Any = None,
           schema_ids: Optional[Mapping[str, int]] = None, group: Optional[str] = None, reset: bool = False,
           timeout: float = DEFAULT_TIMEOUT, producer_config: Optional[Mapping[str, Any]] = None,
           chunk_size: int = DEFAULT_CHUNK, progress: Optional[Callable[[int], None]] = None,
           producer: Any = None) -> ReplayReport:
    """Produce a store's topics (``store``) or an export (``folder``) to the Kafka at ``bootstrap``.

    ``topics`` (names or aliases) limits what is sent (default: all). ``schema_registry`` is a URL
    or a confluent-kafka client; ``schema_ids`` fixes ids by topic. Progress is resumed unless
    ``reset``. ``progress(n)`` is called after each confirmed chunk with its record count.
    ``producer`` replaces the one :func:`make_producer` would build (tests, custom clients).
    Raises :class:`ExportError` when the cluster or the registry cannot be reached.
    """
    if (store is None) == (folder is None):
        raise ConfigurationError("replay needs exactly one source: a store or an export folder")
    if chunk_size < 1:
        raise ConfigurationError(f"chunk_size must be >= 1, got {chunk_size}")
    wanted = [resolve_topic(t) for t in topics] if topics else None
    registry = schema_registry_client(schema_registry) if isinstance(schema_registry, str) else schema_registry
    mock = _mock_brokers(bootstrap) is not None
    counters = {"skipped": 0}
    source_ids: Dict[str, int] = {}
    texts: Dict[str, str] = {}
    if folder is not None:
        path = Path(folder)
        fmt = sniff_format(path)  # ExportError for what is not an export
        root = path if path.is_dir() else path.parent
        if fmt == "kafka-log":
            schemas_at = root if (root / SCHEMAS_FILE).exists() else root.parent
            source_ids, texts = _read_schemas_file(schemas_at)
        tracker: Any = _NoProgress() if mock else _FolderProgress(root, bootstrap)
        source = str(path)
    else:
        tracker = _NoProgress() if mock else _StoreProgress(store, group or f"replay-{bootstrap}")
        source = f"store {getattr(store, 'location', '')}".strip()
    if reset:
        tracker.reset()
    done = tracker.load()
    if folder is not None:
        reader = _kafka_log_source if fmt == "kafka-log" else _file_source
        items = reader(Path(folder), wanted, done, counters)
    else:
        items = _store_source(store, wanted or list(TOPICS), done, counters)
    ids = _SchemaIds(schema_ids or {}, registry, source_ids, texts)
    if producer is None:
        producer = make_producer(bootstrap, timeout=timeout, config=producer_config)
    started = time.perf_counter()
    run = _Run(producer, ids, tracker, done, timeout, chunk_size, progress)
    try:
        run.send(items)
    finally:
        report = ReplayReport(bootstrap, source, dict(run.delivered), counters["skipped"], run.failed,
                              tuple(run.errors), tuple(c.describe() for c in run.corrupt), dict(ids.used),
                              tracker.describe(), time.perf_counter() - started)
    return report


class _Run:
    """The produce loop: chunks, delivery callbacks, flush, progress."""

    def __init__(self, producer: Any, ids: _SchemaIds, tracker: Any, done: Done, timeout: float,
                 chunk_size: int, progress: Optional[Callable[[int], None]]) -> None:
        self.producer = producer
        self.ids = ids
        self.tracker = tracker
        self.done = dict(done)
        self.timeout = timeout
        self.chunk_size = chunk_size
        self.on_progress = progress
        self.delivered: Dict[str, int] = {}
        self.failed = 0
        self.errors: List[str] = []
        self.corrupt: List[CorruptionReport] = []
        self._coords: List[Tuple[str, int, int]] = []
        self._status = bytearray()  # per record of the chunk: 0 pending, 1 delivered, 2 failed

    def _on_delivery(self, index: int, err: Any, msg: Any) -> None:
        if index >= len(self._status):  # a report arriving after its chunk timed out (already counted failed)
            return
        if err is None:
            self._status[index] = 1
            return
        self._status[index] = 2
        if len(self.errors) < MAX_ERRORS:
            topic, part, offset = self._coords[index]
            self.errors.append(f"{topic}-{part} offset {offset}: {_kafka_error(Exception(err))}")

    def send(self, items: Iterable[SourceItem]) -> None:
        prefixes: Dict[str, bytes] = {}
        produce = self.producer.produce
        poll = self.producer.poll
        callback = self._on_delivery
        coords = self._coords
        try:
            for item in items:
                if isinstance(item, CorruptionReport):
                    self.corrupt.append(item)
                    continue
                topic, part, offset, key, body, ts, headers = item
                prefix = prefixes.get(topic)
                if prefix is None:
                    prefix = prefixes[topic] = avro.frame(self.ids.id_for(topic), b"")
                index = len(coords)
                coords.append((topic, part, offset))
                self._status.append(0)
                while True:
                    try:
                        produce(topic, prefix + body, key, on_delivery=functools.partial(callback, index),
                                timestamp=ts if ts > 0 else 0, headers=headers)
                        break
                    except BufferError:  # the local queue is full: serve delivery reports, then retry
                        poll(0.05)
                    except Exception as e:  # refused before sending (e.g. too large): a failed record
                        self._refused(index, e)
                        break
                if index % 1000 == 999:
                    poll(0)
                if len(coords) >= self.chunk_size and not self._finish_chunk():
                    return
            self._finish_chunk()
        except BaseException:  # Ctrl-C or a source error: keep what was confirmed
            try:
                self._finish_chunk(flush_timeout=min(self.timeout, 5.0))
            except Exception:  # the original error matters more
                pass
            raise

    def _refused(self, index: int, e: BaseException) -> None:
        self._status[index] = 2
        if len(self.errors) < MAX_ERRORS:
            topic, part, offset = self._coords[index]
            self.errors.append(f"{topic}-{part} offset {offset}: {_kafka_error(e)}")

    def _finish_chunk(self, flush_timeout: Optional[float] = None) -> bool:
        """Flush, account for every record of the chunk, save progress; False when some failed."""
        if not self._coords:
            return True
        remaining = self.producer.flush(self.timeout if flush_timeout is None else flush_timeout)
        blocked: set = set()
        confirmed = 0
        failed = 0
        for (topic, part, offset), status in zip(self._coords, self._status):
            tp = (topic, part)
            if status == 1:
                self.delivered[topic] = self.delivered.get(topic, 0) + 1
                confirmed += 1
                if tp not in blocked:
                    self.done[tp] = offset + 1
            else:  # failed, or not confirmed within the timeout: resume from here next time
                failed += 1
                blocked.add(tp)
        if remaining and len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{remaining} records not confirmed within {self.timeout:g} s")
        self.failed += failed
        self._coords.clear()
        self._status = bytearray()
        self.tracker.save(self.done)
        if self.on_progress is not None:
            self.on_progress(confirmed)
        return failed == 0


__all__ = ["ReplayReport", "replay", "make_producer", "register_schemas", "schema_registry_client",
           "parse_schema_ids", "parse_config", "kafka_module", "mock_cluster_address", "KAFKA_HINT", "PROGRESS_FILE"]
