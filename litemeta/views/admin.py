"""Administration over a store: delete and undo by filter, statistics, nuke; browsing (``ls``) and
the entity facts the filters read are in :mod:`litemeta.views.browse` (importable from here too).

    >>> import litemeta
    >>> from litemeta.views import admin
    >>> with litemeta.open_store("meta.db") as store:                                  # doctest: +SKIP
    ...     chosen = admin.select(store, platform="hive", env="PROD")
    ...     admin.delete_entities(store, chosen.urns, mode="soft", dry_run=True).as_dict()
    ...     admin.ls(store, "/dataset/hive").entries
    ...     admin.stats(store)["entities"]

Every change goes through :meth:`MetadataStore.ingest`, so deletes are validated, versioned,
journaled on the MCP topic and announced by MCLs like any other write:

- soft delete: UPSERT ``status {removed: true}`` (R1.35, soft branch), actor
  ``urn:li:corpuser:__datahub_system`` (R8.21), runId ``__datahub-delete-cli`` as DataHub's
  ``datahub delete`` uses; undo: ``status {removed: false}`` (``datahub delete undo-by-filter``);
- hard delete: DELETE of the key aspect, which removes the whole entity (R1.35);
- aspect delete: DELETE of that aspect and its history (R1.34 without conditions), or of all the
  rows of a timeseries aspect (design.md choice 1).

Selection mirrors ``datahub delete by-filter``: urns, or filters by entity type, platform
(``dataPlatformInstance`` or the key), environment (the key's ``origin``, a container's ``env``),
a full-text query; soft deletes select entities not yet soft-deleted, undo selects soft-deleted ones.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from litemeta import config as cfg
from litemeta.core.versions import SYSTEM_ACTOR  # R8.21
from litemeta.errors import ConfigurationError, InputError, StorageError
from litemeta.model import proposal as P
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.registry import Registry
from litemeta.model.urns import entity_type_of
from litemeta.storage.identity import is_url
from litemeta.views.browse import entity_facts, platform_urn, stored_entity_type

DELETE_RUN_ID = "__datahub-delete-cli"  # datahub delete_cli._delete_one_urn(run_id=...)
UNDO_RUN_ID = "__datahub-graph-client"  # DataHubGraph.set_soft_delete_status default run id

SOFT, HARD, ASPECT, UNDO = "soft", "hard", "aspect", "undo"
MODES = (SOFT, HARD, ASPECT, UNDO)


# ------------------------------------------------------------------------------ selection
@dataclass(frozen=True)
class Selection:
    """Entities chosen by :func:`select`; ``not_found`` are given urns with no key aspect (R1.6)."""

    urns: Tuple[str, ...]
    not_found: Tuple[str, ...] = ()


def select(
    store: Any,
    *,
    urns: Sequence[str] = (),
    entity_type: Optional[str] = None,
    platform: Optional[str] = None,
    env: Optional[str] = None,
    query: Optional[str] = None,
    removed: Optional[bool] = None,
) -> Selection:
    """Choose entities like ``datahub delete by-filter``.

    Given ``urns``, those that exist (soft-deleted included) are chosen and the rest reported as
    not found. Otherwise at least one filter is needed; ``removed`` keeps only soft-deleted
    (True) or only live (False) entities, None keeps both.
    """
    if urns:
        found: List[str] = []
        missing: List[str] = []
        for u in dict.fromkeys(urns):
            entity_type_of(u)  # raises InvalidUrnError for a malformed urn
            (found if store.exists(u, include_soft_deleted=True) else missing).append(u)
        return Selection(tuple(found), tuple(missing))
    if not (entity_type or platform or env or query):
        raise InputError("give urns or at least one filter (entity type, platform, env or query)")
    if entity_type:
        store.registry.entity(entity_type)  # raises UnknownEntityError with the known names
    if query:
        candidates = _search_urns(store, query, entity_type, include_removed=removed is not False)
        if entity_type:
            candidates = [u for u in candidates if entity_type_of(u) == entity_type]
        candidates = [u for u in candidates if store.exists(u)]
    else:
        candidates = store.list_urns(entity_type)
    want_platform = platform_urn(platform) if platform else None
    chosen = [
        f.urn
        for f in entity_facts(store, candidates)
        if (want_platform is None or f.platform == want_platform)
        and (env is None or (f.env or "").upper() == env.upper())
        and (removed is None or f.removed == removed)
    ]
    return Selection(tuple(chosen))


def _search_urns(
    store: Any, query: str, entity_type: Optional[str], include_removed: bool, page: int = 10_000
) -> List[str]:
    search = getattr(store, "search", None)
    if search is None:
        raise ConfigurationError(
            "--query needs full-text search (MetadataStore.search), "
            "which this litemeta build does not provide yet; select by urn or filters"
        )
    kwargs: Dict[str, Any] = {"entity_types": [entity_type] if entity_type else None, "count": page}
    out: List[str] = []
    start = 0
    while True:
        try:
            result = search(query, start=start, include_removed=include_removed, **kwargs)
        except TypeError:  # a search without paging / soft-delete switches: one page
            result = search(query, **kwargs)
            return out + _hit_urns(result)
        urns = _hit_urns(result)
        out.extend(urns)
        if len(urns) < page:
            return out
        start += page


def _hit_urns(result: Any) -> List[str]:
    hits = getattr(result, "results", result)
    return [h["urn"] if isinstance(h, Mapping) else h.urn for h in hits]


# ------------------------------------------------------------------------------ delete and undo
@dataclass(frozen=True)
class DeleteReport:
    """What a delete (or undo) did, or would do with ``dry_run``."""

    mode: str
    dry_run: bool
    urns: Tuple[str, ...]
    aspect: Optional[str] = None
    not_found: Tuple[str, ...] = ()
    skipped: Tuple[Tuple[str, str], ...] = ()  # (urn, reason)
    changed: int = 0  # proposals that changed the store (or would)
    unchanged: int = 0  # no-ops: already in the wanted state
    failed: int = 0
    rows: int = 0  # versioned rows removed by hard/aspect deletes (every version)
    timeseries_rows: int = 0
    errors: Tuple[Mapping[str, Any], ...] = field(default=())

    def as_dict(self) -> Dict[str, Any]:
        """The ``--json`` form."""
        return {
            "mode": self.mode,
            "aspect": self.aspect,
            "dryRun": self.dry_run,
            "entities": len(self.urns),
            "urns": list(self.urns),
            "notFound": list(self.not_found),
            "skipped": [{"urn": u, "reason": r} for u, r in self.skipped],
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "rows": self.rows,
            "timeseriesRows": self.timeseries_rows,
            "errors": [dict(e) for e in self.errors],
        }


def plan_deletes(
    urns: Iterable[str],
    mode: str,
    registry: Registry,
    now: int,
    aspect: Optional[str] = None,
    run_id: Optional[str] = None,
) -> Tuple[List[Proposal], List[Tuple[str, str]]]:
    """The proposals that carry out a delete ``mode`` on ``urns`` (pure), and the urns it cannot apply to."""
    if mode not in MODES:
        raise InputError(f"unknown delete mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == ASPECT and not aspect:
        raise InputError("an aspect delete needs the aspect name")
    rid = run_id or (UNDO_RUN_ID if mode == UNDO else DELETE_RUN_ID)
    sm = {"runId": rid, "lastObserved": now}
    out: List[Proposal] = []
    skipped: List[Tuple[str, str]] = []
    for i, urn in enumerate(urns):
        et = entity_type_of(urn)
        spec = registry.entity(et)
        origin = Origin(f"<delete {mode}>", i)
        if mode in (SOFT, UNDO):
            if not spec.has_aspect("status"):
                skipped.append((urn, f"entity type {et} has no status aspect; it can only be hard-deleted"))
                continue
            out.append(Proposal(urn, "status", P.UPSERT, {"removed": mode == SOFT}, system_metadata=sm, origin=origin))
        elif mode == HARD:
            out.append(Proposal(urn, spec.key_aspect, P.DELETE, system_metadata=sm, origin=origin))
        else:
            if not spec.has_aspect(str(aspect)):
                skipped.append((urn, f"entity type {et} has no aspect {aspect}"))
                continue
            out.append(Proposal(urn, str(aspect), P.DELETE, system_metadata=sm, origin=origin))
    return out, skipped


def delete_entities(
    store: Any,
    urns: Sequence[str],
    *,
    mode: str = SOFT,
    aspect: Optional[str] = None,
    dry_run: bool = False,
    run_id: Optional[str] = None,
    not_found: Sequence[str] = (),
) -> DeleteReport:
    """Soft-delete, hard-delete, delete an aspect of, or undo the soft delete of ``urns`` through
    :meth:`MetadataStore.ingest` (so every change is journaled and emits its MCL)."""
    if mode == ASPECT and aspect:
        store.registry.aspect(aspect)  # raises UnknownAspectError naming the aspect
    proposals, skipped = plan_deletes(urns, mode, store.registry, store.clock(), aspect, run_id)
    rows = ts_rows = 0
    if mode in (HARD, ASPECT) and proposals:
        counts = store.row_counts([p.entity_urn for p in proposals], aspect if mode == ASPECT else None)
        rows = sum(c["rows"] for c in counts.values())
        ts_rows = sum(c["timeseriesRows"] for c in counts.values())
    changed = unchanged = failed = 0
    errors: List[Mapping[str, Any]] = []
    if proposals:
        report = store.ingest(proposals, dry_run=dry_run, actor=SYSTEM_ACTOR)
        store.sync_followers()
        changed, unchanged, failed, errors = report.written, report.unchanged, report.failed, report.errors
    return DeleteReport(
        mode,
        dry_run,
        tuple(urns),
        aspect,
        tuple(not_found),
        tuple(skipped),
        changed,
        unchanged,
        failed,
        rows if changed or dry_run else 0,
        ts_rows if changed or dry_run else 0,
        tuple(errors),
    )


# ------------------------------------------------------------------------------ statistics
def runs(store: Any) -> List[Dict[str, Any]]:
    """The store's runs, newest first (:meth:`MetadataStore.runs`), kept beside a SQLite store while
    neither the change log nor the proposal journal has moved (a no-op write changes a row's run
    id with no MCL, never without a journaled proposal)."""
    from litemeta.views.cache import cached, same

    return cached(store, "runs", store.runs, same, same, topics=("mcl", "mcp"))  # type: ignore[no-any-return]


def _soft_deleted(store: Any) -> Dict[str, int]:
    """Soft-deleted entities per type."""
    soft: Dict[str, int] = {}
    # a list: its read ends before exists() reads (an in-memory store has one connection for both)
    for urn in store.removed_urns():
        if store.exists(urn):
            et = stored_entity_type(urn)
            soft[et] = soft.get(et, 0) + 1
    return soft


def stats(store: Any) -> Dict[str, Any]:
    """Entities by type (and how many are soft-deleted), aspects (current and archived versions),
    timeseries rows, topic sizes, consumer-group lag and runs of a store."""
    registry = store.registry
    by_key = {spec.key_aspect: name for name, spec in registry.entities.items()}
    from litemeta.views.cache import cached, same

    counted = cached(
        store, "stats", lambda: {"aspects": store.aspect_counts(), "soft": _soft_deleted(store)}, same, same
    )
    aspects, soft = counted["aspects"], counted["soft"]
    entities = {by_key[a]: c["current"] for a, c in sorted(aspects.items()) if a in by_key and c["current"]}
    ts = store.timeseries_counts()
    topics = store.topic_sizes()
    groups = {g: store.lag(g) for g in store.consumer_groups()}
    return {
        "store": store.location,
        "entities": dict(sorted(entities.items())),
        "entitiesTotal": sum(entities.values()),
        "softDeleted": dict(sorted(soft.items())),
        "aspects": {a: {"current": c["current"], "archived": c["archived"]} for a, c in sorted(aspects.items())},
        "currentAspects": sum(c["current"] for c in aspects.values()),
        "versions": sum(c["current"] + c["archived"] for c in aspects.values()),
        "timeseries": dict(sorted(ts.items())),
        "timeseriesRows": sum(ts.values()),
        "topics": dict(sorted(topics.items())),
        "consumerGroups": {g: {"lag": lag, "totalLag": sum(lag.values())} for g, lag in sorted(groups.items())},
        "runs": len(runs(store)),
    }


# ------------------------------------------------------------------------------ nuke
def store_files(db: Optional[str] = None) -> Tuple[str, List[str]]:
    """The SQLite file of a store (``db`` or the configured default) and every file or folder that
    belongs to it: ``-wal``, ``-shm``, ``-journal``, the search index folder ``<db>.index/`` and the
    views kept beside it ``<db>.cache/`` (the lineage graph, ``ls``'s facts)."""
    from litemeta.views.cache import CACHE_SUFFIX

    settings = cfg.from_environment(db=db)
    path = settings.db
    if path == ":memory:":
        raise ConfigurationError("an in-memory store has no files to delete")
    if is_url(path):
        if not path.startswith("sqlite:///"):
            raise ConfigurationError(f"nuke deletes SQLite files only; drop the database of {path} with its own tools")
        path = path[len("sqlite:///") :]
    path = os.path.abspath(path)
    found = [path + s for s in ("", "-wal", "-shm", "-journal", ".index", CACHE_SUFFIX)]
    if settings.index_dir and _is_index(settings.index_dir):  # an index folder configured elsewhere
        found.append(os.path.abspath(settings.index_dir))
    return path, found


def _is_index(folder: str) -> bool:
    from litemeta.followers.search.generations import is_index_folder

    return is_index_folder(folder)


def nuke(db: Optional[str] = None) -> List[str]:
    """Delete a store's database file(s) and its index folder; return what was removed.

    Refuses a file that is not a litemeta store (so a mistyped ``--db`` cannot delete other data).
    """
    from litemeta.store import open_store

    path, candidates = store_files(db)
    if not os.path.isfile(path):
        raise StorageError(f"no litemeta store at {path}")
    try:
        with open_store(path, read_only=True) as store:
            store.aspect_counts()
    except StorageError as e:
        raise StorageError(f"{path} is not a litemeta store; not deleting it ({e})") from e
    removed: List[str] = []
    for c in candidates:
        try:
            if os.path.isdir(c):
                shutil.rmtree(c)
            elif os.path.exists(c):
                os.remove(c)
            else:
                continue
        except OSError as e:
            raise StorageError(f"cannot delete {c}: {e.strerror or e}") from e
        removed.append(c)
    return removed
