"""``litemeta timeline``: an entity's change transactions with semantic versions (``datahub timeline``)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Optional, Tuple

import click

from litemeta.cli._store import db_option, open_read_store
from litemeta.cli.common import json_option, translate_errors


@click.command("timeline")
@click.argument("urn_arg", required=False, metavar="URN")
@click.option("--urn", default=None, help="The entity urn (or give it as the argument).")
@click.option(
    "-c",
    "--category",
    "categories",
    multiple=True,
    help="Only these categories (repeatable): TAG, OWNERSHIP (or OWNER), GLOSSARY_TERM, "
    "TECHNICAL_SCHEMA, DOCUMENTATION, DOMAIN, STRUCTURED_PROPERTY, LIFECYCLE, DEPRECATION, "
    "BUSINESS_ATTRIBUTE, RUN. Default: all.",
)
@click.option("--start", default=None, help="From this time: epoch ms, ISO date/time or Ndaysago.")
@click.option("--end", default=None, help="Up to this time: epoch ms, ISO date/time or Ndaysago.")
@click.option("--raw", is_flag=True, help="Add each aspect's previous and new value and a JSON patch.")
@click.option("-v", "--verbose", is_flag=True, help="Print the events' parameters too.")
@db_option
@json_option
def timeline(
    urn_arg: Optional[str],
    urn: Optional[str],
    categories: Tuple[str, ...],
    start: Optional[str],
    end: Optional[str],
    raw: bool,
    verbose: bool,
    db: Optional[str],
    as_json: bool,
) -> None:
    """Show how an entity changed: change transactions, their events and semantic versions.

    Built from the store's change log (every write's previous and new value) with DataHub's
    change event generators. Each transaction gets a semVerChange (MAJOR, MINOR, PATCH, NONE) and a
    computed semVer, as DataHub's timeline API does.

    \b
    Examples:
        litemeta timeline "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)"
        litemeta timeline --urn "urn:li:dataset:(...)" -c TAG -c OWNER --start 7daysago --json
    """
    from litemeta.cli.read import parse_time
    from litemeta.views.timeline import normalize_categories
    from litemeta.views.timeline import timeline as build

    target = urn or urn_arg
    if not target:
        raise click.UsageError("give a URN (argument or --urn)")
    try:
        cats = normalize_categories(categories)
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="'-c' / '--category'") from None
    t0 = parse_time(start) if start else None
    t1 = parse_time(end) if end else None
    with translate_errors():
        with open_read_store(db) as store:
            txns = build(store, target, cats, t0, t1, raw)
    if as_json:
        click.echo(json.dumps([t.as_dict() for t in txns], ensure_ascii=False, indent=2))
        return
    if not txns:
        click.echo("No changes found.")
        return
    for t in txns:
        when = datetime.fromtimestamp(t.timestamp / 1000, tz=timezone.utc).isoformat(timespec="seconds")
        click.echo(f"{when} - {t.semver} ({t.semver_change}) by {t.actor}" + (f" run={t.run_id}" if t.run_id else ""))
        for e in t.events:
            target_text = e.get("entityUrn") or ""
            mod = f" ({e['modifier']})" if e.get("modifier") else ""
            click.echo(f"\t{e['operation']} {e['category']} {target_text}{mod}: {e['description']}")
            if verbose and e.get("parameters"):
                click.echo(f"\t\t{json.dumps(e['parameters'], ensure_ascii=False)}")
        if raw:
            for r in t.raw:
                click.echo(f"\t[{r['aspectName']}] {json.dumps(r['patch'], ensure_ascii=False)}")
