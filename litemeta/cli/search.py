"""``litemeta search`` and ``litemeta reindex``: DataHub's search bar, offline."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import Progress, json_option, translate_errors

FACET_LABELS = {
    "_entityType": "entity type",
    "platform": "platform",
    "origin": "env",
    "tags": "tags",
    "glossaryTerms": "glossary terms",
    "owners": "owners",
    "domains": "domains",
    "container": "container",
    "typeNames": "sub types",
}


# ``datahub search --filter`` field names (search_filter_parser.py, case-insensitive, with aliases)
# -> litemeta's index fields. ``entity_type`` selects entity types rather than a field.
DATAHUB_FIELDS = {
    "entity_type": "_entityType",
    "type": "_entityType",
    "entity_subtype": "typeNames",
    "subtype": "typeNames",
    "platform": "platform",
    "domain": "domains",
    "container": "container",
    "env": "origin",
    "environment": "origin",
    "owner": "owners",
    "tag": "tags",
    "glossary_term": "glossaryTerms",
}
PLATFORM_PREFIX = "urn:li:dataPlatform:"


def _platform_urn(value: str) -> str:
    """``sqlite`` -> ``urn:li:dataPlatform:sqlite`` (DataHub's CLI takes short platform names)."""
    return value if value.startswith("urn:") else PLATFORM_PREFIX + value


def _entity_type(name: str, registry: Any) -> str:
    """A registered entity type, case-insensitively (``glossaryterm`` as DataHub's CLI writes it);
    anything else is an error with the names it was probably meant to be."""
    if name in registry.entities:
        return name
    same = [n for n in registry.entities if n.lower() == name.lower()]
    if same:
        return same[0]
    registry.entity(name)  # raises UnknownEntityError: "... did you mean 'dataset'?"
    return name


def _filters(
    pairs: Tuple[str, ...], platform: Optional[str], env: Optional[str], registry: Any
) -> Tuple[Dict[str, List[str]], List[str]]:
    """``(filters, entity types)`` from ``--filter field=value`` (a comma = OR, as in ``datahub search``),
    ``-p`` and ``-e``. Unknown fields are a usage error that names the close ones."""
    from litemeta.followers.search.documents import ENTITY_TYPE_FIELD, URN_FIELD, field_defs
    from litemeta.model.registry import did_you_mean

    known = set(field_defs(registry)) | {ENTITY_TYPE_FIELD, URN_FIELD}
    out: Dict[str, List[str]] = {}
    types: List[str] = []
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected field=value, got {pair!r}", param_hint="'-f' / '--filter'")
        k, v = (s.strip() for s in pair.split("=", 1))
        # DataHub's names first (``type`` is entity_type there, whatever the index calls ``type``)
        field = DATAHUB_FIELDS.get(k.lower()) or (k if k in known else None)
        if field is None:
            raise click.BadParameter(
                f"unknown field {k!r}" + did_you_mean(k, sorted(known | set(DATAHUB_FIELDS))),
                param_hint="'-f' / '--filter'",
            )
        values = [x.strip() for x in v.split(",") if x.strip()]
        if field == ENTITY_TYPE_FIELD:
            types += [_entity_type(x, registry) for x in values]
            continue
        if field == "platform":
            values = [_platform_urn(x) for x in values]
        out.setdefault(field, []).extend(values)
    if platform:
        out.setdefault("platform", []).append(_platform_urn(platform))
    if env:
        out.setdefault("origin", []).append(env)
    return out, types


def _check_platforms(run: Any, platforms: List[str]) -> None:
    """After a search with no results: a platform no entity of the store has is an error naming
    the platforms it has (a typo must not look like an empty result)."""
    from litemeta.model.registry import did_you_mean

    have = sorted((run("*", facets=True, count=0).facets or {}).get("platform", {}))
    for p in platforms:
        if p not in have:
            short = [h[len(PLATFORM_PREFIX) :] if h.startswith(PLATFORM_PREFIX) else h for h in have]
            name = p[len(PLATFORM_PREFIX) :] if p.startswith(PLATFORM_PREFIX) else p
            raise click.ClickException(
                f"no entity in this store has platform {name!r}"
                + did_you_mean(name, short)
                + (f" (platforms here: {', '.join(short)})" if short else "")
            )


@click.command("search")
@click.argument("query", default="*")
@click.option("--entity-type", "entity_types", multiple=True, help="Only these entity types (repeatable).")
@click.option(
    "-f",
    "--filter",
    "filters",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Exact filter, e.g. tags=urn:li:tag:pii or platform=hive (repeatable; a comma or the same "
    "field again = OR). DataHub's names work: entity_type, platform, env, tag, owner, domain, "
    "container, glossary_term, subtype.",
)
@click.option("-p", "--platform", default=None, help="Only this platform (hive or urn:li:dataPlatform:hive).")
@click.option("-e", "--env", default=None, help="Shortcut for --filter origin=ENV.")
@click.option("--facets/--no-facets", default=False, help="Also print facet counts.")
@click.option("-n", "--limit", type=int, default=10, show_default=True, help="Results per page.")
@click.option("--offset", type=int, default=0, show_default=True, help="Skip this many results.")
@click.option("--include-removed", is_flag=True, help="Include soft-deleted entities.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "urns"]),
    default=None,
    help="table (default), json (= --json) or urns (one per line), as `datahub search --format`.",
)
@click.option("--table", "as_table", is_flag=True, help="Shortcut for --format table.")
@click.option("--urns-only", is_flag=True, help="Shortcut for --format urns.")
@db_option
@json_option
def search(
    query: str,
    entity_types: Tuple[str, ...],
    filters: Tuple[str, ...],
    platform: Optional[str],
    env: Optional[str],
    facets: bool,
    limit: int,
    offset: int,
    include_removed: bool,
    fmt: Optional[str],
    as_table: bool,
    urns_only: bool,
    db: Optional[str],
    as_json: bool,
) -> None:
    """Ranked full-text search over names, descriptions, columns, tags, terms, owners and properties.

    QUERY takes words, "quoted phrases", field:value and wildcards; * lists everything.

    \b
    Examples:
        litemeta search "daily revenue"
        litemeta search customer --entity-type dataset --filter tags=urn:li:tag:pii
        litemeta search '*' -f platform=hive -f entity_type=dataset --urns-only
        litemeta search '*' --facets --json
    """
    from litemeta.model.registry import load_registry

    chosen = [
        f for f, on in ((fmt or "", fmt is not None), ("json", as_json), ("table", as_table), ("urns", urns_only)) if on
    ]
    if len(set(chosen)) > 1:
        raise click.UsageError(f"choose one output format (got {', '.join(sorted(set(chosen)))})")
    fmt = chosen[0] if chosen else "table"
    with translate_errors():
        registry = load_registry()
        flt, types = _filters(filters, platform, env, registry)
        types = [_entity_type(t, registry) for t in entity_types] + types
    kwargs = dict(
        entity_types=types or None,
        filters=flt or None,
        facets=facets or fmt == "json",
        start=offset,
        count=limit,
        include_removed=include_removed,
    )
    with translate_errors():
        res, names = search_store(db, query, kwargs, check=flt.get("platform"))
    if res.stale is not None:
        click.echo(
            f"note: the search index is {res.stale.behind:,} change(s) behind the store; "
            "it is catching up in the background",
            err=True,
        )
    if fmt == "urns":
        for h in res.results:
            click.echo(h.urn)
        return
    if fmt == "json":
        from litemeta.followers.search.results import result_dict

        click.echo(json.dumps(result_dict(res), ensure_ascii=False))
        return
    shown = f"{offset + 1}-{offset + len(res.results)}" if res.results else "0"
    click.echo(f"{res.total} result(s) for {query!r} (showing {shown})")
    for i, h in enumerate(res.results, start=offset + 1):
        label = names.get(h.urn)
        click.echo(f"{i:>4}. {h.score:8.2f}  {h.entity_type:<13} {label + '  ' if label else ''}{h.urn}")
    if facets:
        for field, counts in res.facets.items():
            if not counts:
                continue
            top = ", ".join(f"{k} ({n})" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])[:8])
            click.echo(f"  {FACET_LABELS.get(field, field)}: {top}")


def search_store(
    db: Optional[str], query: str, kwargs: Dict[str, Any], check: Optional[List[str]] = None
) -> Tuple[Any, Dict[str, str]]:
    """Search a store: straight from its index's current generation when it can serve the store
    (a SQLite file: no store, no SQLAlchemy), else through the store, which builds or rebuilds
    the index (with a progress bar on a terminal and a one-line notice saying why). Returns the
    result and a display name per hit. ``check``: platforms filtered on, named in an error when
    nothing matches and the store has none of them."""
    from litemeta.config import from_environment
    from litemeta.followers.search.current import search_sqlite_file
    from litemeta.model.registry import load_registry
    from litemeta.storage.sqlite_reads import json_fields, sqlite_file

    settings = from_environment(db=db)
    path = sqlite_file(settings.db)
    res = None
    if path is not None:
        registry, index_dir = load_registry(), settings.index_dir or path + ".index"

        def run(q: str, **kw: Any) -> Any:
            return search_sqlite_file(path, index_dir, registry, q, **kw)

        res = run(query, **kwargs)
        if res is not None and not res.total and check:
            _check_platforms(run, check)
    if res is None:
        with open_cli_store(db, read_only=True) as store, Progress("indexing", unit="entities") as bar:
            store.search_follower.progress = bar.update
            res = store.search(query, **kwargs)
            if not res.total and check:
                _check_platforms(store.search, check)
            if path is None:
                current = store.latest_many([h.urn for h in res.results])
                return res, _names(
                    {u: {a: (aspects.get(a) or {}).get(f) for a, f in NAME_FIELDS} for u, aspects in current.items()}
                )
    assert path is not None
    return res, _names(json_fields(path, [h.urn for h in res.results], NAME_FIELDS))


# Where an entity's display name is, by aspect (the first one found wins).
NAME_FIELDS = [
    ("datasetProperties", "name"),
    ("chartInfo", "title"),
    ("dashboardInfo", "title"),
    ("corpUserInfo", "displayName"),
    ("tagProperties", "name"),
    ("glossaryTermInfo", "name"),
    ("domainProperties", "name"),
    ("containerProperties", "name"),
    ("dataFlowInfo", "name"),
    ("dataJobInfo", "name"),
]


def _names(found: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    """A display name per urn (``{urn: {aspect: name}}`` in, the first of :data:`NAME_FIELDS` out)."""
    out: Dict[str, str] = {}
    for urn, names in found.items():
        for aspect, _field in NAME_FIELDS:
            v = names.get(aspect)
            if v:
                out[urn] = str(v)
                break
    return out


@click.command("reindex")
@click.option("--from-log", is_flag=True, help="Replay the whole MetadataChangeLog instead of reading current rows.")
@db_option
@json_option
def reindex(from_log: bool, db: Optional[str], as_json: bool) -> None:
    """Rebuild the search index beside the store (``<db>.index/``) into a new generation.

    Searches meanwhile answer from the previous one; a reindex that is interrupted leaves it in
    place. Repairs a damaged index.

    \b
    Example:
        litemeta reindex --db meta.db
    """
    with translate_errors():
        with open_cli_store(db, read_only=True) as store, Progress("reindex", unit="entities") as bar:
            store.search_follower.progress = bar.update
            n = store.reindex(from_log=from_log)
            docs = store.search_follower.index.doc_count()
    if as_json:
        click.echo(json.dumps({"processed": n, "documents": docs, "fromLog": from_log}))
    else:
        click.echo(f"Reindexed {n:,} {'log records' if from_log else 'entities'}; the index holds {docs:,} documents.")
