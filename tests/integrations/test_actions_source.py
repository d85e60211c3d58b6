"""The ``litemeta`` event source in the DataHub Actions framework (its real Pipeline, actions and event classes)."""

from __future__ import annotations

import copy
import io
import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, List, Optional

import pytest

pytest.importorskip("datahub_actions")

from datahub.emitter.mcp import MetadataChangeProposalWrapper  # noqa: E402
from datahub.metadata import schema_classes as m  # noqa: E402
from datahub.specific.dataset import DatasetPatchBuilder  # noqa: E402
from datahub_actions.action.action import Action  # noqa: E402
from datahub_actions.event.event_envelope import EventEnvelope  # noqa: E402
from datahub_actions.pipeline.pipeline import Pipeline  # noqa: E402
from datahub_actions.pipeline.pipeline_context import PipelineContext  # noqa: E402
from datahub_actions.plugin.source.kafka import kafka_event_source as kafka  # noqa: E402
from datahub_actions.source.event_source_registry import event_source_registry  # noqa: E402

from litemeta.emitter import LitemetaEmitter  # noqa: E402
from litemeta.integrations.actions_source import LitemetaEventSource  # noqa: E402
from litemeta.store import open_store  # noqa: E402
from tests.sdkcorpus import build_records  # noqa: E402

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.{},PROD)"
HERE = "tests.integrations.test_actions_source"
EVENT_TOPICS = ("MetadataChangeLog_Versioned_v1", "MetadataChangeLog_Timeseries_v1", "PlatformEvent_v1")


class Collect(Action):
    """Keeps every event (class-level, since the framework builds the action); may crash at one of them."""

    seen: ClassVar[List[EventEnvelope]] = []
    crash_at: ClassVar[Optional[int]] = None

    @classmethod
    def create(cls, config_dict: dict, ctx: PipelineContext) -> "Action":
        return cls()

    def act(self, event: EventEnvelope) -> None:
        if Collect.crash_at is not None and len(Collect.seen) == Collect.crash_at:
            raise Crash(f"process died at event {Collect.crash_at}")
        Collect.seen.append(event)

    def close(self) -> None:
        pass


class Crash(BaseException):
    """Not an Exception: the framework's retry and failure handling do not catch it, as a killed process."""


class PropagateTagsDownstream(Action):
    """Writes back: a tag added to a dataset is added to the datasets directly downstream of it (through a
    LitemetaEmitter into the store the pipeline follows), so it travels down the lineage event by event."""

    def __init__(self, db: str) -> None:
        self.emitter = LitemetaEmitter(db)

    @classmethod
    def create(cls, config_dict: dict, ctx: PipelineContext) -> "Action":
        return cls(config_dict["db"])

    def act(self, event: EventEnvelope) -> None:
        e = event.event
        if event.event_type != "EntityChangeEvent_v1" or e.category != "TAG" or e.operation != "ADD":
            return
        for row in self.emitter.store.scan(["upstreamLineage"]):
            if any(u["dataset"] == e.entityUrn for u in row.value.get("upstreams", [])):
                for mcp in DatasetPatchBuilder(row.urn).add_tag(m.TagAssociationClass(e.modifier)).build():
                    self.emitter.emit(mcp)

    def close(self) -> None:
        self.emitter.close()


@pytest.fixture(autouse=True)
def _reset_collect() -> None:
    Collect.seen = []
    Collect.crash_at = None


def _config(
    tmp_path: Path, db: Path, action: str, name: str = "p1", action_config: Optional[dict] = None, **source: Any
) -> Dict[str, Any]:
    source.setdefault("kill_after_idle_timeout", True)
    source.setdefault("idle_timeout_duration_seconds", 0)
    return {
        "name": name,
        "source": {"type": "litemeta", "config": {"db": str(db), **source}},
        "action": {"type": action, "config": action_config or {}},
        "options": {"failed_events_dir": str(tmp_path / "failed")},
    }


def _run(config: Dict[str, Any]) -> Pipeline:
    pipeline = Pipeline.create(config)
    try:
        pipeline.run()
    finally:
        pipeline.close()
    return pipeline


def _store(tmp_path: Path, size: int = 200) -> Path:
    db = tmp_path / "m.db"
    with open_store(str(db)) as store:
        store.ingest(build_records(size, seed=5))
    return db


class _Message:
    """What confluent-kafka's DeserializingConsumer hands DataHub's Kafka source: the Avro-decoded value."""

    def __init__(self, topic: str, offset: int, value: Dict[str, Any]) -> None:
        self._topic, self._offset, self._value = topic, offset, value

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def value(self) -> Dict[str, Any]:
        return self._value


def _as_kafka_source_delivers(topic: str, offset: int, value: Dict[str, Any]) -> List[EventEnvelope]:
    """The envelopes DataHub's Kafka source makes of the same record read off a Kafka topic in Avro."""
    import fastavro

    from litemeta.model.avro import encode_event, parsed_schema
    from litemeta.model.events import TOPIC_SCHEMAS

    body = encode_event(topic, value)  # what litemeta's export and replay put on the wire
    datum = fastavro.schemaless_reader(
        io.BytesIO(body), parsed_schema(TOPIC_SCHEMAS[topic]), None, return_record_name=True
    )  # as confluent-kafka's AvroDeserializer reads it
    msg = _Message(topic, offset, datum)
    if topic == "PlatformEvent_v1":
        return list(kafka.KafkaEventSource.handle_pe(msg))
    return [
        EventEnvelope(
            kafka.METADATA_CHANGE_LOG_EVENT_V1_TYPE,
            kafka.build_metadata_change_log_event(msg),
            kafka.build_kafka_meta(msg),
        )
    ]


def test_the_registry_finds_the_source() -> None:
    assert event_source_registry.get("litemeta") is LitemetaEventSource


def test_envelopes_are_those_of_datahubs_kafka_source(tmp_path: Path) -> None:
    """Every MCL and entity change event of the SDK corpus, in the store's order of each topic, as the
    framework's Kafka source would envelope it (event type, event, meta)."""
    db = _store(tmp_path)
    _run(_config(tmp_path, db, f"{HERE}.Collect"))
    with open_store(str(db), read_only=True) as store:
        expected = [
            env
            for t in EVENT_TOPICS
            for r in store.read_topic(t)
            for env in _as_kafka_source_delivers(t, r.offset, r.value)
        ]
    got = sorted(Collect.seen, key=lambda e: (EVENT_TOPICS.index(e.meta["kafka"]["topic"]), e.meta["kafka"]["offset"]))
    assert len(got) == len(expected) > 300
    assert {e.event_type for e in got} == {
        "MetadataChangeLogEvent_v1",
        "EntityChangeEvent_v1",
        "RelationshipChangeEvent_v1",
    }
    for g, x in zip(got, expected):
        assert json.loads(g.as_json()) == json.loads(x.as_json())
    # each topic's events come in offset order
    for t in EVENT_TOPICS:
        offsets = [e.meta["kafka"]["offset"] for e in Collect.seen if e.meta["kafka"]["topic"] == t]
        assert offsets == sorted(offsets)


def test_hello_world_gets_every_event_and_the_group_commits(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = _store(tmp_path, 60)
    _run(_config(tmp_path, db, "hello_world", name="hello", topics=["mcl", "pe"]))
    with open_store(str(db), read_only=True) as store:
        ends = store.end_offsets()
        committed = store.consumers.committed("hello")
    assert (
        capsys.readouterr().out.count("Hello world! Received event:")
        == ends["MetadataChangeLog_Versioned_v1"] + ends["PlatformEvent_v1"]
    )
    assert committed == {
        "MetadataChangeLog_Versioned_v1": ends["MetadataChangeLog_Versioned_v1"],
        "PlatformEvent_v1": ends["PlatformEvent_v1"],
    }
    _run(_config(tmp_path, db, "hello_world", name="hello", topics=["mcl", "pe"]))  # nothing new: nothing again
    assert "Hello world!" not in capsys.readouterr().out


def _key(e: EventEnvelope) -> tuple:
    return e.meta["kafka"]["topic"], e.meta["kafka"]["offset"]


@pytest.mark.parametrize("async_commit", [False, True])
def test_at_least_once_across_a_crash(tmp_path: Path, async_commit: bool) -> None:
    """A pipeline that dies mid-stream (no close, no final commit) loses nothing: the next run of the group
    starts after the last committed event. Committing each ack, exactly the unacked event comes again;
    with asynchronous commits (none due yet), everything since the group's last commit does."""
    db = _store(tmp_path, 60)
    config = _config(tmp_path, db, f"{HERE}.Collect", async_commit_enabled=async_commit, async_commit_interval=600_000)
    Collect.crash_at = 25
    pipeline = Pipeline.create(config)
    with pytest.raises(Crash):
        pipeline.run()  # the process "dies": the source is never closed
    first = [_key(e) for e in Collect.seen]
    assert len(first) == 25
    Collect.seen, Collect.crash_at = [], None
    _run(config)
    second = [_key(e) for e in Collect.seen]
    with open_store(str(db), read_only=True) as store:
        ends = store.end_offsets()
    everything = {(t, o) for t in EVENT_TOPICS for o in range(ends.get(t, 0))}
    assert set(first) | set(second) == everything
    if async_commit:
        assert set(first) <= set(second)  # nothing was committed before the crash: all delivered again
    else:
        assert not set(first) & set(second)  # each processed event was committed: none comes twice
    with open_store(str(db), read_only=True) as store:
        assert store.consumers.committed("p1") == {t: ends[t] for t in EVENT_TOPICS if t in ends}


def _follow(config: Dict[str, Any], until: Callable[[], bool], timeout: float = 30) -> None:
    """Run the pipeline on a thread while ``until`` is false (it follows the store), then stop it."""
    pipeline = Pipeline.create(config)
    worker = threading.Thread(target=pipeline.run, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + timeout
        while not until() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pipeline.stop()
        worker.join(timeout=30)
        pipeline.close()
    assert not worker.is_alive()


def test_latest_follows_only_new_events(tmp_path: Path) -> None:
    """``auto_offset_reset: latest``: a new group skips what the store held and follows what is written next."""
    db = _store(tmp_path, 60)
    config = _config(
        tmp_path,
        db,
        f"{HERE}.Collect",
        auto_offset_reset="latest",
        kill_after_idle_timeout=False,
        poll_interval_seconds=0.05,
    )

    def written_and_seen() -> bool:
        if not written:
            time.sleep(0.3)  # the pipeline is polling by now
            with LitemetaEmitter(str(db)) as emitter:
                emitter.emit(
                    MetadataChangeProposalWrapper(
                        entityUrn=DS.format("new"), aspect=m.GlobalTagsClass([m.TagAssociationClass("urn:li:tag:t")])
                    )
                )
            written.append(True)
        return any(e.event_type == "EntityChangeEvent_v1" for e in Collect.seen)

    written: List[bool] = []
    _follow(config, written_and_seen)
    assert Collect.seen and all(
        DS.format("new") in (getattr(e.event, "entityUrn", None), getattr(e.event, "sourceUrn", None))
        for e in Collect.seen
    )
    assert {e.event.aspectName for e in Collect.seen if e.event_type == "MetadataChangeLogEvent_v1"} >= {
        "datasetKey",
        "globalTags",
    }


def test_an_action_that_writes_back_sees_the_events_of_its_own_writes(tmp_path: Path) -> None:
    """A tag on ``a`` travels down the lineage a -> b -> c: each hop is a write of the action whose entity
    change event the source delivers next."""
    db = tmp_path / "m.db"
    lineage = [
        MetadataChangeProposalWrapper(
            entityUrn=DS.format(d),
            aspect=m.UpstreamLineageClass(
                upstreams=[m.UpstreamClass(dataset=DS.format(u), type=m.DatasetLineageTypeClass.TRANSFORMED)]
            ),
        )
        for u, d in (("a", "b"), ("b", "c"))
    ]
    with open_store(str(db)) as store:
        store.ingest(lineage)
        store.ingest(
            [
                MetadataChangeProposalWrapper(
                    entityUrn=DS.format("a"), aspect=m.GlobalTagsClass([m.TagAssociationClass("urn:li:tag:pii")])
                )
            ]
        )
    _run(_config(tmp_path, db, f"{HERE}.PropagateTagsDownstream", action_config={"db": str(db)}))
    with open_store(str(db), read_only=True) as store:
        for name in "bc":
            assert [t["tag"] for t in store.get(DS.format(name))["globalTags"]["tags"]] == ["urn:li:tag:pii"]
        assert store.lag("p1", list(EVENT_TOPICS[::2])) == {EVENT_TOPICS[0]: 0, EVENT_TOPICS[2]: 0}


def test_a_bad_config_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(Exception) as info:
        Pipeline.create(_config(tmp_path, tmp_path / "m.db", "hello_world", topics=["mcp"]))
    assert "topic 'mcp' carries no Actions events" in str(info.value.__cause__)


def test_compiled_from_obj_builds_what_avrogen_builds(tmp_path: Path) -> None:
    """litemeta.integrations.avro_classes against avrogen's own ``from_obj``, on every MCL, entity change
    event and relationship change event of the SDK corpus: same class, same fields, same nested objects."""
    from datahub.metadata.schema_classes import (
        EntityChangeEventClass,
        MetadataChangeLogClass,
        RelationshipChangeEventClass,
    )

    from litemeta.integrations.avro_classes import from_obj

    db = _store(tmp_path, 400)
    items: List[Any] = []
    with open_store(str(db), read_only=True) as store:
        for t in EVENT_TOPICS[:2]:
            items += [(MetadataChangeLogClass, r.value) for r in store.read_topic(t)]
        for r in store.read_topic(EVENT_TOPICS[2]):
            obj = json.loads(r.value["payload"]["value"])
            obj.pop("parameters", None)  # kept beside the fields by the framework (see entity_change_event)
            cls = EntityChangeEventClass if r.value["name"] == "entityChangeEvent" else RelationshipChangeEventClass
            items.append((cls, obj))
    assert len(items) > 1000 and {c for c, _ in items} == {
        MetadataChangeLogClass,
        EntityChangeEventClass,
        RelationshipChangeEventClass,
    }
    for cls, obj in items:
        expected, got = cls.from_obj(copy.deepcopy(obj)), from_obj(cls, copy.deepcopy(obj))
        assert type(got) is type(expected)
        assert repr(got._inner_dict) == repr(expected._inner_dict)  # nested records' reprs show their fields
        assert got.to_obj() == expected.to_obj()
    missing = dict(items[0][1])
    del missing["changeType"]
    with pytest.raises(ValueError, match="missing required field: changeType"):
        from_obj(MetadataChangeLogClass, missing)
