"""``litemeta check``: validate metadata files without writing anything (DataHub's ``datahub check``).

litemeta check metadata-file mce_files/ out.json -
"""

from __future__ import annotations

import json
from typing import Any, Dict, Tuple

import click

from litemeta.cli.common import Progress, json_option, translate_errors
from litemeta.cli.diff import metadata_diff
from litemeta.errors import printable


@click.group()
def check() -> None:
    """Validate metadata files.

    \b
    Example:
        litemeta check metadata-file examples/sample.json
    """


@check.command("metadata-file")
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR|- ...")
@json_option
def metadata_file(paths: Tuple[str, ...], as_json: bool) -> None:
    """Check that every record of DataHub file-sink JSON files is valid.

    Reads JSON arrays (streamed, any size), single objects, JSON Lines, folders of *.json and
    *.jsonl files, and standard input (-). Each record is parsed and validated against DataHub's
    model (urn, entity, aspect, change type, Avro schema, systemMetadata) as `litemeta ingest`
    would, but nothing is written. Structured property values are checked against the
    definitions written earlier in the same input. What depends on a store's content (PATCH
    results, CREATE conflicts, conditional headers) is checked by ingest only. Prints each
    invalid record and a summary; exits with 1 if any record is invalid or a part is unreadable.

    \b
    Examples:
        litemeta check metadata-file mces.json
        litemeta check metadata-file exports/ --json
        datahub ingest ... | litemeta check metadata-file -
    """
    from litemeta.views.check import check_paths

    with translate_errors(), Progress("checked") as bar:
        summary = check_paths(paths, on_error=None if as_json else _echo_line, progress=bar.update)
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(f"{summary['records']:,} records: {summary['valid']:,} valid, {summary['invalid']:,} invalid")
    if summary["invalid"] or summary["errors"]:
        raise SystemExit(1)


def _echo_line(d: Dict[str, Any]) -> None:
    """One line per error: ``file#index urn aspect at path: [position: ]message``."""
    where = f"{d['file'] or '<input>'}#{d['index'] if d['index'] is not None else '?'}"
    parts = [where]
    if d.get("urn"):
        parts.append(printable(d["urn"]))
    if d.get("aspect"):
        parts.append(f"aspect {d['aspect']}")
    if d.get("path"):
        parts.append(f"at {d['path']}")
    position = f"{d['position']}: " if d.get("position") else ""
    click.echo(" ".join(parts) + ": " + position + d["message"])


check.add_command(metadata_diff)  # `litemeta check metadata-diff` (cli/diff.py)
