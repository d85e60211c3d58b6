"""Administration commands: ``put``, ``delete`` (and ``delete undo-by-filter``), ``ls``, ``stats`` and
``nuke`` (DataHub's ``datahub put/delete`` and DataHub Lite's ``ls``/``nuke``). Each is a thin layer
over :mod:`litemeta.views.admin` (``ls``: :mod:`litemeta.views.browse`) or the store. The ``runs``
commands are in :mod:`litemeta.cli.runs`."""

from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click

from litemeta.cli._options import PositionalUrnsCommand, PositionalUrnsGroup, pick_urn, urn_argument
from litemeta.cli._store import db_option, open_cli_store, open_existing_store, open_read_store
from litemeta.cli.common import echo_json, json_option, translate_errors


# ------------------------------------------------------------------------------------------ put
@click.command("put")
@urn_argument()
@click.option("-a", "--aspect", required=True, help="The aspect name (e.g. globalTags).")
@click.option(
    "-d",
    "--aspect-data",
    "data",
    required=True,
    metavar="FILE|-",
    help="A JSON file with the aspect value (a JSON Patch array for --change-type patch), or - for stdin.",
)
@click.option(
    "--change-type",
    type=click.Choice(["upsert", "patch", "create"], case_sensitive=False),
    default="upsert",
    show_default=True,
    help="UPSERT the value, PATCH it, or CREATE it (fails if it exists).",
)
@click.option("--run-id", default=None, help="systemMetadata.runId of the write (for `litemeta runs`).")
@click.option("--actor", default=None, help="Actor urn of the audit stamp [default: urn:li:corpuser:datahub].")
@db_option
@json_option
def put(
    urn_arg: Optional[str],
    urn: Optional[str],
    aspect: str,
    data: str,
    change_type: str,
    run_id: Optional[str],
    actor: Optional[str],
    db: Optional[str],
    as_json: bool,
) -> None:
    """Write one aspect of an entity (DataHub's `datahub put`).

    The write goes through the same path as `litemeta ingest`: validated against DataHub's
    model, versioned, journaled and announced by a MetadataChangeLog. Exit code 1 when the
    proposal is rejected.

    \b
    Examples:
        litemeta put --urn "urn:li:corpuser:alice" -a corpUserInfo -d alice.json
        litemeta put "urn:li:corpuser:alice" -a corpUserInfo -d alice.json
        echo '{"removed": false}' | litemeta put --urn "urn:li:corpuser:alice" -a status -d -
        litemeta put --urn "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)" -a globalTags \\
            --change-type patch -d tag-patch.json
    """
    from litemeta.model.proposal import Origin, Proposal

    urn = pick_urn(urn_arg, urn)
    value = _read_json(data)
    sm = {"runId": run_id} if run_id else None
    p = Proposal(
        urn, aspect, change_type.upper(), value, system_metadata=sm, origin=Origin("-" if data == "-" else data, 0)
    )
    with translate_errors():
        with open_cli_store(db) as store:
            report = store.ingest([p], actor=actor)
            store.sync_followers()
    d = report.as_dict()
    if as_json:
        echo_json(
            {
                "urn": urn,
                "aspect": aspect,
                "changeType": change_type.upper(),
                "written": d["written"],
                "unchanged": d["unchanged"],
                "failed": d["failed"],
                "errors": d["errors"],
                "warnings": d["warnings"],
            }
        )
    elif report.failed:
        for e in d["errors"]:
            click.echo(f"rejected: {e.get('message')}", err=True)
    else:
        state = "written" if report.written else "unchanged (same value)"
        click.echo(f"{aspect} of {urn}: {state}")
        for w in d["warnings"]:
            click.echo(f"warning: {w.get('message')}", err=True)
    if report.failed:
        sys.exit(1)


def _read_json(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8-sig").read()
    except OSError as e:
        raise click.ClickException(f"cannot read {source}: {e.strerror or e}") from None
    from litemeta.model.jsontext import std_loads

    try:
        return std_loads(text)
    except ValueError as e:
        raise click.ClickException(f"{'<stdin>' if source == '-' else source}: not valid JSON: {e}") from None


# ------------------------------------------------------------------------------------------ delete
def _read_urn_file(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise click.ClickException(f"cannot read urn file {path}: {e.strerror or e}") from None
    return [s for s in (ln.strip().strip('"') for ln in lines) if s and not s.startswith("#")]


def _selection_options(f: Any) -> Any:
    for opt in reversed(
        [
            click.option("--urn", "urns", multiple=True, help="An entity urn (repeatable)."),
            click.option("--urn-file", type=str, default=None, help="A file with one urn per line."),
            click.option("--entity-type", default=None, help="Only entities of this type (e.g. dataset)."),
            click.option(
                "-p",
                "--platform",
                default=None,
                help="Only entities of this platform (hive or urn:li:dataPlatform:hive).",
            ),
            click.option("-e", "--env", default=None, help="Only entities of this environment (PROD, DEV...)."),
            click.option("--query", default=None, help="Only entities matching this full-text search query."),
            click.option("-n", "--dry-run", is_flag=True, help="Show what would change; change nothing."),
            click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation."),
        ]
    ):
        f = opt(f)
    return f


def _gather_urns(urns: Sequence[str], urn_file: Optional[str], filters: Dict[str, Optional[str]]) -> List[str]:
    given = list(urns) + (_read_urn_file(urn_file) if urn_file else [])
    used = [k for k, v in filters.items() if v]
    if (urns or urn_file) and used:
        raise click.UsageError(f"give urns or filters, not both (found --urn and {', '.join('--' + u for u in used)})")
    if urn_file and not given:
        raise click.ClickException(f"urn file {urn_file} holds no urns")
    if not given and not used:
        raise click.UsageError(
            "give --urn, --urn-file or at least one filter (--entity-type, -p/--platform, -e/--env, --query)"
        )
    return given


def _confirm(urns: Sequence[str], verb: str, force: bool, dry_run: bool) -> None:
    if force or dry_run or len(urns) <= 1:
        return
    from litemeta.model.urns import entity_type_of

    by_type: Dict[str, int] = {}
    for u in urns:
        by_type[entity_type_of(u)] = by_type.get(entity_type_of(u), 0) + 1
    click.echo(f"Found {len(urns)} entities: " + ", ".join(f"{n} {t}" for t, n in sorted(by_type.items())), err=True)
    for u in list(urns)[:5]:
        click.echo(f"  {u}", err=True)
    if len(urns) > 5:
        click.echo(f"  ... and {len(urns) - 5} more", err=True)
    click.confirm(f"This will {verb} {len(urns)} entities. Do you want to continue?", abort=True, err=True)


_VERBS = {"soft": "soft-delete", "hard": "hard-delete", "aspect": "delete the aspect of", "undo": "restore"}
_DONE = {"soft": "Soft-deleted", "hard": "Hard-deleted", "aspect": "Deleted", "undo": "Restored"}


def _print_delete(report: Any, as_json: bool) -> None:
    d = report.as_dict()
    if as_json:
        echo_json(d)
    else:
        verb = _VERBS[report.mode] + (f" ({report.aspect})" if report.aspect else "")
        n = len(report.urns)
        if report.dry_run:
            click.echo(
                f"Dry run: would {verb} {n} entities ({report.changed} would change, {report.unchanged} already so)"
            )
            for u in report.urns[:100]:
                click.echo(f"  {u}")
            if n > 100:
                click.echo(f"  ... and {n - 100} more (use --json for all)")
        else:
            click.echo(
                f"{_DONE[report.mode]}{f' {report.aspect} of' if report.aspect else ''} {n} entities "
                f"({report.changed} changed, "
                f"{report.unchanged} already so, {report.failed} failed)"
            )
        if report.mode in ("hard", "aspect"):
            click.echo(
                f"  rows{' that would be' if report.dry_run else ''} removed: {report.rows:,} versioned, "
                f"{report.timeseries_rows:,} timeseries"
            )
        for u, why in report.skipped:
            click.echo(f"  skipped {u}: {why}", err=True)
        for u in report.not_found:
            click.echo(f"  not found: {u}", err=True)
        for e in d["errors"]:
            click.echo(f"  ✗ {e.get('urn')} {e.get('aspect')}: {e.get('message')}", err=True)
    if report.failed or report.not_found:
        sys.exit(1)


@click.group("delete", cls=PositionalUrnsGroup, invoke_without_command=True)
@_selection_options
@click.option("-a", "--aspect", default=None, help="Delete only this aspect (and its history); implies --hard.")
@click.option(
    "--soft/--hard",
    "soft",
    default=None,
    help="Soft delete (status removed=true, reversible; the default) or hard delete (remove every row).",
)
@click.option("--only-soft-deleted", is_flag=True, help="Hard delete only entities that are soft-deleted.")
@db_option
@json_option
@click.pass_context
def delete(
    ctx: click.Context,
    urns: Tuple[str, ...],
    urn_file: Optional[str],
    entity_type: Optional[str],
    platform: Optional[str],
    env: Optional[str],
    query: Optional[str],
    dry_run: bool,
    force: bool,
    aspect: Optional[str],
    soft: Optional[bool],
    only_soft_deleted: bool,
    db: Optional[str],
    as_json: bool,
) -> None:
    """Delete entities by urn or by filter (DataHub's `datahub delete`).

    A soft delete (the default) writes status {removed: true}: the entity is hidden from ls,
    search and lineage and can be restored with `litemeta delete undo-by-filter`. --hard deletes
    the key aspect, which removes every row of the entity (R1.35); -a ASPECT deletes one aspect
    and its history. Every change is an ordinary write: journaled on the MCP topic, announced by
    a MetadataChangeLog. Asks for confirmation when more than one entity is selected.

    \b
    Examples:
        litemeta delete --urn "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"
        litemeta delete "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)" --hard
        litemeta delete --platform hive --env DEV --dry-run
        litemeta delete --entity-type dataset --platform hive --hard --force
        litemeta delete --urn "urn:li:corpuser:alice" -a corpUserEditableInfo
        litemeta delete undo-by-filter --platform hive
    """
    if ctx.invoked_subcommand is not None:
        return
    from litemeta.views import admin

    given = _gather_urns(urns, urn_file, {"entity-type": entity_type, "platform": platform, "env": env, "query": query})
    if aspect and soft:
        raise click.UsageError("an aspect cannot be soft-deleted; drop --soft (-a implies --hard)")
    mode = admin.ASPECT if aspect else (admin.HARD if soft is False else admin.SOFT)
    if only_soft_deleted and mode == admin.SOFT:
        raise click.UsageError("--only-soft-deleted needs --hard")
    removed = False if mode == admin.SOFT else (True if only_soft_deleted else None)
    _select_and_delete(
        db,
        given,
        dict(entity_type=entity_type, platform=platform, env=env, query=query),
        removed,
        mode,
        aspect,
        "Found no entities to delete; maybe change the filters.",
        force,
        dry_run,
        as_json,
    )


@delete.command("undo-by-filter", cls=PositionalUrnsCommand)
@_selection_options
@db_option
@json_option
def undo_by_filter(
    urns: Tuple[str, ...],
    urn_file: Optional[str],
    entity_type: Optional[str],
    platform: Optional[str],
    env: Optional[str],
    query: Optional[str],
    dry_run: bool,
    force: bool,
    db: Optional[str],
    as_json: bool,
) -> None:
    """Restore soft-deleted entities: write status {removed: false}.

    With filters, only soft-deleted entities are selected. Asks for confirmation when more than
    one entity is selected.

    \b
    Examples:
        litemeta delete undo-by-filter --urn "urn:li:corpuser:alice"
        litemeta delete undo-by-filter --platform hive --dry-run
    """
    from litemeta.views import admin

    given = _gather_urns(urns, urn_file, {"entity-type": entity_type, "platform": platform, "env": env, "query": query})
    _select_and_delete(
        db,
        given,
        dict(entity_type=entity_type, platform=platform, env=env, query=query),
        True,
        admin.UNDO,
        None,
        "Found no soft-deleted entities to restore; maybe change the filters.",
        force,
        dry_run,
        as_json,
    )


def _select_and_delete(
    db: Optional[str],
    given: Any,
    filters: Dict[str, Optional[str]],
    removed: Optional[bool],
    mode: str,
    aspect: Optional[str],
    none_found: str,
    force: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Select the entities (given urns, or the filters restricted to ``removed``), confirm, apply ``mode``."""
    from litemeta.views import admin

    with translate_errors():
        with open_existing_store(db) as store:
            chosen = admin.select(store, urns=given, removed=None if given else removed, **filters)
            if not chosen.urns and not chosen.not_found:
                click.echo(none_found, err=True)
                if as_json:
                    echo_json(admin.DeleteReport(mode, dry_run, (), aspect).as_dict())
                return
            _confirm(chosen.urns, _VERBS[mode], force, dry_run)
            report = admin.delete_entities(
                store, chosen.urns, mode=mode, aspect=aspect, dry_run=dry_run, not_found=chosen.not_found
            )
    _print_delete(report, as_json)


# ------------------------------------------------------------------------------------------ ls
@click.command("ls")
@click.argument("path", default="/", required=False)
@click.option("--include-removed", is_flag=True, help="Show soft-deleted entities too.")
@db_option
@json_option
def ls(path: str, include_removed: bool, db: Optional[str], as_json: bool) -> None:
    """Browse the store as folders: entity types, platforms, browse paths, entities.

    `/` lists entity types, `/<entityType>` its platforms (and entities without one),
    `/<entityType>/<platform>/<folder>...` walks browsePathsV2 down to entities. Folders end
    with `/` and show how many entities are below them. Soft-deleted entities are hidden unless
    --include-removed.

    \b
    Examples:
        litemeta ls
        litemeta ls /dataset/hive
        litemeta ls /dataset/hive/db --json
    """
    from litemeta.views import browse

    with translate_errors():
        with open_read_store(db) as store:
            listing = browse.ls(store, path, include_removed=include_removed)
    if as_json:
        echo_json(listing.as_dict())
        return
    twice = {
        n
        for n in (e.name for e in listing.entries if e.kind == "folder")
        if sum(1 for x in listing.entries if x.kind == "folder" and x.name == n) > 1
    }
    for e in listing.entries:
        if e.kind != "folder":
            click.echo(e.name)
        else:  # a container's urn only where two folders share a name
            click.echo(f"{e.name}/  ({e.count})" + (f"  {e.urn}" if e.name in twice and e.urn else ""))


# ------------------------------------------------------------------------------------------ stats
@click.command("stats")
@db_option
@json_option
def stats(db: Optional[str], as_json: bool) -> None:
    """Print store statistics: entities by type, aspects and versions, timeseries rows, topic
    sizes, consumer-group lag, runs.

    \b
    Example:
        litemeta stats --json
    """
    from litemeta.views import admin

    with translate_errors():
        with open_read_store(db) as store:
            s = admin.stats(store)
    if as_json:
        echo_json(s)
        return
    click.echo(f"store: {s['store']}")
    click.echo(
        f"entities: {s['entitiesTotal']:,}"
        + (f" ({sum(s['softDeleted'].values()):,} soft-deleted)" if s["softDeleted"] else "")
    )
    for et, n in s["entities"].items():
        soft = s["softDeleted"].get(et)
        click.echo(f"  {et:<32} {n:>10,}" + (f"  ({soft:,} soft-deleted)" if soft else ""))
    click.echo(f"aspects: {s['currentAspects']:,} current, {s['versions']:,} versions in all")
    for a, c in s["aspects"].items():
        click.echo(f"  {a:<32} {c['current']:>10,} current {c['archived']:>10,} archived")
    if s["timeseries"]:
        click.echo(f"timeseries rows: {s['timeseriesRows']:,}")
        for a, n in s["timeseries"].items():
            click.echo(f"  {a:<32} {n:>10,}")
    click.echo("topics:")
    for t, n in s["topics"].items():
        click.echo(f"  {t:<40} {n:>10,} records")
    if s["consumerGroups"]:
        click.echo("consumer groups (lag):")
        for g, d in s["consumerGroups"].items():
            detail = ", ".join(f"{t}={n}" for t, n in d["lag"].items() if n)
            click.echo(f"  {g:<32} {d['totalLag']:>10,}" + (f"  ({detail})" if detail else ""))
    click.echo(f"runs: {s['runs']:,}")


# ------------------------------------------------------------------------------------------ nuke
@click.command("nuke")
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@db_option
@json_option
def nuke(force: bool, db: Optional[str], as_json: bool) -> None:
    """Delete the whole store: its SQLite file (with -wal, -shm, -journal) and its index folder.

    \b
    Examples:
        litemeta nuke --db scratch.db
        litemeta nuke --db scratch.db --force
    """
    from litemeta.views import admin

    with translate_errors():
        path, _ = admin.store_files(db)
        if not force:
            click.confirm(
                f"This deletes the store {path} and its index. Do you want to continue?", abort=True, err=True
            )
        removed = admin.nuke(db)
    if as_json:
        echo_json({"store": path, "removed": removed})
    else:
        for r in removed:
            click.echo(f"removed {r}")
