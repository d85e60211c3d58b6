"""The ``datahub-lite`` source: read a DataHub Lite database as proposals (a migration path).

    >>> source = LiteSource("~/.datahub/lite/datahub.db")               # doctest: +SKIP
    >>> proposals = list(source.proposals())                            # doctest: +SKIP

DataHub Lite (acryl-datahub ``datahub/lite/sql_backed_lite.py``) keeps GMS's table shape:
``metadata_aspect_v2(urn, aspect_name, version, metadata, system_metadata, createdon)``, where
version 0 is always the latest value and versions >= 1 its history. ``metadata`` holds the aspect
as Pegasus JSON (the file sink's ``aspect.json`` form) and ``system_metadata`` the record's
systemMetadata, to which Lite adds ``properties.sysVersion`` (its own version counter, a string).

Each version-0 row becomes one UPSERT proposal carrying that systemMetadata. ``sysVersion`` is
Lite's bookkeeping, not the producer's, so it is removed by default (``strip_sys_version``), and
with it a ``properties`` map it leaves empty. History rows are not read: Lite's ``export`` does
the same, and their values were never all proposals (Lite dedups identical rewrites).

SQLite files are read with the standard library, read-only. Lite's older DuckDB files are read
when the optional ``duckdb`` package is installed.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Tuple, Union

from litemeta.errors import InputError
from litemeta.model.jsontext import std_loads
from litemeta.model.proposal import UPSERT, Origin, Proposal

SQLITE_MAGIC = b"SQLite format 3\x00"
QUERY = (
    "SELECT urn, aspect_name, metadata, system_metadata FROM metadata_aspect_v2 "
    "WHERE version = 0 ORDER BY urn, aspect_name"
)


@dataclass
class LiteSourceReport:
    """Rows read, proposals yielded, and unreadable rows as data (file, row, urn, aspect, message)."""

    rows: int = 0
    proposals: int = 0
    failures: List[Dict[str, Any]] = field(default_factory=list)


class LiteSource:
    """Yields the latest (version 0) aspects of a DataHub Lite database as UPSERT proposals."""

    def __init__(self, path: Union[str, "os.PathLike[str]"], *, strip_sys_version: bool = True) -> None:
        self.path = Path(os.path.expanduser(os.fspath(path)))
        self.strip_sys_version = strip_sys_version
        self.report = LiteSourceReport()

    def proposals(self) -> Iterator[Proposal]:
        """One UPSERT per version-0 row, ordered by urn then aspect; bad rows go to the report."""
        file = str(self.path)
        for index, (urn, aspect_name, metadata, system_metadata) in enumerate(self._rows()):
            self.report.rows += 1
            try:
                aspect = _json(metadata, "metadata")
                sysmeta = _json(system_metadata, "system_metadata") if system_metadata is not None else None
                if not isinstance(aspect, dict):
                    raise ValueError(f"metadata: expected a JSON object, got {type(aspect).__name__}")
                if sysmeta is not None and not isinstance(sysmeta, dict):
                    raise ValueError(f"system_metadata: expected a JSON object, got {type(sysmeta).__name__}")
            except ValueError as e:
                self.report.failures.append(
                    {"file": file, "row": index, "urn": urn, "aspect": aspect_name, "message": str(e)}
                )
                continue
            if sysmeta is not None and self.strip_sys_version:
                sysmeta = _without_sys_version(sysmeta)
            self.report.proposals += 1
            yield Proposal(
                str(urn),
                str(aspect_name),
                change_type=UPSERT,
                aspect=aspect,
                system_metadata=sysmeta or None,
                origin=Origin(file, index),
            )

    def _rows(self) -> Iterator[Tuple[Any, ...]]:
        if not self.path.is_file():
            raise InputError("no such DataHub Lite database", file=str(self.path))
        with open(self.path, "rb") as f:
            magic = f.read(len(SQLITE_MAGIC))
        if magic == SQLITE_MAGIC or magic == b"":
            yield from self._sqlite_rows()
        else:
            yield from self._duckdb_rows()

    def _sqlite_rows(self) -> Iterator[Tuple[Any, ...]]:
        try:
            con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as e:
            raise InputError(f"cannot open SQLite database: {e}", file=str(self.path)) from e
        try:
            yield from _fetch_all(_execute(con.execute, self.path))
        finally:
            con.close()

    def _duckdb_rows(self) -> Iterator[Tuple[Any, ...]]:
        try:
            import duckdb  # optional: only Lite's older DuckDB files need it
        except ImportError as e:
            raise InputError(
                "not a SQLite file; reading a DuckDB DataHub Lite database needs the "
                "'duckdb' package (pip install duckdb)",
                file=str(self.path),
            ) from e
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except Exception as e:  # duckdb's own error types: not a database, locked, ...
            raise InputError(f"cannot open as SQLite or DuckDB database: {e}", file=str(self.path)) from e
        try:
            yield from _fetch_all(_execute(con.execute, self.path))
        finally:
            con.close()


def _fetch_all(cursor: Any) -> Iterator[Tuple[Any, ...]]:
    """Rows of a DB-API cursor in chunks (bounded memory)."""
    while True:
        batch = cursor.fetchmany(1000)
        if not batch:
            return
        yield from batch


def _execute(execute: Any, path: Path) -> Any:
    try:
        return execute(QUERY)
    except Exception as e:  # sqlite3.Error / duckdb.Error: a missing table means "not a Lite DB"
        raise InputError(f"not a DataHub Lite database (reading metadata_aspect_v2 failed: {e})", file=str(path)) from e


def _json(value: Any, column: str) -> Any:
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        return value  # a driver that already decoded JSON
    try:
        return std_loads(value)
    except ValueError as e:  # (a NestingError, a UnicodeDecodeError too)
        raise ValueError(f"{column}: invalid JSON: {e}") from e


def _without_sys_version(sysmeta: Dict[str, Any]) -> Dict[str, Any]:
    props = sysmeta.get("properties")
    if not isinstance(props, dict) or "sysVersion" not in props:
        return sysmeta
    rest = {k: v for k, v in props.items() if k != "sysVersion"}
    out = {k: v for k, v in sysmeta.items() if k != "properties"}
    if rest:
        out["properties"] = rest
    return out


def read_lite(path: Union[str, "os.PathLike[str]"], **kwargs: Any) -> List[Proposal]:
    """All proposals of a DataHub Lite database (``LiteSource(path, **kwargs).proposals()``)."""
    return list(LiteSource(path, **kwargs).proposals())


__all__: Sequence[str] = ("LiteSource", "LiteSourceReport", "read_lite")
