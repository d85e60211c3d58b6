"""``litemeta lineage``: walk lineage up or down from an entity, or find a path (``datahub lineage``)."""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import click

from litemeta.cli._store import db_option, open_read_store
from litemeta.cli.common import json_option, translate_errors

FORMATS = ("table", "json", "dot", "mermaid")


def _graph(store: Any) -> Any:
    """The lineage graph: a SQLite store's is kept beside it while the change log has not moved
    (:func:`litemeta.views.graph.cached_graph`); another database's is built from one scan."""
    from litemeta.views.graph import cached_graph, load_graph

    return cached_graph(store) if hasattr(store, "log_mark") else load_graph(store)


def _load(db: Optional[str]) -> Any:
    """Open the store read-only and build the lineage graph; return (store, graph)."""
    store = open_read_store(db)
    try:
        return store, _graph(store)
    except BaseException:
        store.close()
        raise


def _check_known(store: Any, graph: Any, node: str, urn: str) -> None:
    if not graph.has_node(node) and not store.exists(urn):
        raise click.ClickException(f"urn {urn} not found in the store")


@click.group("lineage", invoke_without_command=True)
@click.option("--urn", default=None, help="The entity to trace lineage for.")
@click.option(
    "--direction",
    type=click.Choice(["upstream", "downstream"]),
    default="upstream",
    show_default=True,
    help="Which way to walk.",
)
@click.option(
    "--hops",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Maximum hops: 1, 2, or 3 and more for unlimited (DataHub's rule).",
)
@click.option("--column", default=None, help="Field-level lineage of this column (fineGrainedLineages, inputFields).")
@click.option("--count", type=click.IntRange(min=1), default=100, show_default=True, help="Maximum number of results.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table, json, dot (Graphviz) or mermaid (flowchart).",
)
@json_option
@db_option
@click.pass_context
def lineage(
    ctx: click.Context,
    urn: Optional[str],
    direction: str,
    hops: int,
    column: Optional[str],
    count: int,
    fmt: str,
    as_json: bool,
    db: Optional[str],
) -> None:
    """Explore lineage: the entities upstream or downstream of an entity.

    Edges come from every lineage aspect of DataHub's model (upstreamLineage, dataJobInputOutput,
    chartInfo and dashboardInfo inputs, inputFields, ...), read in one scan. --hops 1 and 2 are
    exact, 3 or more means the whole graph, as in `datahub lineage`. Soft-deleted entities are
    listed and marked "(removed)". --format dot writes Graphviz, --format mermaid a flowchart.

    \b
    Examples:
        litemeta lineage --urn "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)"
        litemeta lineage --urn "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)" \\
            --direction downstream --hops 2 --format mermaid
        litemeta lineage --urn "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)" --column customer_id
        litemeta lineage path --from URN --to URN
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is not None:
        return
    if not urn:
        click.echo(ctx.get_help())
        ctx.exit(2)
    assert urn is not None
    from litemeta.views.graph import render, traverse
    from litemeta.views.lineage_edges import schema_field_urn

    fmt = "json" if as_json else fmt
    with translate_errors():
        with open_read_store(db) as store:
            start = schema_field_urn(urn, column) if column else urn
            max_hops = None if hops >= 3 else hops
            graph = _graph(store)
            _check_known(store, graph, start, urn)
            result = traverse(graph, start, direction, max_hops, count)
    click.echo(render(result, fmt, hops, count))


@lineage.command("path")
@click.option("--from", "from_urn", required=True, help="Source entity urn.")
@click.option("--to", "to_urn", required=True, help="Target entity urn.")
@click.option("--from-column", default=None, help="Source column (field-level path).")
@click.option("--to-column", default=None, help="Target column (field-level path).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table, json, dot or mermaid.",
)
@json_option
@db_option
@click.pass_context
def path(
    ctx: click.Context,
    from_urn: str,
    to_urn: str,
    from_column: Optional[str],
    to_column: Optional[str],
    fmt: str,
    as_json: bool,
    db: Optional[str],
) -> None:
    """Find the shortest lineage path between two entities (either direction); exit 1 if none.

    \b
    Example:
        litemeta lineage path --from "urn:li:dataset:(urn:li:dataPlatform:hive,raw.orders,PROD)" \\
            --to "urn:li:dashboard:(looker,sales)"
    """
    from litemeta.views.graph import render_path, shortest_path
    from litemeta.views.lineage_edges import schema_field_urn

    fmt = "json" if as_json else fmt
    db = db if db is not None else (ctx.obj or {}).get("db")
    with translate_errors():
        store, graph = _load(db)
        with store:
            src = schema_field_urn(from_urn, from_column) if from_column else from_urn
            dst = schema_field_urn(to_urn, to_column) if to_column else to_urn
            _check_known(store, graph, src, from_urn)
            _check_known(store, graph, dst, to_urn)
            found = shortest_path(graph, src, dst)
    if found is None:
        if fmt == "json":
            click.echo(json.dumps({"from": src, "to": dst, "found": False}))
        else:
            click.echo("No path found between the two entities.")
        sys.exit(1)
    click.echo(render_path(found, fmt))
