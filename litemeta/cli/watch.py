"""``litemeta watch``: ingest metadata files as they land in a folder (or once, for cron)."""

from __future__ import annotations

import json
import signal
import sys
import threading
from typing import Any, List, Optional, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import json_option, translate_errors


@click.command("watch")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option(
    "--pattern",
    "patterns",
    multiple=True,
    help="File name pattern to ingest (repeatable) [default: *.json and *.jsonl].",
)
@click.option("--recursive", is_flag=True, help="Watch sub-folders too.")
@click.option(
    "--processed", "processed", default=None, metavar="DIR", help="Where ingested files go [default: FOLDER/processed]."
)
@click.option(
    "--failed", "failed", default=None, metavar="DIR", help="Where unreadable files go [default: FOLDER/failed]."
)
@click.option("--once", is_flag=True, help="Handle the files there now and exit (for cron).")
@click.option(
    "--settle",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is ingested.",
)
@click.option(
    "--incomplete-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds after which an unchanged file that still does not parse is taken as broken.",
)
@click.option("--run-id", default=None, help="Set systemMetadata.runId of every record.")
@click.option(
    "--run-id-from",
    type=click.Choice(["filename"]),
    default=None,
    help="Use each file's name (without suffix) as its run id.",
)
@click.option("--polling", is_flag=True, help="Poll the folder instead of using OS events (network file systems).")
@db_option
@json_option
def watch(
    folder: str,
    patterns: Tuple[str, ...],
    recursive: bool,
    processed: Optional[str],
    failed: Optional[str],
    once: bool,
    settle: float,
    incomplete_timeout: float,
    run_id: Optional[str],
    run_id_from: Optional[str],
    polling: bool,
    db: Optional[str],
    as_json: bool,
) -> None:
    """Ingest metadata files dropped into FOLDER, then move them to processed/ or failed/.

    Files already there are ingested first. A file is taken only once it is complete: unchanged
    for --settle seconds, not open by a writer, and closed by its writer, renamed into the
    folder, or parseable to its end; a file still being written is never half-ingested. Each
    ingested file moves to processed/, with NAME.error.json beside it listing every rejected
    record; a file that cannot be read at all moves to failed/ with its NAME.error.json. A
    ledger in processed/ keeps a file from being ingested twice across restarts. Ctrl-C stops
    after the current file. With --json, one JSON object per file. With --once the exit code is
    1 when a file failed or had rejected records.

    \b
    Examples:
        litemeta watch incoming/
        litemeta watch incoming/ --pattern '*.json' --recursive --run-id-from filename
        litemeta watch incoming/ --once --db meta.db     # from cron
    """
    from litemeta.sources.watch import LEFT, FolderWatcher
    from litemeta.sources.watch_state import WatchOptions

    if run_id and run_id_from:
        raise click.UsageError("give --run-id or --run-id-from, not both")
    if settle < 0 or incomplete_timeout < 0:
        raise click.UsageError("--settle and --incomplete-timeout must be >= 0")
    opts = WatchOptions(
        patterns=patterns or ("*.json", "*.jsonl"),
        recursive=recursive,
        processed_dir=processed,
        failed_dir=failed,
        settle_seconds=settle,
        incomplete_timeout=incomplete_timeout,
        run_id=run_id,
        run_id_from=run_id_from,
        polling=polling,
    )
    outcomes: List[Any] = []

    def show(o: Any) -> None:
        outcomes.append(o)
        if as_json:
            click.echo(json.dumps(o.as_dict(), ensure_ascii=False))
            return
        if o.status in ("processed", "failed"):
            line = f"{o.status:<9} {o.path}: {o.records:,} records, {o.written:,} written, {o.failed:,} failed"
            click.echo(line + f" -> {o.moved_to}" + (f" (errors: {o.error_file})" if o.error_file else ""))
        else:
            click.echo(f"{o.status:<9} {o.path}: {o.message}", err=o.status != LEFT)

    with translate_errors():
        with open_cli_store(db) as store:

            def ingest(items: Any, run_id: Optional[str] = None) -> Any:
                report = store.ingest(items, run_id=run_id)
                store.sync_followers()
                return report

            watcher = FolderWatcher(folder, ingest, opts)
            if once:
                watcher.run_once(show)
            else:
                _run_until_interrupted(watcher, show, as_json)
    if once and any(o.status in ("failed", "error") or o.failed for o in outcomes):
        sys.exit(1)


def _run_until_interrupted(watcher: Any, show: Any, as_json: bool) -> None:
    """Run the watcher in this thread; the first Ctrl-C (or SIGTERM) stops it after the current file."""
    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C interrupts at once

    main_thread = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)} if main_thread else {}
    if not as_json:
        click.echo(f"watching {watcher.folder} (Ctrl-C to stop)", err=True)
    try:
        watcher.run(stop, show)
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    if not as_json:
        click.echo("stopped", err=True)
