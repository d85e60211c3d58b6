"""``litemeta check metadata-diff``: compare two metadata files by urn and aspect (``datahub check metadata-diff``)."""

from __future__ import annotations

import json
import sys
from typing import Tuple

import click

from litemeta.cli.common import json_option


class _InputProblem(click.ClickException):
    """An unreadable or invalid input file: exit code 2, as diff(1) does."""

    exit_code = 2


@click.command("metadata-diff")
@click.argument("actual", type=click.Path(exists=True, readable=True))
@click.argument("expected", type=click.Path(exists=True, readable=True))
@click.option(
    "--ignore-path",
    "ignore_paths",
    multiple=True,
    help="Ignore differences under this path (repeatable): DataHub's DeepDiff regex "
    r"(root\[\d+\]\['aspect'\]\['json'\]\['x'\]) or a dotted path into the aspect (x.y, * for any item).",
)
@click.option(
    "--system-metadata",
    is_flag=True,
    help="Also compare systemMetadata (DataHub does not; lastObserved, runId, lastRunId stay ignored).",
)
@click.option("-v", "--verbose", is_flag=True, help="Print the added, removed and changed aspect values.")
@json_option
def metadata_diff(
    actual: str, expected: str, ignore_paths: Tuple[str, ...], system_metadata: bool, verbose: bool, as_json: bool
) -> None:
    """Compare two metadata files, ignoring record order and list order; exit 1 if they differ.

    Records are matched by urn and aspect, as DataHub's MCPDiff does, with DataHub's default
    ignore paths (timestampMillis, lastUpdatedTimestamp, created, lastModified, auditStamp.time...).
    "Added" means in ACTUAL only, "removed" in EXPECTED only. Legacy MCEs are expanded into their
    aspects. Exit codes: 0 equal, 1 different, 2 unreadable input.

    \b
    Examples:
        litemeta check metadata-diff output.json golden.json
        litemeta check metadata-diff out.json golden.json --ignore-path customProperties.run_at --json
    """
    from litemeta.errors import LitemetaError
    from litemeta.views.diff import diff_files

    try:
        result = diff_files(actual, expected, ignore_paths, with_system_metadata=system_metadata)
    except LitemetaError as e:
        raise _InputProblem(str(e)) from e
    if as_json:
        click.echo(json.dumps(result.as_dict(verbose), ensure_ascii=False, indent=2))
    else:
        click.echo(result.pretty(verbose))
    sys.exit(1 if result else 0)
