"""``litemeta log``: read a topic, or follow it like ``tail -f`` (optionally as a consumer group)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store, open_read_store
from litemeta.cli.common import json_option, translate_errors


def describe(rec: Any) -> str:
    """One readable line for a topic record."""
    v = rec.value
    when = datetime.fromtimestamp(rec.timestamp / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if "payload" in v:
        try:
            p = json.loads(v["payload"]["value"])
        except (ValueError, KeyError, TypeError):
            p = {}
        if v.get("name") == "entityChangeEvent":
            what = f"{p.get('category')}/{p.get('operation')} {p.get('modifier') or ''}".rstrip()
            return f"{rec.offset:>8}  {when}  {what}  {p.get('entityUrn')}"
        return (
            f"{rec.offset:>8}  {when}  {v.get('name')} {p.get('operation', '')} {p.get('relationshipType', '')} "
            f"{p.get('sourceUrn', '')} -> {p.get('destinationUrn', '')}"
        )
    if "metadataChangeProposal" in v:
        mcp = v["metadataChangeProposal"]
        return (
            f"{rec.offset:>8}  {when}  FAILED {mcp.get('changeType')} {mcp.get('aspectName')}  "
            f"{mcp.get('entityUrn')}: {v.get('error')}"
        )
    return f"{rec.offset:>8}  {when}  {v.get('changeType'):<13} {v.get('aspectName', ''):<28} {v.get('entityUrn')}"


def _key_part(urn: str) -> str:
    """What the key of every record about ``urn`` contains: the urn, or for a schemaField the
    urn of its dataset (a column's change events are keyed by the dataset, R3.4)."""
    from litemeta.views.lineage_edges import schema_field_parts

    parts = schema_field_parts(urn)
    return parts[0] if parts else urn


@click.command("log")
@click.argument("topic")
@click.option(
    "--from-offset", type=int, default=None, help="Start at this offset [default: 0, or the group's committed offset]."
)
@click.option("-f", "--follow", is_flag=True, help="Keep waiting for new records (Ctrl-C to stop).")
@click.option("--group", default=None, help="Consume as this consumer group and commit its offsets.")
@click.option("--urn", default=None, help="Only records about this urn.")
@click.option(
    "-c",
    "--category",
    "categories",
    multiple=True,
    help="Platform events only: this change category (TAG, OWNERSHIP or OWNER, ...). Repeatable.",
)
@click.option("--limit", type=int, default=None, help="Print at most N records.")
@db_option
@json_option
def log(
    topic: str,
    from_offset: Optional[int],
    follow: bool,
    group: Optional[str],
    urn: Optional[str],
    categories: Tuple[str, ...],
    limit: Optional[int],
    db: Optional[str],
    as_json: bool,
) -> None:
    """Print a topic's records: MetadataChangeLog, platform events, proposals, failures.

    TOPIC is a topic name or an alias: mcp, mcl, mcl-timeseries, pe, failed. With --json each
    record is one JSON object per line: topic, partition, offset, timestamp, key, value.

    \b
    Examples:
        litemeta log mcl
        litemeta log pe --category TAG --json
        litemeta log pe --follow --group my-alerts
    """
    from itertools import islice

    from litemeta.model.events import FAILED_MCP_TOPIC, event_filter, resolve_topic

    with translate_errors():
        name = resolve_topic(topic)
        accept = event_filter(urn=urn, categories=categories or None)
        # a plain read (no group offsets to commit) goes through the standard-library reader
        with open_read_store(db) if group is None else open_cli_store(db) as store:
            records: Iterable[Any]
            if urn and group is None and not follow and name != FAILED_MCP_TOPIC:
                # records are keyed by the urn they are about: read only the batches that hold it
                start = from_offset or 0
                records = islice(
                    (
                        r
                        for r in store.key_records(name, _key_part(urn), partial=True)
                        if r.offset >= start and accept(r)
                    ),
                    limit,
                )
            else:
                records = store.follow(topic, group, from_offset, accept, limit, follow)
            try:
                for rec in records:
                    click.echo(json.dumps(rec.as_dict(), ensure_ascii=False) if as_json else describe(rec))
            except KeyboardInterrupt:  # Ctrl-C ends a --follow cleanly
                pass
