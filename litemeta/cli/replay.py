"""``litemeta replay``: produce an export folder or the store's topics to a real Kafka (confluent-kafka)."""

from __future__ import annotations

import json
import sys
from typing import Any, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import Progress, json_option, topics_option, translate_errors


@click.command("replay")
@click.option(
    "-b",
    "--bootstrap-servers",
    "bootstrap",
    required=True,
    metavar="HOST:PORT",
    help="Kafka bootstrap servers (comma-separated). 'mock' or 'mock:N' replays into librdkafka's "
    "in-process mock cluster (a demo: it vanishes when the command ends).",
)
@click.option(
    "--schema-registry",
    default=None,
    metavar="URL",
    help="Register each topic's schema under <topic>-value here and write the ids it assigns.",
)
@click.option(
    "--schema-id",
    "schema_ids",
    multiple=True,
    metavar="TOPIC=ID",
    help="Use this schema id for a topic instead of registering (e.g. DataHub's internal registry). Repeatable.",
)
@topics_option
@click.option(
    "--from",
    "source",
    default=None,
    metavar="DIR",
    help="An export folder (kafka-log, avro or jsonl) [default: the store's topics].",
)
@click.option(
    "--group",
    default=None,
    metavar="NAME",
    help="Store replays: the consumer group keeping the progress [default: replay-<bootstrap servers>].",
)
@click.option("--reset", is_flag=True, help="Forget the saved progress and replay from the start.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for the cluster to answer and for each delivery.",
)
@click.option(
    "-X",
    "--producer-config",
    "producer_config",
    multiple=True,
    metavar="KEY=VALUE",
    help="A librdkafka producer setting (security.protocol=SSL, compression.type=zstd, ...). Repeatable.",
)
@db_option
@json_option
def replay(
    bootstrap: str,
    schema_registry: Optional[str],
    schema_ids: Tuple[str, ...],
    topics: Tuple[str, ...],
    source: Optional[str],
    group: Optional[str],
    reset: bool,
    timeout: float,
    producer_config: Tuple[str, ...],
    db: Optional[str],
    as_json: bool,
) -> None:
    """Send topics to a Kafka cluster, in DataHub's wire format, resuming where the last replay stopped.

    Values go out as Avro in Confluent framing with the schema ids of the target registry; keys
    are the entity urns; timestamps and headers are kept. Every delivery is confirmed; progress
    is saved after each confirmed chunk (a progress file in the export folder, or a consumer
    group in the store), so an interrupted replay resumes where it stopped. Exit code 1 when
    records failed or parts of the export were unreadable. Needs `pip install 'litemeta[kafka]'`.

    \b
    Examples:
        litemeta replay --bootstrap-servers localhost:9092 --schema-registry http://localhost:8081 --from export/
        litemeta replay -b localhost:9092 --schema-id mcp=1 --schema-id mcl=3 --topic mcp --topic mcl
        litemeta replay -b mock --from export/ --json
    """
    if db is not None and source is not None:
        raise click.UsageError("give either --from DIR (an export folder) or --db (a store), not both")
    if group is not None and source is not None:
        raise click.UsageError("--group applies to store replays; a folder replay keeps its progress in the folder")
    with translate_errors():
        from litemeta.followers import replay as R

        R.kafka_module()  # a clear message before anything else when confluent-kafka is missing
        fixed = R.parse_schema_ids(schema_ids)
        config = R.parse_config(producer_config)
        with Progress("replay") as bar:
            if source is not None:
                report = R.replay(
                    bootstrap,
                    folder=source,
                    topics=topics,
                    schema_registry=schema_registry,
                    schema_ids=fixed,
                    reset=reset,
                    timeout=timeout,
                    producer_config=config,
                    progress=bar.update,
                )
            else:
                with open_cli_store(db) as store:
                    report = R.replay(
                        bootstrap,
                        store=store,
                        topics=topics,
                        schema_registry=schema_registry,
                        schema_ids=fixed,
                        group=group,
                        reset=reset,
                        timeout=timeout,
                        producer_config=config,
                        progress=bar.update,
                    )
    _print(report, as_json)
    if not report.ok:
        sys.exit(1)


def _print(report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    rate = report.records / report.seconds if report.seconds else 0.0
    click.echo(
        f"Replayed {report.records:,} records to {report.bootstrap} in {report.seconds:.2f}s "
        f"({rate:,.0f} records/s), all confirmed"
        if report.ok and not report.failed
        else f"Replayed {report.records:,} records to {report.bootstrap}; {report.failed:,} failed"
    )
    for topic, n in report.delivered.items():
        click.echo(f"  {topic}: {n:,} (schema id {report.schema_ids.get(topic)})")
    if report.skipped:
        click.echo(f"  already replayed (skipped): {report.skipped:,}")
    click.echo(f"  progress: {report.progress}")
    for e in report.errors:
        click.echo(f"  ✗ {e}", err=True)
    for c in report.corrupt:
        click.echo(f"  ✗ unreadable: {c}", err=True)
