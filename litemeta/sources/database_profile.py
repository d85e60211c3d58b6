"""Profiling for the ``sqlalchemy`` source: a table's ``datasetProfile`` computed as DataHub's
SQLAlchemy profiler computes it (acryl-datahub 1.7.0.17: ``sqlalchemy_profiler``, the parts that
need no sampling; ``type_mapping.get_column_profiler_type``; ``base_adapter.get_column_median``).

:class:`litemeta.sources.database.SqlAlchemySource` calls :func:`profile_table` once per allowed
table when ``profiling.enabled``; a failure is the caller's to report. One ``SELECT`` gives every
column's counts, min, max and mean; the median (and sample values, when asked for) take one
query per column; ``stddev_samp`` is used where the database has it (SQLite does not).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, List

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import sqltypes as st

from litemeta.sources.database_model import ProfilingConfig


def profile_table(
    conn: Connection,
    schema: str,
    table_name: str,
    columns: List[Dict[str, Any]],
    p: ProfilingConfig,
    now: Callable[[], int],
) -> Dict[str, Any]:
    """The ``datasetProfile`` of one table: row and column counts, then per profiled column what
    ``p`` asks for (distinct and null counts, min, max, mean, median, stdev, sample values);
    ``now`` gives its ``timestampMillis``."""
    table = sa.table(table_name, *[sa.column(col["name"]) for col in columns], schema=schema)
    row_count = int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0)
    profile: Dict[str, Any] = {
        "timestampMillis": now(),
        "partitionSpec": {"partition": "FULL_TABLE_SNAPSHOT", "type": "FULL_TABLE"},
        "rowCount": row_count,
        "columnCount": len(columns),
    }
    if p.profile_table_level_only or row_count == 0:  # upstream profiles no column of an empty table
        return profile
    cols = [
        (col["name"], _profiler_type(col["type"]))
        for col in columns
        if "." not in col["name"] and not isinstance(col["type"], (st.ARRAY, st.JSON))
    ]
    cols = [(n, t) for n, t in cols if t != "UNKNOWN"][: p.max_number_of_fields_to_profile]
    exprs: List[Any] = []
    for name, kind in cols:
        col: sa.ColumnClause[Any] = sa.column(name)
        exprs += [sa.func.count(col), sa.func.count(sa.distinct(col))]
        if kind in ("INT", "FLOAT", "NUMERIC", "DATETIME"):
            exprs += [sa.func.min(col), sa.func.max(col)]
        if kind in ("INT", "FLOAT", "NUMERIC"):
            exprs += [sa.func.avg(col)]
    row = list(conn.execute(sa.select(*exprs).select_from(table)).one()) if exprs else []
    stdevs = (
        _stdevs(conn, table, [n for n, k in cols if k in ("INT", "FLOAT", "NUMERIC")])
        if p.include_field_stddev_value
        else {}
    )
    fps = []
    for name, kind in cols:
        non_null, unique = int(row.pop(0) or 0), int(row.pop(0) or 0)
        fp: Dict[str, Any] = {"fieldPath": name}
        if p.include_field_distinct_count:
            fp["uniqueCount"] = unique
            if non_null > 0:
                fp["uniqueProportion"] = min(1, unique / non_null)
        if p.include_field_null_count:
            fp["nullCount"] = max(0, row_count - non_null)
            if row_count > 0:
                fp["nullProportion"] = min(1, fp["nullCount"] / row_count)
        if kind in ("INT", "FLOAT", "NUMERIC", "DATETIME"):
            lo, hi = row.pop(0), row.pop(0)
            if p.include_field_min_value and lo is not None:
                fp["min"] = _fmt(lo, kind)
            if p.include_field_max_value and hi is not None:
                fp["max"] = _fmt(hi, kind)
        if kind in ("INT", "FLOAT", "NUMERIC"):
            mean = row.pop(0)
            if p.include_field_mean_value and mean is not None:
                fp["mean"] = _fmt(mean, kind, stat=True)
            if p.include_field_median_value and non_null > 0:
                fp["median"] = _fmt(_median(conn, table, name, non_null), kind, stat=True)
            if name in stdevs:
                fp["stdev"] = _fmt(stdevs[name], kind, stat=True)
        if p.include_field_sample_values:
            col = sa.column(name)
            query = sa.select(col).select_from(table).where(col.isnot(None)).limit(p.field_sample_values_limit)
            samples = [str(v) for (v,) in conn.execute(query) if v is not None]
            if samples or (non_null == 0 and row_count > 0):
                fp["sampleValues"] = samples
        fps.append(fp)
    profile["fieldProfiles"] = fps
    return profile


def _stdevs(conn: Connection, table: Any, names: List[str]) -> Dict[str, float]:
    """stddev_samp per numeric column where the database has it (SQLite does not: none)."""
    if not names:
        return {}
    try:
        values = conn.execute(sa.select(*[sa.func.stddev_samp(sa.column(n)) for n in names]).select_from(table)).one()
    except sa.exc.DBAPIError:
        rollback(conn)
        return {}
    return {n: float(v) for n, v in zip(names, values) if v is not None}


def rollback(conn: Connection) -> None:
    """After a failed statement (PostgreSQL aborts the transaction); harmless elsewhere."""
    try:
        conn.rollback()
    except Exception:  # the connection is gone; the next statement reports it
        pass


def _profiler_type(sa_type: Any) -> str:
    """type_mapping.get_column_profiler_type."""
    if isinstance(sa_type, st.Integer):
        return "INT"
    if isinstance(sa_type, st.Float):
        return "FLOAT"
    if isinstance(sa_type, st.Numeric):
        return "NUMERIC"
    if isinstance(sa_type, st.String):
        return "STRING"
    if isinstance(sa_type, (st.DateTime, st.Date, st.Time, st.Interval)):
        return "DATETIME"
    if isinstance(sa_type, st.Boolean):
        return "BOOLEAN"
    return "UNKNOWN"


def _fmt(value: Any, kind: str, stat: bool = False) -> str:
    """sqlalchemy_profiler.format_profile_value."""
    if kind == "DATETIME":
        if hasattr(value, "isoformat"):
            return str(value.isoformat())
        try:
            return datetime.fromisoformat(str(value)).isoformat()
        except ValueError:
            return str(value)
    if stat or kind in ("FLOAT", "NUMERIC"):
        f = float(value)
        return f"{f:.1f}" if f.is_integer() else str(f)
    return str(int(value))


def _median(conn: Connection, table: Any, name: str, non_null: int) -> Any:
    """base_adapter.get_column_median's OFFSET/LIMIT form (the generic adapter's)."""
    col: sa.ColumnClause[Any] = sa.column(name)
    query = (
        sa.select(col)
        .select_from(table)
        .where(col.isnot(None))
        .order_by(col)
        .offset(max(non_null // 2 - 1, 0))
        .limit(2)
    )
    rows = [r[0] for r in conn.execute(query)]
    if non_null % 2 == 0 and len(rows) == 2:
        return (float(rows[0]) + float(rows[1])) / 2.0
    return rows[-1]
