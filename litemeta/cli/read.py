"""Read commands: ``get``, ``history``, ``exists``, ``list-urns``."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
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


def _quick_latest(db: Optional[str], urn: str, aspects: Optional[List[str]]) -> Optional[Dict[str, Any]]:
    """The latest aspects straight from a SQLite file (no SQLAlchemy import: a fast whole-process get)."""
    from litemeta.config import from_environment
    from litemeta.model.urns import parse_urn
    from litemeta.storage.sqlite_reads import latest, sqlite_file

    parse_urn(urn)  # a malformed urn is an error that names the problem, not "not found"
    path = sqlite_file(from_environment(db=db).db)
    return latest(path, urn, aspects) if path else None


def _quick_exists(db: Optional[str], urn: str) -> Optional[bool]:
    """R1.6 existence straight from a SQLite file; None when the fast path does not apply."""
    from litemeta.config import from_environment
    from litemeta.model.registry import load_registry
    from litemeta.model.urns import entity_type_of
    from litemeta.storage.sqlite_reads import key_row_exists, sqlite_file

    path = sqlite_file(from_environment(db=db).db)
    if path is None:
        return None
    entity = load_registry().entities.get(entity_type_of(urn))
    return entity is not None and key_row_exists(path, urn, entity.key_aspect)


@click.command("get")
@click.argument("urn_arg", required=False, metavar="URN")
@click.option("--urn", default=None, help="The entity urn (or give it as the argument).")
@click.option("-a", "--aspect", "aspects", multiple=True, help="Only these aspects (repeatable).")
@click.option("--version", type=int, default=None, help="A stored version (negative counts from the end).")
@click.option("--as-of", "as_of", default=None, help="Value as captured at this time (ms, ISO, Ndaysago).")
@click.option("--details/--no-details", default=False, help="Include systemMetadata and audit columns.")
@db_option
@json_option
def get(urn_arg: Optional[str], urn: Optional[str], aspects: Tuple[str, ...], version: Optional[int],
        as_of: Optional[str], details: bool, db: Optional[str], as_json: bool) -> None:
    """Print an entity's aspects as JSON ``{aspectName: value}``.

    \b
    Example:
        litemeta get "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)" -a schemaMetadata
    """
    target = urn or urn_arg
    if not target:
        raise click.UsageError("give a URN (argument or --urn)")
    with translate_errors():
        result = None
        if version is None and as_of is None and not details:
            result = _quick_latest(db, target, list(aspects) or None)
        if result is None:
            with open_cli_store(db, read_only=True) as store:
                result = store.get(target, list(aspects) or None, version=version,
                                   as_of=parse_time(as_of) if as_of else None, details=details)
    if not result:
        raise click.ClickException(f"urn {target} not found" + (f" (aspects {', '.join(aspects)})" if aspects else ""))
    click.echo(json.dumps(result, indent=None if as_json else 2, ensure_ascii=False))


@click.command("history")
@click.argument("urn")
@click.option("-a", "--aspect", required=True, help="The aspect.")
@db_option
@json_option
def history(urn: str, aspect: str, db: Optional[str], as_json: bool) -> None:
    """List every stored version of an aspect, oldest first.

    \b
    Example:
        litemeta history "urn:li:corpuser:alice" -a corpUserInfo
    """
    with translate_errors():
        with open_cli_store(db, read_only=True) as store:
            rows = store.history(urn, aspect)
    if not rows:
        raise click.ClickException(f"no versions of {aspect} for {urn}")
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False))
        return
    for r in rows:
        when = datetime.fromtimestamp(r.created_on / 1000, tz=timezone.utc).isoformat(timespec="seconds")
        sm = r.system_metadata or {}
        label = "current" if r.version == 0 else f"v{r.version}"
        click.echo(f"{label:>8}  {when}  {r.created_by}  run={sm.get('runId', '-')}  sysver={sm.get('version', '-')}")
        click.echo("          " + json.dumps(r.value, ensure_ascii=False)[:200])


@click.command("exists")
@click.argument("urn")
@db_option
@json_option
def exists(urn: str, db: Optional[str], as_json: bool) -> None:
    """Print true if the entity exists (its key aspect is stored), else false (exit 1).

    \b
    Example:
        litemeta exists "urn:li:corpuser:alice"
    """
    with translate_errors():
        found = _quick_exists(db, urn)
        if found is None:
            with open_cli_store(db, read_only=True) as store:
                found = store.exists(urn)
    click.echo(json.dumps({"urn": urn, "exists": found}) if as_json else ("true" if found else "false"))
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
        with open_cli_store(db, read_only=True) as store:
            urns = store.list_urns(entity_type)
    if as_json:
        click.echo(json.dumps(urns))
    else:
        for u in urns:
            click.echo(u)
