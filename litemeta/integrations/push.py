"""Push a store to a live DataHub over its REST API, with acryl-datahub's own REST emitter (``litemeta push``).

    >>> from litemeta.integrations.push import push
    >>> report = push(store, "http://localhost:8080", token=None)          # doctest: +SKIP
    >>> report.records, report.ok                                           # doctest: +SKIP
    (20000, True)

The REST twin of ``replay`` (Kafka): what is sent is the store's ``MetadataChangeProposal_v1``
topic, the journal of every proposal the store accepted, in order (design.md choice 5), so that
the server applies the same changes in the same order and ends with the same aspects, versions,
MCLs and platform events. Each journal record goes out as the MCP it was (change type, aspect
text and content type, system metadata, headers) through ``DataHubRestEmitter.emit_mcps``, which
batches (at most 200 proposals or 15 MiB per request), retries (urllib3: 429 and 5xx, with
backoff) and fills in what a REST client fills in (``systemMetadata`` when a proposal has none,
the client's id and version).

Progress is a consumer group in the store (``push-<server>`` by default): records are read from
its committed offsets up to the journal's end when the push starts, sent in chunks of
``batch_size``, and the group commits after each chunk the server confirmed (a synchronous write:
``SYNC_PRIMARY``). A push that stops (Ctrl-C, a server error, a network failure) resumes with the
first unconfirmed chunk; records of a chunk sent but not confirmed are sent again (at-least-once;
re-applying a proposal is a no-op for an unchanged aspect). ``reset`` forgets the group's progress.
``run_id`` sends only the proposals of one ingestion run (their ``systemMetadata.runId``); it scans
the whole journal and keeps no progress unless a group is named. ``dry_run`` reads, builds and
counts everything and sends nothing.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from litemeta.errors import LitemetaError
from litemeta.model.events import MCP_TOPIC
from litemeta.store import MetadataStore

DEFAULT_BATCH = 1000
Progress = Callable[[int], None]


class PushError(LitemetaError):
    """The server could not be reached or refused a chunk (the report says how far the push got)."""


@dataclass
class PushReport:
    """What a push did."""

    server: str
    group: Optional[str]
    dry_run: bool = False
    run_id: Optional[str] = None
    records: int = 0  # proposals sent (or, in a dry run, that would be)
    scanned: int = 0  # journal records read (the run filter skips some)
    requests: int = 0  # emit_mcps calls confirmed
    start: Dict[str, int] = field(default_factory=dict)
    committed: Dict[str, int] = field(default_factory=dict)
    end: int = 0
    by_change_type: Dict[str, int] = field(default_factory=dict)
    errors: List[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether everything that was to be sent was confirmed."""
        return not self.errors

    def as_dict(self) -> Dict[str, Any]:
        """The ``--json`` form."""
        return {
            "server": self.server,
            "group": self.group,
            "dryRun": self.dry_run,
            "runId": self.run_id,
            "records": self.records,
            "scanned": self.scanned,
            "chunks": self.requests,
            "start": self.start,
            "committed": self.committed,
            "end": self.end,
            "byChangeType": self.by_change_type,
            "errors": self.errors,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
        }


def default_group(server: str) -> str:
    """The consumer group keeping a push's progress to ``server``: ``push-<server>``."""
    return f"push-{server.rstrip('/')}"


def make_emitter(
    server: str, token: Optional[str] = None, retries: Optional[int] = None, timeout: Optional[float] = None
) -> Any:
    """acryl-datahub's ``DataHubRestEmitter`` on ``server``, its connection tested (``GET /config``)."""
    try:
        from datahub.emitter.rest_emitter import DataHubRestEmitter
    except ImportError as e:
        raise LitemetaError(f"litemeta push needs acryl-datahub: pip install 'litemeta[datahub]' ({e})") from None
    emitter = DataHubRestEmitter(server, token=token, retry_max_times=retries, timeout_sec=timeout)
    try:
        emitter.test_connection()
    except Exception as e:  # requests' connection errors, DataHub's ConfigurationError (not a GMS, 401...)
        raise PushError(f"cannot reach a DataHub at {server}: {type(e).__name__}: {e}") from e
    return emitter


def mcp_of(value: Mapping[str, Any]) -> Any:
    """The ``MetadataChangeProposalClass`` of a journal record: the proposal as it was accepted (aspect text and
    content type kept as they are; no round trip through the aspect's class).

    Built and serialized by the compiled converters of :mod:`litemeta.integrations.avro_classes` (its
    ``to_obj`` is theirs: the JSON of avrogen's, without avrogen's validation of what the store already
    validated), so the REST emitter spends its time sending rather than converting."""
    from litemeta.integrations.avro_classes import from_obj

    mcp_class = _fast_mcp_class()
    mcp = mcp_class.__new__(mcp_class)
    mcp._inner_dict = from_obj(mcp_class.__mro__[1], value)._inner_dict
    return mcp


@functools.lru_cache(maxsize=None)
def _fast_mcp_class() -> Any:
    from datahub.metadata.schema_classes import MetadataChangeProposalClass

    from litemeta.integrations.avro_classes import to_obj

    class JournalProposal(MetadataChangeProposalClass):  # type: ignore[misc]
        """A MetadataChangeProposalClass whose ``to_obj`` is the compiled one (the same JSON)."""

        __slots__ = ()

        def to_obj(self, tuples: bool = False) -> dict:
            return super().to_obj(tuples) if tuples else to_obj(self)  # type: ignore[no-any-return]

    return JournalProposal


def push(
    store: MetadataStore,
    server: str,
    *,
    token: Optional[str] = None,
    group: Optional[str] = None,
    run_id: Optional[str] = None,
    reset: bool = False,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH,
    retries: Optional[int] = None,
    timeout: Optional[float] = None,
    emitter: Any = None,
    progress: Optional[Progress] = None,
) -> PushReport:
    """Send the store's journal (or a run of it) to the DataHub at ``server``; see the module doc.

    ``progress(n)`` is called with the journal records handled by each chunk. Raises
    :class:`PushError` when the server cannot be reached; a chunk the server refuses ends the push
    with the error in the report (``ok`` false) and the progress of the chunks before it kept.
    """
    if batch_size <= 0:
        raise LitemetaError(f"batch_size must be positive, found {batch_size}")
    t0 = time.perf_counter()
    keep = group if group is not None else (None if run_id is not None else default_group(server))
    report = PushReport(server=server, group=keep, dry_run=dry_run, run_id=run_id)
    start = 0
    if keep is not None and not reset:
        start = store.consumers.committed(keep).get(MCP_TOPIC, 0)
    end = store.end_offsets().get(MCP_TOPIC, 0)
    report.start, report.end = {MCP_TOPIC: start}, end
    if not dry_run and emitter is None:
        emitter = make_emitter(server, token, retries, timeout)
    try:
        _send(store, emitter, report, start, end, batch_size, keep, progress)
    finally:
        if emitter is not None and not dry_run:
            emitter.close()
        report.seconds = time.perf_counter() - t0
    return report


def _send(
    store: MetadataStore,
    emitter: Any,
    report: PushReport,
    start: int,
    end: int,
    batch_size: int,
    group: Optional[str],
    progress: Optional[Progress],
) -> None:
    chunk: List[Any] = []
    scanned = 0
    next_offset = start

    def flush() -> bool:
        nonlocal chunk, scanned
        if chunk and not report.dry_run:
            try:
                emitter.emit_mcps(chunk)
            except Exception as e:  # OperationalError (the server's message), requests' errors after retries
                report.errors.append(
                    f"records at offsets {next_offset - scanned}..{next_offset - 1} of {MCP_TOPIC}: "
                    f"{type(e).__name__}: {e}"
                )
                return False
            report.requests += 1
        report.records += len(chunk)
        report.scanned += scanned
        if group is not None and not report.dry_run and scanned:
            store.commit(group, {MCP_TOPIC: next_offset})
            report.committed = {MCP_TOPIC: next_offset}
        if progress is not None and scanned:
            progress(scanned)
        chunk, scanned = [], 0
        return True

    for record in store.iter_topic(MCP_TOPIC, start, end=end):
        next_offset = record.offset + 1
        scanned += 1
        value = record.value
        if report.run_id is None or (value.get("systemMetadata") or {}).get("runId") == report.run_id:
            chunk.append(mcp_of(value))
            ct = str(value.get("changeType"))
            report.by_change_type[ct] = report.by_change_type.get(ct, 0) + 1
        if len(chunk) >= batch_size or scanned >= 10 * batch_size:
            if not flush():
                return
    flush()


def pending(store: MetadataStore, server: str, group: Optional[str] = None, reset: bool = False) -> Tuple[int, int]:
    """(first offset, end offset) of the journal records a push to ``server`` would read."""
    name = group or default_group(server)
    start = 0 if reset else store.consumers.committed(name).get(MCP_TOPIC, 0)
    return start, store.end_offsets().get(MCP_TOPIC, 0)


__all__ = ["push", "PushReport", "PushError", "default_group", "make_emitter", "mcp_of", "pending", "DEFAULT_BATCH"]
