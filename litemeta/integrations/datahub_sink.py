"""``sink: litemeta`` for DataHub's own ``datahub ingest``: every DataHub source and transformer, into a store.

    # recipe.yml, run with: datahub ingest -c recipe.yml
    source: {type: postgres, config: {...}}
    sink: {type: litemeta, config: {db: meta.db}}

Registered under acryl-datahub's entry point group ``datahub.ingestion.sink.plugins`` (pyproject
``[project.entry-points."datahub.ingestion.sink.plugins"]``), so DataHub's sink registry finds it
once litemeta is installed. Config: ``db`` (a SQLite path or SQLAlchemy URL; default
``$LITEMETA_DB`` or ``./litemeta.db``), ``batch_size`` (records per transaction, default 1,000),
``actor`` (the audit-stamp actor), ``sync_search`` (bring the search index up to date at the end;
default false: the index is a cache that the next search brings up to date).

Records are buffered and written a batch at a time through the store's one writer, so DataHub's
pipeline pays one transaction per batch; from the first full batch on, the batches go through one
long-lived writer session whose platform events are derived in a helper process (another core). Every record gets its outcome: written records are
counted in the sink report (``total_records_written``, plus litemeta's ``unchanged``, ``mcl`` and
``platform_events``) and confirmed to the pipeline's write callback; a rejected record is a failure
in the sink report (so ``datahub ingest`` prints it and exits 1), goes to the write callback (and
so to DataHub's ``failure_log`` when the recipe enables it) and to the store's
FailedMetadataChangeProposal_v1 topic; the records around it are written.

Stateful ingestion: a recipe that enables ``stateful_ingestion`` without naming a
``state_provider`` gets litemeta's (:mod:`litemeta.integrations.checkpoint`) on the same store:
DataHub's default provider needs a GMS, which this sink does not have.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from datahub.configuration.common import ConfigModel
from datahub.ingestion.api.common import RecordEnvelope
from datahub.ingestion.api.sink import Sink, SinkReport, WriteCallback
from pydantic import Field

from litemeta.errors import LitemetaError, ValidationError
from litemeta.integrations.checkpoint import route_default_provider
from litemeta.integrations.sdk import record_from_sdk
from litemeta.model.codec import Record
from litemeta.model.proposal import Origin
from litemeta.store import open_store

logger = logging.getLogger(__name__)


class LitemetaSinkConfig(ConfigModel):
    """``sink.config`` of ``type: litemeta``."""

    db: Optional[str] = Field(
        default=None,
        description="The store: a SQLite path or a SQLAlchemy URL (default $LITEMETA_DB or ./litemeta.db).",
    )
    batch_size: int = Field(default=1000, gt=0, description="Records written per transaction.")
    actor: Optional[str] = Field(default=None, description="Audit-stamp actor (default urn:li:corpuser:datahub).")
    sync_search: bool = Field(
        default=False,
        description="Bring the search index up to date at the end of the run (otherwise the next search does).",
    )


@dataclass
class LitemetaSinkReport(SinkReport):
    """DataHub's sink report plus what the store did with the records."""

    records_unchanged: int = 0
    proposals: int = 0
    mcl: int = 0
    platform_events: int = 0
    store: Optional[str] = None


Pending = Tuple[RecordEnvelope, Optional[WriteCallback], Record]


class LitemetaSink(Sink[LitemetaSinkConfig, LitemetaSinkReport]):
    """Writes the records of a ``datahub ingest`` run into a litemeta store (see the module doc)."""

    def __post_init__(self) -> None:
        try:
            self.store = open_store(self.config.db)
        except LitemetaError as e:  # DataHub wraps this as "Failed to configure the sink (litemeta)"
            raise ValueError(f"cannot open the litemeta store {self.config.db or '(default)'}: {e}") from e
        self.report.store = self.store.location
        self._session: Any = None  # the store's long-lived writer, opened by the first full batch
        self._session_cm: Any = None
        self._pending: List[Pending] = []
        self._seq = 0
        route_default_provider(self.ctx, self.config.db or self.store.location)

    def configured(self) -> str:
        """The store's location (printed by ``datahub ingest`` at start-up)."""
        return f"litemeta store {self.store.location}"

    def write_record_async(self, record_envelope: RecordEnvelope, write_callback: Optional[WriteCallback]) -> None:
        """Buffer one record; write a transaction every ``batch_size`` records."""
        wu = str(record_envelope.metadata.get("workunit_id", "<record>")) if record_envelope.metadata else "<record>"
        origin = Origin(wu, self._seq)
        self._seq += 1
        try:
            record = record_from_sdk(record_envelope.record, origin)
        except ValidationError as e:
            self._failed(record_envelope, write_callback, e)
            return
        self._pending.append((record_envelope, write_callback, record))
        if len(self._pending) >= self.config.batch_size:
            self._write()

    def flush(self) -> None:
        """Write what is buffered (the pipeline calls this before it commits stateful-ingestion checkpoints)."""
        self._write()

    def close(self) -> None:
        """Write what is buffered, run DataHub's pre-shutdown callbacks, close the store."""
        try:
            self._write()
            self._end_session()
            super().close()
            if self.config.sync_search:
                self.store.sync_followers()
        finally:
            self._end_session()
            self.store.close()

    def _end_session(self) -> None:
        cm, self._session_cm, self._session = self._session_cm, None, None
        if cm is not None:
            cm.__exit__(None, None, None)

    # ------------------------------------------------------------------------------------------ internals
    def _write(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        records = [rec for _, _, rec in batch]
        try:
            if self._session is None and len(batch) >= self.config.batch_size:
                # a run of more than one batch: one connection for all of them, and the platform events
                # derived in a helper process on another core while DataHub's pipeline makes the next batch
                self._session_cm = self.store.writer_session(events_helper=True)
                self._session = self._session_cm.__enter__()
            if self._session is not None:
                [result] = self._session.write([records], actor=self.config.actor)
            else:
                result = self.store.ingest(records, batch_size=len(batch), actor=self.config.actor)
        except LitemetaError as exc:  # the store itself failed: none of the batch is written
            for envelope, callback, rec in batch:
                self._failed(envelope, callback, exc, rec)
            return
        r = self.report
        r.records_unchanged += result.unchanged
        r.proposals += result.proposals
        r.mcl += result.mcl
        r.platform_events += result.platform_events
        errors: Dict[Tuple[Any, Any], List[Dict[str, Any]]] = {}
        for err in result.errors:
            errors.setdefault((err.get("file"), err.get("index")), []).append(err)
        for w in result.warnings:
            r.report_warning({"warning": w.get("message", ""), "info": _where(w)})
        for envelope, callback, rec in batch:
            found = errors.get((rec.origin.file, rec.origin.index))
            if found:
                first = found[0]
                failure = ValidationError(
                    first.get("message", ""),
                    file=first.get("file"),
                    index=first.get("index"),
                    urn=first.get("urn"),
                    aspect=first.get("aspect"),
                    path=first.get("path"),
                )
                self._failed(envelope, callback, failure, rec, found)
                continue
            r.report_record_written(envelope)
            if callback is not None:
                callback.on_success(envelope, {})

    def _failed(
        self,
        envelope: RecordEnvelope,
        callback: Optional[WriteCallback],
        exc: Exception,
        record: Optional[Record] = None,
        errors: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        details = errors or [
            {
                "message": str(exc),
                **(
                    {"file": exc.file, "index": exc.index, "urn": exc.urn, "aspect": exc.aspect, "path": exc.path}
                    if isinstance(exc, ValidationError)
                    else {}
                ),
            }
        ]
        for d in details:
            info = _where(d)
            self.report.report_failure({"error": d.get("message", str(exc)), "info": info})
        if callback is not None:
            callback.on_failure(envelope, exc, {"error": str(exc), "info": _where(details[0])})


def _where(d: Dict[str, Any]) -> Dict[str, Any]:
    """The failure's location: the workunit and record number, urn, aspect, JSON path, reason (what is known)."""
    out = {
        "workunit_id": d.get("file"),
        "record": d.get("index"),
        "urn": d.get("urn"),
        "aspect": d.get("aspect"),
        "path": d.get("path"),
        "reason": d.get("reason"),
    }
    return {k: v for k, v in out.items() if v is not None}


__all__ = ["LitemetaSink", "LitemetaSinkConfig", "LitemetaSinkReport"]
