"""The ``litemeta`` command line: a thin layer over :class:`litemeta.MetadataStore`.

Each command lives in a module of this package and is loaded only when invoked, so that
``litemeta --help`` stays fast (heavy libraries are imported lazily).
"""
from __future__ import annotations

import importlib
from typing import Dict, List, Optional, Tuple

import click

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
    "export": ("litemeta.cli.export", "export", "Export topics as Kafka log segments, Avro or JSON Lines (incremental with --group)."),
    "replay": ("litemeta.cli.replay", "replay", "Produce an export or the store's topics to a real Kafka (litemeta[kafka])."),
    "push": ("litemeta.cli.push", "push", "Push the store's accepted proposals to a live DataHub over REST (litemeta[datahub])."),
    "watch": ("litemeta.cli.watch", "watch", "Ingest metadata files as they land in a folder (or once, for cron)."),
    "put": ("litemeta.cli.admin", "put", "Write one aspect of an entity from a JSON file or stdin."),
    "delete": ("litemeta.cli.admin", "delete", "Soft- or hard-delete entities or aspects by urn or filter; undo."),
    "runs": ("litemeta.cli.admin", "runs", "List ingestion runs, show what a run wrote, roll a run back."),
    "ls": ("litemeta.cli.admin", "ls", "Browse entity types, platforms and browse paths as folders."),
    "stats": ("litemeta.cli.admin", "stats", "Counts of entities, aspects, versions, topics and consumer lag."),
    "nuke": ("litemeta.cli.admin", "nuke", "Delete the store's files and its index folder."),
    "serve": ("litemeta.cli.serve", "serve", "Serve the store over DataHub's GMS HTTP API (litemeta[serve])."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="litemeta")
def main() -> None:
    """litemeta: DataHub's metadata service as an embedded library over SQLite.

    \b
    Example:
        litemeta ingest examples/sample.json
        litemeta search "customer orders"
    """


def entry() -> None:
    """The ``litemeta`` command (and ``python -m litemeta``): :func:`main`, allowed to end the
    process without interpreter teardown once a command is done (:func:`common.finish`)."""
    from litemeta.cli import common

    common.STANDALONE = True
    main(prog_name="litemeta")

