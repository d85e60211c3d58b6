"""``litemeta search`` and ``litemeta reindex``: DataHub's search bar, offline."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import json_option, translate_errors

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
        fast = _search_current_index(db, query, kwargs)
        if fast is not None:
            res, names = fast
        else:
            with open_cli_store(db, read_only=True) as store:
                res = store.search(query, **kwargs)
                names = _names(store.latest_many([h.urn for h in res.results]))
    if as_json:
        click.echo(json.dumps({
            "total": res.total,
            "results": [{"urn": h.urn, "entityType": h.entity_type, "score": round(h.score, 4),
                         "matchedFields": [list(m) for m in h.matched_fields]} for h in res.results],
            "facets": res.facets,
        }, ensure_ascii=False))
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


def _search_current_index(db: Optional[str], query: str, kwargs: Dict[str, Any]) -> Optional[Tuple[Any, Dict[str, str]]]:
    """Search a SQLite store's index directly when it is current (no store, no SQLAlchemy: fast)."""
    from litemeta.config import from_environment
    from litemeta.followers.search_fast import current_index
    from litemeta.model.registry import load_registry
    from litemeta.storage.sqlite_reads import latest, sqlite_file

    settings = from_environment(db=db)
    path = sqlite_file(settings.db)
    if path is None:
        return None
    ix = current_index(path, settings.index_dir or path + ".index", load_registry())
    if ix is None:
        return None
    try:
        res = ix.search(query, **kwargs)
    finally:
        ix.close()
    return res, _names({h.urn: latest(path, h.urn, NAME_ASPECTS) for h in res.results})


NAME_ASPECTS = ["datasetProperties", "chartInfo", "dashboardInfo", "corpUserInfo", "tagProperties",
                "glossaryTermInfo", "domainProperties", "containerProperties", "dataFlowInfo", "dataJobInfo"]


def _names(current: Dict[str, Dict[str, Any]]) -> Dict[str, str]:
    """A display name per urn from the usual aspects (for the readable table)."""
    out: Dict[str, str] = {}
    for urn, aspects in current.items():
        for aspect, key in (("datasetProperties", "name"), ("chartInfo", "title"), ("dashboardInfo", "title"),
                            ("corpUserInfo", "displayName"), ("tagProperties", "name"), ("glossaryTermInfo", "name"),
                            ("domainProperties", "name"), ("containerProperties", "name"),
                            ("dataFlowInfo", "name"), ("dataJobInfo", "name")):
            v = aspects.get(aspect, {}).get(key)
            if v:
                out[urn] = str(v)
                break
    return out


@click.command("reindex")
@click.option("--from-log", is_flag=True, help="Replay the whole MetadataChangeLog instead of reading current rows.")
@db_option
@json_option
def reindex(from_log: bool, db: Optional[str], as_json: bool) -> None:
    """Rebuild the search index beside the store (``<db>.index/``).

    \b
    Example:
        litemeta reindex --db meta.db
    """
    with translate_errors():
        with open_cli_store(db, read_only=True) as store:
            n = store.reindex(from_log=from_log)
            docs = store.search_follower.index.doc_count()
    if as_json:
        click.echo(json.dumps({"processed": n, "documents": docs, "fromLog": from_log}))
    else:
        click.echo(f"Reindexed {n:,} {'log records' if from_log else 'entities'}; the index holds {docs:,} documents.")
