"""The server's one writer: a thread that applies submitted proposals in groups (group commit).

    >>> import os, tempfile, litemeta
    >>> from litemeta.model.proposal import Proposal
    >>> store = litemeta.open_store(os.path.join(tempfile.mkdtemp(), "meta.db"))
    >>> writer = Writer(store)
    >>> writer.start()
    >>> proposal = Proposal("urn:li:corpuser:alice", "status", aspect={"removed": False})
    >>> result = writer.submit([proposal]).result()    # blocks until its transaction committed
    >>> result.ok, result.report.written, result.errors
    (True, 1, [])
    >>> writer.stop()
    >>> store.close()

From an async handler: ``result = await writer.write([proposal], wait_index=True)``.

Every HTTP write (and, later, every edit made in the browser view) becomes a :class:`Submission`
of proposals or legacy MCEs. The writer thread takes the first waiting submission, then every
other one already queued (up to :data:`GROUP_PROPOSALS` proposals), and applies them all in one
transaction through :meth:`MetadataStore.writer_session` (the write path of ``litemeta ingest``:
validation, versions, MCLs, platform events, the dead-letter topic). Each submission's future is
resolved after that commit with its own :class:`WriteResult`: one commit serves many requests, so
concurrent clients share the cost of a commit instead of queueing behind one each.

A submission with ``wait_index`` (DataHub's ``SYNC_WAIT``, the in-body header
``X-DataHub-Sync-Index-Update: true``) is answered after the search index has caught up too.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from litemeta.core.report import IngestReport

_log = logging.getLogger(__name__)

# Proposals applied in one transaction at most (a group of requests). The store's ingest writes
# 3,000 per transaction; a group stays near that so that a commit's cost is shared as widely.
GROUP_PROPOSALS = 3000


@dataclass
class WriteResult:
    """What one submission's proposals did, known once their transaction committed."""

    report: IngestReport
    group_size: int = 1  # submissions committed in the same transaction
    offsets: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # this group's topic offsets

    @property
    def ok(self) -> bool:
        """True when no proposal of the submission was rejected."""
        return not self.report.failed

    @property
    def errors(self) -> List[Dict[str, Any]]:
        """The rejected proposals, each with ``message``, ``urn``, ``aspect``, ``reason`` (as ``ingest`` reports)."""
        return self.report.errors


@dataclass
class Submission:
    """Records to write (Proposals or legacy MCEs), how, and the future that gets the result."""

    items: Sequence[Any]
    actor: Optional[str] = None
    wait_index: bool = False
    future: "Future[WriteResult]" = field(default_factory=Future)
    # set by Writer.write: the asyncio future an async caller awaits, resolved on its own loop
    waiter: Optional[Tuple[asyncio.AbstractEventLoop, "asyncio.Future[WriteResult]"]] = None

    @property
    def size(self) -> int:
        return max(1, len(self.items))


_STOP = object()


class Writer:
    """The only writer of a served store (design.md rule 1): callers submit, one thread writes."""

    def __init__(
        self,
        store: Any,
        *,
        group_proposals: int = GROUP_PROPOSALS,
        events_helper: bool = False,
        index_lock: Optional[threading.Lock] = None,
        on_commit: Optional[Callable[[Dict[str, Tuple[int, int]]], None]] = None,
    ) -> None:
        self.store = store
        self.group_proposals = group_proposals
        self.events_helper = events_helper
        self.helper_after = store.settings.batch_size  # proposals written before the helper starts
        self.helper_started = False
        self.index_lock = index_lock or threading.Lock()
        self.on_commit = on_commit
        self.commits = 0  # transactions committed (for tests and the benchmark)
        self.submissions = 0
        self._queue: "queue.Queue[Any]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._failure: Optional[BaseException] = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the writer thread (its session opens the store's write connection)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="litemeta-writer", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        """Whether the writer thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------ submitting
    def submit(
        self, items: Sequence[Any], *, actor: Optional[str] = None, wait_index: bool = False
    ) -> "Future[WriteResult]":
        """Queue records for the writer; the future resolves after their transaction committed
        (and the search index caught up, with ``wait_index``), or with the storage error that
        rolled it back."""
        return self._put(Submission(list(items), actor, wait_index)).future

    async def write(
        self, items: Sequence[Any], *, actor: Optional[str] = None, wait_index: bool = False
    ) -> WriteResult:
        """:meth:`submit` for async callers (request handlers): awaits the commit. The writer
        resolves all of a loop's waiters of one transaction with a single wake-up of that loop."""
        if not self.running:
            raise RuntimeError("the writer is not running")
        loop = asyncio.get_running_loop()
        waiter: "asyncio.Future[WriteResult]" = loop.create_future()
        self._put(Submission(list(items), actor, wait_index, waiter=(loop, waiter)))
        return await waiter

    def _put(self, sub: Submission) -> Submission:
        if not self.running:
            self._finish([(sub, None, RuntimeError("the writer is not running"))])
            return sub
        self._queue.put(sub)
        return sub

    # ------------------------------------------------------------ the thread
    def _run(self) -> None:
        try:
            session_cm = self.store.writer_session()
            session = session_cm.__enter__()
        except BaseException as exc:  # reported by start()
            self._failure = exc
            self._ready.set()
            return
        self._ready.set()
        stopping = False
        written = 0
        try:
            while not stopping:
                first = self._queue.get()
                if first is _STOP:
                    break
                group = [first]
                n = first.size
                while n < self.group_proposals:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP:
                        stopping = True
                        break
                    group.append(nxt)
                    n += nxt.size
                self._commit(session, group)
                written += n
                if self.events_helper and not self.helper_started and written >= self.helper_after:
                    # Sustained writing: platform events move to a helper process (another core),
                    # as an ingest of more than one batch does. A server that only takes a few
                    # writes (a test's) never starts one.
                    session.start_helper()
                    self.helper_started = True
        finally:
            session_cm.__exit__(None, None, None)
            self._fail_queued()

    def _commit(self, session: Any, group: List[Submission]) -> None:
        # Runs of the same actor share a transaction (the actor stamps every row the run writes).
        runs: List[List[Submission]] = []
        for sub in group:
            if runs and runs[-1][0].actor == sub.actor:
                runs[-1].append(sub)
            else:
                runs.append([sub])
        for run in runs:
            try:
                reports = session.write([s.items for s in run], actor=run[0].actor)
            except BaseException as exc:  # a storage error: the whole transaction rolled back
                _log.exception("write transaction failed")
                self._finish([(s, None, exc) for s in run])
                continue
            self.commits += 1
            self.submissions += len(run)
            offsets: Dict[str, Tuple[int, int]] = {}
            for r in reports:
                for topic, (lo, hi) in r.offsets.items():
                    a, b = offsets.get(topic, (lo, hi))
                    offsets[topic] = (min(a, lo), max(b, hi))
            if any(s.wait_index for s in run):
                self.sync_index()
            if self.on_commit is not None and offsets:
                try:
                    self.on_commit(offsets)
                except Exception:  # a listener must not fail the writes
                    _log.exception("on_commit listener failed")
            self._finish([(s, WriteResult(r, len(run), offsets), None) for s, r in zip(run, reports)])

    @staticmethod
    def _finish(done: List[Tuple[Submission, Optional[WriteResult], Optional[BaseException]]]) -> None:
        """Resolve submissions: their concurrent futures here, their asyncio waiters on their loops
        (one call per loop: a wake-up of the loop costs a write to its self-pipe)."""
        by_loop: Dict[asyncio.AbstractEventLoop, List[Tuple[Any, Any, Any]]] = {}
        for sub, result, exc in done:
            if exc is not None:
                sub.future.set_exception(exc)
            else:
                sub.future.set_result(result)  # type: ignore[arg-type]
            if sub.waiter is not None:
                loop, fut = sub.waiter
                by_loop.setdefault(loop, []).append((fut, result, exc))
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve_waiters, items)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def sync_index(self) -> None:
        """Bring the search index up to date with the log (under the index lock: one indexer at a time)."""
        with self.index_lock:
            self.store.sync_followers()

    def _fail_queued(self) -> None:
        while True:
            try:
                sub = self._queue.get_nowait()
            except queue.Empty:
                return
            if sub is not _STOP:
                self._finish([(sub, None, RuntimeError("the writer stopped"))])


def _resolve_waiters(
    items: List[Tuple["asyncio.Future[WriteResult]", Optional[WriteResult], Optional[BaseException]]],
) -> None:
    for fut, result, exc in items:
        if fut.done():  # the request was cancelled (the client went away)
            continue
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)  # type: ignore[arg-type]
