"""The ``runs`` commands: list ingestion runs, show what a run wrote, roll a run back (DataHub's
``datahub ingest list-runs|show|rollback``, also spelled ``litemeta ingest list-runs|show|rollback``).
Each is a thin layer over :mod:`litemeta.views.admin` or the store."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime, timezone
from typing import Optional

import click

from litemeta.cli._store import db_option, open_existing_store, open_read_store
from litemeta.cli.common import echo_json, json_option, translate_errors


def _when(ms: Optional[int]) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


@click.group("runs")
def runs() -> None:
    """Ingestion runs: list them, show what a run wrote, roll a run back.

    A run is the systemMetadata.runId of the rows it wrote (set with `litemeta ingest --run-id`).

    \b
    Examples:
        litemeta runs list
        litemeta runs show --run-id nightly-42
        litemeta runs rollback --run-id nightly-42 --dry-run
    """


@runs.command("list")
@click.argument("page_offset", type=click.IntRange(min=0), default=0, required=False)
@click.argument("page_size", type=click.IntRange(min=1), default=None, required=False)
@click.option("--limit", type=int, default=None, help="Show at most N runs (newest first).")
@db_option
@json_option
def runs_list(
    page_offset: int, page_size: Optional[int], limit: Optional[int], db: Optional[str], as_json: bool
) -> None:
    """List the runs that wrote the current aspects, newest first (`datahub ingest list-runs
    [PAGE_OFFSET] [PAGE_SIZE]`: skip PAGE_OFFSET runs, show PAGE_SIZE).

    \b
    Examples:
        litemeta runs list --json
        litemeta ingest list-runs 0 10
    """
    from litemeta.views import admin

    size = page_size if page_size is not None else limit
    with translate_errors():
        with open_read_store(db) as store:
            rows = admin.runs(store)[page_offset : None if size is None else page_offset + size]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no runs")
        return
    click.echo(f"{'run id':<40} {'aspects':>8}  {'first write':<25} last write")
    for r in rows:
        click.echo(f"{r['runId']:<40} {r['rows']:>8}  {_when(r['first']):<25} {_when(r['last'])}")


@runs.command("show")
@click.option("--run-id", required=True, help="The run.")
@click.option("-a", "--show-aspect", is_flag=True, help="Print the aspect values too.")
@click.option("--start", type=int, default=0, show_default=True, help="Skip the first N rows.")
@click.option("--count", type=int, default=None, help="Show at most N rows.")
@db_option
@json_option
def runs_show(
    run_id: str, show_aspect: bool, start: int, count: Optional[int], db: Optional[str], as_json: bool
) -> None:
    """Show the current aspects a run wrote (`datahub ingest show`).

    \b
    Example:
        litemeta runs show --run-id nightly-42 -a
    """
    with translate_errors():
        with open_read_store(db) as store:
            total, entities, page = store.run_page(run_id, start, count)
            if show_aspect and page:  # the values of the rows shown only
                current = store.latest_many(sorted({r.urn for r in page}), sorted({r.aspect for r in page}))
                page = [replace(r, value=current.get(r.urn, {}).get(r.aspect)) for r in page]
    if not total:
        raise click.ClickException(f"run {run_id} wrote no current aspects (see `litemeta runs list`)")
    if as_json:
        echo_json(
            {
                "runId": run_id,
                "total": total,
                "entities": entities,
                "rows": [
                    {
                        "urn": r.urn,
                        "aspect": r.aspect,
                        "createdOn": r.created_on,
                        "createdBy": r.created_by,
                        **({"value": r.value} if show_aspect else {}),
                    }
                    for r in page
                ],
            }
        )
        return
    click.echo(f"run {run_id}: {total} aspects of {entities} entities")
    for r in page:
        click.echo(f"  {r.urn}  {r.aspect}  {_when(r.created_on)}")
        if show_aspect:
            click.echo("    " + json.dumps(r.value, ensure_ascii=False))


@runs.command("rollback")
@click.option("--run-id", required=True, help="The run to undo.")
@click.option("-n", "--dry-run", is_flag=True, help="Report what would change; change nothing.")
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@db_option
@json_option
def runs_rollback(run_id: str, dry_run: bool, force: bool, db: Optional[str], as_json: bool) -> None:
    """Undo a run (`datahub ingest rollback`): each aspect the run wrote goes back to its last
    value from another run, or is deleted when there is none (R1.34); entities the run created
    are deleted; the run's timeseries rows are removed.

    \b
    Examples:
        litemeta runs rollback --run-id nightly-42 --dry-run
        litemeta runs rollback --run-id nightly-42 --force --json
    """
    with translate_errors():
        with open_existing_store(db) as store:
            n = len(store.run_rows(run_id))
            if n and not (force or dry_run):
                click.confirm(
                    f"This will roll back {n} aspects written by run {run_id}. Do you want to continue?",
                    abort=True,
                    err=True,
                )
            report = store.rollback(run_id, dry_run=dry_run)
            if not dry_run:
                store.sync_followers()
    if as_json:
        echo_json(report)
    else:
        head = "Dry run: would roll back" if dry_run else "Rolled back"
        click.echo(
            f"{head} run {run_id}: {report['aspects']} aspects, {report['entitiesDeleted']} entities deleted, "
            f"{report['timeseriesRows']} timeseries rows removed"
        )
        for c in report["changes"][:100]:
            click.echo(f"  {c.get('action', ''):<16} {c.get('urn', '')}  {c.get('aspect', '')}")
        if len(report["changes"]) > 100:
            click.echo(f"  ... and {len(report['changes']) - 100} more (use --json for all)")
    if not report["aspects"] and not report["timeseriesRows"]:
        click.echo(f"run {run_id} wrote nothing that is still current (see `litemeta runs list`)", err=True)
        sys.exit(1)
