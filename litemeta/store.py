"""MetadataStore: the composition root tying the write path, the log, reads and followers together.

    >>> import litemeta
    >>> with litemeta.open_store(":memory:") as store:                       # doctest: +SKIP
    ...     store.ingest(["examples/sample.json"]).written
    ...     store.get("urn:li:corpuser:alice")

One writer: :meth:`MetadataStore.ingest` is the only way in, and every change it makes is logged
to the topics in the same transaction.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Union

from litemeta import config as cfg
from litemeta.core.batching import gc_tuned, with_lookahead
from litemeta.core.ingest import Batch, IngestReport, clock_ms
from litemeta.errors import InputError, LitemetaError, StorageError, ValidationError
from litemeta.model.events import TopicRecord
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.registry import Registry, load_registry
from litemeta.storage import queries as Q
from litemeta.storage.db import Database, open_database
from litemeta.storage.store_reads import StoreReads

if TYPE_CHECKING:  # pragma: no cover
    from litemeta.core.platform import PlatformEvents
    from litemeta.followers.export import ExportReport

Input = Union[Proposal, Mapping[str, Any], str, Path, Any]


def open_store(
    path_or_url: Optional[str] = None, *, read_only: bool = False, create: bool = True, **settings: Any
) -> "MetadataStore":
    """Open a store: a SQLite path (default ``./litemeta.db`` or ``$LITEMETA_DB``), ``:memory:`` or a SQLAlchemy URL."""
    s = cfg.from_environment(db=path_or_url, **settings)
    return MetadataStore(s, read_only=read_only, create=create)


class MetadataStore(StoreReads):
    """An embedded DataHub metadata service over one SQL database (and an index folder beside it).

    Its read methods (aspects, runs, topics, admin counts) come from
    :class:`~litemeta.storage.store_reads.StoreReads`.
    """

    def __init__(self, settings: cfg.Settings, *, read_only: bool = False, create: bool = True) -> None:
        self.settings = settings
        self.registry: Registry = load_registry()
        self.db: Database = open_database(
            settings.db, read_only=read_only, create=create, pooled_connections=settings.pooled_connections
        )
        self.read_only = read_only
        self._closed = False
        self._followers: List[Any] = []
        self._consumers: Any = None
        self._search: Any = None
        self._wrote = False  # this process committed writes its searches must see (design.md rule 3)
        self.clock: Callable[[], int] = clock_ms  # wall clock in ms; tests may pin it

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> "MetadataStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Flush followers and release the database."""
        if self._closed:
            return
        self._closed = True
        for f in self._followers:
            try:
                f.close()
            except Exception:  # closing must not mask the caller's exception
                pass
        self.db.close()

    @property
    def location(self) -> str:
        """The store's database URL."""
        return self.db.url

    # ------------------------------------------------------------ writes
    def ingest(
        self,
        items: Union[Input, Iterable[Input]],
        *,
        run_id: Optional[str] = None,
        dry_run: bool = False,
        fail_fast: bool = False,
        batch_size: Optional[int] = None,
        progress: Optional[Callable[[int], None]] = None,
        actor: Optional[str] = None,
    ) -> IngestReport:
        """Apply proposals, file-sink dicts, SDK objects or paths of files; return a report.

        Invalid proposals go to ``FailedMetadataChangeProposal_v1`` and the report; the rest proceed.
        ``run_id`` overrides ``systemMetadata.runId`` (the file's own is kept otherwise).
        """
        if isinstance(items, (str, Path, Proposal, Mapping)) or hasattr(items, "to_obj"):
            items = [items]
        report = IngestReport()
        t0 = time.perf_counter()
        settings = self.settings if actor is None else self.settings.with_(actor=actor)
        size = batch_size or self.settings.batch_size
        groups = self._groups(items, report, run_id)
        events = self._event_hook()
        with gc_tuned() as collect, self.db.connection() as conn:
            self._ingest_batches(groups, report, settings, size, dry_run, fail_fast, progress, events, conn, collect)
        report.seconds = time.perf_counter() - t0
        self._after_write()
        return report

    def _ingest_batches(
        self,
        groups: Iterator[Any],
        report: IngestReport,
        settings: cfg.Settings,
        size: int,
        dry_run: bool,
        fail_fast: bool,
        progress: Optional[Callable[[int], None]],
        events: Optional["PlatformEvents"],
        conn: Optional[Any],
        collect: Callable[[], None],
    ) -> None:
        try:
            first = True
            for batch, more in with_lookahead(groups, size):  # (enumerate would keep the last batch alive)
                if events is not None and first and more:
                    # a large ingest: events are derived on the other core from the first batch on
                    # (the helper starts in about 0.15 s; the first flush waits for what it owes)
                    events.start_helper()
                self._write_batch(batch, report, settings, dry_run, events, conn)
                if more:
                    self.db.checkpoint_behind(conn)  # the WAL stays about one batch long
                if progress is not None:
                    progress(len(batch))  # input records (or unreadable parts) of the batch
                if fail_fast and report.failed:
                    break
                first = False
                del batch  # freed before the collection, which then has little left to walk
                collect()
        finally:
            if events is not None:
                events.close()

    def _write_batch(
        self,
        batch: List[Any],
        report: IngestReport,
        settings: cfg.Settings,
        dry_run: bool,
        events: Optional["PlatformEvents"],
        session: Optional[Any] = None,
    ) -> None:
        groups = [g for g in batch if isinstance(g, list)]
        try:
            with self.db.write(session) as conn:
                b = Batch(conn, self.registry, settings, report, events, self.clock)
                b.load_needed(groups)
                for g in batch:
                    if isinstance(g, list):
                        b.apply_group(g)
                    else:
                        b.fail(None, g)
                if dry_run:
                    conn.rollback()
                    conn.begin()
                    return
                b.flush()
        finally:
            if events is not None:
                events.discard()  # nothing is owed past the batch (flushed, rolled back or a dry run)

    @contextlib.contextmanager
    def writer_session(self, *, events_helper: bool = False) -> Iterator["WriterSession"]:
        """A long-lived writer (``litemeta serve``): one connection and one event hook for many
        transactions, each applying several callers' records (group commit, :meth:`WriterSession.write`).
        With ``events_helper`` the platform events are derived in a helper process (another core)
        from the start; :meth:`WriterSession.start_helper` starts it later."""
        events = self._event_hook()
        try:
            with self.db.connection() as conn:
                session = WriterSession(self, conn, events)
                if events_helper:
                    session.start_helper()
                yield session
        finally:
            if events is not None:
                events.close()

    def rollback(self, run_id: str, *, dry_run: bool = False) -> Dict[str, Any]:
        """Undo a run (``datahub ingest rollback``): every aspect whose row 0 the run wrote goes back to
        its last version from another run, or is deleted (R1.34); entities whose key the run wrote
        are deleted; timeseries rows of the run are removed. Returns a report of what changed."""
        report = IngestReport()
        with self.db.read() as conn:
            targets = [(r.urn, r.aspect) for r in Q.rows_with_run(conn, run_id)]
        keys = {a for a in (self.registry.entities[e].key_aspect for e in self.registry.entities)}
        # keys last, so that an entity the run created is deleted after its other aspects are handled
        targets.sort(key=lambda t: (t[1] in keys, t[0], t[1]))
        changes: List[Dict[str, Any]] = []
        with self.db.write() as conn:
            b = Batch(conn, self.registry, self.settings, report, self._event_hook(), self.clock)
            b.load({u for u, _ in targets})
            for urn, name in targets:
                if urn in b.wiped_urns:
                    continue
                change = b.rollback_aspect(urn, name, run_id)
                if change is not None:
                    changes.append(change)
            ts_removed = Q.delete_timeseries_of_run(conn, run_id, dry_run)
            if dry_run:
                conn.rollback()
                conn.begin()
            else:
                b.flush()
        self._after_write()
        return {
            "runId": run_id,
            "dryRun": dry_run,
            "aspects": len(changes),
            "timeseriesRows": ts_removed,
            "entitiesDeleted": sum(1 for c in changes if c["action"] == "entity deleted"),
            "changes": changes,
        }

    def _event_hook(self) -> Optional["PlatformEvents"]:
        if not self.settings.platform_events:
            return None
        from litemeta.core.platform import PlatformEvents

        return PlatformEvents(self.registry, helper=self.settings.helper_processes)

    def _groups(self, items: Iterable[Input], report: IngestReport, run_id: Optional[str]) -> Iterator[Any]:
        from litemeta.model.codec import LegacyMCE, proposals_of, record_from_obj

        def as_groups(record: Any) -> Iterator[Any]:
            if not isinstance(record, InputError) or record.index is not None:
                report.records += 1  # (unreadable bytes outside any record are an error, not a record)
            if isinstance(record, LitemetaError):
                yield record
                return
            try:
                ps = [record] if isinstance(record, Proposal) else proposals_of(record, self.registry)
            except ValidationError as err:
                yield err
                return
            except Exception as err:  # noqa: BLE001 - a record too broken to expand is rejected, never a crash
                origin = getattr(record, "origin", None)
                yield ValidationError(
                    f"unreadable record ({type(err).__name__}: {err})",
                    file=getattr(origin, "file", None),
                    index=getattr(origin, "index", None),
                )
                return
            if run_id is not None:
                ps = [p.with_(system_metadata={**(p.system_metadata or {}), "runId": run_id}) for p in ps]
            yield ps

        paths: List[str] = []
        index = 0
        for item in items:
            if isinstance(item, (str, Path)):
                paths.append(str(item))
                continue
            if paths:
                yield from self._from_paths(paths, as_groups)
                paths = []
            if isinstance(item, (Proposal, LegacyMCE)):
                yield from as_groups(item)
            elif isinstance(item, LitemetaError):
                yield from as_groups(item)
            else:
                obj = item if isinstance(item, Mapping) else _sdk_to_obj(item)
                rec: Any
                try:
                    rec = record_from_obj(dict(obj), Origin("<python>", index))
                except ValidationError as err:
                    rec = err
                yield from as_groups(rec)
            index += 1
        if paths:
            yield from self._from_paths(paths, as_groups)

    def _from_paths(self, paths: List[str], as_groups: Callable[[Any], Iterator[Any]]) -> Iterator[Any]:
        from litemeta.sources.files import read_records

        for rec in read_records(paths):
            yield from as_groups(rec)

    def _after_write(self) -> None:
        self._wrote = True
        for f in self._followers:
            f.on_write()

    def sync_followers(self, wait: bool = True) -> None:
        """Bring every follower up to date with the log: the search index when it is open or
        exists beside the store (a store nobody searched yet gets no index). With ``wait=False``
        an index that another process is writing is left to a background catch-up."""
        if self._search is None and self._index_exists():
            self.search_follower  # noqa: B018 - opens the follower of the existing index
        for f in self._followers:
            f.catch_up(wait=wait)

    def _index_exists(self) -> bool:
        path = self.settings.index_dir or (self.db.sqlite_file + ".index" if self.db.sqlite_file else None)
        if path is None:
            return False
        from litemeta.followers.search.generations import is_index_folder

        return is_index_folder(path)

    # ------------------------------------------------------------ search (a follower of the log)
    @property
    def search_follower(self) -> Any:
        """The search index follower, opened on first use (``<db>.index/`` beside a SQLite file)."""
        if self._search is None:
            from litemeta.followers.search.follower import SearchFollower

            self._search = SearchFollower(
                self.db,
                self.registry,
                self.settings.index_dir,
                background=self.settings.search_background,
                wrote=self._wrote,
            )
            self._followers.append(self._search)
        return self._search

    def search(
        self,
        query: str = "*",
        entity_types: Optional[Sequence[str]] = None,
        filters: Any = None,
        facets: Any = True,
        start: int = 0,
        count: int = 10,
        include_removed: bool = False,
    ) -> Any:
        """Ranked full-text search with facets and filters (DataHub's search, offline): a
        :class:`~litemeta.followers.search.results.SearchResult`.

        Answers from the index's current generation: after this process wrote, the index first
        catches up, so a process always sees its own writes; other processes' newer writes may be
        missing, and ``stale`` then says how many change-log records behind the answer is (a
        background process is catching up; :meth:`sync_followers` waits for it). Soft-deleted
        entities are hidden unless ``include_removed``; hard-deleted ones are gone.
        """
        return self.search_follower.search(
            query,
            entity_types=entity_types,
            filters=filters,
            facets=facets,
            start=start,
            count=count,
            include_removed=include_removed,
        )

    def autocomplete(self, prefix: str, entity_type: Optional[str] = None, limit: int = 10) -> List[Any]:
        """Completions from fields marked ``enableAutocomplete``: ``(urn, entityType, text)``."""
        return self.search_follower.autocomplete(prefix, entity_type=entity_type, limit=limit)  # type: ignore[no-any-return]

    def reindex(self, from_log: bool = False) -> int:
        """Rebuild the search index into a new generation, from the current rows (or from every
        entity the log mentions); searches meanwhile answer from the previous one."""
        return self.search_follower.rebuild(from_log=from_log)  # type: ignore[no-any-return]

    # ------------------------------------------------------------ export (a follower of the log)
    def export(
        self,
        out: Union[str, Path],
        fmt: str = "kafka-log",
        topics: Sequence[str] = (),
        partitions: int = 1,
        from_offset: Optional[int] = None,
        group: Optional[str] = None,
        progress: Optional[Callable[[int], None]] = None,
        parallel: Optional[bool] = None,
    ) -> "ExportReport":
        """Write the topics (names or aliases; default all) to the folder ``out`` as Kafka log segments,
        Avro container files or JSON Lines, from ``from_offset``, the ``group``'s committed offsets or
        0, up to the end offsets when the export starts; a ``group``'s offsets are then committed.

        One export at a time per folder; see :mod:`litemeta.followers.export` for the layouts, the
        incremental appends and the second process of a large kafka-log export (``parallel``).
        """
        from litemeta.followers.export import export_store

        return export_store(
            self.db,
            self.consumers,
            out,
            fmt,
            topics,
            partitions,
            from_offset,
            group,
            progress,
            parallel,
            helper_processes=self.settings.helper_processes,
        )

    # ------------------------------------------------------------ consumers (the log as integration point)
    @property
    def consumers(self) -> Any:
        """Consumer-group operations (:class:`litemeta.followers.consumers.Consumers`)."""
        if self._consumers is None:
            from litemeta.followers.consumers import Consumers

            self._consumers = Consumers(self.db)
        return self._consumers

    def consume(self, topic: str, group: str, max_records: int = 500) -> List[TopicRecord]:
        """Next records of a topic for a consumer group (positions advance; call :meth:`commit`)."""
        return self.consumers.consume(topic, group, max_records)  # type: ignore[no-any-return]

    def commit(self, group: str, offsets: Optional[Mapping[str, int]] = None) -> None:
        """Commit a group's positions (or the given ``{topic: next_offset}``)."""
        self.consumers.commit(group, offsets)

    def follow(
        self,
        topic: str,
        group: Optional[str] = None,
        from_offset: Optional[int] = None,
        accept: Optional[Callable[[TopicRecord], bool]] = None,
        limit: Optional[int] = None,
        follow: bool = False,
        **kwargs: Any,
    ) -> Iterator[TopicRecord]:
        """A topic's records in offset order, optionally as a consumer group that commits as it goes,
        optionally waiting for new ones (:meth:`litemeta.followers.consumers.Consumers.follow`)."""
        return self.consumers.follow(
            topic,
            group,
            from_offset,
            accept,
            limit,
            follow,  # type: ignore[no-any-return]
            **kwargs,
        )

    def subscribe(
        self,
        handler: Callable[[TopicRecord], Any],
        topics: Any = ("PlatformEvent_v1",),
        group: str = "default",
        filter: Optional[Callable[[TopicRecord], bool]] = None,
        **kwargs: Any,
    ) -> int:
        """Deliver records to ``handler`` at least once from the group's committed offsets."""
        return self.consumers.subscribe(handler, topics, group, filter, **kwargs)  # type: ignore[no-any-return]

    def lag(self, group: str, topics: Optional[Sequence[str]] = None) -> Dict[str, int]:
        """Uncommitted records per topic for a group."""
        return self.consumers.lag(group, topics)  # type: ignore[no-any-return]


class WriterSession:
    """Group commit over one connection (from :meth:`MetadataStore.writer_session`)."""

    def __init__(self, store: MetadataStore, conn: Optional[Any], events: Optional["PlatformEvents"]) -> None:
        self.store = store
        self.conn = conn
        self.events = events
        self._since_checkpoint = 0  # proposals committed since the last checkpoint behind the writer

    def start_helper(self) -> None:
        """Derive platform events in a helper process from now on (when the machine has a second CPU)."""
        if self.events is not None:
            self.events.start_helper()

    def write(self, parts: Sequence[Sequence[Input]], *, actor: Optional[str] = None) -> List[IngestReport]:
        """Apply every part's records, in order, in one transaction; one report per part.

        Each record goes through the write path exactly as :meth:`MetadataStore.ingest` sends it
        (validation, versions, MCLs, events, the dead-letter topic), so the store is the one an
        ingest of the concatenated parts gives. A part's report holds its own counts and errors;
        the platform events appended at the flush are counted on the last part's report."""
        store = self.store
        reports = [IngestReport() for _ in parts]
        t0 = time.perf_counter()
        settings = store.settings if actor is None else store.settings.with_(actor=actor)
        parted = [list(store._groups(part, report, None)) for part, report in zip(parts, reports)]
        try:
            with store.db.write(self.conn) as conn:
                b = Batch(conn, store.registry, settings, reports[0], self.events, store.clock)
                b.load_needed([g for groups in parted for g in groups if isinstance(g, list)])
                for report, groups in zip(reports, parted):
                    b.report = report
                    for g in groups:
                        if isinstance(g, list):
                            b.apply_group(g)
                        else:
                            b.fail(None, g)
                b.flush()
        finally:
            if self.events is not None:
                self.events.discard()
        # A checkpoint behind the writer once about a batch's worth is committed, as an ingest does
        # (a server's small transactions would otherwise start one per commit).
        self._since_checkpoint += sum(r.proposals for r in reports)
        if self._since_checkpoint >= store.settings.batch_size:
            self._since_checkpoint = 0
            store.db.checkpoint_behind(self.conn)
        seconds = time.perf_counter() - t0
        for report in reports:
            report.seconds = seconds
        store._after_write()
        return reports


def _sdk_to_obj(obj: Any) -> Mapping[str, Any]:
    """acryl-datahub objects (MCPW, MetadataChangeProposalClass, MetadataChangeEventClass) as file-sink dicts."""
    to_obj = getattr(obj, "to_obj", None)
    if to_obj is None:
        raise InputError(
            f"cannot ingest an object of type {type(obj).__name__}: expected a Proposal, a dict in "
            f"DataHub file-sink form, a path, or an acryl-datahub MCP/MCE object"
        )
    if type(obj).__name__ == "MetadataChangeProposalWrapper":
        return to_obj(simplified_structure=True)  # type: ignore[no-any-return]
    return to_obj()  # type: ignore[no-any-return]


__all__ = ["open_store", "MetadataStore", "WriterSession", "IngestReport", "StorageError"]
