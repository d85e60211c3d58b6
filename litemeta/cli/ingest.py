"""``litemeta ingest``: read DataHub metadata files (or a recipe) into the store."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Sequence, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import Progress, finish, json_option, translate_errors
from litemeta.errors import printable


@click.command("ingest")
@click.argument("paths", nargs=-1, type=str)
@click.option(
    "-c",
    "--config",
    "recipe",
    type=click.Path(dir_okay=False),
    default=None,
    help="Run a recipe (source → transformers → sink) instead of reading PATHS.",
)
@db_option
@click.option(
    "--run-id", default=None, help="Override systemMetadata.runId of every record (the file's own is kept otherwise)."
)
@click.option("--actor", default=None, help="Actor urn of the audit stamps [default: urn:li:corpuser:datahub].")
@click.option("-n", "--dry-run", is_flag=True, help="Validate and apply in a transaction that is rolled back.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first batch with a failed record.")
@click.option("--batch-size", type=int, default=None, help="Proposals per transaction [default: 3000].")
@click.option("--preview", type=int, default=None, help="Recipe only: process only the first N records.")
@click.option("--strict-warnings", is_flag=True, help="Recipe only: exit non-zero on warnings too.")
@json_option
def ingest(
    paths: Tuple[str, ...],
    recipe: Optional[str],
    db: Optional[str],
    run_id: Optional[str],
    actor: Optional[str],
    dry_run: bool,
    fail_fast: bool,
    batch_size: Optional[int],
    preview: Optional[int],
    strict_warnings: bool,
    as_json: bool,
) -> None:
    """Ingest DataHub file-sink JSON, JSON Lines, folders, stdin (-) or exported topics.

    Accepts MCPs (aspect.json or aspect.value), PATCH, DELETE and legacy MCE snapshots. Invalid
    records go to FailedMetadataChangeProposal_v1 and the report; the rest are written. Exit code 1
    when any record failed.

    \b
    Examples:
        litemeta ingest examples/sample.json
        litemeta ingest --db meta.db exports/ --run-id nightly-42 --json
        litemeta ingest -c recipe.yml
    """
    if recipe:
        from litemeta.cli.recipe import run_recipe

        run_recipe(recipe, db=db, dry_run=dry_run, preview=preview, strict_warnings=strict_warnings, as_json=as_json)
        return
    if not paths:
        raise click.UsageError("give at least one PATH (a file, a folder or - for stdin), or -c RECIPE")
    from litemeta.sources.files import watch_reads

    total = input_bytes(paths)
    with translate_errors():
        with open_cli_store(db) as store, Progress("ingest", unit="B" if total else "records", total=total) as bar:
            done: Dict[str, int] = {}

            def read_to(path: str, position: int) -> None:  # the bar follows the bytes read
                done[path] = position
                bar.moveto(sum(done.values()))

            def records(n: int) -> None:
                if total:
                    bar.count += n
                    bar.note(f"{bar.count:,} records")
                else:
                    bar.update(n)

            with watch_reads(read_to):
                report = store.ingest(
                    list(paths),
                    run_id=run_id,
                    dry_run=dry_run,
                    fail_fast=fail_fast,
                    batch_size=batch_size,
                    progress=records,
                    actor=actor,
                )
            store.sync_followers(wait=False)  # an existing search index sees this ingest's writes
    _print_report(report, as_json, dry_run)
    finish(1 if report.failed else 0)


def input_bytes(paths: Sequence[str]) -> Optional[int]:
    """Bytes of the metadata files under ``paths`` (a folder's ``.json``/``.jsonl`` files, as the
    reader takes them), or None when a size is unknown (stdin, an exported topic folder)."""
    import os

    total = 0
    for path in paths:
        if os.path.isfile(path):
            total += os.path.getsize(path)
        elif os.path.isdir(path) and not any(os.path.isdir(os.path.join(path, n)) for n in os.listdir(path)):
            total += sum(
                os.path.getsize(os.path.join(path, n))
                for n in os.listdir(path)
                if n.endswith((".json", ".jsonl")) and os.path.isfile(os.path.join(path, n))
            )
        else:
            return None
    return total or None


def _print_report(report: Any, as_json: bool, dry_run: bool) -> None:
    d = report.as_dict()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "records": d["records"],
                    "written": d["written"],
                    "unchanged": d["unchanged"],
                    "failed": d["failed"],
                    "seconds": d["seconds"],
                    "errors": d["errors"],
                    "proposals": d["proposals"],
                    "mcl": d["mcl"],
                    "platformEvents": d["platformEvents"],
                    "warnings": len(d["warnings"]),
                    "dryRun": dry_run,
                }
            )
        )
        return
    rate = d["records"] / d["seconds"] if d["seconds"] else 0.0
    click.echo(
        ("Dry run (nothing written): " if dry_run else "")
        + f"{d['records']:,} records ({d['proposals']:,} proposals) in {d['seconds']:.2f}s ({rate:,.0f} records/s)"
    )
    click.echo(f"  written:   {d['written']:,}")
    click.echo(f"  unchanged: {d['unchanged']:,}")
    click.echo(f"  failed:    {d['failed']:,}" + (f"  {d['failedByReason']}" if d["failed"] else ""))
    click.echo(f"  MCLs appended: {d['mcl']:,}; platform events: {d['platformEvents']:,}")
    if d["warnings"]:
        click.echo(f"  warnings:  {len(d['warnings']):,} (e.g. {d['warnings'][0]['message']})")
    for e in d["errors"][:20]:
        where = e.get("file") or "<input>"
        if e.get("index") is not None:
            where += f"#{e['index']}"
        if e.get("position"):
            where += f" ({e['position']})"
        detail = printable(" ".join(str(e[k]) for k in ("urn", "aspect", "path") if e.get(k)))
        click.echo(f"  ✗ {where}{' ' + detail if detail else ''}: {e.get('message')}", err=True)
    if len(d["errors"]) > 20:
        click.echo(f"  ... and {len(d['errors']) - 20} more (use --json for all)", err=True)
