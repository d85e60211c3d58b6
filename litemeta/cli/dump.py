"""``litemeta dump``: write the store as DataHub file-sink JSON (current state or full history)."""

from __future__ import annotations

import json
import sys
from typing import Optional

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import json_option, translate_errors
from litemeta.errors import os_problem


@click.command("dump")
@click.argument("file", metavar="FILE|-")
@click.option(
    "--all-versions",
    is_flag=True,
    help="Every stored version, oldest first, so that re-ingesting rebuilds the history.",
)
@click.option("--entity-type", default=None, help="Only entities of this type (e.g. dataset).")
@click.option(
    "--timeseries/--no-timeseries",
    default=True,
    show_default=True,
    help="Include the stored values of timeseries aspects.",
)
@db_option
@json_option
def dump(
    file: str, all_versions: bool, entity_type: Optional[str], timeseries: bool, db: Optional[str], as_json: bool
) -> None:
    """Dump the store as a DataHub metadata file (UPSERT MCPs with their systemMetadata).

    The file loads with `datahub ingest` (a `file` source) and with `litemeta ingest`. Key
    aspects are left out (DataHub rebuilds them from the urn) unless an entity has nothing else.
    Timeseries values follow the versioned aspects. FILE - writes to standard output.

    \b
    Examples:
        litemeta dump backup.json
        litemeta dump history.json --all-versions --entity-type dataset
        litemeta dump - | datahub ingest mcps /dev/stdin
    """
    from litemeta.views.dump import dump_file

    with translate_errors():
        with open_cli_store(db, read_only=True) as store:
            if file == "-":
                report = dump_file(
                    store, sys.stdout, all_versions=all_versions, entity_type=entity_type, timeseries=timeseries
                )
                sys.stdout.write("\n")
            else:
                try:
                    report = dump_file(
                        store, file, all_versions=all_versions, entity_type=entity_type, timeseries=timeseries
                    )
                except OSError as e:
                    raise click.ClickException(f"cannot write {file}: {os_problem(e)}") from e
    summary = {
        "file": file,
        "records": report.records,
        "entities": report.entities,
        "versioned": report.versioned,
        "timeseries": report.timeseries,
    }
    to_err = file == "-"
    if as_json:
        click.echo(json.dumps(summary), err=to_err)
    else:
        click.echo(
            f"Wrote {report.records:,} records ({report.versioned:,} versioned, "
            f"{report.timeseries:,} timeseries) of {report.entities:,} entities to {file}",
            err=to_err,
        )
