"""The ``--db`` option and store opening shared by every command that uses a store (choice 10)."""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def _db_value(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """``--db`` after the command, else the one given before it (``litemeta --db X get ...``)."""
    before = ctx.find_root().params.get("db")
    if value is not None and before is not None and value != before:
        raise click.UsageError(
            f"--db given twice with different stores: {before!r} before the command, {value!r} after it", ctx=ctx
        )
    return value if value is not None else before


def db_option(f: F) -> F:
    """``--db PATH``: the store (default ``./litemeta.db``, or ``$LITEMETA_DB``), before or after the command."""
    return click.option(
        "--db",
        "db",
        default=None,
        metavar="PATH|URL",
        callback=_db_value,
        help="Store: a SQLite file path (taken literally) or a SQLAlchemy URL (scheme://...) "
        "[default: $LITEMETA_DB or ./litemeta.db]. "
        "Also accepted before the command name.",
    )(f)  # type: ignore[return-value]


def open_cli_store(db: Optional[str], *, read_only: bool = False, **settings: Any) -> Any:
    """Open the store for a command; read-only commands open SQLite read-only. The library's
    notices (the search index rebuilt, and why) are printed on stderr, one line each."""
    from litemeta.store import open_store

    show_notices()
    return open_store(db, read_only=read_only, create=not read_only, **settings)


def open_existing_store(db: Optional[str]) -> Any:
    """Open a store for a change that makes no sense on a new, empty store (delete, rollback)."""
    from litemeta.store import open_store

    return open_store(db, create=False)


class _EchoHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def show_notices() -> None:
    """Print the search index's notices (``litemeta.search`` warnings) on stderr as plain lines,
    once per process; with ``-v``/``--debug`` the root handler prints them instead."""
    log = logging.getLogger("litemeta.search")
    if logging.getLogger().handlers or any(isinstance(h, _EchoHandler) for h in log.handlers):
        return
    log.addHandler(_EchoHandler(logging.WARNING))
    log.propagate = False


def open_read_store(db: Optional[str]) -> Any:
    """The store for a read command: on a SQLite file, the standard-library reader
    (:class:`litemeta.storage.sqlite_reads.SqliteReader`: no SQLAlchemy import, the command's whole
    process stays fast); otherwise the full store, read-only."""
    import logging

    from litemeta.config import from_environment
    from litemeta.storage.sqlite_reads import open_reader

    reader = open_reader(from_environment(db=db).db)
    if reader is not None:
        logging.getLogger("litemeta").debug("reading %s with the standard library's sqlite3", reader.location)
        return reader
    return open_cli_store(db, read_only=True)
