"""``litemeta push``: send the store's accepted proposals to a live DataHub over REST (acryl-datahub's emitter)."""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import json_option, translate_errors
from litemeta.cli.progress import Progress


@click.command("push")
@click.option(
    "--server",
    envvar="DATAHUB_GMS_URL",
    required=True,
    metavar="URL",
    help="The DataHub GMS, e.g. http://localhost:8080 [env DATAHUB_GMS_URL].",
)
@click.option(
    "--token",
    envvar="DATAHUB_GMS_TOKEN",
    default=None,
    metavar="TOKEN",
    help="A DataHub access token (Authorization: Bearer) [env DATAHUB_GMS_TOKEN].",
)
@click.option(
    "--group",
    default=None,
    metavar="NAME",
    help="The consumer group keeping the progress [default: push-<server>; none with --run].",
)
@click.option("--run", "run_id", default=None, metavar="RUN_ID", help="Only the proposals of this ingestion run.")
@click.option("--reset", is_flag=True, help="Forget the saved progress and push from the start of the journal.")
@click.option("--dry-run", is_flag=True, help="Read and count what would be sent; send nothing, save no progress.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Proposals per emit_mcps call (the client sends at most 200 per request); progress is saved after each.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Retries of a failed request (429, 5xx) [default: the emitter's, "
    "$DATAHUB_REST_EMITTER_DEFAULT_RETRY_MAX_TIMES or 4].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Seconds to wait for each request [default: the emitter's, 30].",
)
@db_option
@json_option
def push(
    server: str,
    token: Optional[str],
    group: Optional[str],
    run_id: Optional[str],
    reset: bool,
    dry_run: bool,
    batch_size: int,
    retries: Optional[int],
    timeout: Optional[float],
    db: Optional[str],
    as_json: bool,
) -> None:
    """Push the store to a live DataHub over its REST API: the REST twin of `replay` (Kafka).

    Sends the store's MetadataChangeProposal_v1 journal (every proposal the store accepted, in
    order) with acryl-datahub's own DataHubRestEmitter: batched requests, retries with backoff,
    the client's system metadata. Progress is saved in a consumer group of the store after each
    batch the server confirmed, so a second push sends only what is new and an interrupted push
    resumes where it stopped. A progress bar is shown on a terminal. Exit code 1 when the server
    refused a batch. Needs `pip install 'litemeta[datahub]'`.

    \b
    Example:
        litemeta push --server http://localhost:8080 --token "$TOKEN"
        litemeta push --server http://localhost:8080 --run nightly-2024-05-01 --dry-run --json
    """
    with translate_errors():
        from litemeta.integrations.push import pending
        from litemeta.integrations.push import push as run_push

        with open_cli_store(db) as store:
            start, end = pending(store, server, group, reset or (run_id is not None and group is None))
            with Progress("push" if not dry_run else "dry run", unit="proposals", total=end - start) as bar:
                report = run_push(
                    store,
                    server,
                    token=token,
                    group=group,
                    run_id=run_id,
                    reset=reset,
                    dry_run=dry_run,
                    batch_size=batch_size,
                    retries=retries,
                    timeout=timeout,
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
    what = f"run {report.run_id} of the journal" if report.run_id else "the journal"
    if report.dry_run:
        click.echo(f"Dry run: would push {report.records:,} proposals ({what}) to {report.server}; nothing sent")
    else:
        click.echo(
            f"Pushed {report.records:,} proposals ({what}) to {report.server} in {report.seconds:.2f}s "
            f"({rate:,.0f} proposals/s), {report.requests:,} batches confirmed"
        )
    for ct, n in sorted(report.by_change_type.items()):
        click.echo(f"  {ct}: {n:,}")
    if report.group:
        topic = "MetadataChangeProposal_v1"
        at = report.committed.get(topic, report.start.get(topic, 0))
        click.echo(f"  progress: group {report.group} at offset {at:,} of {report.end:,}")
    for e in report.errors:
        click.echo(f"  ✗ {e}", err=True)
