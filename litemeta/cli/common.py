"""Helpers shared by the CLI commands: repeated options, error translation, progress.

    >>> import click
    >>> @click.command()
    ... @json_option
    ... def hello(as_json: bool) -> None:
    ...     with translate_errors():
    ...         click.echo("{}" if as_json else "hello")

Kept free of heavy imports: ``litemeta --help`` loads this module.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

import click

from litemeta.cli.progress import Progress  # noqa: F401 - the commands' progress bar (tqdm), named here too
from litemeta.errors import LitemetaError, os_problem, printable

F = TypeVar("F", bound=Callable[..., Any])

# Set by the ``litemeta`` command (litemeta.cli.entry), never when the CLI runs inside another
# program (tests' CliRunner, an application calling ``main``).
STANDALONE = False


def finish(code: int = 0) -> None:
    """End a command that has closed everything it opened (its store, files) with ``code``.

    In the ``litemeta`` command this leaves at once: exit handlers run and output is flushed,
    but the interpreter does not free its objects one by one (0.15-0.2 s after an ingest, a
    twentieth of the whole run). Elsewhere, and under a profiler or tracer (cProfile, a debugger),
    it is ``sys.exit(code)`` (nothing when 0).
    """
    if STANDALONE and sys.getprofile() is None and sys.gettrace() is None:  # a profiler writes its data at the end
        import atexit
        import logging
        import os

        atexit._run_exitfuncs()
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said
                pass
        os._exit(code)
    if code:
        sys.exit(code)


def json_option(f: F) -> F:
    """The ``--json`` flag (parameter ``as_json``): print data as JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")(f)  # type: ignore[return-value]


def topics_option(f: F) -> F:
    """``-t/--topic`` (parameter ``topics``), repeatable: the topics a command reads, every one by default."""
    return click.option(  # type: ignore[return-value]
        "-t",
        "--topic",
        "topics",
        multiple=True,
        metavar="TOPIC",
        help="Only this topic (name or alias: mcp, mcl, mcl-timeseries, pe, failed). Repeatable [default: all].",
    )(f)


def echo_json(obj: Any) -> None:
    """Print ``obj`` as one line of JSON (non-ASCII kept as is): the ``--json`` output of a command."""
    click.echo(json.dumps(obj, ensure_ascii=False))


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn a :class:`LitemetaError` into a :class:`click.ClickException` (message, exit code 1), and
    so an ``OSError`` (a full disk, a folder that is not writable): one line naming the file."""
    try:
        yield
    except LitemetaError as e:
        raise click.ClickException(printable(str(e))) from e
    except OSError as e:
        where = f"{e.filename}: " if e.filename else ""
        raise click.ClickException(f"{where}{os_problem(e)}") from e
