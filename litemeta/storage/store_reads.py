"""The read methods of :class:`litemeta.store.MetadataStore`: a mixin over the store's queries.

Aspects (latest, a version, as of a time, history, timeseries, existence, urns, scans), the runs
that wrote them, topic records and the admin counts: each method opens a read transaction of
:class:`~litemeta.storage.db.Database` and answers from :mod:`litemeta.storage.queries` or
:mod:`litemeta.storage.log`; none writes, none needs the write path. The store (the composition
root) sets ``db`` and ``registry``.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from litemeta.model.events import TopicRecord, resolve_topic
from litemeta.model.registry import Registry
from litemeta.storage import log as L
from litemeta.storage import queries as Q
from litemeta.storage.db import Database


class StoreReads:
    """Reads of a store's aspects, runs and topics (mixed into :class:`litemeta.store.MetadataStore`)."""

    db: Database
    registry: Registry

    # ------------------------------------------------------------ reads
    def get(
        self,
        urn: str,
        aspects: Optional[Sequence[str]] = None,
        version: Optional[int] = None,
        as_of: Optional[int] = None,
        details: bool = False,
    ) -> Dict[str, Any]:
        """``{aspectName: value}`` of an entity: latest, a version (negative from the end, R1.5) or as of a time."""
        with self.db.read() as conn:
            if version is not None:
                out: Dict[str, Any] = {}
                for name in aspects or [r for r in Q.latest(conn, urn)]:
                    row = Q.version(conn, urn, name, version)
                    if row is not None:
                        out[name] = row.as_dict() if details else row.value
                return out
            rows = Q.as_of(conn, urn, as_of, aspects) if as_of is not None else Q.latest(conn, urn, aspects)
            result = {name: (r.as_dict() if details else r.value) for name, r in rows.items()}
            specs = self.registry.aspects
            # timeseries values only when asked for all aspects or for a timeseries one (one query less)
            if as_of is None and (not aspects or any(a not in specs or specs[a].timeseries for a in aspects)):
                ts = Q.timeseries_aspects(conn, urn)
                for name, value in ts.items():
                    if not aspects or name in aspects:
                        result.setdefault(name, value)
            return result

    def history(self, urn: str, aspect: str) -> List[Q.AspectRow]:
        """Every stored version of an aspect, oldest first (the current value last)."""
        with self.db.read() as conn:
            return Q.history(conn, urn, aspect)

    def timeseries(
        self, urn: str, aspect: str, start: Optional[int] = None, end: Optional[int] = None, limit: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        """Values of a timeseries aspect, newest first."""
        with self.db.read() as conn:
            return Q.timeseries_rows(conn, urn, aspect, start, end, limit)

    def exists(self, urn: str, include_soft_deleted: bool = True) -> bool:
        """R1.6: the key aspect row exists (and, unless asked, the entity is not soft-deleted)."""
        from litemeta.model.urns import entity_type_of

        et = entity_type_of(urn)
        if et not in self.registry.entities:
            return False
        with self.db.read() as conn:
            if not Q.key_rows_exist(conn, urn, self.registry.entities[et].key_aspect):
                return False
            if include_soft_deleted:
                return True
            st = Q.latest(conn, urn, ["status"]).get("status")
            return not (st and st.value.get("removed"))

    def list_urns(self, entity_type: Optional[str] = None) -> List[str]:
        """Urns of existing entities (R1.6), optionally of one type."""
        keys = (
            [self.registry.entity(entity_type).key_aspect]
            if entity_type
            else [e.key_aspect for e in self.registry.entities.values()]
        )
        with self.db.read() as conn:
            return Q.urns(conn, keys)

    def latest_many(self, urns: Sequence[str], aspects: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, Any]]:
        """Current aspect values of many entities, ``{urn: {aspect: value}}`` (all aspects, or the
        named ones; one query per 500 urns)."""
        with self.db.read() as conn:
            return Q.latest_many(conn, urns, aspects)

    def scan(self, aspects: Sequence[str]) -> Iterator[Q.AspectRow]:
        """Stream the current value of every aspect with one of these names (all entities)."""
        with self.db.read() as conn:
            yield from Q.scan_latest(conn, aspects)

    def removed_urns(self) -> List[str]:
        """Urns whose current ``status`` says ``removed`` (soft-deleted), sorted."""
        return [r.urn for r in self.scan(["status"]) if isinstance(r.value, dict) and r.value.get("removed")]

    # ------------------------------------------------------------ runs
    def runs(self) -> List[Dict[str, Any]]:
        """Runs that wrote the current rows (``datahub ingest list-runs``), newest first."""
        with self.db.read() as conn:
            rows = list(Q.runs(conn).values())
        return sorted(rows, key=lambda r: r["last"] or 0, reverse=True)

    def run_rows(self, run_id: str, values: bool = True) -> List[Q.AspectRow]:
        """Current aspects written by a run (``datahub ingest show``); without ``values`` each row's
        value is None (read the shown ones with :meth:`latest_many`)."""
        with self.db.read() as conn:
            return Q.rows_with_run(conn, run_id, values)

    def run_page(self, run_id: str, start: int = 0, count: Optional[int] = None) -> Tuple[int, int, List[Q.AspectRow]]:
        """``(aspects, entities, rows)`` of a run: how many current aspects and entities it wrote,
        and the rows ``start .. start + count`` in (urn, aspect) order, values unread (None)."""
        rows = sorted(self.run_rows(run_id, values=False), key=lambda r: (r.urn, r.aspect))
        return len(rows), len({r.urn for r in rows}), rows[start : None if count is None else start + count]

    # ------------------------------------------------------------ topics
    def read_topic(self, topic: str, offset: int = 0, limit: Optional[int] = None) -> List[TopicRecord]:
        """Records of a topic (name or alias) from ``offset``; values as design.md choice 8."""
        with self.db.read() as conn:
            return L.read_topic(conn, resolve_topic(topic), offset, limit)

    def iter_topic(self, topic: str, offset: int = 0, end: Optional[int] = None) -> Iterator[TopicRecord]:
        """Stream a topic (name or alias) from ``offset`` in offset order, in bounded memory (export,
        replay), up to offset ``end`` (exclusive) when given."""
        with self.db.read() as conn:
            yield from L.iter_topic(conn, resolve_topic(topic), offset, end=end)

    def key_records(self, topic: str, key: str, partial: bool = False) -> List[TopicRecord]:
        """Every record of a topic (name or alias) with this key (an entity's urn; with ``partial``,
        whose key contains it: a platform event's ``<name>-<urn>``), in offset order."""
        with self.db.read() as conn:
            return L.key_records(conn, resolve_topic(topic), key, partial)

    def end_offsets(self) -> Dict[str, int]:
        """Log-end offset (the next offset) of every topic with records."""
        with self.db.read() as conn:
            return L.end_offsets(conn)

    # ------------------------------------------------------------ admin reads (appended for litemeta.views.admin: stats, delete)
    def aspect_counts(self) -> Dict[str, Dict[str, int]]:
        """Per aspect name: current rows (version 0) and archived versions."""
        with self.db.read() as conn:
            return Q.count_by_aspect(conn)

    def timeseries_counts(self) -> Dict[str, int]:
        """Stored timeseries rows per aspect name."""
        with self.db.read() as conn:
            return Q.timeseries_counts(conn)

    def row_counts(self, urns: Sequence[str], aspect: Optional[str] = None) -> Dict[str, Dict[str, int]]:
        """Per urn: ``{"rows": versioned rows, "timeseriesRows": n}`` (of all aspects, or of one)."""
        with self.db.read() as conn:
            return Q.row_counts(conn, urns, aspect)

    def topic_sizes(self) -> Dict[str, int]:
        """Records per topic."""
        with self.db.read() as conn:
            return L.topic_sizes(conn)

    def consumer_groups(self) -> List[str]:
        """Every consumer group with committed offsets."""
        with self.db.read() as conn:
            return L.groups(conn)
