"""Platform events for each MCL, appended in the same transaction as the MCL (R3.4, R8.12).

Entity change events go to ``PlatformEvent_v1`` keyed ``entityChangeEvent-<urn>``; relationship
change events (graph edges added or removed) keyed ``relationshipChangeEvent-<urn>``. The
envelope's ``header.timestampMillis`` is the MCL's ``created.time``, the record's timestamp; the
log stores the payload text and rebuilds the envelope from timestamp and key
(:data:`litemeta.storage.log.ENVELOPED`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from litemeta.core.changes import (
    ENTITY_CHANGE_EVENT_NAME,
    RELATIONSHIP_CHANGE_EVENT_NAME,
    entity_change_events,
    payload_text,
    relationship_change_events,
)
from litemeta.model.events import PLATFORM_EVENT_TOPIC
from litemeta.model.registry import AspectSpec

if TYPE_CHECKING:  # pragma: no cover
    from litemeta.core.ingest import Batch


def append_platform_events(batch: "Batch", mcl: Dict[str, Any], spec: AspectSpec, previous: Optional[Any],
                           new: Optional[Any]) -> None:
    """Derive and append the platform events of one MCL (RESTATE MCLs never reach here, R3.1)."""
    urn = mcl["entityUrn"]
    stamp = mcl["created"]
    ts = int(stamp["time"])
    for ece in entity_change_events(entity_urn=urn, entity_type=mcl["entityType"], aspect_name=spec.name,
                                    change_type=mcl["changeType"], previous=previous, new=new, audit_stamp=stamp):
        batch.append_text(PLATFORM_EVENT_TOPIC, f"{ENTITY_CHANGE_EVENT_NAME}-{urn}", ts, payload_text(ece))
        batch.report.platform_events += 1
    if not spec.relationships:
        return
    for rce in relationship_change_events(entity_urn=urn, aspect_name=spec.name, change_type=mcl["changeType"],
                                          previous=previous, new=new, audit_stamp=stamp, registry=batch.registry):
        batch.append_text(PLATFORM_EVENT_TOPIC, f"{RELATIONSHIP_CHANGE_EVENT_NAME}-{urn}", ts, payload_text(rce))
        batch.report.platform_events += 1
