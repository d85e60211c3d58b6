"""Secrets out of every message a recipe run prints or reports (issue 15 item 9).

    >>> m = Secrets(["p@ss:w0rd"])
    >>> m.text("cannot connect to postgresql://admin:p%40ss%3Aw0rd@db:5432/shop as p@ss:w0rd")
    'cannot connect to postgresql://admin:***@db:5432/shop as ***'
    >>> Secrets().text("mysql+pymysql://root:hunter2@localhost/db")
    'mysql+pymysql://root:***@localhost/db'

As DataHub's ingestion does (``datahub/masking``: every ``${VAR}`` a recipe references is a secret),
the values a recipe's ``${VAR}`` and ``$VAR`` references expanded to are masked wherever they
appear in a failure, a warning, a stack trace or an error about the recipe, with their
URL-encoded and escaped renderings; values shorter than 3 characters and common literals
(``true``, ``no``...) are not (masking them would garble ordinary text). Independently, the
password of any URL in a message is masked as SQLAlchemy's
``URL.render_as_string(hide_password=True)`` does (``user:***@host``).

Masking applies to what litemeta says about a run (status report, errors), never to the records
themselves: metadata is stored as the source produced it.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, Iterable, List, Set

MASK = "***"
MIN_LENGTH = 3
_LITERALS = frozenset(("true", "false", "yes", "no", "none", "null", "on", "off"))
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)([^\s@/]+)(@)")


class Secrets:
    """The expanded values of a recipe, and :meth:`text` / :meth:`obj` that mask them."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        renderings: Set[str] = set()
        for v in values:
            if not isinstance(v, str) or len(v) < MIN_LENGTH or v.strip().lower() in _LITERALS:
                continue
            renderings.update(
                r
                for r in (
                    v,
                    urllib.parse.quote(v, safe=""),
                    urllib.parse.quote_plus(v),
                    repr(v)[1:-1],
                    v.replace("\\", "\\\\").replace('"', '\\"'),
                )
                if len(r) >= MIN_LENGTH
            )
        self._values: List[str] = sorted(renderings, key=len, reverse=True)  # longest first
        self._pattern = re.compile("|".join(re.escape(v) for v in self._values)) if self._values else None

    def __bool__(self) -> bool:
        return bool(self._values)

    def text(self, text: str) -> str:
        """``text`` with every secret and every URL password replaced by ``***``."""
        if not isinstance(text, str):
            return text
        if self._pattern is not None:
            text = self._pattern.sub(MASK, text)
        return _URL_PASSWORD.sub(lambda m: m.group(1) + MASK + m.group(3), text)

    def obj(self, value: Any) -> Any:
        """A copy of a JSON-like value with :meth:`text` applied to every string (keys included)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.obj(k): self.obj(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.obj(v) for v in value]
        return value
