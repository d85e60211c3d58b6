"""``litemeta ingest -c RECIPE``: run a recipe, print the per-step summary, exit with its code.

Exit codes (design.md choice 10): 0 success; 1 when a step failed on a record (or warned, with
``--strict-warnings``); 2 for a bad recipe (a clear message, never a traceback).
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import click

from litemeta.cli.common import Progress
from litemeta.errors import ConfigurationError, LitemetaError


def run_recipe(
    recipe_path: str,
    *,
    db: Optional[str] = None,
    dry_run: bool = False,
    preview: Optional[int] = None,
    strict_warnings: bool = False,
    as_json: bool = False,
) -> None:
    """Run the recipe at ``recipe_path``; ``db`` overrides the store of the litemeta sink / bulk sink."""
    from litemeta.workflow.run import Pipeline

    try:
        with Progress("ingest") as bar:
            pipeline = Pipeline.create(recipe_path, db=db, dry_run=dry_run, preview=preview, progress=bar.update)
            pipeline.run()
    except ConfigurationError as e:
        click.echo(f"Error: {recipe_path}: {e}" if recipe_path not in str(e) else f"Error: {e}", err=True)
        sys.exit(2)
    except LitemetaError as e:  # e.g. the sink's store cannot be opened: one line, as every command says it
        click.echo(f"Error: {e}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(pipeline.summary(), default=str))
    else:
        click.echo(pipeline.pretty_summary())
    sys.exit(pipeline.exit_code(strict_warnings))
