"""``litemeta serve``: the store behind DataHub's GMS HTTP API, for DataHub's own clients and CLI."""

from __future__ import annotations

from typing import Optional

import click

from litemeta.cli._store import db_option
from litemeta.cli.common import translate_errors


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind (localhost by default: anyone who reaches the port can write).",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to bind.")
@click.option(
    "--token",
    default=None,
    metavar="TOKEN",
    help="Require `Authorization: Bearer TOKEN` on every request but /config and /health (401 otherwise); "
    "the browser view asks for the token once on a sign-in page and keeps a session cookie.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="uvicorn's log level.",
)
@click.option("--no-ui", is_flag=True, help="Serve DataHub's GMS API only, without the browser view at /.")
@db_option
def serve(host: str, port: int, token: Optional[str], log_level: str, no_ui: bool, db: Optional[str]) -> None:
    """Serve the store over DataHub's GMS HTTP API (needs `pip install 'litemeta[serve]'`).

    Unmodified DataHub clients talk to it: DataHubRestEmitter, DataHubGraph, DataHubClient, the
    `datahub` CLI (get, put, exists, delete, timeline) and `datahub ingest` with the datahub-rest
    sink. Every write goes through the same write path as `litemeta ingest` (validation, versions,
    MCLs, platform events, the dead-letter topic), one writer committing requests in groups.
    A browser view of the catalog is at http://HOST:PORT/ (search, entity pages, lineage, live
    activity, edits), unless --no-ui.

    \b
    Example:
        litemeta serve --db meta.db --port 8080
        DATAHUB_GMS_URL=http://127.0.0.1:8080 datahub get --urn "urn:li:corpuser:alice"
    """
    try:
        from litemeta.serve.app import create_app
        from litemeta.serve.runner import run
    except ImportError as missing:
        raise click.ClickException(
            f"litemeta serve needs the serve extra ({missing.name} is not installed): pip install 'litemeta[serve]'"
        ) from None
    with translate_errors():
        extra, sign_in = [], None
        if not no_ui:
            from litemeta.serve import ui

            extra, sign_in = ui.routes(), ui.sign_in()
        app = create_app(db or _default_db(), token=token, extra_routes=extra, sign_in=sign_in)
    click.echo(
        f"litemeta serve: DataHub GMS API on http://{host}:{port} (export DATAHUB_GMS_URL=http://{host}:{port})"
        + ("" if no_ui else f"; the catalog in a browser at http://{host}:{port}/"),
        err=True,
    )
    run(app, host, port, log_level)


def _default_db() -> str:
    from litemeta import config

    return config.from_environment().db
