"""Proposals: litemeta's form of DataHub's MetadataChangeProposal (MCP).

    >>> p = Proposal("urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)", "status", aspect={"removed": False})
    >>> p.entity_type, p.change_type
    ('dataset', 'UPSERT')

A proposal carries the aspect already decoded from JSON (a dict for a value, a list or dict for a
PATCH, None for DELETE) and where it came from (file and record index) for error reports.
Wire names (camelCase) appear only in the codecs (:mod:`litemeta.model.codec`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

from litemeta.model.urns import entity_type_of

JSON = "application/json"
JSON_PATCH = "application/json-patch+json"

UPSERT = "UPSERT"
UPDATE = "UPDATE"
CREATE = "CREATE"
CREATE_ENTITY = "CREATE_ENTITY"
PATCH = "PATCH"
DELETE = "DELETE"
RESTATE = "RESTATE"
CHANGE_TYPES = (UPSERT, UPDATE, CREATE, CREATE_ENTITY, PATCH, DELETE, RESTATE)


@dataclass(frozen=True)
class Origin:
    """Where a record came from: file (or ``-`` for stdin) and its 0-based index in that file."""

    file: Optional[str] = None
    index: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.file or '<input>'}#{self.index if self.index is not None else '?'}"


NO_ORIGIN = Origin()


@dataclass(frozen=True)
class Proposal:
    """One MCP: set (or patch, or delete) aspect ``aspect_name`` of entity ``entity_urn``."""

    entity_urn: str
    aspect_name: Optional[str]
    change_type: str = UPSERT
    aspect: Any = None
    entity_type: Optional[str] = None
    content_type: str = JSON
    system_metadata: Optional[Mapping[str, Any]] = None
    headers: Optional[Mapping[str, str]] = None
    entity_key_aspect: Optional[Any] = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)

    def __post_init__(self) -> None:
        if self.entity_type is None and self.entity_urn:
            try:
                object.__setattr__(self, "entity_type", entity_type_of(self.entity_urn))
            except Exception:  # an invalid urn is reported by validation, with the record's origin
                pass

    def with_(self, **changes: Any) -> "Proposal":
        """A copy with fields replaced."""
        return replace(self, **changes)

    @property
    def is_patch(self) -> bool:
        """Recognised by change type, not content type (formats.md §1, upstream quirk)."""
        return self.change_type == PATCH
