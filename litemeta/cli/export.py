"""``litemeta export``: write the store's topics as Kafka log segments, Avro container files or JSON Lines.

A thin layer over :meth:`litemeta.MetadataStore.export` (:mod:`litemeta.followers.export` says
what is written, how incremental exports with ``--group`` append, and how two exports into one
folder are kept apart).
"""

from __future__ import annotations

import json
from typing import Any, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import Progress, json_option, topics_option, translate_errors

FORMAT_CHOICES = ("kafka-log", "avro", "jsonl")  # litemeta.formats.export_layout.FORMATS, kept light for --help


def _records_to_export(store: Any, topics: Tuple[str, ...], from_offset: Optional[int], group: Optional[str]) -> int:
    """How many records the export will write (the bar's total): from ``from_offset``, else the
    group's committed offsets, else 0, to each topic's end (records already in the folder are
    skipped, so the bar may end short of it)."""
    from litemeta.model.events import resolve_topic

    ends = store.end_offsets()
    names = [resolve_topic(t) for t in topics] or sorted(ends)
    if from_offset is None and group is not None:
        return sum(store.lag(group, names).values())
    return sum(max(0, ends.get(n, 0) - (from_offset or 0)) for n in names)


@click.command("export")
@click.option("-o", "--out", required=True, metavar="DIR", help="Folder to write (created if missing).")
@topics_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMAT_CHOICES),
    default="kafka-log",
    show_default=True,
    help="kafka-log: <topic>-<partition>/<offset>.log segments + schemas.json; avro: <topic>.avro; "
    "jsonl: <topic>.jsonl.",
)
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="kafka-log only: spread records over N partitions with Kafka's default partitioner.",
)
@click.option(
    "--from-offset",
    type=click.IntRange(min=0),
    default=None,
    help="Start every topic at this offset [default: 0, or the group's committed offsets].",
)
@click.option(
    "--group",
    default=None,
    metavar="NAME",
    help="Remember the offsets in the store under this consumer group: the next export with the same "
    "group writes only what is new (kafka-log, avro and jsonl files are appended to).",
)
@db_option
@json_option
def export(
    out: str,
    topics: Tuple[str, ...],
    fmt: str,
    partitions: int,
    from_offset: Optional[int],
    group: Optional[str],
    db: Optional[str],
    as_json: bool,
) -> None:
    """Export the store's topics (proposals, change logs, platform events, failures) to files.

    The kafka-log format is Kafka's own on-disk log (RecordBatch v2 segments) with values in
    Confluent framing (Avro, schema ids listed in schemas.json): `litemeta replay` sends it to a
    real Kafka, and `litemeta ingest DIR` reads the MetadataChangeProposal_v1 topic back into a
    store (any of the three formats).

    \b
    Examples:
        litemeta export --out export/
        litemeta export --out export/ --topic mcl --topic pe --group nightly
        litemeta export --out export/ --format jsonl --topic mcp
    """
    if partitions != 1 and fmt != "kafka-log":
        raise click.UsageError("--partitions applies to --format kafka-log only")
    with translate_errors():
        with open_cli_store(db, read_only=group is None) as store:
            with Progress("export", total=_records_to_export(store, topics, from_offset, group)) as bar:
                report = store.export(out, fmt, topics, partitions, from_offset, group, bar.update)
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    rate = report.records / report.seconds if report.seconds else 0.0
    click.echo(f"Exported {report.records:,} records ({fmt}) to {out} in {report.seconds:.2f}s ({rate:,.0f} records/s)")
    for topic, parts in report.counts.items():
        n = sum(parts.values())
        spread = f" over {len(parts)} partitions" if len(parts) > 1 else ""
        click.echo(f"  {topic}: {n:,}{spread}")
    if report.skipped:
        click.echo(f"  already in the folder (skipped): {report.skipped:,}")
    if group:
        ends = report.next_offsets
        click.echo(
            f"  group {group} now at " + ", ".join(f"{t}={o}" for t, o in ends.items())
            if ends
            else f"  group {group}: nothing new"
        )
