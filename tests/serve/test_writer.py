"""The server's one writer: submissions queued while a transaction runs are committed together
(group commit), each answered with its own result after that commit."""

from __future__ import annotations

import time
from typing import Any

from litemeta.model.proposal import Origin, Proposal
from litemeta.serve.writer import Writer


def status(urn: str, removed: Any = False, origin: str = "<t>") -> Proposal:
    return Proposal(urn, "status", aspect={"removed": removed}, origin=Origin(origin, 0))


def test_queued_submissions_share_one_commit_and_get_their_own_results(litemeta_store: Any) -> None:
    writer = Writer(litemeta_store)
    writer.start()
    try:
        with writer.index_lock:  # the first group waits for the index (wait_index) while more arrive
            first = writer.submit([status("urn:li:corpuser:first")], wait_index=True)
            deadline = time.monotonic() + 30
            while writer.commits < 1 and time.monotonic() < deadline:  # committed, now waiting for the lock
                time.sleep(0.001)
            later = [writer.submit([status(f"urn:li:corpuser:u{i}", origin=f"<r{i}>")]) for i in range(10)]
            bad = writer.submit([status("urn:li:corpuser:bad", removed="yes", origin="<bad>")])
        results = [f.result(30) for f in [first, *later, bad]]
    finally:
        writer.stop()
    assert writer.commits == 2 and writer.submissions == 12
    assert [r.group_size for r in results] == [1] + [11] * 11
    assert all(r.ok for r in results[:-1]) and not results[-1].ok
    assert results[-1].errors[0]["urn"] == "urn:li:corpuser:bad" and results[-1].errors[0]["path"]
    assert len(litemeta_store.list_urns("corpuser")) == 11


def test_a_stopped_writer_refuses_and_a_started_one_drains_on_stop(litemeta_store: Any) -> None:
    writer = Writer(litemeta_store)
    refused = writer.submit([status("urn:li:corpuser:a")])
    assert isinstance(refused.exception(1), RuntimeError)
    writer.start()
    futures = [writer.submit([status(f"urn:li:corpuser:d{i}")]) for i in range(20)]
    writer.stop()
    assert all(f.result(1).ok for f in futures)
    assert len(litemeta_store.list_urns("corpuser")) == 20


def test_the_feed_follows_the_log_as_commits_happen(litemeta_store: Any) -> None:
    """The activity feed's primitive: what the topic holds, then each commit's records as it happens."""
    import asyncio

    from litemeta.serve.feed import LogFeed

    feed = LogFeed(litemeta_store, poll_seconds=30)
    writer = Writer(litemeta_store, on_commit=feed.publish)
    writer.start()
    writer.submit([status("urn:li:corpuser:before")]).result(30)

    async def follow() -> list:
        got = []
        async for record in feed.follow("mcl", 0):
            got.append((record.value["entityUrn"], record.value["aspectName"]))
            if len(got) == 2:  # the first entity's key and status: now write while following
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: writer.submit([status("urn:li:corpuser:after")]).result(30)
                )
            if len(got) == 4:
                return got
        return got

    try:
        got = asyncio.run(asyncio.wait_for(follow(), 20))  # well under poll_seconds: woken by the commit
    finally:
        writer.stop()
    assert got == [
        ("urn:li:corpuser:before", "corpUserKey"),
        ("urn:li:corpuser:before", "status"),
        ("urn:li:corpuser:after", "corpUserKey"),
        ("urn:li:corpuser:after", "status"),
    ]
    assert feed.commits == 2


def test_the_events_helper_starts_only_under_sustained_writing(litemeta_store: Any) -> None:
    """As an ingest of more than one batch does: a server that takes a few writes derives platform
    events inline; past a batch's worth of proposals, a helper process (another core) does."""
    writer = Writer(litemeta_store, events_helper=True)
    writer.helper_after = 5
    writer.start()
    try:
        writer.submit([status(f"urn:li:corpuser:h{i}") for i in range(4)]).result(30)
        assert writer.helper_started is False
        writer.submit([status(f"urn:li:corpuser:h{i}") for i in range(4, 8)]).result(30)
        result = writer.submit(
            [Proposal("urn:li:corpuser:h0", "globalTags", aspect={"tags": [{"tag": "urn:li:tag:t"}]})]
        ).result(30)
        assert writer.helper_started is True  # after the commit that passed 5 proposals, before the next
    finally:
        writer.stop()
    assert result.ok and result.report.platform_events >= 1  # derived (in the helper or inline when it could not start)
