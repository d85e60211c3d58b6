"""An emitter with the interface of acryl-datahub's emitters, writing into a litemeta store.

    >>> from litemeta.emitter import LitemetaEmitter
    >>> emitter = LitemetaEmitter(":memory:")          # or a path; any acryl-datahub MCP/MCE object works too
    >>> emitter.emit({"entityType": "corpuser", "entityUrn": "urn:li:corpuser:alice", "changeType": "UPSERT",
    ...               "aspectName": "status", "aspect": {"json": {"removed": False}}})
    >>> emitter.store.get("urn:li:corpuser:alice")["status"]
    {'removed': False}
    >>> emitter.close()

Emit modes follow design.md rule 3: ``SYNC_WAIT`` = committed and the search index caught up;
``SYNC_PRIMARY`` (default) = committed, the index catches up before the next search or at
``flush()``; ``ASYNC`` = queued, written by ``flush()``/``close()``; ``ASYNC_WAIT`` = queued and
written before the call returns. The SDK's own ``EmitMode`` values are accepted too.
"""

from __future__ import annotations

import enum
from typing import Any, Callable, List, Optional, Sequence, Union

from litemeta.errors import EmitError, LitemetaError
from litemeta.integrations.sdk import EmitterBase
from litemeta.store import MetadataStore, open_store

# DataHub's emitters declare the callback as Callable[[Exception, str], None] and call it with None on
# success; Any keeps both kinds of callback acceptable to a type checker.
Callback = Callable[[Any, str], None]


class EmitMode(enum.Enum):
    """DataHub's emit modes (``datahub.emitter.emit_mode.EmitMode``)."""

    SYNC_WAIT = "SYNC_WAIT"
    SYNC_PRIMARY = "SYNC_PRIMARY"
    ASYNC = "ASYNC"
    ASYNC_WAIT = "ASYNC_WAIT"

    @classmethod
    def coerce(cls, mode: Any) -> "EmitMode":
        """Accept litemeta's, the SDK's (by name) or a string."""
        if mode is None:
            return cls.SYNC_PRIMARY
        if isinstance(mode, cls):
            return mode
        name = getattr(mode, "name", None) or str(mode)
        try:
            return cls[name.upper()]
        except KeyError:
            raise LitemetaError(
                f"unknown emit mode {mode!r}; expected one of {', '.join(m.name for m in cls)}"
            ) from None


class LitemetaEmitter(EmitterBase):
    """``emit``, ``emit_mcp``, ``emit_mcps``, ``emit_mce``, ``flush``, ``close`` over a :class:`MetadataStore`.

    With acryl-datahub installed it is a ``datahub.emitter.generic_emitter.Emitter`` (its base class),
    so code typed against DataHub's emitter interface takes it; without, a plain class.
    """

    def __init__(
        self, store: Union[MetadataStore, str, None] = None, *, run_id: Optional[str] = None, emit_mode: Any = None
    ) -> None:
        self._owned = not isinstance(store, MetadataStore)
        self.store = store if isinstance(store, MetadataStore) else open_store(store)
        self.run_id = run_id
        self.default_mode = EmitMode.coerce(emit_mode)
        self._queue: List[Any] = []
        self._callbacks: List[Optional[Callback]] = []

    def __enter__(self) -> "LitemetaEmitter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def test_connection(self) -> None:
        """Always succeeds: the store is local (kept for interface compatibility)."""

    def emit(self, item: Any, callback: Optional[Callback] = None, emit_mode: Any = None) -> None:
        """Write one MCP, MCPW, MCE or file-sink dict; ``callback(exc, message)`` as the SDK calls it."""
        mode = EmitMode.coerce(emit_mode) if emit_mode is not None else self.default_mode
        if mode is EmitMode.ASYNC:
            self._queue.append(item)
            self._callbacks.append(callback)
            return
        self._write([item], [callback], mode)

    emit_mcp = emit
    emit_mce = emit

    def emit_mcps(self, mcps: Sequence[Any], emit_mode: Any = None) -> int:
        """Write several proposals; returns the number of batches (transactions) written."""
        mode = EmitMode.coerce(emit_mode) if emit_mode is not None else self.default_mode
        if mode is EmitMode.ASYNC:
            self._queue.extend(mcps)
            self._callbacks.extend([None] * len(mcps))
            return 0
        self._write(list(mcps), [None] * len(mcps), mode)
        size = self.store.settings.batch_size
        return max(1, -(-len(mcps) // size)) if mcps else 0

    def flush(self) -> None:
        """Write what ASYNC queued, and bring followers (the search index) up to date."""
        if self._queue:
            items, cbs = self._queue, self._callbacks
            self._queue, self._callbacks = [], []
            self._write(items, cbs, EmitMode.SYNC_PRIMARY)
        self.store.search_follower.catch_up()

    def close(self) -> None:
        """Flush, then close the store when this emitter opened it."""
        self.flush()
        if self._owned:
            self.store.close()

    def _write(self, items: List[Any], callbacks: List[Optional[Callback]], mode: EmitMode) -> None:
        try:
            report = self.store.ingest(items, run_id=self.run_id)
        except Exception as exc:
            for cb in callbacks:
                if cb:
                    cb(exc, str(exc))
            raise
        if mode is EmitMode.SYNC_WAIT:
            self.store.search_follower.catch_up()
        if report.failed:
            err = EmitError(report)
            for cb in callbacks:
                if cb:
                    cb(err, str(err))
            raise err
        for cb in callbacks:
            if cb:
                cb(None, "success")
