"""Consumers that follow the log: consume/commit, subscriptions with at-least-once delivery, lag.

    >>> seen = []
    >>> store.subscribe(seen.append, topics=["pe"], group="my-app")      # doctest: +SKIP

A group's committed offsets live in the store (``consumer_offsets``), so a process that dies
resumes where its group last committed: a handler that raises loses nothing, its record is
delivered again from the last commit (Kafka's at-least-once, DataHub Actions' model).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from litemeta.errors import ConfigurationError
from litemeta.model.events import PLATFORM_EVENT_TOPIC, TOPICS, TopicRecord, event_filter, resolve_topic  # noqa: F401 - event_filter is part of this module's API
from litemeta.storage import log as L
from litemeta.storage.db import Database

Filter = Callable[[TopicRecord], bool]
Handler = Callable[[TopicRecord], Any]

_anonymous = itertools.count()  # numbers the in-memory groups of follow() without a group


@dataclass
class Consumers:
    """Consumer-group operations over a store's database."""

    db: Database

    def __post_init__(self) -> None:
        self._positions: Dict[Tuple[str, str], int] = {}

    def position(self, group: str, topic: str) -> int:
        """The group's in-memory position on a topic (from its committed offset at first use)."""
        key = (group, topic)
        if key not in self._positions:
            with self.db.read() as conn:
                self._positions[key] = L.committed(conn, group).get((topic, L.PARTITION), 0)
        return self._positions[key]

    def consume(self, topic: str, group: str, max_records: int = 500) -> List[TopicRecord]:
        """Next records for the group (Kafka poll); positions advance, nothing is committed."""
        t = resolve_topic(topic)
        pos = self.position(group, t)
        with self.db.read() as conn:
            recs = L.read_topic(conn, t, pos, max_records)
        if recs:
            self._positions[(group, t)] = recs[-1].offset + 1
        return recs

    def seek(self, group: str, topic: str, offset: int) -> None:
        """Move the group's in-memory position (commit to persist it)."""
        self._positions[(group, resolve_topic(topic))] = offset

    def commit(self, group: str, offsets: Optional[Mapping[str, int]] = None) -> None:
        """Persist next offsets: the given ``{topic: next_offset}``, or the group's current positions."""
        if offsets is None:
            todo = {(t, L.PARTITION): o for (g, t), o in self._positions.items() if g == group}
        else:
            todo = {(resolve_topic(t), L.PARTITION): int(o) for t, o in offsets.items()}
            for (t, _), o in todo.items():
                self._positions[(group, t)] = o
        if todo:
            with self.db.write() as conn:
                L.commit(conn, group, todo)

    def committed(self, group: str) -> Dict[str, int]:
        """The group's committed next offsets by topic."""
        with self.db.read() as conn:
            return {t: o for (t, _), o in L.committed(conn, group).items()}

    def lag(self, group: str, topics: Optional[Sequence[str]] = None) -> Dict[str, int]:
        """Records not yet committed by the group, per topic (all topics with records, or the given ones)."""
        with self.db.read() as conn:
            ends = L.end_offsets(conn)
            done = {t: o for (t, _), o in L.committed(conn, group).items()}
        names = [resolve_topic(t) for t in topics] if topics else sorted(ends)
        return {t: max(0, ends.get(t, 0) - done.get(t, 0)) for t in names}

    def follow(
        self,
        topic: str,
        group: Optional[str] = None,
        from_offset: Optional[int] = None,
        accept: Optional[Filter] = None,
        limit: Optional[int] = None,
        follow: bool = False,
        poll_interval: float = 0.5,
        stop: Optional[threading.Event] = None,
    ) -> Iterator[TopicRecord]:
        """A topic's records in offset order, like ``kafka-console-consumer`` (``litemeta log``).

        From ``from_offset``, else the ``group``'s committed offset, else 0. With a ``group``, the
        position is committed after each poll's records have been handed out (at-least-once: a
        reader that stops in the middle of a poll sees its records again) and after the last one
        when ``limit`` ends the iteration. ``accept`` filters (:func:`event_filter`); ``limit``
        counts accepted records. With ``follow`` it waits for new records every ``poll_interval``
        seconds until ``stop`` is set; without, it ends at the end of the topic.
        """
        name = resolve_topic(topic)
        grp = group or f"litemeta-follow-{next(_anonymous)}"  # an anonymous group is never committed
        if from_offset is not None or group is None:
            self.seek(grp, name, from_offset or 0)
        delivered = 0
        try:
            while stop is None or not stop.is_set():
                recs = self.consume(name, grp, 1000)
                for r in recs:
                    if accept is not None and not accept(r):
                        continue
                    yield r
                    delivered += 1
                    if limit is not None and delivered >= limit:
                        self.seek(grp, name, r.offset + 1)
                        if group is not None:
                            self.commit(grp)
                        return
                if group is not None and recs:
                    self.commit(grp)
                if not recs:
                    if not follow:
                        return
                    if stop is not None:
                        stop.wait(poll_interval)
                    else:
                        time.sleep(poll_interval)
        finally:
            if group is None:
                self._positions.pop((grp, name), None)

    def subscribe(
        self,
        handler: Handler,
        topics: Union[str, Sequence[str]] = (PLATFORM_EVENT_TOPIC,),
        group: str = "default",
        filter: Optional[Filter] = None,
        follow: bool = False,
        poll_interval: float = 0.5,
        stop: Optional[threading.Event] = None,
        max_records: int = 500,
    ) -> int:
        """Deliver every record from the group's committed offsets to ``handler``; commit after each.

        At-least-once: a record is committed only after its handler returned, so when the handler
        raises, the exception propagates and that record (and every later one) is delivered again
        on the next subscribe of the group. With ``follow`` it keeps polling until ``stop`` is set.
        Returns the number of records handled.
        """
        names = [resolve_topic(t) for t in ([topics] if isinstance(topics, str) else topics)]
        if not names:
            raise ConfigurationError(f"subscribe needs at least one topic of {', '.join(TOPICS)}")
        for t in names:  # restart from what is committed, not from a previous in-memory position
            self._positions.pop((group, t), None)
        handled = 0
        while True:
            progressed = False
            for t in names:
                for rec in self.consume(t, group, max_records):
                    progressed = True
                    if filter is None or filter(rec):
                        try:
                            handler(rec)
                        except BaseException:
                            self._positions.pop((group, t), None)
                            raise
                        handled += 1
                    self.commit(group, {t: rec.offset + 1})
            if stop is not None and stop.is_set():
                return handled
            if not progressed:
                if not follow:
                    return handled
                time.sleep(poll_interval)
