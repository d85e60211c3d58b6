"""The ``--db`` option and store opening shared by every command that uses a store (choice 10)."""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def db_option(f: F) -> F:
    """``--db PATH``: the store (default ``./litemeta.db``, or ``$LITEMETA_DB``)."""
    return click.option(
        "--db", "db", default=None, metavar="PATH|URL",
        help="Store: SQLite path or SQLAlchemy URL [default: $LITEMETA_DB or ./litemeta.db].",
    )(f)  # type: ignore[return-value]


def open_cli_store(db: Optional[str], *, read_only: bool = False, **settings: Any) -> Any:
    """Open the store for a command; read-only commands open SQLite read-only. The library's
    notices (the search index rebuilt, and why) are printed on stderr, one line each."""
    from litemeta.store import open_store

    show_notices()
    return open_store(db, read_only=read_only, create=not read_only, **settings)


class _EchoHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def show_notices() -> None:
    """Print warnings of the ``litemeta`` loggers on stderr as plain lines (once per process)."""
    log = logging.getLogger("litemeta")
    if not any(isinstance(h, _EchoHandler) for h in log.handlers):
        log.addHandler(_EchoHandler(logging.WARNING))
        log.propagate = False
