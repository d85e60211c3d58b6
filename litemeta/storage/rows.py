"""Rows as read back from the store, and the ``createdon`` conversions, without SQLAlchemy.

Shared by the SQLAlchemy queries (:mod:`litemeta.storage.queries`) and the standard-library
reader (:mod:`litemeta.storage.sqlite_reads`), so that both return the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Dict, Optional

from litemeta.model.jsontext import loads

_EPOCH = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)


@lru_cache(maxsize=8192)
def ms_to_dt(ms: int) -> datetime:
    """Epoch milliseconds → naive UTC datetime (the ``createdon`` column)."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).replace(tzinfo=None)


def dt_to_ms(dt: Any) -> int:
    """``createdon`` back to epoch milliseconds (a datetime, or SQLite's stored text)."""
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return (dt - _EPOCH) // _MS


@dataclass(frozen=True)
class AspectRow:
    """One stored version of an aspect."""

    urn: str
    aspect: str
    version: int
    value: Any
    system_metadata: Optional[Dict[str, Any]]
    created_on: int
    created_by: str
    created_for: Optional[str]

    def as_dict(self) -> Dict[str, Any]:
        """JSON form (``--details``)."""
        return {
            "urn": self.urn,
            "aspect": self.aspect,
            "version": self.version,
            "value": self.value,
            "systemMetadata": self.system_metadata,
            "createdOn": self.created_on,
            "createdBy": self.created_by,
            "createdFor": self.created_for,
        }


def aspect_row(
    urn: str,
    aspect: str,
    version: int,
    metadata: str,
    systemmetadata: Optional[str],
    createdon: Any,
    createdby: str,
    createdfor: Optional[str],
) -> AspectRow:
    """An :class:`AspectRow` from the columns of ``metadata_aspect_v2`` in table order."""
    return AspectRow(
        urn,
        aspect,
        version,
        loads(metadata),
        loads(systemmetadata) if systemmetadata else None,
        dt_to_ms(createdon),
        createdby,
        createdfor,
    )
