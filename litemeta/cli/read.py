"""Read commands: ``get``, ``history``, ``exists``, ``list-urns``."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, Optional, Sequence, Tuple

import click

from litemeta.cli._options import pick_urn, urn_argument
from litemeta.cli._store import db_option, open_cli_store, open_read_store
from litemeta.cli.common import json_option, translate_errors


def parse_time(text: str) -> int:
    """Epoch milliseconds from ms digits, an ISO date/time, or ``Ndaysago``."""
    t = text.strip()
    if t.isdigit():
        return int(t)
    if t.endswith("daysago") and t[:-7].isdigit():
        import time

        return int((time.time() - int(t[:-7]) * 86400) * 1000)
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"expected epoch ms, an ISO date/time or Ndaysago, got {text!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def _check_aspects(store: Any, urn: str, aspects: Sequence[str]) -> None:
    """A malformed urn or an aspect name DataHub does not know is an error that says so (with the
    names it was probably meant to be), not "not found"."""
    from litemeta.model.urns import parse_urn

    parse_urn(urn)
    for name in aspects:
        store.registry.aspect(name)


@click.command("get")
@urn_argument()
@click.option("-a", "--aspect", "aspects", multiple=True, help="Only these aspects (repeatable).")
@click.option("--version", type=int, default=None, help="A stored version (negative counts from the end).")
@click.option(
    "--as-of",
    "--asof",
    "as_of",
    default=None,
    help="Value as captured at this time (ms, ISO date/time, Ndaysago); --asof is DataHub Lite's spelling.",
)
@click.option("--details/--no-details", default=False, help="Include systemMetadata and audit columns.")
@db_option
@json_option
def get(
    urn_arg: Optional[str],
    urn: Optional[str],
    aspects: Tuple[str, ...],
    version: Optional[int],
    as_of: Optional[str],
    details: bool,
    db: Optional[str],
    as_json: bool,
) -> None:
    """Print an entity's aspects as JSON ``{aspectName: value}``.

    \b
    Examples:
        litemeta get "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)" -a schemaMetadata
        litemeta get --urn "urn:li:corpuser:alice" --asof 2024-01-31
    """
    target = pick_urn(urn_arg, urn)
    with translate_errors():
        fast = version is None and as_of is None and not details
        with open_read_store(db) if fast else open_cli_store(db, read_only=True) as store:
            _check_aspects(store, target, aspects)
            if fast:
                result = store.get(target, list(aspects) or None)
            else:
                result = store.get(
                    target,
                    list(aspects) or None,
                    version=version,
                    as_of=parse_time(as_of) if as_of else None,
                    details=details,
                )
    if not result:
        raise click.ClickException(f"urn {target} not found" + (f" (aspects {', '.join(aspects)})" if aspects else ""))
    click.echo(json.dumps(result, indent=None if as_json else 2, ensure_ascii=False))


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@click.command("history")
@urn_argument()
@click.option("-a", "--aspect", required=True, help="The aspect.")
@click.option("--full", is_flag=True, help="Print every version's whole value instead of what changed.")
@db_option
@json_option
def history(
    urn_arg: Optional[str], urn: Optional[str], aspect: str, full: bool, db: Optional[str], as_json: bool
) -> None:
    """List every stored version of an aspect, oldest first, with what changed from one version
    to the next (--full: each whole value; --json: whole values and audit columns).

    \b
    Examples:
        litemeta history "urn:li:corpuser:alice" -a corpUserInfo
        litemeta history --urn "urn:li:corpuser:alice" -a corpUserInfo --full
    """
    from litemeta.views.timeline import value_changes

    target = pick_urn(urn_arg, urn)
    with translate_errors():
        with open_read_store(db) as store:
            _check_aspects(store, target, [aspect])
            rows = store.history(target, aspect)
    if not rows:
        raise click.ClickException(f"no versions of {aspect} for {target}")
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False))
        return
    previous: Any = None
    for i, r in enumerate(rows):
        sm = r.system_metadata or {}
        label = "current" if r.version == 0 else f"v{r.version}"
        click.echo(
            f"{label:>8}  {_when(r.created_on)}  {r.created_by}  run={sm.get('runId', '-')}  "
            f"sysver={sm.get('version', '-')}"
        )
        if full or i == 0:
            click.echo("          " + _show(r.value))
        else:
            changes = value_changes(previous, r.value)
            for op, path, old, new in changes:
                if op == "~":
                    click.echo(f"          ~ {path or '/'}: {_show(old)} -> {_show(new)}")
                else:
                    click.echo(f"          {op} {path or '/'}: {_show(new if op == '+' else old)}")
            if not changes:
                click.echo("          (same value)")
        previous = r.value


@click.command("exists")
@urn_argument()
@db_option
@json_option
def exists(urn_arg: Optional[str], urn: Optional[str], db: Optional[str], as_json: bool) -> None:
    """Print true if the entity exists (its key aspect is stored), else false (exit 1).

    \b
    Examples:
        litemeta exists "urn:li:corpuser:alice"
        litemeta exists --urn "urn:li:corpuser:alice"
    """
    target = pick_urn(urn_arg, urn)
    with translate_errors():
        with open_read_store(db) as store:
            found = store.exists(target)
    click.echo(json.dumps({"urn": target, "exists": found}) if as_json else ("true" if found else "false"))
    if not found:
        sys.exit(1)


@click.command("list-urns")
@click.option("--entity-type", default=None, help="Only this entity type (e.g. dataset).")
@db_option
@json_option
def list_urns(entity_type: Optional[str], db: Optional[str], as_json: bool) -> None:
    """List the urns of existing entities.

    \b
    Example:
        litemeta list-urns --entity-type dataset
    """
    with translate_errors():
        with open_read_store(db) as store:
            urns = store.list_urns(entity_type)
    if as_json:
        click.echo(json.dumps(urns))
    else:
        click.echo("\n".join(urns) if urns else "", nl=bool(urns))
