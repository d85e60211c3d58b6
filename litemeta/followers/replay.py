"""Replay topics into a real Kafka with confluent-kafka (the optional extra ``litemeta[kafka]``).

    >>> from litemeta.followers.replay import replay
    >>> report = replay("localhost:9092", folder="export/",                # doctest: +SKIP
    ...                 schema_registry="http://localhost:8081")
    >>> report.records, report.failed                                     # doctest: +SKIP
    (120433, 0)

The source is an export folder (any of the three formats, :mod:`litemeta.formats.export_layout`) or a
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
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from litemeta.errors import ConfigurationError, ExportError
from litemeta.followers.replay_plan import (
    PROGRESS_FILE,
    Done,
    FolderProgress,
    NoProgress,
    Progress,
    ReplayReport,
    SourceItem,
    StoreProgress,
    file_source,
    kafka_log_source,
    mock_brokers,
    parse_config,
    parse_schema_ids,
    read_schemas_file,
    schema_name,
    store_source,
)
from litemeta.formats.export_layout import SCHEMA_IDS, SCHEMAS_FILE, sniff_format
from litemeta.formats.kafka_log import CorruptionReport
from litemeta.model import avro
from litemeta.model.events import TOPICS, resolve_topic

KAFKA_HINT = "replay needs confluent-kafka (the optional extra): pip install 'litemeta[kafka]'"
DEFAULT_TIMEOUT = 30.0
DEFAULT_CHUNK = 20000
MAX_ERRORS = 20


_log = logging.getLogger("litemeta.replay")
_kafka_log = logging.getLogger("litemeta.replay.librdkafka")
_kafka_log.addHandler(logging.NullHandler())  # librdkafka chatter stays quiet unless the user configures logging


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


def make_producer(
    bootstrap: str, *, timeout: float = DEFAULT_TIMEOUT, config: Optional[Mapping[str, Any]] = None
) -> Any:
    """A confluent-kafka Producer for ``bootstrap`` whose cluster answered within ``timeout`` seconds.

    Defaults: ``acks=all``, idempotence on (per-key order survives retries), Kafka's Java
    partitioner (``murmur2_random``), ``message.timeout.ms`` = ``timeout``. ``config`` overrides them.
    """
    ck = kafka_module()
    conf: Dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "enable.idempotence": True,
        "partitioner": "murmur2_random",
        "linger.ms": 10,
        "message.timeout.ms": int(timeout * 1000),
        "queue.buffering.max.messages": 500000,
        "logger": _kafka_log,
    }
    mock = mock_brokers(bootstrap)
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

    def __init__(
        self, fixed: Mapping[str, int], registry: Any, source_ids: Mapping[str, int], schema_texts: Mapping[str, str]
    ) -> None:
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
            text = self.schema_texts.get(topic) or avro.schema_text(schema_name(topic))
            schema_id = register_schemas(self.registry, {topic: text})[topic]
        else:
            schema_id = self.source_ids.get(topic, SCHEMA_IDS[schema_name(topic)])
        self.used[topic] = schema_id
        return schema_id


# --- the replay ----------------------------------------------------------------------------------


def replay(
    bootstrap: str,
    *,
    store: Any = None,
    folder: Optional[Union[str, os.PathLike]] = None,
    topics: Optional[Iterable[str]] = None,
    schema_registry: Any = None,
    schema_ids: Optional[Mapping[str, int]] = None,
    group: Optional[str] = None,
    reset: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    producer_config: Optional[Mapping[str, Any]] = None,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Optional[Callable[[int], None]] = None,
    producer: Any = None,
) -> ReplayReport:
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
    mock = mock_brokers(bootstrap) is not None
    counters = {"skipped": 0}
    source_ids: Dict[str, int] = {}
    texts: Dict[str, str] = {}
    if folder is not None:
        path = Path(folder)
        fmt = sniff_format(path)  # ExportError for what is not an export
        root = path if path.is_dir() else path.parent
        if fmt == "kafka-log":
            schemas_at = root if (root / SCHEMAS_FILE).exists() else root.parent
            source_ids, texts = read_schemas_file(schemas_at)
        tracker: Progress = NoProgress() if mock else FolderProgress(root, bootstrap)
        source = str(path)
    else:
        tracker = NoProgress() if mock else StoreProgress(store, group or f"replay-{bootstrap}")
        source = f"store {getattr(store, 'location', '')}".strip()
    if reset:
        tracker.reset()
    done = tracker.load()
    if folder is not None:
        reader = kafka_log_source if fmt == "kafka-log" else file_source
        items = reader(Path(folder), wanted, done, counters)
    else:
        items = store_source(store, wanted or list(TOPICS), done, counters)
    ids = _SchemaIds(schema_ids or {}, registry, source_ids, texts)
    if producer is None:
        producer = make_producer(bootstrap, timeout=timeout, config=producer_config)
    started = time.perf_counter()
    run = _Run(producer, ids, tracker, done, timeout, chunk_size, progress)
    try:
        run.send(items)
    finally:
        report = ReplayReport(
            bootstrap,
            source,
            dict(run.delivered),
            counters["skipped"],
            run.failed,
            tuple(run.errors),
            tuple(c.describe() for c in run.corrupt),
            dict(ids.used),
            tracker.describe(),
            time.perf_counter() - started,
        )
    return report


class _Run:
    """The produce loop: chunks, delivery callbacks, flush, progress."""

    def __init__(
        self,
        producer: Any,
        ids: _SchemaIds,
        tracker: Progress,
        done: Done,
        timeout: float,
        chunk_size: int,
        progress: Optional[Callable[[int], None]],
    ) -> None:
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
                        produce(
                            topic,
                            prefix + body,
                            key,
                            on_delivery=functools.partial(callback, index),
                            timestamp=ts if ts > 0 else 0,
                            headers=headers,
                        )
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


__all__ = [
    "ReplayReport",
    "replay",
    "make_producer",
    "register_schemas",
    "schema_registry_client",
    "parse_schema_ids",
    "parse_config",
    "kafka_module",
    "mock_cluster_address",
    "KAFKA_HINT",
    "PROGRESS_FILE",
]
