"""Administration over a store: delete and undo by filter, browse (``ls``), statistics, nuke.

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
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, unquote

from litemeta import config as cfg
from litemeta.core.versions import SYSTEM_ACTOR  # R8.21
from litemeta.errors import ConfigurationError, InputError, LitemetaError, StorageError
from litemeta.model import proposal as P
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.registry import Registry, close_names
from litemeta.model.urns import entity_type_of, parse_urn
from litemeta.storage.identity import is_url

DELETE_RUN_ID = "__datahub-delete-cli"  # datahub delete_cli._delete_one_urn(run_id=...)
UNDO_RUN_ID = "__datahub-graph-client"  # DataHubGraph.set_soft_delete_status default run id
PLATFORM_PREFIX = "urn:li:dataPlatform:"

SOFT, HARD, ASPECT, UNDO = "soft", "hard", "aspect", "undo"
MODES = (SOFT, HARD, ASPECT, UNDO)

# key fields that name a platform, in DataHub's key aspects (dataset, mlModel..., dataFlow, chart, dashboard)
_KEY_PLATFORM_FIELDS = ("platform", "orchestrator", "dashboardTool")


# ------------------------------------------------------------------------------ entity facts (pure)
@dataclass(frozen=True)
class EntityFacts:
    """What the filters and the browser need to know about one entity."""

    urn: str
    entity_type: str
    platform: Optional[str]  # a dataPlatform urn
    env: Optional[str]
    removed: bool
    browse_path: Tuple[str, ...]  # browsePathsV2 ids


def platform_urn(name: str) -> str:
    """``hive`` or ``urn:li:dataPlatform:hive`` -> ``urn:li:dataPlatform:hive``."""
    return name if name.startswith(PLATFORM_PREFIX) else PLATFORM_PREFIX + name


def platform_of(aspects: Mapping[str, Any], key_aspect: str) -> Optional[str]:
    """The entity's platform urn: ``dataPlatformInstance.platform``, else a platform field of its key
    (a dataJob's comes from its flow's urn)."""
    dpi = aspects.get("dataPlatformInstance")
    if isinstance(dpi, dict) and dpi.get("platform"):
        return platform_urn(str(dpi["platform"]))
    key = aspects.get(key_aspect)
    if not isinstance(key, dict):
        return None
    for f in _KEY_PLATFORM_FIELDS:
        if key.get(f):
            return platform_urn(str(key[f]))
    flow = key.get("flow")
    if isinstance(flow, str) and flow.startswith("urn:li:dataFlow:"):
        try:
            return platform_urn(parse_urn(flow).parts[0])
        except LitemetaError:
            return None
    return None


def env_of(aspects: Mapping[str, Any], key_aspect: str) -> Optional[str]:
    """The entity's environment, where DataHub's env filter looks: the key's ``origin``, a container's
    ``env`` or its ``env=``/``instance=`` custom property."""
    key = aspects.get(key_aspect)
    if isinstance(key, dict) and key.get("origin"):
        return str(key["origin"])
    props = aspects.get("containerProperties")
    if isinstance(props, dict):
        if props.get("env"):
            return str(props["env"])
        custom = props.get("customProperties") or {}
        for name in ("env", "instance"):
            if custom.get(name):
                return str(custom[name])
    return None


def browse_ids(aspects: Mapping[str, Any]) -> Tuple[str, ...]:
    """The folder ids of ``browsePathsV2`` (empty when absent)."""
    bp = aspects.get("browsePathsV2")
    if not isinstance(bp, dict):
        return ()
    return tuple(str(e.get("id", "")) for e in bp.get("path") or () if isinstance(e, dict))


def facts_of(urn: str, aspects: Mapping[str, Any], registry: Registry) -> EntityFacts:
    """Derive :class:`EntityFacts` from an entity's current aspect values (parsed JSON: the
    ``isinstance`` checks below test ``dict``, which is many times cheaper than ``Mapping``'s)."""
    et = stored_entity_type(urn)
    key = registry.entity(et).key_aspect if et in registry.entities else ""
    st = aspects.get("status")
    return EntityFacts(
        urn,
        et,
        platform_of(aspects, key),
        env_of(aspects, key),
        bool(isinstance(st, dict) and st.get("removed")),
        browse_ids(aspects),
    )


# The aspects :func:`facts_of` looks at (besides each entity's key aspect).
FACT_ASPECTS = ("dataPlatformInstance", "status", "browsePathsV2", "containerProperties")


def stored_entity_type(urn: str) -> str:
    """The entity type of a urn read from the store (validated when it was written, R6.6), without
    parsing its key again: ``ls`` of a type reads the urns of thousands of entities."""
    return urn.split(":", 3)[2]


def entity_facts(store: Any, urns: Sequence[str], chunk: int = 500) -> Iterator[EntityFacts]:
    """Facts of existing entities, read ``chunk`` urns at a time (only the aspects facts need)."""
    reg = store.registry
    keys = {reg.entities[et].key_aspect for et in {stored_entity_type(u) for u in urns} if et in reg.entities}
    names = list(FACT_ASPECTS) + sorted(keys)
    for i in range(0, len(urns), chunk):
        part = list(urns[i : i + chunk])
        values = store.latest_many(part, names)
        for u in part:
            yield facts_of(u, values.get(u, {}), store.registry)


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


# ------------------------------------------------------------------------------ browse (ls)
@dataclass(frozen=True)
class LsEntry:
    """One line of ``ls``: a folder (with the number of entities below it) or an entity."""

    name: str
    kind: str  # "folder" | "entity"
    count: int = 0
    urn: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        """JSON form."""
        d: Dict[str, Any] = {"name": self.name, "type": self.kind}
        if self.kind == "folder":
            d["count"] = self.count
            if self.urn:  # a container folder
                d["urn"] = self.urn
        else:
            d["urn"] = self.urn
        return d


@dataclass(frozen=True)
class Listing:
    """The content of a virtual folder."""

    path: str
    entries: Tuple[LsEntry, ...]

    def as_dict(self) -> Dict[str, Any]:
        """The ``--json`` form."""
        return {"path": self.path, "entries": [e.as_dict() for e in self.entries]}


def split_path(path: str) -> List[str]:
    """``/dataset/hive/db`` -> ``["dataset", "hive", "db"]`` (``%2F`` stands for a ``/`` inside a name)."""
    return [unquote(p) for p in path.strip().split("/") if p]


def join_path(parts: Sequence[str]) -> str:
    """The inverse of :func:`split_path`."""
    return "/" + "/".join(quote(p, safe=":@,()=+ ") for p in parts)


def ls(store: Any, path: str = "/", include_removed: bool = False) -> Listing:
    """List a folder of litemeta's virtual file system.

    ``/`` lists entity types; ``/<entityType>`` lists platforms (from ``dataPlatformInstance`` or the
    key) and the entities without one; ``/<entityType>/<platform>/...`` walks ``browsePathsV2``
    folders down to entities. Soft-deleted entities are hidden unless ``include_removed``.
    """
    parts = split_path(path)
    if not parts:
        return Listing("/", tuple(_root(store, include_removed)))
    et = parts[0]
    if et not in store.registry.entities:
        close = close_names(et, sorted(store.registry.entities))
        hint = f"; did you mean /{close[0]}?" if close else "; `litemeta ls /` lists the entity types"
        raise InputError(f"path not found: {join_path(parts)}: {et!r} is not an entity type{hint}")
    every = type_facts(store, et)
    visible = every if include_removed else [f for f in every if not f.removed]
    if len(parts) == 1:
        return Listing(join_path(parts), tuple(_platform_level(visible)))
    platform = platform_urn(parts[1])
    on_platform = [f for f in every if f.platform == platform]
    names = container_names(store, on_platform)
    rest = _resolve_names(tuple(parts[2:]), on_platform, names)
    entries = _named(_folder_level([f for f in visible if f.platform == platform], rest), names)
    if not entries and not _folder_level(on_platform, rest):
        raise InputError(
            f"path not found: {join_path(parts)} (`litemeta ls {join_path(parts[:-1])}` lists what exists)"
        )
    return Listing(join_path(parts), tuple(entries))  # empty when everything there is soft-deleted


CONTAINER_PREFIX = "urn:li:container:"


def container_names(store: Any, facts: Sequence[EntityFacts]) -> Dict[str, str]:
    """``{container urn: its name}`` (``containerProperties.name``) for the containers on these
    entities' browse paths: ``ls`` shows folder names, not ``urn:li:container:b3df...``."""
    ids = sorted({p for f in facts for p in f.browse_path if p.startswith(CONTAINER_PREFIX)})
    out: Dict[str, str] = {}
    for urn, aspects in store.latest_many(ids, ["containerProperties"]).items():
        name = (aspects.get("containerProperties") or {}).get("name")
        if name:
            out[urn] = str(name)
    return out


def _resolve_names(rest: Tuple[str, ...], facts: Sequence[EntityFacts], names: Mapping[str, str]) -> Tuple[str, ...]:
    """Path parts as browse-path ids: a part that is no id at its level but the name of exactly
    one container there stands for that container (``ls /dataset/hive/shop``)."""
    out: List[str] = []
    for part in rest:
        n = len(out)
        here = {f.browse_path[n] for f in facts if len(f.browse_path) > n and list(f.browse_path[:n]) == out}
        if part not in here:
            named = [i for i in here if names.get(i) == part]
            if len(named) == 1:
                part = named[0]
        out.append(part)
    return tuple(out)


def _named(entries: List[LsEntry], names: Mapping[str, str]) -> List[LsEntry]:
    """Container folders under their names, with the container's urn kept beside."""
    out = [
        LsEntry(names[e.name], e.kind, e.count, e.name) if e.kind == "folder" and e.name in names else e
        for e in entries
    ]
    return sorted(out, key=lambda e: (e.kind != "folder", e.name))


def type_facts(store: Any, entity_type: str) -> List[EntityFacts]:
    """Facts of every entity of a type (what ``ls`` walks), kept beside a SQLite store while it is
    unchanged (:func:`litemeta.views.cache.cached`): the facts of the 7,000 datasets of a large
    store are 35,000 aspect rows."""
    from litemeta.views.cache import cached

    return cached(
        store,
        f"facts-{entity_type}",
        lambda: list(entity_facts(store, store.list_urns(entity_type))),
        lambda facts: [[f.urn, f.platform, f.env, f.removed, list(f.browse_path)] for f in facts],
        lambda rows: [EntityFacts(u, entity_type, p, e, r, tuple(b)) for u, p, e, r, b in rows],
    )


def _type_counts(store: Any) -> Any:
    """Entities per type: ``{"all": {...}, "visible": {...}}`` (visible: not soft-deleted)."""
    removed = set(store.removed_urns())
    every: Dict[str, int] = {}
    visible: Dict[str, int] = {}
    for u in store.list_urns():
        et = stored_entity_type(u)
        every[et] = every.get(et, 0) + 1
        if u not in removed:
            visible[et] = visible.get(et, 0) + 1
    return {"all": every, "visible": visible}


def _root(store: Any, include_removed: bool) -> List[LsEntry]:
    from litemeta.views.cache import cached, same

    counts = cached(store, "types", lambda: _type_counts(store), same, same)["all" if include_removed else "visible"]
    return [LsEntry(et, "folder", n) for et, n in sorted(counts.items())]


def _platform_level(facts: Sequence[EntityFacts]) -> List[LsEntry]:
    counts: Dict[str, int] = {}
    loose: List[LsEntry] = []
    for f in facts:
        if f.platform:
            name = f.platform[len(PLATFORM_PREFIX) :]
            counts[name] = counts.get(name, 0) + 1
        else:
            loose.append(LsEntry(f.urn, "entity", urn=f.urn))
    return [LsEntry(n, "folder", c) for n, c in sorted(counts.items())] + sorted(loose, key=lambda e: e.name)


def _folder_level(facts: Sequence[EntityFacts], prefix: Tuple[str, ...]) -> List[LsEntry]:
    counts: Dict[str, int] = {}
    here: List[LsEntry] = []
    n = len(prefix)
    for f in facts:
        if f.browse_path[:n] != prefix:
            continue
        if len(f.browse_path) > n:
            counts[f.browse_path[n]] = counts.get(f.browse_path[n], 0) + 1
        else:
            here.append(LsEntry(f.urn, "entity", urn=f.urn))
    return [LsEntry(k, "folder", c) for k, c in sorted(counts.items())] + sorted(here, key=lambda e: e.name)


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
