"""The ``--db`` option and store opening shared by every command that uses a store (choice 10)."""
from __future__ import annotations

from typing import Any, Callable, Optional, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def db_option(f: F) -> F:
    """``--db PATH``: the store (default ``./litemeta.db``, or ``$LITEMETA_DB``)."""
    return click.option(
        "--db", "db", default=None, metavar="PATH|URL",
        help="Store: a SQLite file path (taken literally) or a SQLAlchemy URL (scheme://...) [default: $LITEMETA_DB or ./litemeta.db].",
    )(f)  # type: ignore[return-value]


def open_cli_store(db: Optional[str], *, read_only: bool = False, **settings: Any) -> Any:
    """Open the store for a command; read-only commands open SQLite read-only."""
    from litemeta.store import open_store

    return open_store(db, read_only=read_only, create=not read_only, **settings)
