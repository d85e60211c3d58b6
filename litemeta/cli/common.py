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

import sys
import time
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterator, Optional, TypeVar

import click

from litemeta.errors import LitemetaError

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


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn a :class:`LitemetaError` into a :class:`click.ClickException` (message, exit code 1)."""
    try:
        yield
    except LitemetaError as e:
        raise click.ClickException(str(e)) from e


class Progress:
    """A one-line counter on stderr, shown only when stderr is a terminal (quiet when piped)."""

    def __init__(self, label: str, unit: str = "records", stream: Optional[IO[str]] = None,
                 interval: float = 0.2) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self.count = 0
        self._start = time.monotonic()
        self._last = 0.0

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items; redraw at most every ``interval`` seconds."""
        self.count += n
        if self.enabled:
            now = time.monotonic()
            if now - self._last >= self.interval:
                self._last = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        rate = self.count / max(now - self._start, 1e-9)
        self.stream.write(f"\r{self.label}: {self.count:,} {self.unit} ({rate:,.0f}/s)")
        self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
