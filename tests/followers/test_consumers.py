"""Consumers following the log: consume/commit, at-least-once subscriptions, lag, filters (issue 4)."""

from __future__ import annotations

import json
from typing import Any, List

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m
from datahub.specific.dataset import DatasetPatchBuilder

import litemeta
from litemeta.followers.consumers import event_filter
from litemeta.model.events import PLATFORM_EVENT_TOPIC
from tests.conftest import Cli

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"


@pytest.fixture
def store(file_store: Any) -> Any:
    """A store on file (tests reopen it by path), with a tag and an owner on one dataset."""
    s = file_store
    s.ingest(
        [
            MCPW(entityUrn=DS, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag="urn:li:tag:a")])),
            MCPW(
                entityUrn=DS,
                aspect=m.OwnershipClass(owners=[m.OwnerClass(owner="urn:li:corpuser:x", type="DATAOWNER")]),
            ),
        ]
    )
    return s


def categories(recs: List[Any]) -> List[str]:
    return [json.loads(r.value["payload"]["value"]).get("category", "-") for r in recs]


def test_consume_and_commit_resume_from_the_committed_offset(store: Any) -> None:
    first = store.consume("pe", "g1", max_records=2)
    assert [r.offset for r in first] == [0, 1]
    assert [r.offset for r in store.consume("pe", "g1", max_records=1)] == [2]  # position advanced
    store.commit("g1", {"pe": 2})
    again = litemeta.open_store(store.settings.db)
    try:
        assert again.consume("pe", "g1", max_records=1)[0].offset == 2  # committed offset survives a restart
        assert again.lag("g1", ["pe"]) == {PLATFORM_EVENT_TOPIC: len(store.read_topic("pe")) - 2}
    finally:
        again.close()


def test_subscriber_that_fails_then_succeeds_sees_every_event(store: Any) -> None:
    """At-least-once: the record whose handler raised is delivered again; nothing is lost."""
    total = len(store.read_topic("pe"))
    seen: List[int] = []
    calls = {"n": 0}

    def flaky(rec: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("handler down")
        seen.append(rec.offset)

    with pytest.raises(RuntimeError):
        store.subscribe(flaky, topics=["pe"], group="alerts")
    assert seen == [0, 1]
    assert store.lag("alerts", ["pe"])[PLATFORM_EVENT_TOPIC] == total - 2
    store.subscribe(flaky, topics=["pe"], group="alerts")
    assert seen == list(range(total))
    assert store.lag("alerts", ["pe"])[PLATFORM_EVENT_TOPIC] == 0
    # new events after the patch reach the same group, and only those
    store.ingest(DatasetPatchBuilder(DS).add_tag(m.TagAssociationClass(tag="urn:li:tag:b")).build())
    more: List[Any] = []
    store.subscribe(more.append, topics=["pe"], group="alerts", filter=event_filter(categories=["TAG"]))
    assert categories(more) == ["TAG"]
    assert json.loads(more[0].value["payload"]["value"])["modifier"] == "urn:li:tag:b"


def test_filter_accepts_owner_as_alias_of_ownership(store: Any) -> None:
    """Choice 7 / R8.11: events say OWNERSHIP, filters accept OWNER too."""
    got: List[Any] = []
    store.subscribe(got.append, topics=["pe"], group="own", filter=event_filter(categories=["OWNER"]))
    assert categories(got) == ["OWNERSHIP"]


def test_events_are_keyed_and_enveloped_as_datahub_does(store: Any) -> None:
    """R3.4: name entityChangeEvent, key entityChangeEvent-<urn>, version 0, auditStamp from the MCL's created."""
    mcl_created = {r.value["aspectName"]: r.value["created"] for r in store.read_topic("mcl")}
    tag_events = [
        r
        for r in store.read_topic("pe")
        if r.value["name"] == "entityChangeEvent" and json.loads(r.value["payload"]["value"])["category"] == "TAG"
    ]
    assert len(tag_events) == 1
    rec = tag_events[0]
    payload = json.loads(rec.value["payload"]["value"])
    assert rec.key == f"entityChangeEvent-{DS}"
    assert payload["version"] == 0 and payload["operation"] == "ADD" and payload["entityUrn"] == DS
    assert payload["auditStamp"] == mcl_created["globalTags"]
    assert rec.value["header"]["timestampMillis"] == mcl_created["globalTags"]["time"]
    assert rec.value["payload"]["contentType"] == "application/json"


def test_follow_reads_a_topic_from_the_start_and_commits_nothing_without_a_group(store: Any) -> None:
    every = store.read_topic("pe")
    assert [r.offset for r in store.follow("pe")] == [r.offset for r in every]
    assert [r.offset for r in store.follow("pe", from_offset=2)] == [r.offset for r in every[2:]]
    assert store.consumer_groups() == []


def test_follow_as_a_group_resumes_where_its_last_limit_stopped(store: Any) -> None:
    n = len(store.read_topic("mcl"))
    assert [r.offset for r in store.follow("mcl", group="g", limit=1)] == [0]
    assert store.consumers.committed("g") == {"MetadataChangeLog_Versioned_v1": 1}
    assert [r.offset for r in store.follow("mcl", group="g")] == list(range(1, n))
    assert store.lag("g", ["mcl"]) == {"MetadataChangeLog_Versioned_v1": 0}


def test_follow_filters_and_counts_only_accepted_records(store: Any) -> None:
    tags = list(store.follow("pe", accept=event_filter(categories=["TAG"]), limit=5))
    assert tags and categories(tags) == ["TAG"] * len(tags)
    owners = list(store.follow("pe", accept=event_filter(categories=["OWNER"]), limit=1))
    assert categories(owners) == ["OWNERSHIP"]


def test_follow_waits_for_new_records_until_stopped(store: Any) -> None:
    import threading

    stop = threading.Event()
    start = len(store.read_topic("mcl"))

    def later() -> None:
        with litemeta.open_store(store.settings.db) as writer:
            writer.ingest(MCPW(entityUrn=DS, aspect=m.StatusClass(removed=True)))

    threading.Timer(0.3, later).start()
    seen = []
    for rec in store.follow("mcl", from_offset=start, follow=True, poll_interval=0.05, stop=stop):
        seen.append(rec)
        stop.set()  # the first new record is enough
    assert [(r.offset, r.value["aspectName"]) for r in seen] == [(start, "status")]


def test_log_command_prints_and_commits_as_a_group(store: Any, cli: Cli) -> None:
    db = store.settings.db
    store.close()
    out = cli("log", "mcl", "--db", db, "--json", "--limit", "2", "--group", "cli").output
    assert [json.loads(line)["offset"] for line in out.splitlines()] == [0, 1]
    out = cli("log", "mcl", "--db", db, "--json", "--limit", "1", "--group", "cli").output
    assert [json.loads(line)["offset"] for line in out.splitlines()] == [2]
    text = cli("log", "pe", "--db", db, "--category", "TAG").output
    assert text and all("TAG/" in line for line in text.splitlines())
