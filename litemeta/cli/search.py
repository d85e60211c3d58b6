"""``litemeta search`` and ``litemeta reindex``: DataHub's search bar, offline."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import Progress, json_option, translate_errors

FACET_LABELS = {"_entityType": "entity type", "platform": "platform", "origin": "env", "tags": "tags",
                "glossaryTerms": "glossary terms", "owners": "owners", "domains": "domains",
                "container": "container", "typeNames": "sub types"}


def _filters(pairs: Tuple[str, ...], platform: Optional[str], env: Optional[str]) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected field=value, got {pair!r}", param_hint="--filter")
        k, v = pair.split("=", 1)
        out.setdefault(k.strip(), []).append(v.strip())
    if platform:
        out.setdefault("platform", []).append(platform if platform.startswith("urn:") else f"urn:li:dataPlatform:{platform}")
    if env:
        out.setdefault("origin", []).append(env)
    return out


@click.command("search")
@click.argument("query", default="*")
@click.option("--entity-type", "entity_types", multiple=True, help="Only these entity types (repeatable).")
@click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE",
              help="Exact filter on a facet field, e.g. tags=urn:li:tag:pii (repeatable; same field = OR).")
@click.option("-p", "--platform", default=None, help="Shortcut for --filter platform=urn:li:dataPlatform:P.")
@click.option("-e", "--env", default=None, help="Shortcut for --filter origin=ENV.")
@click.option("--facets/--no-facets", default=False, help="Also print facet counts.")
@click.option("--limit", type=int, default=10, show_default=True, help="Results per page.")
@click.option("--offset", type=int, default=0, show_default=True, help="Skip this many results.")
@click.option("--include-removed", is_flag=True, help="Include soft-deleted entities.")
@db_option
@json_option
def search(query: str, entity_types: Tuple[str, ...], filters: Tuple[str, ...], platform: Optional[str],
           env: Optional[str], facets: bool, limit: int, offset: int, include_removed: bool, db: Optional[str],
           as_json: bool) -> None:
    """Ranked full-text search over names, descriptions, columns, tags, terms, owners and properties.

    QUERY takes words, "quoted phrases", field:value and wildcards; * lists everything.

    \b
    Examples:
        litemeta search "daily revenue"
        litemeta search customer --entity-type dataset --filter tags=urn:li:tag:pii
        litemeta search '*' --facets --json
    """
    kwargs = dict(entity_types=list(entity_types) or None, filters=_filters(filters, platform, env) or None,
                  facets=facets or as_json, start=offset, count=limit, include_removed=include_removed)
    with translate_errors():
        res, names = search_store(db, query, kwargs)
    if as_json:
        from litemeta.followers.search.results import result_dict

        click.echo(json.dumps(result_dict(res), ensure_ascii=False))
        return
    if res.stale is not None:
        click.echo(f"note: the search index is {res.stale.behind:,} change(s) behind the store; "
                   "it is catching up in the background", err=True)
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


def search_store(db: Optional[str], query: str, kwargs: Dict[str, Any]) -> Tuple[Any, Dict[str, str]]:
    """Search a store: straight from its index's current generation when it can serve the store
    (a SQLite file: no store, no SQLAlchemy), else through the store, which builds or rebuilds
    the index (with a progress counter on a terminal and a one-line notice saying why). Returns
    the result and a display name per hit."""
    from litemeta.config import from_environment
    from litemeta.followers.search.current import search_sqlite_file
    from litemeta.model.registry import load_registry
    from litemeta.storage.sqlite_reads import json_fields, sqlite_file

    settings = from_environment(db=db)
    path = sqlite_file(settings.db)
    res = None
    if path is not None:
        res = search_sqlite_file(path, settings.index_dir or path + ".index", load_registry(), query, **kwargs)
    if res is None:
        with open_cli_store(db, read_only=True) as store, Progress("indexing", unit="entities") as bar:
            store.search_follower.progress = bar.update
            res = store.search(query, **kwargs)
            if path is None:
                current = store.latest_many([h.urn for h in res.results])
                return res, _names({u: {a: (aspects.get(a) or {}).get(f) for a, f in NAME_FIELDS}
                                    for u, aspects in current.items()})
    assert path is not None
    return res, _names(json_fields(path, [h.urn for h in res.results], NAME_FIELDS))


# Where an entity's display name is, by aspect (the first one found wins).
NAME_FIELDS = [("datasetProperties", "name"), ("chartInfo", "title"), ("dashboardInfo", "title"),
               ("corpUserInfo", "displayName"), ("tagProperties", "name"), ("glossaryTermInfo", "name"),
               ("domainProperties", "name"), ("containerProperties", "name"), ("dataFlowInfo", "name"),
               ("dataJobInfo", "name")]


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
