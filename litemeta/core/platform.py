"""Platform events for each MCL, appended in the same transaction as the MCL (R3.4, R8.12).

Entity change events go to ``PlatformEvent_v1`` keyed ``entityChangeEvent-<urn>``; relationship
change events (graph edges added or removed) keyed ``relationshipChangeEvent-<urn>``. The
envelope's ``header.timestampMillis`` is the MCL's ``created.time``, the record's timestamp; the
log stores the payload text and rebuilds the envelope from timestamp and key
(:data:`litemeta.storage.log.ENVELOPED`).

The events of an MCL are a pure function of it (:func:`derive`), so a large ingest derives them
in a helper process, on the machine's other core, while the writer goes on deciding the rest of
the batch: :class:`PlatformEvents` ships each eligible MCL (its urn, aspect, change type, audit
stamp and the previous and new values' JSON text) to the helper in chunks, and at the batch's
flush appends what came back, in MCL order, to the same transaction. The offsets, payloads and
report are the same as deriving inline (which small ingests do, and which takes over if the
helper fails); only the wall time differs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from litemeta import config
from litemeta.core.platform_derive import EventRecord, Job, derive, eligible, events_of
from litemeta.core.platform_helper import Helper, HelperGone
from litemeta.model.events import PLATFORM_EVENT_TOPIC
from litemeta.model.registry import AspectSpec, Registry, load_registry
from litemeta.storage.batches import EncodedBatch

if TYPE_CHECKING:  # pragma: no cover
    from litemeta.core.ingest import Batch

_log = logging.getLogger("litemeta")

CHUNK = 64  # MCLs per helper task (the flush waits for the last one)


class PlatformEvents:
    """The ingest's event hook: derives each MCL's platform events, inline or in a helper process."""

    def __init__(self, registry: Registry, helper: bool = True) -> None:
        self.registry = registry
        self._allow_helper = helper
        self._helper: Optional[Helper] = None
        self._jobs: List[Job] = []
        self._tasks: List[Tuple[List[Job], bool]] = []  # (chunk, handed to the helper)
        self._parallel = False

    def start_helper(self) -> None:
        """Start the helper process (for an ingest spanning several batches) and derive there from
        now on. Only with the registry the helper loads itself; without a helper, events are
        derived in the writer."""
        if (
            self._helper is not None
            or not self._allow_helper
            or self.registry is not load_registry()
            or config.usable_cpus() < 2
        ):
            return
        try:
            self._helper = Helper()
        except HelperGone as exc:
            _log.warning("platform events are derived in the writer: no helper process (%s)", exc)
            self._helper = None
        self._parallel = self._helper is not None

    def __call__(
        self, batch: "Batch", mcl: Dict[str, Any], spec: AspectSpec, previous: Optional[Any], new: Optional[Any]
    ) -> None:
        urn, entity_type, change_type = mcl["entityUrn"], mcl["entityType"], mcl["changeType"]
        if not eligible(spec, entity_type, change_type):
            return
        if not self._parallel and not self._jobs and not self._tasks:
            self._extend(
                batch, events_of(urn, entity_type, spec, change_type, previous, new, mcl["created"], self.registry)
            )
            return
        prev_text = mcl["previousAspectValue"]["value"] if "previousAspectValue" in mcl else None
        new_text = mcl["aspect"]["value"] if "aspect" in mcl else None
        self._jobs.append((urn, entity_type, spec.name, change_type, prev_text, new_text, mcl["created"]))
        if len(self._jobs) >= CHUNK:
            self._submit()

    def hand_over(self) -> None:
        """Send the helper the batch's last MCLs (before the writer flushes the batch's rows, so
        that the helper works on them meanwhile)."""
        if self._jobs:
            self._submit()

    def flush(self, batch: "Batch") -> None:
        """Append the events of every MCL handed over since the last flush (before the batch's rows)."""
        self.hand_over()
        tasks, self._tasks = self._tasks, []
        for jobs, handed in tasks:
            answer: Optional[Tuple[Any, ...]] = None
            if handed and self._helper is not None:
                try:
                    answer = self._helper.result()
                except HelperGone:  # derive what is left here
                    self._stop_helper()
            if answer is None or answer[0] == "error":
                self._extend(batch, derive(jobs))
            elif answer[0]:
                count, index, value, codec = answer
                first, last = batch.out.add_batch(PLATFORM_EVENT_TOPIC, EncodedBatch(count, index, value, codec))
                self._count(batch, first, last)

    def discard(self) -> None:
        """Forget what was handed over (the batch was rolled back, or was a dry run)."""
        for _, handed in self._tasks:
            if handed and self._helper is not None:
                try:
                    self._helper.result()
                except HelperGone:
                    self._stop_helper()
        self._jobs, self._tasks = [], []

    def close(self) -> None:
        """Stop the helper process."""
        self.discard()
        self._stop_helper(failed=False)

    # ------------------------------------------------------------ internals
    def _extend(self, batch: "Batch", records: List[EventRecord]) -> None:
        if records:
            first, last = batch.out.extend(PLATFORM_EVENT_TOPIC, records)
            self._count(batch, first, last)

    @staticmethod
    def _count(batch: "Batch", first: int, last: int) -> None:
        batch.report.note_offset(PLATFORM_EVENT_TOPIC, first)
        batch.report.note_offset(PLATFORM_EVENT_TOPIC, last)
        batch.report.platform_events += last - first + 1

    def _submit(self) -> None:
        jobs, self._jobs = self._jobs, []
        handed = self._parallel and self._helper is not None
        if handed:
            assert self._helper is not None
            self._helper.submit(jobs)
        self._tasks.append((jobs, handed))

    def _stop_helper(self, failed: bool = True) -> None:
        helper, self._helper = self._helper, None
        self._parallel = False
        if helper is not None:
            err = helper.close()
            if failed:
                _log.warning(
                    "the platform-event helper process failed; events are derived in the writer "
                    "instead (same results, more time)%s",
                    f": {err.strip()}" if err.strip() else "",
                )
