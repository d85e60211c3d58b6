"""The platform events of an MCL, a pure function of it (R3.4, R3.5, R8.12): what the writer derives
inline and what the helper process derives for it (:mod:`litemeta.core.platform_helper`).

    >>> from litemeta.model.registry import load_registry
    >>> r = load_registry()
    >>> eligible(r.aspects["globalTags"], "dataset", "UPSERT")
    True
    >>> [key for _ts, key, _text, _h in events_of("urn:li:corpuser:a", "corpuser", r.aspects["globalTags"], "UPSERT",
    ...      None, {"tags": [{"tag": "urn:li:tag:t"}]}, {"time": 1, "actor": "urn:li:corpuser:x"}, r)]
    ['entityChangeEvent-urn:li:corpuser:a', 'relationshipChangeEvent-urn:li:corpuser:a']
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from litemeta.core.changes import (
    DEFAULT_EXCLUDED_ENTITY_TYPES,
    ECE_CHANGE_TYPES,
    ELIGIBLE_ASPECTS,
    ENTITY_CHANGE_EVENT_NAME,
    RELATIONSHIP_CHANGE_EVENT_NAME,
    entity_change_events,
    payload_text,
)
from litemeta.core.changes_relationships import relationship_change_events
from litemeta.model.jsontext import loads
from litemeta.model.registry import AspectSpec, Registry, load_registry

# (urn, entity type, aspect, change type, previous value's JSON text, new value's JSON text, audit stamp)
Job = Tuple[str, str, str, str, Optional[str], Optional[str], Dict[str, Any]]
# A stored platform-event record: (timestamp, key, payload text, headers)
EventRecord = Tuple[int, str, str, None]


def eligible(spec: AspectSpec, entity_type: str, change_type: str) -> bool:
    """Whether an MCL can have platform events at all (R8.12's aspect list, or graph edges)."""
    return bool(spec.relationships) or (
        spec.name in ELIGIBLE_ASPECTS
        and change_type in ECE_CHANGE_TYPES
        and entity_type not in DEFAULT_EXCLUDED_ENTITY_TYPES
    )


def events_of(
    urn: str,
    entity_type: str,
    spec: AspectSpec,
    change_type: str,
    previous: Optional[Any],
    new: Optional[Any],
    stamp: Dict[str, Any],
    registry: Registry,
) -> List[EventRecord]:
    """The platform-event records of one MCL (RESTATE MCLs never reach here, R3.1), in R3.5's order."""
    ts = int(stamp["time"])
    out: List[EventRecord] = []
    key = f"{ENTITY_CHANGE_EVENT_NAME}-{urn}"
    for ece in entity_change_events(
        entity_urn=urn,
        entity_type=entity_type,
        aspect_name=spec.name,
        change_type=change_type,
        previous=previous,
        new=new,
        audit_stamp=stamp,
    ):
        out.append((ts, key, payload_text(ece), None))
    if spec.relationships:
        key = f"{RELATIONSHIP_CHANGE_EVENT_NAME}-{urn}"
        for rce in relationship_change_events(
            entity_urn=urn,
            aspect_name=spec.name,
            change_type=change_type,
            previous=previous,
            new=new,
            audit_stamp=stamp,
            registry=registry,
        ):
            out.append((ts, key, payload_text(rce), None))
    return out


def derive(jobs: List[Job]) -> List[EventRecord]:
    """The platform-event records of a chunk of MCLs, in order (runs in the helper process)."""
    registry = load_registry()
    out: List[EventRecord] = []
    for urn, entity_type, aspect, change_type, prev_text, new_text, stamp in jobs:
        out.extend(
            events_of(
                urn,
                entity_type,
                registry.aspects[aspect],
                change_type,
                loads(prev_text) if prev_text is not None else None,
                loads(new_text) if new_text is not None else None,
                stamp,
                registry,
            )
        )
    return out
