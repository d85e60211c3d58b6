"""The ``litemeta`` command line, a thin layer over :class:`litemeta.MetadataStore`; may import anything, nothing imports it.

Each command lives in a module of this package and is loaded only when invoked, so that
``litemeta --help`` stays fast (heavy libraries are imported lazily).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Dict, List, Optional, Tuple

import click

from litemeta import __version__

# command name -> (module, attribute, one-line help). Help text is repeated here so that
# ``litemeta --help`` does not import every command module.
COMMANDS: Dict[str, Tuple[str, str, str]] = {
    "check": ("litemeta.cli.check", "check", "Validate metadata files; diff two of them."),
    "ingest": ("litemeta.cli.ingest", "ingest", "Ingest DataHub metadata files, folders, stdin or a recipe."),
    "get": ("litemeta.cli.read", "get", "Print an entity's aspects (latest, a version, or as of a time)."),
    "history": ("litemeta.cli.read", "history", "List every stored version of an aspect."),
    "exists": ("litemeta.cli.read", "exists", "Tell whether an entity exists."),
    "list-urns": ("litemeta.cli.read", "list_urns", "List the urns of existing entities."),
    "lineage": ("litemeta.cli.lineage", "lineage", "Walk lineage up or down from an entity; find a path."),
    "dump": ("litemeta.cli.dump", "dump", "Write the store as a DataHub metadata file (current or all versions)."),
    "timeline": ("litemeta.cli.timeline", "timeline", "Show an entity's change transactions and semantic versions."),
    "search": ("litemeta.cli.search", "search", "Ranked full-text search with facets and filters."),
    "reindex": ("litemeta.cli.search", "reindex", "Rebuild the search index from the store."),
    "log": ("litemeta.cli.log", "log", "Print or follow a topic (MCL, platform events, proposals, failures)."),
    "export": (
        "litemeta.cli.export",
        "export",
        "Export topics as Kafka log segments, Avro or JSON Lines (incremental with --group).",
    ),
    "replay": (
        "litemeta.cli.replay",
        "replay",
        "Produce an export or the store's topics to a real Kafka (litemeta[kafka]).",
    ),
    "push": (
        "litemeta.cli.push",
        "push",
        "Push the store's accepted proposals to a live DataHub over REST (litemeta[datahub]).",
    ),
    "watch": ("litemeta.cli.watch", "watch", "Ingest metadata files as they land in a folder (or once, for cron)."),
    "put": ("litemeta.cli.admin", "put", "Write one aspect of an entity from a JSON file or stdin."),
    "delete": ("litemeta.cli.admin", "delete", "Soft- or hard-delete entities or aspects by urn or filter; undo."),
    "runs": ("litemeta.cli.runs", "runs", "List ingestion runs, show what a run wrote, roll a run back."),
    "ls": ("litemeta.cli.admin", "ls", "Browse entity types, platforms and browse paths as folders."),
    "stats": ("litemeta.cli.admin", "stats", "Counts of entities, aspects, versions, topics and consumer lag."),
    "nuke": ("litemeta.cli.admin", "nuke", "Delete the store's files and its index folder."),
    "serve": ("litemeta.cli.serve", "serve", "Serve the store over DataHub's GMS HTTP API (litemeta[serve])."),
}


# DataHub's spellings of litemeta's commands (``datahub ingest list-runs`` is ``litemeta runs list``):
# ``litemeta ingest <word> ...`` with one of these words runs the named command instead of reading
# a file called <word> (a file of that name is still read as ``./<word>``).
INGEST_ALIASES: Dict[str, Tuple[str, ...]] = {
    "rollback": ("runs", "rollback"),
    "list-runs": ("runs", "list"),
    "show": ("runs", "show"),
    "mcps": ("ingest",),
    "run": ("ingest",),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def resolve_command(
        self, ctx: click.Context, args: List[str]
    ) -> Tuple[Optional[str], Optional[click.Command], List[str]]:
        if len(args) >= 2 and args[0] == "ingest" and args[1] in INGEST_ALIASES:
            path = INGEST_ALIASES[args[1]]
            cmd = self.get_command(ctx, path[0])
            for name in path[1:]:
                cmd = cmd.commands[name] if isinstance(cmd, click.Group) else None
            if cmd is not None:
                return f"ingest {args[1]}", cmd, list(args[2:])
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    def invoke(self, ctx: click.Context) -> Any:
        # One line for an error litemeta raised on purpose wherever it surfaces (a bad LITEMETA_*
        # value read before a command's own error handling, say), never a traceback.
        from litemeta.errors import LitemetaError

        try:
            return super().invoke(ctx)
        except LitemetaError as e:
            raise click.ClickException(str(e)) from e

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="litemeta")
@click.option(
    "--db",
    "db",
    default=None,
    metavar="PATH|URL",
    help="Store for the command (also accepted after the command name) [default: $LITEMETA_DB or ./litemeta.db].",
)
@click.option("-v", "--verbose", count=True, help="Log what litemeta does on stderr (-v: info; -vv or --debug: debug).")
@click.option("--debug", is_flag=True, help="Log everything on stderr, with timings (same as -vv).")
def main(db: Optional[str], verbose: int, debug: bool) -> None:
    """litemeta: DataHub's metadata service as an embedded library over SQLite.

    \b
    Example:
        litemeta ingest examples/sample.json
        litemeta --db other.db search "customer orders"

    \b
    Shell completion (bash; zsh and fish likewise, see click's docs):
        eval "$(_LITEMETA_COMPLETE=bash_source litemeta)"
    """
    if verbose or debug:
        import logging

        level = logging.DEBUG if debug or verbose > 1 else logging.INFO
        logging.basicConfig(
            level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("litemeta").setLevel(level)


def entry() -> None:
    """The ``litemeta`` command (and ``python -m litemeta``): :func:`main`, allowed to end the
    process without interpreter teardown once a command is done (:func:`common.finish`)."""
    from litemeta.cli import common

    common.STANDALONE = True
    main(prog_name="litemeta")
