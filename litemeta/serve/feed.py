"""Following the log from inside the server: the commits of the writer as they happen.

    >>> import asyncio, os, tempfile, litemeta
    >>> store = litemeta.open_store(os.path.join(tempfile.mkdtemp(), "meta.db"))
    >>> _ = store.ingest([{"entityUrn": "urn:li:corpuser:alice", "entityType": "corpuser", "changeType": "UPSERT",
    ...                    "aspectName": "status", "aspect": {"json": {"removed": False}}}])
    >>> async def first_two(feed):        # in a route: feed = request.app.state.served.feed
    ...     seen = []
    ...     async for record in feed.follow("mcl", offset=0):   # every MCL so far, then each new one
    ...         seen.append(record.value["aspectName"])         # e.g. send it as a server-sent event
    ...         if len(seen) == 2:
    ...             return seen
    >>> asyncio.run(first_two(LogFeed(store)))
    ['corpUserKey', 'status']
    >>> store.close()

The log is the integration point (design.md rule 2): a feed reads the store's topics like any
follower, from an offset it keeps itself, and the writer only tells it when a commit appended
something (:meth:`LogFeed.publish`, called from the writer thread), so a follower never polls the
database while nothing changes. Writes made by another process to the same store are seen at
the next commit here, or after ``poll_seconds``.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, AsyncIterator, Dict, List, Optional, Set, Tuple

from starlette.concurrency import run_in_threadpool

from litemeta.model.events import resolve_topic


class LogFeed:
    """Commit notifications from the writer thread to asyncio followers."""

    def __init__(self, store: Any, poll_seconds: float = 5.0) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self.commits = 0  # commits published so far
        self._lock = threading.Lock()
        self._waiters: Set[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[int]"]] = set()

    def publish(self, offsets: Dict[str, Tuple[int, int]]) -> None:
        """A commit appended these ``{topic: (first, last)}`` offsets (any thread)."""
        with self._lock:
            self.commits += 1
            waiters, self._waiters = self._waiters, set()
            n = self.commits
        for loop, fut in waiters:
            loop.call_soon_threadsafe(_resolve, fut, n)

    async def wait(self, seen: int, timeout: Optional[float] = None) -> int:
        """Wait until more than ``seen`` commits were published (or ``timeout`` passed); returns the count."""
        loop = asyncio.get_running_loop()
        fut: "asyncio.Future[int]" = loop.create_future()
        with self._lock:
            if self.commits > seen:
                return self.commits
            self._waiters.add((loop, fut))
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            with self._lock:
                self._waiters.discard((loop, fut))
            return self.commits

    async def follow(self, topic: str, offset: int = 0, batch: int = 500) -> AsyncIterator[Any]:
        """The topic's records (name or alias: ``mcl``, ``pe``, ...) from ``offset`` on, forever: what
        is there, then each commit's new records as it happens (:class:`TopicRecord`\\ s)."""
        name = resolve_topic(topic)
        while True:
            seen = self.commits
            records: List[Any] = await run_in_threadpool(self.store.read_topic, name, offset, batch)
            for record in records:
                yield record
            if records:
                offset = records[-1].offset + 1
                if len(records) == batch:
                    continue
            await self.wait(seen, self.poll_seconds)


def _resolve(fut: "asyncio.Future[int]", n: int) -> None:
    if not fut.done():
        fut.set_result(n)
