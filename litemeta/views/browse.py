"""Browse a store as folders (``ls``), and the facts about an entity that browsing and the delete
filters of :mod:`litemeta.views.admin` read: its type, platform, environment, soft delete and
browse path.

    >>> import litemeta
    >>> from litemeta.views import browse
    >>> with litemeta.open_store("meta.db") as store:                                  # doctest: +SKIP
    ...     browse.ls(store, "/dataset/hive").entries

The folders: ``/`` lists entity types, ``/<entityType>`` its platforms (``dataPlatformInstance``
or the key) and the entities without one, ``/<entityType>/<platform>/...`` walks ``browsePathsV2``
down to entities (a container folder shows the container's name). The facts of every entity of a
type are kept beside a SQLite store while it is unchanged (:mod:`litemeta.views.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, unquote

from litemeta.errors import InputError, LitemetaError
from litemeta.model.registry import Registry, close_names
from litemeta.model.urns import parse_urn

PLATFORM_PREFIX = "urn:li:dataPlatform:"

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
