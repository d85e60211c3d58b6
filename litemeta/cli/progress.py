"""Progress of long commands on stderr: tqdm's bar on a terminal, nothing when piped.

tqdm (its one home in litemeta) draws the bar: count, rate and, when the total is known (the
bytes of the input files, the records of an export), percentage and ETA. It is imported only when
stderr is a terminal, so piped and scripted runs pay nothing.
"""

from __future__ import annotations

import sys
from typing import IO, Any, Optional


class Progress:
    """A progress bar for ``label``; ``update(n)`` counts ``n`` more ``unit``, ``moveto(n)`` sets
    the position (bytes read so far, say). Quiet unless ``stream`` (stderr) is a terminal."""

    def __init__(
        self,
        label: str,
        unit: str = "records",
        stream: Optional[IO[str]] = None,
        interval: float = 0.2,
        total: Optional[int] = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.count = 0
        self._bar: Any = None
        if self.enabled:
            from tqdm import tqdm

            in_bytes = unit == "B"
            sized = _width(self.stream) > 0  # a terminal that reports no size (0 x 0) gets 80 x 24
            self._bar = tqdm(
                total=total,
                desc=label,
                unit=unit if in_bytes else " " + unit,
                unit_scale=in_bytes,
                unit_divisor=1024 if in_bytes else 1000,
                file=self.stream,
                mininterval=interval,
                dynamic_ncols=sized,
                ncols=None if sized else 80,
                nrows=None if sized else 24,
                leave=True,
            )

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items."""
        self.count += n
        if self._bar is not None:
            self._bar.update(n)

    def moveto(self, position: int) -> None:
        """Set the position (it may go back: a reader that re-reads a stretch of a file)."""
        if self._bar is not None and position != self._bar.n:
            self._bar.update(position - self._bar.n)

    def note(self, text: str) -> None:
        """A short status shown after the bar (``12,000 records``)."""
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.close()


def _width(stream: IO[str]) -> int:
    import os

    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0
