"""SQL of the write path: load row 0 for a batch's urns, and flush a batch's planned changes.

The decisions are made in :mod:`litemeta.core.ingest` (and :mod:`litemeta.core.versions`); this
module only reads and writes rows, with one query per batch for the reads and executemany for
the writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import and_, bindparam, func, select, tuple_
from sqlalchemy.engine import Connection

from litemeta.model.jsontext import loads
from litemeta.storage.log import chunks, insert_rows
from litemeta.storage.rows import dt_to_ms, ms_to_dt  # noqa: F401 - part of this module's API
from litemeta.storage.tables import aspects, timeseries

IN_CHUNK = 500
# the columns of a StoredRow read with its (urn, aspect)
_STORED_ROW = (
    aspects.c.urn,
    aspects.c.aspect,
    aspects.c.metadata,
    aspects.c.systemmetadata,
    aspects.c.createdon,
    aspects.c.createdby,
    aspects.c.createdfor,
)


@dataclass
class StoredRow:
    """A ``metadata_aspect_v2`` row held in memory during a batch (value decoded lazily)."""

    metadata: str
    systemmetadata: Optional[str]
    createdon_ms: int
    createdby: str
    createdfor: Optional[str]
    _value: Any = None
    _sm: Any = None

    @property
    def value(self) -> Any:
        """The aspect value (decoded JSON)."""
        if self._value is None:
            self._value = loads(self.metadata)
        return self._value

    @property
    def sm(self) -> Optional[Dict[str, Any]]:
        """The systemMetadata (decoded JSON), or None."""
        if self._sm is None and self.systemmetadata:
            self._sm = loads(self.systemmetadata)
        return self._sm  # type: ignore[no-any-return]

    def as_params(self, urn: str, aspect: str, version: int) -> Dict[str, Any]:
        """Bind parameters for an INSERT/UPDATE of this row."""
        return {
            "urn": urn,
            "aspect": aspect,
            "version": version,
            "metadata": self.metadata,
            "systemmetadata": self.systemmetadata,
            "createdon": ms_to_dt(self.createdon_ms),
            "createdby": self.createdby,
            "createdfor": self.createdfor,
        }


def load_latest(conn: Connection, urns: Sequence[str]) -> Dict[Tuple[str, str], StoredRow]:
    """Row 0 of every aspect of the given urns (one query per 500 urns).

    This is the write path's one read per batch, so it goes straight to the driver (no per-row
    result processing); the statement itself is portable SQL with the driver's paramstyle.
    """
    out: Dict[Tuple[str, str], StoredRow] = {}
    mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    for part in chunks(list(urns), IN_CHUNK):
        if mark is None:  # pragma: no cover - named/numeric paramstyles: let SQLAlchemy bind
            q = select(*_STORED_ROW).where(and_(aspects.c.version == 0, aspects.c.urn.in_(list(part))))
            rows: Any = conn.execute(q)
        else:
            sql = (
                "SELECT urn, aspect, metadata, systemmetadata, createdon, createdby, createdfor "
                f"FROM metadata_aspect_v2 WHERE version = 0 AND urn IN ({', '.join([mark] * len(part))})"
            )
            rows = conn.exec_driver_sql(sql, tuple(part)).fetchall()
        for urn, aspect, metadata, sm, createdon, createdby, createdfor in rows:
            out[(urn, aspect)] = StoredRow(metadata, sm, dt_to_ms(createdon), createdby, createdfor)
    return out


def load_pairs(conn: Connection, pairs: Sequence[Tuple[str, str]]) -> Dict[Tuple[str, str], StoredRow]:
    """Row 0 of the given (urn, aspect) pairs that exist (one indexed query per 500 pairs).

    On SQLite the pairs are a ``WITH w(u, a) AS (VALUES ...)`` joined on the primary key (SQLite
    scans the table for a row-value ``IN``); elsewhere a portable tuple ``IN``.
    """
    out: Dict[Tuple[str, str], StoredRow] = {}
    for part in chunks(list(pairs), IN_CHUNK):
        if conn.dialect.name == "sqlite":
            sql = (
                "WITH w(u, a) AS (VALUES " + ", ".join(["(?, ?)"] * len(part)) + ") "
                "SELECT m.urn, m.aspect, m.metadata, m.systemmetadata, m.createdon, m.createdby, m.createdfor "
                "FROM w JOIN metadata_aspect_v2 m ON m.urn = w.u AND m.aspect = w.a AND m.version = 0"
            )
            rows: Any = conn.exec_driver_sql(sql, tuple(x for pair in part for x in pair)).fetchall()
        else:
            rows = conn.execute(
                select(*_STORED_ROW).where(
                    and_(aspects.c.version == 0, tuple_(aspects.c.urn, aspects.c.aspect).in_(list(part)))
                )
            )
        for urn, aspect, metadata, sm, createdon, createdby, createdfor in rows:
            out[(urn, aspect)] = StoredRow(metadata, sm, dt_to_ms(createdon), createdby, createdfor)
    return out


def max_version(conn: Connection, urn: str, aspect: str) -> Optional[int]:
    """``max(version)`` of an aspect, or None when it has no row (R1.3; legacy rows only)."""
    return conn.execute(
        select(func.max(aspects.c.version)).where(and_(aspects.c.urn == urn, aspects.c.aspect == aspect))
    ).scalar()


def archived_rows(conn: Connection, urn: str, aspect: str) -> List[Tuple[int, StoredRow]]:
    """Archived versions (>0) of an aspect, newest first (for conditional deletes, R1.34)."""
    q = (
        select(aspects)
        .where(and_(aspects.c.urn == urn, aspects.c.aspect == aspect, aspects.c.version > 0))
        .order_by(aspects.c.version.desc())
    )
    return [
        (r.version, StoredRow(r.metadata, r.systemmetadata, dt_to_ms(r.createdon), r.createdby, r.createdfor))
        for r in conn.execute(q)
    ]


@dataclass
class FlushPlan:
    """Everything a batch changes, in the order it must be applied."""

    wiped_urns: List[str] = field(default_factory=list)
    wiped_aspects: List[Tuple[str, str]] = field(default_factory=list)
    deleted_versions: List[Tuple[str, str, int]] = field(default_factory=list)
    archive_inserts: List[Dict[str, Any]] = field(default_factory=list)
    row0_updates: List[Dict[str, Any]] = field(default_factory=list)
    row0_inserts: List[Dict[str, Any]] = field(default_factory=list)
    row0_deletes: List[Tuple[str, str]] = field(default_factory=list)
    retention: List[Tuple[str, str, int]] = field(default_factory=list)
    ts_wiped_urns: List[str] = field(default_factory=list)
    ts_wiped_aspects: List[Tuple[str, str]] = field(default_factory=list)
    ts_upserts: List[Dict[str, Any]] = field(default_factory=list)


@lru_cache(maxsize=8192)
def _sqlite_datetime(dt: datetime) -> str:
    """What SQLAlchemy's SQLite DATETIME stores, so that reads and comparisons agree (rows of one
    batch share few distinct times: the cache spares most of the formatting)."""
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert(conn: Connection, rows: List[Dict[str, Any]]) -> None:
    """Insert aspect rows; on SQLite positionally through the driver, with SQLAlchemy's DATETIME text."""
    if conn.dialect.name != "sqlite":
        conn.execute(aspects.insert(), rows)
        return
    insert_rows(
        conn,
        aspects,
        [
            (
                r["urn"],
                r["aspect"],
                r["version"],
                r["metadata"],
                r["systemmetadata"],
                _sqlite_datetime(r["createdon"]),
                r["createdby"],
                r["createdfor"],
            )
            for r in rows
        ],
    )


def _update_row0(conn: Connection, rows: List[Dict[str, Any]]) -> None:
    """Overwrite row 0 of aspects; on SQLite through the driver (one executemany, no per-row binding)."""
    if conn.dialect.name != "sqlite":
        conn.execute(
            aspects.update()
            .where(
                and_(
                    aspects.c.urn == bindparam("b_urn"),
                    aspects.c.aspect == bindparam("b_aspect"),
                    aspects.c.version == 0,
                )
            )
            .values(
                metadata=bindparam("metadata"),
                systemmetadata=bindparam("systemmetadata"),
                createdon=bindparam("createdon"),
                createdby=bindparam("createdby"),
                createdfor=bindparam("createdfor"),
            ),
            [
                {
                    **{k: v for k, v in p.items() if k not in ("urn", "aspect", "version")},
                    "b_urn": p["urn"],
                    "b_aspect": p["aspect"],
                }
                for p in rows
            ],
        )
        return
    conn.exec_driver_sql(
        "UPDATE metadata_aspect_v2 SET metadata = ?, systemmetadata = ?, createdon = ?, createdby = ?, "
        "createdfor = ? WHERE urn = ? AND aspect = ? AND version = 0",
        [
            (
                r["metadata"],
                r["systemmetadata"],
                _sqlite_datetime(r["createdon"]),
                r["createdby"],
                r["createdfor"],
                r["urn"],
                r["aspect"],
            )
            for r in rows
        ],
    )


def flush(conn: Connection, plan: FlushPlan) -> None:
    """Apply a batch's plan: wipes first, then archive rows, row 0 changes, retention, timeseries."""
    if plan.wiped_urns:
        for part in chunks(plan.wiped_urns, IN_CHUNK):
            conn.execute(aspects.delete().where(aspects.c.urn.in_(list(part))))
    if plan.wiped_aspects:
        conn.execute(
            aspects.delete().where(and_(aspects.c.urn == bindparam("u"), aspects.c.aspect == bindparam("a"))),
            [{"u": u, "a": a} for u, a in plan.wiped_aspects],
        )
    if plan.deleted_versions:
        conn.execute(
            aspects.delete().where(
                and_(
                    aspects.c.urn == bindparam("u"),
                    aspects.c.aspect == bindparam("a"),
                    aspects.c.version == bindparam("v"),
                )
            ),
            [{"u": u, "a": a, "v": v} for u, a, v in plan.deleted_versions],
        )
    if plan.row0_deletes:
        conn.execute(
            aspects.delete().where(
                and_(aspects.c.urn == bindparam("u"), aspects.c.aspect == bindparam("a"), aspects.c.version == 0)
            ),
            [{"u": u, "a": a} for u, a in plan.row0_deletes],
        )
    if plan.archive_inserts:
        _insert(conn, plan.archive_inserts)
    if plan.row0_updates:
        _update_row0(conn, plan.row0_updates)
    if plan.row0_inserts:
        _insert(conn, plan.row0_inserts)
    if plan.retention:
        conn.execute(
            aspects.delete().where(
                and_(
                    aspects.c.urn == bindparam("u"),
                    aspects.c.aspect == bindparam("a"),
                    aspects.c.version > 0,
                    aspects.c.version <= bindparam("ceiling"),
                )
            ),
            [{"u": u, "a": a, "ceiling": f} for u, a, f in plan.retention],
        )
    if plan.ts_wiped_urns:
        for part in chunks(plan.ts_wiped_urns, IN_CHUNK):
            conn.execute(timeseries.delete().where(timeseries.c.urn.in_(list(part))))
    if plan.ts_wiped_aspects:
        conn.execute(
            timeseries.delete().where(and_(timeseries.c.urn == bindparam("u"), timeseries.c.aspect == bindparam("a"))),
            [{"u": u, "a": a} for u, a in plan.ts_wiped_aspects],
        )
    if plan.ts_upserts:
        _replace_timeseries(conn, plan.ts_upserts)


def _replace_timeseries(conn: Connection, rows: List[Dict[str, Any]]) -> None:
    """Timeseries rows by document id, a row with the same id replaced (R1.40); on SQLite through
    the driver, with SQLAlchemy's DATETIME text, like :func:`_insert`."""
    if conn.dialect.name != "sqlite":
        conn.execute(
            timeseries.delete().where(
                and_(timeseries.c.aspect == bindparam("a"), timeseries.c.docid == bindparam("d"))
            ),
            [{"a": r["aspect"], "d": r["docid"]} for r in rows],
        )
        conn.execute(timeseries.insert(), rows)
        return
    conn.exec_driver_sql(
        "DELETE FROM metadata_timeseries WHERE aspect = ? AND docid = ?", [(r["aspect"], r["docid"]) for r in rows]
    )
    insert_rows(
        conn,
        timeseries,
        [
            (
                r["aspect"],
                r["docid"],
                r["urn"],
                r["timestampmillis"],
                r["eventgranularity"],
                r["partitionspec"],
                r["messageid"],
                r["metadata"],
                r["systemmetadata"],
                _sqlite_datetime(r["createdon"]),
            )
            for r in rows
        ],
    )
