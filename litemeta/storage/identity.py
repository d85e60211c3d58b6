"""Which database a ``--db`` value names, and is it a litemeta store? (issue 15, items 10, 11, 14)

A value with a URL scheme is a SQLAlchemy URL; anything else is a literal file path
(:func:`is_url`): ``--db 'd/q?x=1.db'`` is the file ``d/q?x=1.db``, in every command.

    >>> refusal("x.db", {"metadata_aspect_v2": {"urn", "aspect_name", "version", "metadata",
    ...                                          "system_metadata", "createdon"}}, None)[:31]
    'x.db is a DataHub Lite database'
    >>> refusal("x.db", {}, None) is None        # empty: litemeta creates its tables
    True

Whether a database is a litemeta store is decided before anything is read or written. This
module is pure and free of SQLAlchemy (the standard-library fast reads use it too). A database is:

- **new** when it has none of litemeta's table names: litemeta creates its tables beside any
  unrelated ones;
- **litemeta's** when it has the marker table ``litemeta_schema_version`` and its litemeta tables
  have litemeta's columns; it is refused when its schema version is newer than this litemeta
  knows (its meaning may have changed: reads, exports, dumps and writes all refuse it alike);
- **foreign** otherwise: some of litemeta's table names without the marker (DataHub Lite's and
  GMS's own databases both have ``metadata_aspect_v2``), or with other columns. Nothing is
  written into it; the message says what it looks like and, for a DataHub Lite file, how to
  import it.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Collection, Mapping, Optional

from litemeta.errors import StorageError

MARKER = "litemeta_schema_version"
TABLES = ("metadata_aspect_v2", "metadata_timeseries", "topic_log", "consumer_offsets", "litemeta_settings", MARKER)
LITE_COLUMNS = frozenset(("urn", "aspect_name", "version", "metadata", "system_metadata"))
GMS_COLUMNS = frozenset(("urn", "aspect", "version", "metadata", "systemmetadata", "createdon", "createdby"))


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(path_or_url: str) -> bool:
    """A value with a URL scheme (``sqlite:///x.db``, ``postgresql+psycopg2://...``) is a SQLAlchemy
    URL; anything else (``d/q?x=1.db``, ``a#b.db``) is a literal file path."""
    return bool(_SCHEME.match(path_or_url))


def read_only_uri(path: str) -> str:
    """An SQLite ``file:`` URI opening ``path`` read-only; the path is percent-encoded, so that a
    ``?`` or ``#`` in a file name is part of the name, not a query or a fragment."""
    return "file:" + urllib.parse.quote(path) + "?mode=ro"


def refusal(
    where: str,
    tables: Mapping[str, Collection[str]],
    version: Optional[int],
    known: int = 2,
    expected: Optional[Mapping[str, Collection[str]]] = None,
) -> Optional[str]:
    """Why litemeta must not use this database (None: it may).

    ``tables`` maps the names of litemeta's tables present to their columns (an empty collection
    when the columns were not read); ``version`` is the marker's highest schema version (None
    without a marker or a row); ``expected`` litemeta's own columns per table, when they are to
    be checked (before a write)."""
    present = [t for t in TABLES if t in tables]
    if not present:
        return None
    if MARKER not in tables:
        columns = set(tables.get("metadata_aspect_v2") or ())
        if LITE_COLUMNS <= columns:
            return (
                f"{where} is a DataHub Lite database (its metadata_aspect_v2 has Lite's columns aspect_name and "
                f"system_metadata), not a litemeta store: litemeta does not write into it. To import its "
                f"metadata, run a recipe whose source is datahub-lite: `litemeta ingest -c recipe.yml` with "
                f"source: {{type: datahub-lite, config: {{path: {where}}}}}, into another --db."
            )
        if GMS_COLUMNS <= columns:
            return (
                f"{where} is a DataHub (GMS) database (metadata_aspect_v2 without litemeta's "
                f"{MARKER} table), not a litemeta store: litemeta does not write into it. Use another --db."
            )
        return (
            f"{where} has tables named like litemeta's ({', '.join(present)}) but is not a litemeta store "
            f"(no {MARKER} table): litemeta does not write into it. Use another --db."
        )
    if version is not None and version > known:
        return (
            f"{where} has schema version {version}, written by a newer litemeta; this one knows versions up to "
            f"{known}, so it reads and writes neither. Upgrade litemeta (pip install -U litemeta)."
        )
    for table, wanted in (expected or {}).items() if version == known else ():  # (older ones are migrated)
        have = set(tables.get(table) or ())
        if have and not set(wanted) <= have:
            missing = sorted(set(wanted) - have)
            return (
                f"{where}: table {table} lacks litemeta's column(s) {', '.join(missing)}: not a litemeta store "
                f"(or a damaged one); litemeta does not write into it. Use another --db."
            )
    return None


# What SQLite's messages mean for the user, and what to do (one line, no SQL).
_HINTS = (
    ("readonly database", "the file (or its folder) is not writable; check the permissions or use another --db"),
    (
        "unable to open database file",
        "cannot open the file: check that its folder exists and is writable "
        "(SQLite writes -wal and -shm files beside it)",
    ),
    ("file is not a database", "it is not a SQLite database (or it is encrypted or damaged)"),
    (
        "database disk image is malformed",
        "the database file is damaged; restore it from a copy or export what is readable (sqlite3 .recover)",
    ),
    ("database or disk is full", "the disk is full; free some space and run the command again"),
    ("disk i/o error", "the disk failed to read or write; check the file system"),
    ("database is locked", "another process holds the store; try again when it has finished"),
)


def storage_error(what: str, exc: BaseException) -> StorageError:
    """A driver error as one line: what failed, the driver's own message (never the SQL or its
    parameters), and what to do when SQLite's message says it."""
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    for needle, hint in _HINTS:
        if needle in message.lower():
            return StorageError(f"{what}: {message}: {hint}")
    return StorageError(f"{what}: {message}")
