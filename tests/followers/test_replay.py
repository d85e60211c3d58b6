"""Replay into librdkafka's mock cluster (127.0.0.1 only), read back by a separate confluent-kafka
consumer and decoded with fastavro and the SDK's own .avsc files; schema registration through
confluent-kafka's MockSchemaRegistryClient (formats.md §3; datahub-semantics.md R5.4, R5.5)."""

from __future__ import annotations

import collections
import io
import json
import logging
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import datahub.metadata
import fastavro
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as sc

from litemeta.errors import ConfigurationError, ExportError
from litemeta.followers import replay as R
from litemeta.followers.export import export
from litemeta.formats.export_layout import SCHEMA_IDS
from litemeta.model.events import MCL_TIMESERIES_TOPIC, MCL_VERSIONED_TOPIC, MCP_TOPIC, PLATFORM_EVENT_TOPIC
from litemeta.store import open_store

SDK_SCHEMAS = Path(datahub.metadata.__file__).parent / "schemas"
SCHEMA_FILES = {
    MCP_TOPIC: "MetadataChangeProposal",
    MCL_VERSIONED_TOPIC: "MetadataChangeLog",
    MCL_TIMESERIES_TOPIC: "MetadataChangeLog",
    PLATFORM_EVENT_TOPIC: "PlatformEvent",
}
CLOCK = 1_750_000_000_000
_quiet = logging.getLogger("tests.replay.librdkafka")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def _urn(i: int) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:hive,db.replay_{i},PROD)"


def sdk_mcpws(n: int = 12) -> List[MCPW]:
    """Versioned aspects (rewritten, so versions accumulate), tags (platform events), a timeseries profile."""
    out: List[MCPW] = []
    for i in range(n):
        sm = sc.SystemMetadataClass(lastObserved=1_700_000_000_000 + i * 1000, runId="replay-test")
        out.append(
            MCPW(
                entityUrn=_urn(i),
                aspect=sc.DatasetPropertiesClass(
                    name=f"t{i}", description=f"table {i} – données", customProperties={"k": str(i)}
                ),
                systemMetadata=sm,
            )
        )
        out.append(
            MCPW(
                entityUrn=_urn(i),
                aspect=sc.GlobalTagsClass(tags=[sc.TagAssociationClass(tag=f"urn:li:tag:t{i % 3}")]),
                systemMetadata=sm,
            )
        )
        out.append(
            MCPW(
                entityUrn=_urn(i),
                aspect=sc.DatasetProfileClass(timestampMillis=1_700_000_000_000 + i, rowCount=i * 10, columnCount=3),
                systemMetadata=sm,
            )
        )
    for i in range(0, n, 2):  # a second version of half the properties
        sm = sc.SystemMetadataClass(lastObserved=1_700_100_000_000 + i, runId="replay-test-2")
        out.append(
            MCPW(entityUrn=_urn(i), aspect=sc.DatasetPropertiesClass(name=f"t{i}", description="v2"), systemMetadata=sm)
        )
    return out


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    s = open_store(str(tmp_path / "a.db"))
    s.clock = lambda: CLOCK
    s.ingest(sdk_mcpws())
    yield s
    s.close()


@pytest.fixture
def cluster() -> Iterator[str]:
    """A fresh librdkafka mock cluster (one broker on 127.0.0.1); yields its address."""
    owner = Producer({"test.mock.num.brokers": 1, "logger": _quiet})
    address = R.mock_cluster_address(owner)
    assert address.startswith("127.0.0.1:")
    yield address
    owner.flush(1)
    del owner


def topic_sizes(store: Any) -> Dict[str, int]:
    return {t: n for t, n in ((t, len(store.read_topic(t))) for t in SCHEMA_FILES) if n}


def consume(address: str, expected: int, timeout: float = 15.0) -> List[Any]:
    """Read every topic of the cluster from the beginning with a separate consumer (no group rebalancing)."""
    c = Consumer(
        {"bootstrap.servers": address, "group.id": "test-reader", "enable.auto.commit": False, "logger": _quiet}
    )
    try:
        md = c.list_topics(timeout=5)
        c.assign(
            [
                TopicPartition(t, p, OFFSET_BEGINNING)
                for t, tm in md.topics.items()
                if not t.startswith("__")
                for p in tm.partitions
            ]
        )
        got: List[Any] = []
        deadline = time.monotonic() + timeout
        while len(got) < expected and time.monotonic() < deadline:
            for m in c.consume(1000, 0.2):
                assert m.error() is None, m.error()
                got.append(m)
        # nothing more than expected arrives
        got.extend(m for m in c.consume(1000, 0.5) if m.error() is None)
        return got
    finally:
        c.close()


def signature(msgs: List[Any]) -> collections.Counter:
    return collections.Counter((m.topic(), m.key(), m.value(), m.timestamp()[1]) for m in msgs)


def sdk_parsed(topic: str) -> Any:
    return fastavro.parse_schema(json.loads((SDK_SCHEMAS / f"{SCHEMA_FILES[topic]}.avsc").read_text()))


def test_folder_replay_is_read_back_and_decodes_to_the_sdk_objects(store: Any, cluster: str, tmp_path: Path) -> None:
    """R5.4/R5.5: schemas registered under <topic>-value, the 4-byte ids rewritten to the registry's,
    keys are the urns; the values decode with the SDK's schemas to what was ingested."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    registry = SchemaRegistryClient.new_client({"url": "mock://replay-test"})
    for i in range(5):  # occupy ids so that the registry's ids differ from litemeta's own (1..4)
        registry.register_schema(
            f"other-{i}-value", Schema(json.dumps({"type": "fixed", "name": f"F{i}", "size": i + 1}), "AVRO")
        )
    export(store.iter_topic(MCP_TOPIC), tmp_path / "out")
    export(
        (r for t in (MCL_VERSIONED_TOPIC, MCL_TIMESERIES_TOPIC, PLATFORM_EVENT_TOPIC) for r in store.iter_topic(t)),
        tmp_path / "out",
    )
    sizes = topic_sizes(store)
    report = R.replay(cluster, folder=tmp_path / "out", schema_registry=registry, timeout=10)
    assert report.ok and report.failed == 0
    assert dict(report.delivered) == sizes

    msgs = consume(cluster, sum(sizes.values()))
    assert collections.Counter(m.topic() for m in msgs) == sizes
    ids = {t: registry.get_latest_version(f"{t}-value").schema_id for t in SCHEMA_FILES}
    for t, name in SCHEMA_FILES.items():  # what was registered is DataHub's schema
        assert json.loads(registry.get_schema(ids[t]).schema_str) == json.loads(
            (SDK_SCHEMAS / f"{name}.avsc").read_text()
        )
    assert all(i > 5 for i in ids.values())  # not litemeta's own ids: they were rewritten
    assert dict(report.schema_ids) == ids

    ingested = {(m.entityUrn, m.aspectName): [] for m in sdk_mcpws()}
    for m in sdk_mcpws():
        ingested[(m.entityUrn, m.aspectName)].append(m.aspect.to_obj())
    seen_mcp: Dict[Tuple[str, str], List[Any]] = collections.defaultdict(list)
    latest_mcl: Dict[Tuple[str, str], Any] = {}
    for m in sorted(msgs, key=lambda m: (m.topic(), m.partition(), m.offset())):
        value = m.value()
        assert value[0] == 0
        (schema_id,) = struct.unpack(">I", value[1:5])
        assert schema_id == ids[m.topic()]
        datum = fastavro.schemaless_reader(io.BytesIO(value[5:]), sdk_parsed(m.topic()))
        if m.topic() == MCP_TOPIC:
            mcp = sc.MetadataChangeProposalClass.from_obj(datum)
            assert m.key() == mcp.entityUrn.encode()
            seen_mcp[(mcp.entityUrn, mcp.aspectName)].append(json.loads(mcp.aspect.value))
        elif m.topic() == MCL_VERSIONED_TOPIC:
            mcl = sc.MetadataChangeLogClass.from_obj(datum)
            assert m.key() == mcl.entityUrn.encode()
            latest_mcl[(mcl.entityUrn, mcl.aspectName)] = json.loads(mcl.aspect.value)
        elif m.topic() == PLATFORM_EVENT_TOPIC:
            pe = sc.PlatformEventClass.from_obj(datum)
            if pe.name == "entityChangeEvent":  # R3.4: key entityChangeEvent-<urn>
                urn = json.loads(pe.payload.value)["entityUrn"]
                assert m.key() == f"entityChangeEvent-{urn}".encode()
    # every proposal arrives, in order per key (one key, one partition)
    assert {k: v for k, v in seen_mcp.items() if k in ingested} == ingested
    # the change log's last value of each aspect is the SDK object last written
    for (urn, aspect), values in ingested.items():
        if aspect == "datasetProperties":
            assert sc.DatasetPropertiesClass.from_obj(latest_mcl[(urn, aspect)]) == sc.DatasetPropertiesClass.from_obj(
                values[-1]
            )


@pytest.mark.slow
def test_store_replay_resumes_after_an_interruption_without_duplicates(
    store: Any, cluster: str, tmp_path: Path
) -> None:
    """Progress is a consumer group in the store: stopping after a confirmed chunk resumes exactly after it."""
    sizes = topic_sizes(store)
    calls = []

    def stop_after_two_chunks(n: int) -> None:
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        R.replay(cluster, store=store, chunk_size=7, timeout=10, progress=stop_after_two_chunks)
    group = f"replay-{cluster}"
    assert store.consumers.committed(group) == {MCP_TOPIC: 14}
    second = R.replay(cluster, store=store, chunk_size=7, timeout=10)
    assert second.ok and second.records == sum(sizes.values()) - 14 and second.skipped == 14
    assert store.consumers.committed(group) == sizes
    resumed = consume(cluster, sum(sizes.values()))

    with open_store(str(tmp_path / "a.db")) as again:  # an uninterrupted replay into another cluster
        owner = Producer({"test.mock.num.brokers": 1, "logger": _quiet})
        other = R.mock_cluster_address(owner)
        R.replay(other, store=again, group="other", timeout=10)
        straight = consume(other, sum(sizes.values()))
        del owner
    assert signature(resumed) == signature(straight)
    assert sum(signature(resumed).values()) == sum(sizes.values())
    # a third replay finds nothing new
    assert R.replay(cluster, store=store, timeout=10).records == 0


def test_folder_replay_keeps_progress_in_the_folder(store: Any, cluster: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(store.iter_topic(MCP_TOPIC), out)
    n = len(store.read_topic(MCP_TOPIC))
    first = R.replay(cluster, folder=out, topics=["mcp"], timeout=10)
    assert first.records == n
    progress = json.loads((out / R.PROGRESS_FILE).read_text())
    assert progress == {cluster: {f"{MCP_TOPIC}-0": n}}
    again = R.replay(cluster, folder=out, timeout=10)
    assert again.records == 0 and again.skipped == n
    reset = R.replay(cluster, folder=out, reset=True, timeout=10)
    assert reset.records == n
    assert len(consume(cluster, 2 * n)) == 2 * n


def test_jsonl_and_avro_exports_replay_with_fixed_schema_ids(store: Any, cluster: str, tmp_path: Path) -> None:
    """--schema-id: the given ids are written, nothing is registered."""
    export(store.iter_topic(MCP_TOPIC), tmp_path / "j", "jsonl")
    export(store.iter_topic(MCL_VERSIONED_TOPIC), tmp_path / "a", "avro")
    r1 = R.replay(cluster, folder=tmp_path / "j", schema_ids=R.parse_schema_ids(["mcp=42"]), timeout=10)
    r2 = R.replay(cluster, folder=tmp_path / "a", schema_ids={MCL_VERSIONED_TOPIC: 43}, timeout=10)
    n1, n2 = len(store.read_topic(MCP_TOPIC)), len(store.read_topic(MCL_VERSIONED_TOPIC))
    assert (r1.records, r2.records) == (n1, n2)
    msgs = consume(cluster, n1 + n2)
    assert collections.Counter((m.topic(), struct.unpack(">I", m.value()[1:5])[0]) for m in msgs) == {
        (MCP_TOPIC, 42): n1,
        (MCL_VERSIONED_TOPIC, 43): n2,
    }
    for m in msgs:
        datum = fastavro.schemaless_reader(io.BytesIO(m.value()[5:]), sdk_parsed(m.topic()))
        assert m.key() == datum["entityUrn"].encode()


def test_without_registry_or_fixed_ids_the_exports_ids_are_kept(store: Any, cluster: str) -> None:
    report = R.replay(cluster, store=store, topics=["mcl"], timeout=10)
    assert dict(report.schema_ids) == {MCL_VERSIONED_TOPIC: SCHEMA_IDS["MetadataChangeLog"]}


def test_corrupt_segment_is_reported_and_the_rest_is_replayed(store: Any, cluster: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(store.iter_topic(MCP_TOPIC), out, records_per_batch=5)
    seg = next((out / f"{MCP_TOPIC}-0").glob("*.log"))
    data = bytearray(seg.read_bytes())
    second_batch = 12 + struct.unpack(">i", data[8:12])[0]  # a batch spans 12 bytes + its batchLength
    data[second_batch + 70] ^= 0xFF
    seg.write_bytes(bytes(data))
    n = len(store.read_topic(MCP_TOPIC))
    report = R.replay(cluster, folder=out, timeout=10)
    assert not report.ok and report.records == n - 5
    assert len(report.corrupt) == 1 and f"{MCP_TOPIC}-0 batch at offset 5" in report.corrupt[0]
    assert len(consume(cluster, n - 5)) == n - 5


class FakeProducer:
    """Records produce() calls; reports delivery failure for chosen offsets on flush."""

    def __init__(self, fail: Optional[set] = None) -> None:
        self.fail = fail or set()
        self.pending: List[Any] = []
        self.sent: List[Tuple[str, bytes]] = []

    def produce(self, topic: str, value: bytes, key: Optional[bytes], on_delivery: Any, **kw: Any) -> None:
        self.pending.append((topic, key, value, on_delivery))

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        for topic, _key, value, cb in self.pending:
            n = len(self.sent)
            if n in self.fail:
                cb("Broker: Message size too large", None)
            else:
                cb(None, None)
            self.sent.append((topic, value))
        self.pending = []
        return 0


def test_delivery_failures_are_counted_and_the_next_replay_resumes_at_the_first(store: Any) -> None:
    n = len(store.read_topic(MCP_TOPIC))
    failing = FakeProducer(fail={9, 11})
    report = R.replay("kafka:9092", store=store, topics=["mcp"], chunk_size=6, producer=failing)
    # chunks of 6: the first is confirmed, the second holds the failures and stops the replay
    assert report.failed == 2 and report.records == 10 and not report.ok
    assert report.errors == (
        f"{MCP_TOPIC}-0 offset 9: Broker: Message size too large",
        f"{MCP_TOPIC}-0 offset 11: Broker: Message size too large",
    )
    assert store.consumers.committed("replay-kafka:9092") == {MCP_TOPIC: 9}
    good = FakeProducer()
    again = R.replay("kafka:9092", store=store, topics=["mcp"], producer=good)
    assert again.records == n - 9 and again.skipped == 9 and again.ok


def test_register_schemas_uses_topic_name_strategy() -> None:
    """R5.4: subjects are <topic>-value; registering again returns the same id."""
    registry = R.schema_registry_client("mock://register-test")
    text = (SDK_SCHEMAS / "MetadataChangeLog.avsc").read_text()
    ids = R.register_schemas(registry, {MCL_VERSIONED_TOPIC: text, MCL_TIMESERIES_TOPIC: text})
    assert set(registry.get_subjects()) == {f"{MCL_VERSIONED_TOPIC}-value", f"{MCL_TIMESERIES_TOPIC}-value"}
    assert R.register_schemas(registry, {MCL_VERSIONED_TOPIC: text}) == {MCL_VERSIONED_TOPIC: ids[MCL_VERSIONED_TOPIC]}
    assert json.loads(registry.get_schema(ids[MCL_VERSIONED_TOPIC]).schema_str) == json.loads(text)


def test_unreachable_broker_is_a_clear_error_within_the_timeout(store: Any) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(ExportError, match=rf"cannot reach Kafka at 127.0.0.1:{port} within 1 s"):
        R.replay(f"127.0.0.1:{port}", store=store, timeout=1)
    assert time.monotonic() - t0 < 10


def test_missing_confluent_kafka_says_what_to_install(monkeypatch: pytest.MonkeyPatch, store: Any) -> None:
    monkeypatch.setitem(sys.modules, "confluent_kafka", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'litemeta\[kafka\]'"):
        R.replay("localhost:9092", store=store)


def test_bad_options() -> None:
    with pytest.raises(ConfigurationError, match="TOPIC=ID"):
        R.parse_schema_ids(["mcp:3"])
    with pytest.raises(ConfigurationError, match="unknown topic"):
        R.parse_schema_ids(["nope=3"])
    with pytest.raises(ConfigurationError, match="KEY=VALUE"):
        R.parse_config(["acks"])
    assert R.parse_config(["compression.type=zstd"]) == {"compression.type": "zstd"}
    with pytest.raises(ConfigurationError, match="exactly one source"):
        R.replay("mock")
