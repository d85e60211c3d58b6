"""Reads: latest aspects, versions, as-of, history, timeseries, urns (R1.5-R1.7)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from sqlalchemy import and_, func, null, or_, select
from sqlalchemy.engine import Connection

from litemeta.model.jsontext import dumps, loads, loads_bounded
from litemeta.storage.log import chunks
from litemeta.storage.rows import AspectRow, aspect_row, dt_to_ms, ms_to_dt
from litemeta.storage.tables import STORE_ID, aspects, store_settings, timeseries


def _row(r: Any) -> AspectRow:
    return aspect_row(r.urn, r.aspect, r.version, r.metadata, r.systemmetadata, r.createdon, r.createdby, r.createdfor)


def latest(conn: Connection, urn: str, names: Optional[Sequence[str]] = None) -> Dict[str, AspectRow]:
    """Row 0 of the urn's aspects (all, or the named ones)."""
    q = select(aspects).where(and_(aspects.c.urn == urn, aspects.c.version == 0))
    if names:
        q = q.where(aspects.c.aspect.in_(list(names)))
    return {r.aspect: _row(r) for r in conn.execute(q.order_by(aspects.c.aspect))}


def latest_many(
    conn: Connection,
    urns: Sequence[str],
    names: Optional[Sequence[str]] = None,
    bounded: Optional[Tuple[int, int, int]] = None,
) -> Dict[str, Dict[str, Any]]:
    """Current aspect values of many urns (all aspects, or the named ones): ``{urn: {aspect:
    value}}`` (one query per 500 urns). ``bounded=(size, max_chars, max_items)``: an aspect
    whose text is longer than ``size`` is read with :func:`~litemeta.model.jsontext.loads_bounded`
    (the search index reads no more than that of a huge aspect)."""
    out: Dict[str, Dict[str, Any]] = {}
    for part in chunks(list(urns), 500):
        q = select(aspects.c.urn, aspects.c.aspect, aspects.c.metadata).where(
            and_(aspects.c.version == 0, aspects.c.urn.in_(list(part)))
        )
        if names:
            q = q.where(aspects.c.aspect.in_(list(names)))
        for r in conn.execute(q):
            text = r.metadata
            if bounded is not None and len(text) > bounded[0]:
                out.setdefault(r.urn, {})[r.aspect] = loads_bounded(text, bounded[1], bounded[2])
            else:
                out.setdefault(r.urn, {})[r.aspect] = loads(text)
    return out


def store_id(conn: Connection) -> Optional[str]:
    """The id the store was given when created (None for a store created before store ids that
    was never opened for writing since)."""
    row = conn.execute(select(store_settings.c.value).where(store_settings.c.name == STORE_ID)).first()
    return None if row is None else str(row[0])


def max_version(conn: Connection, urn: str, aspect: str) -> Optional[int]:
    """Highest archived version number of an aspect."""
    return conn.execute(
        select(func.max(aspects.c.version)).where(and_(aspects.c.urn == urn, aspects.c.aspect == aspect))
    ).scalar()


def version(conn: Connection, urn: str, aspect: str, number: int) -> Optional[AspectRow]:
    """A version of an aspect. Negative numbers count from the end (R1.5); ``systemMetadata.version``
    also matches (R8.19, ``matchVersion``)."""
    if number < 0:
        mx = max_version(conn, urn, aspect)
        if mx is None:
            return None
        number = mx + number + 1
    q = select(aspects).where(and_(aspects.c.urn == urn, aspects.c.aspect == aspect, aspects.c.version == number))
    r = conn.execute(q).first()
    if r is not None:
        return _row(r)
    for row in history(conn, urn, aspect):
        sm = row.system_metadata or {}
        if str(sm.get("version")) == str(number):
            return row
    return None


def history(conn: Connection, urn: str, aspect: str) -> List[AspectRow]:
    """Every stored version of an aspect in chronological order (archive 1..N, then row 0)."""
    rows = [
        _row(r)
        for r in conn.execute(
            select(aspects).where(and_(aspects.c.urn == urn, aspects.c.aspect == aspect)).order_by(aspects.c.version)
        )
    ]
    return [r for r in rows if r.version > 0] + [r for r in rows if r.version == 0]


def as_of(conn: Connection, urn: str, when_ms: int, names: Optional[Sequence[str]] = None) -> Dict[str, AspectRow]:
    """Each aspect's value as it was at ``when_ms`` (the newest version created at or before it)."""
    q = select(aspects).where(and_(aspects.c.urn == urn, aspects.c.createdon <= ms_to_dt(when_ms)))
    if names:
        q = q.where(aspects.c.aspect.in_(list(names)))
    best: Dict[str, AspectRow] = {}
    for r in conn.execute(q):
        row = _row(r)
        cur = best.get(row.aspect)
        if cur is None or (row.created_on, row.version == 0, row.version) > (
            cur.created_on,
            cur.version == 0,
            cur.version,
        ):
            best[row.aspect] = row
    return dict(sorted(best.items()))


def timeseries_rows(
    conn: Connection,
    urn: str,
    aspect: str,
    start: Optional[int] = None,
    end: Optional[int] = None,
    limit: Optional[int] = None,
) -> List[Dict[str, Any]]:
    """Timeseries values of an aspect, newest first."""
    q = select(timeseries.c.metadata).where(and_(timeseries.c.urn == urn, timeseries.c.aspect == aspect))
    if start is not None:
        q = q.where(timeseries.c.timestampmillis >= start)
    if end is not None:
        q = q.where(timeseries.c.timestampmillis <= end)
    q = q.order_by(timeseries.c.timestampmillis.desc())
    if limit is not None:
        q = q.limit(limit)
    return [loads(r.metadata) for r in conn.execute(q)]


def timeseries_aspects(conn: Connection, urn: str) -> Dict[str, Any]:
    """The latest value of each timeseries aspect of an entity."""
    out: Dict[str, Any] = {}
    q = (
        select(timeseries.c.aspect, timeseries.c.metadata, timeseries.c.timestampmillis)
        .where(timeseries.c.urn == urn)
        .order_by(timeseries.c.timestampmillis)
    )
    for r in conn.execute(q):
        out[r.aspect] = loads(r.metadata)
    return out


def key_rows_exist(conn: Connection, urn: str, key_aspect: str) -> bool:
    """R1.6: an entity exists iff its key aspect row (version 0) exists."""
    return (
        conn.execute(
            select(aspects.c.urn).where(
                and_(aspects.c.urn == urn, aspects.c.aspect == key_aspect, aspects.c.version == 0)
            )
        ).first()
        is not None
    )


def urns(conn: Connection, key_aspects: Iterable[str]) -> List[str]:
    """Urns with a key-aspect row (R1.6), sorted."""
    names = list(key_aspects)
    q = select(aspects.c.urn).where(and_(aspects.c.version == 0, aspects.c.aspect.in_(names))).order_by(aspects.c.urn)
    return [r[0] for r in conn.execute(q)]


def count_by_aspect(conn: Connection) -> Dict[str, Dict[str, int]]:
    """Per aspect: current rows (version 0) and archived versions."""
    out: Dict[str, Dict[str, int]] = {}
    q = select(aspects.c.aspect, aspects.c.version == 0, func.count()).group_by(
        aspects.c.aspect, aspects.c.version == 0
    )
    for name, is_latest, n in conn.execute(q):
        out.setdefault(name, {"current": 0, "archived": 0})["current" if is_latest else "archived"] += n
    return out


def runs(conn: Connection) -> Dict[str, Dict[str, Any]]:
    """Run ids found in row 0's systemMetadata, with counts and time range."""
    out: Dict[str, Dict[str, Any]] = {}
    q = select(aspects.c.systemmetadata, aspects.c.createdon).where(aspects.c.version == 0)
    for sm_text, created in conn.execute(q):
        sm = loads(sm_text) if sm_text else {}
        rid = sm.get("runId") or "no-run-id-provided"
        d = out.setdefault(rid, {"runId": rid, "rows": 0, "first": None, "last": None})
        d["rows"] += 1
        t = dt_to_ms(created)
        d["first"] = t if d["first"] is None else min(d["first"], t)
        d["last"] = t if d["last"] is None else max(d["last"], t)
    return out


def rows_with_run(conn: Connection, run_id: str, values: bool = True) -> List[AspectRow]:
    """Row-0 aspects whose systemMetadata.runId is ``run_id`` (without ``values``, each row's value
    is None: a run can span the whole store, and its values are read only for what is shown)."""
    like = f'%"runId":{dumps(run_id)}%'
    cols = [
        aspects.c.urn,
        aspects.c.aspect,
        aspects.c.version,
        aspects.c.metadata if values else null(),
        aspects.c.systemmetadata,
        aspects.c.createdon,
        aspects.c.createdby,
        aspects.c.createdfor,
    ]
    q = select(*cols).where(and_(aspects.c.version == 0, or_(aspects.c.systemmetadata.like(like))))
    rows = (aspect_row(x[0], x[1], x[2], x[3] if values else "null", *x[4:]) for x in conn.execute(q))
    return [r for r in rows if (r.system_metadata or {}).get("runId") == run_id]


def scan_latest(conn: Connection, names: Sequence[str], chunk: int = 5000) -> Iterable[AspectRow]:
    """Row 0 of every aspect with one of the given names, streamed in urn order."""
    last = ("", "")
    while True:
        q = (
            select(aspects)
            .where(
                and_(
                    aspects.c.version == 0,
                    aspects.c.aspect.in_(list(names)),
                    or_(aspects.c.urn > last[0], and_(aspects.c.urn == last[0], aspects.c.aspect > last[1])),
                )
            )
            .order_by(aspects.c.urn, aspects.c.aspect)
            .limit(chunk)
        )
        batch = [_row(r) for r in conn.execute(q)]
        if not batch:
            return
        yield from batch
        last = (batch[-1].urn, batch[-1].aspect)


def delete_timeseries_of_run(conn: Connection, run_id: str, dry_run: bool = False) -> int:
    """Remove timeseries rows whose systemMetadata.runId is ``run_id``; return how many."""
    like = f'%"runId":{dumps(run_id)}%'
    q = select(timeseries.c.aspect, timeseries.c.docid, timeseries.c.systemmetadata).where(
        timeseries.c.systemmetadata.like(like)
    )
    ids = [(a, d) for a, d, sm in conn.execute(q) if loads(sm or "{}").get("runId") == run_id]
    if ids and not dry_run:
        from sqlalchemy import bindparam

        conn.execute(
            timeseries.delete().where(
                and_(timeseries.c.aspect == bindparam("a"), timeseries.c.docid == bindparam("d"))
            ),
            [{"a": a, "d": d} for a, d in ids],
        )
    return len(ids)


# ------------------------------------------------------------------ appended for litemeta.views.admin (stats, delete)
def timeseries_counts(conn: Connection) -> Dict[str, int]:
    """Stored timeseries rows per aspect name."""
    q = select(timeseries.c.aspect, func.count()).group_by(timeseries.c.aspect)
    return {name: n for name, n in conn.execute(q)}


def row_counts(conn: Connection, urns: Sequence[str], aspect: Optional[str] = None) -> Dict[str, Dict[str, int]]:
    """Per urn: stored versioned rows (every version) and timeseries rows, of all aspects or of one.

    Returns ``{urn: {"rows": n, "timeseriesRows": m}}`` for every given urn (zeros when none).
    """
    out: Dict[str, Dict[str, int]] = {u: {"rows": 0, "timeseriesRows": 0} for u in urns}
    for part in chunks(list(urns), 500):
        qa = select(aspects.c.urn, func.count()).where(aspects.c.urn.in_(list(part)))
        qt = select(timeseries.c.urn, func.count()).where(timeseries.c.urn.in_(list(part)))
        if aspect is not None:
            qa = qa.where(aspects.c.aspect == aspect)
            qt = qt.where(timeseries.c.aspect == aspect)
        for urn, n in conn.execute(qa.group_by(aspects.c.urn)):
            out[urn]["rows"] = n
        for urn, n in conn.execute(qt.group_by(timeseries.c.urn)):
            out[urn]["timeseriesRows"] = n
    return out
