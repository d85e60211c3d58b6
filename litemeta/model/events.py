"""Topic names and the records of litemeta's log (Kafka coordinates, DataHub's event forms).

Values follow design.md choice 8: the event as a JSON object in DataHub's documented form,
optional fields omitted when null. MCP and MCL: ``entityType, entityUrn, changeType, aspectName,
aspect: {value: "<json text>", contentType}, systemMetadata, [previousAspectValue,
previousSystemMetadata, created]``. PlatformEvent: ``{header: {timestampMillis}, name,
payload: {value: "<json text>", contentType}}``. FailedMetadataChangeProposal:
``{metadataChangeProposal: <MCP>, error: "<message>"}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Mapping, Optional

MCP_TOPIC = "MetadataChangeProposal_v1"
FAILED_MCP_TOPIC = "FailedMetadataChangeProposal_v1"
MCL_VERSIONED_TOPIC = "MetadataChangeLog_Versioned_v1"
MCL_TIMESERIES_TOPIC = "MetadataChangeLog_Timeseries_v1"
PLATFORM_EVENT_TOPIC = "PlatformEvent_v1"
TOPICS = (MCP_TOPIC, FAILED_MCP_TOPIC, MCL_VERSIONED_TOPIC, MCL_TIMESERIES_TOPIC, PLATFORM_EVENT_TOPIC)
TOPIC_ALIASES = {
    "mcp": MCP_TOPIC,
    "failed": FAILED_MCP_TOPIC,
    "mcl": MCL_VERSIONED_TOPIC,
    "mcl-timeseries": MCL_TIMESERIES_TOPIC,
    "pe": PLATFORM_EVENT_TOPIC,
}
# Avro schema (data/schemas/<name>.avsc) of each topic's values (formats.md §3).
TOPIC_SCHEMAS = {
    MCP_TOPIC: "MetadataChangeProposal",
    FAILED_MCP_TOPIC: "FailedMetadataChangeProposal",
    MCL_VERSIONED_TOPIC: "MetadataChangeLog",
    MCL_TIMESERIES_TOPIC: "MetadataChangeLog",
    PLATFORM_EVENT_TOPIC: "PlatformEvent",
}
ENTITY_CHANGE_EVENT = "entityChangeEvent"


def resolve_topic(name: str) -> str:
    """A topic name from a full name or a short alias (``mcp``, ``mcl``, ``mcl-timeseries``, ``pe``, ``failed``)."""
    if name in TOPICS:
        return name
    try:
        return TOPIC_ALIASES[name.lower()]
    except KeyError:
        from litemeta.errors import ConfigurationError

        raise ConfigurationError(
            f"unknown topic {name!r}; expected one of {', '.join(TOPICS)} or an alias {', '.join(TOPIC_ALIASES)}"
        ) from None


@dataclass(frozen=True)
class TopicRecord:
    """One record of a topic, with Kafka coordinates. ``value`` is the event as choice 8 describes."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: str
    value: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> Dict[str, Any]:
        """The JSON form printed by ``log --json`` and written by the ``jsonl`` export."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.timestamp,
            "key": self.key,
            "value": self.value,
        }


def platform_event_key(urn: str) -> str:
    """Kafka key of a platform event (R3.4)."""
    return f"{ENTITY_CHANGE_EVENT}-{urn}"


def drop_nulls(d: Mapping[str, Any]) -> Dict[str, Any]:
    """Optional fields omitted when null (choice 8)."""
    return {k: v for k, v in d.items() if v is not None}


def optional(d: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """A copy of a mapping, or None."""
    return dict(d) if d is not None else None


def event_filter(
    urn: Optional[str] = None,
    categories: Optional[Iterable[str]] = None,
    aspect: Optional[str] = None,
    entity_type: Optional[str] = None,
) -> Callable[[TopicRecord], bool]:
    """A record filter by urn, entity-change category (OWNER accepted for OWNERSHIP), aspect or entity type."""
    cats = {("OWNERSHIP" if c.upper() == "OWNER" else c.upper()) for c in categories} if categories else None

    def accept(r: TopicRecord) -> bool:
        v = r.value
        if r.topic == PLATFORM_EVENT_TOPIC:
            payload = _payload(v)
            if urn and payload.get("entityUrn", payload.get("sourceUrn")) != urn:
                return False
            if cats is not None and str(payload.get("category", "")).upper() not in cats:
                return False
            if entity_type and payload.get("entityType") != entity_type:
                return False
            return aspect is None
        target = v.get("entityUrn") or (v.get("metadataChangeProposal") or {}).get("entityUrn")
        if urn and target != urn:
            return False
        if aspect and (v.get("aspectName") or (v.get("metadataChangeProposal") or {}).get("aspectName")) != aspect:
            return False
        if entity_type and v.get("entityType") != entity_type:
            return False
        return cats is None

    return accept


def _payload(value: Mapping[str, Any]) -> Dict[str, Any]:
    try:
        return json.loads(value.get("payload", {}).get("value", "{}"))  # type: ignore[no-any-return]
    except (ValueError, AttributeError):
        return {}
