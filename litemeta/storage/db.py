"""The SQL store: engine, tables, connection policy and transactions (SQLAlchemy Core).

Tables keep DataHub's names where DataHub has them (``metadata_aspect_v2``, R1.1). The SQLite
connection policy lives here and only here: WAL for files, ``busy_timeout``, ``BEGIN IMMEDIATE``
for writers (one writer at a time across processes), ``foreign_keys=ON``, read-only opens for
read-only commands. Driver errors are translated to :class:`StorageError` at this boundary.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Optional, Set

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool, QueuePool, StaticPool

from litemeta.errors import StorageError
from litemeta.storage.identity import MARKER, TABLES, is_url, read_only_uri, refusal, storage_error
from litemeta.storage.migrations import upgrade
from litemeta.storage.tables import (  # noqa: F401 - the tables are part of this module's API
    SCHEMA_VERSION,
    STORE_ID,
    aspects,
    consumer_offsets,
    metadata,
    schema_version,
    store_settings,
    timeseries,
    topic_log,
)

BUSY_TIMEOUT_MS = 30_000
# A session's own commits checkpoint the WAL only once it holds this many pages (64 MB) instead of
# SQLite's 1,000 (4 MB): an ingest's batches of a few MB each do not pay a checkpoint (and its
# fsync) in the writer; between batches the session's checkpointer thread does that work beside
# it (:class:`_Checkpointer`), so this limit is reached only if that thread falls behind.
SESSION_CHECKPOINT_PAGES = 16_384


@dataclass(frozen=True)
class Database:
    """An engine plus what kind of store it is."""

    engine: Engine
    url: str
    is_sqlite: bool
    read_only: bool
    path: Optional[str] = None  # the SQLite file, taken literally (``--db 'd/q?x=1.db'`` is that file)

    @property
    def sqlite_file(self) -> Optional[str]:
        """The database file of a file-backed SQLite store; None for in-memory and server databases."""
        return self.path if self.path is not None else _sqlite_path(self.url)

    @property
    def where(self) -> str:
        """The store as a user names it: the file, else the URL (without its password)."""
        return self.sqlite_file or _safe_url(self.url)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Optional[Connection]]:
        """One connection for several write transactions (:meth:`write` with ``conn``), e.g. an ingest's
        batches: no reconnect, pragmas and schema read per batch, and on a SQLite file no checkpoint
        of the whole WAL at every close, and fewer, larger automatic checkpoints
        (:data:`SESSION_CHECKPOINT_PAGES`). Yields None where there is nothing to gain (read-only
        or in-memory stores, server databases with their own pool)."""
        if self.read_only or not self.is_sqlite or self.sqlite_file is None:
            yield None
            return
        try:
            conn = self.engine.connect()
            conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={SESSION_CHECKPOINT_PAGES}")
        except SQLAlchemyError as exc:
            raise storage_error(f"cannot write to {self.where}", exc) from exc
        checkpointer = _Checkpointer(self.sqlite_file)
        conn.info[_CHECKPOINTER] = checkpointer
        try:
            yield conn
        finally:
            checkpointer.close()  # first: the session's close is then the last one, which checkpoints
            conn.close()

    @contextlib.contextmanager
    def write(self, conn: Optional[Connection] = None) -> Iterator[Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite, commit on success, rollback on error.

        On ``conn`` (from :meth:`connection`) when given, else on a connection of its own."""
        if self.read_only:
            raise StorageError(f"store {self.where} is open read-only")
        try:
            with contextlib.nullcontext(conn) if conn is not None else self.engine.connect() as c:
                if self.is_sqlite:
                    c.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    c.begin()
                try:
                    yield c
                except BaseException:
                    c.rollback()
                    raise
                else:
                    c.commit()
        except SQLAlchemyError as exc:
            raise storage_error(f"cannot write to {self.where}", exc) from exc

    def checkpoint_behind(self, conn: Optional[Connection]) -> None:
        """Start copying what the session ``conn`` (from :meth:`connection`) has committed into the
        database file, on a thread of its own, while the caller goes on (:class:`_Checkpointer`).
        For sessions with more transactions to come: the session's close checkpoints the rest."""
        checkpointer = conn.info.get(_CHECKPOINTER) if conn is not None else None
        if checkpointer is not None:
            checkpointer.kick()

    @contextlib.contextmanager
    def read(self, cache_kib: Optional[int] = None) -> Iterator[Connection]:
        """A read connection (a consistent snapshot on SQLite WAL for the block's duration).
        ``cache_kib``: a smaller page cache for a SQLite file's connection (a scan of large rows
        need not keep them cached: one 50 MB aspect would otherwise stay in it)."""
        try:
            conn = self.engine.connect()
            if self.is_sqlite and cache_kib is not None and self.sqlite_file is not None:
                conn.exec_driver_sql(f"PRAGMA cache_size=-{int(cache_kib)}")
            if self.is_sqlite:
                conn.exec_driver_sql("BEGIN")
        except SQLAlchemyError as exc:
            raise storage_error(f"cannot read {self.where}", exc) from exc
        try:
            yield conn
            if self.is_sqlite:
                conn.rollback()
        except SQLAlchemyError as exc:
            raise storage_error(f"cannot read {self.where}", exc) from exc
        finally:
            try:
                conn.close()
            except SQLAlchemyError:  # a reading generator finalised after the store closed (an export that failed)
                pass

    def close(self) -> None:
        """Dispose of pooled connections."""
        self.engine.dispose()


_CHECKPOINTER = "litemeta.checkpointer"


class _Checkpointer:
    """Copies committed WAL pages into the database file on a thread (and connection) of its own,
    after a session's commit, while the writer goes on with its next batch: a ``PASSIVE``
    checkpoint, which never waits for a lock and never blocks the writer (SQLite releases the GIL
    while it copies). The WAL then holds about one batch, so the checkpoint at the session's
    close is short, and the writer's reads search a small WAL index (20k corpus: 3.4 s to 3.0 s,
    medians of 10 runs). The thread starts at the first :meth:`kick`, so a session of one
    transaction (an emitter's single record) pays nothing. Best effort: an error just leaves the
    work to SQLite's own checkpoints."""

    def __init__(self, path: Optional[str]) -> None:
        self._path = path
        self._wake = threading.Event()
        self._stopping = False
        self._thread: Optional[threading.Thread] = None

    def kick(self) -> None:
        """Checkpoint what is committed (now, or when the running checkpoint ends)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="litemeta-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        """Stop the thread (if it ever started) and close its connection."""
        if self._thread is not None:
            self._stopping = True
            self._wake.set()
            self._thread.join()

    def _run(self) -> None:
        conn: Optional[sqlite3.Connection] = None
        try:
            conn = sqlite3.connect(
                self._path or "", timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            return
        finally:
            if conn is not None:
                conn.close()


def to_url(path_or_url: str) -> str:
    """A SQLAlchemy URL from a path, ``:memory:`` or a URL (for display: a path is opened literally)."""
    if is_url(path_or_url):
        return path_or_url
    if path_or_url == ":memory:":
        return "sqlite://"
    return "sqlite:///" + os.path.abspath(path_or_url)


def sqlite_path(path_or_url: str) -> Optional[str]:
    """The SQLite file a ``--db`` value names (absolute), or None (in-memory, another database)."""
    if path_or_url == ":memory:":
        return None
    if not is_url(path_or_url):
        return os.path.abspath(path_or_url)
    try:
        url = make_url(path_or_url)
    except Exception:  # noqa: BLE001 - SQLAlchemy's ArgumentError: opening it reports the problem
        return None
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return os.path.abspath(url.database)


def _sqlite_path(url: str) -> Optional[str]:
    return sqlite_path(url) if url.startswith("sqlite") else None


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy parses: shown as given
        return url


def open_database(
    path_or_url: str, *, read_only: bool = False, create: bool = True, pooled_connections: int = 0
) -> Database:
    """Open (and create when missing and allowed) a store; apply the connection policy.

    A value with a URL scheme is a SQLAlchemy URL; anything else is a file path, used literally.
    The database is checked before anything is written or read (:mod:`litemeta.storage.identity`):
    a foreign database (DataHub Lite's, GMS's) or a store of a newer schema is refused.

    A SQLite file is opened afresh for every use by default (a command's few transactions gain
    nothing from a pool). A long-running process that reads often (``litemeta serve``) asks for
    ``pooled_connections`` kept open for reuse: a point read then skips the open, the pragmas and
    the schema parse (0.9 ms -> 0.36 ms)."""
    url = to_url(path_or_url)
    is_sqlite = url.startswith("sqlite")
    path = sqlite_path(path_or_url) if is_sqlite else None
    literal = path if not is_url(path_or_url) else None
    where = path or _safe_url(url)
    if is_sqlite and path and not os.path.exists(path) and (read_only or not create):
        raise StorageError(f"no litemeta store at {path} (run `litemeta ingest` first, or pass --db PATH)")
    if is_sqlite and path and os.path.isdir(path):
        raise StorageError(f"{path} is a folder, not a litemeta store; pass --db with a file path")
    if is_sqlite and path and os.path.exists(path):
        from litemeta.storage.sqlite_reads import check_store_file

        check_store_file(path, new_ok=not read_only)  # before any connection of ours changes the file
    connect_args: Dict[str, Any] = {
        "timeout": BUSY_TIMEOUT_MS / 1000,
        "check_same_thread": False,
        "isolation_level": None,
    }
    pool: Dict[str, Any] = {"poolclass": NullPool}
    if pooled_connections > 0:
        pool = {"poolclass": QueuePool, "pool_size": pooled_connections, "max_overflow": 2 * pooled_connections}
    try:
        if is_sqlite and path is None:
            # one shared in-memory database for the whole store
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif is_sqlite and read_only:
            uri = read_only_uri(path or "")
            engine = create_engine(
                "sqlite://", poolclass=NullPool, creator=lambda: sqlite3.connect(uri, uri=True, **connect_args)
            )
        elif literal is not None:
            engine = create_engine("sqlite://", **pool, creator=lambda: sqlite3.connect(literal, **connect_args))
        elif is_sqlite:
            engine = create_engine(url, **pool, connect_args=connect_args)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except SQLAlchemyError as exc:
        raise storage_error(f"cannot open store {where}", exc) from exc
    except Exception as exc:  # noqa: BLE001 - a URL SQLAlchemy cannot parse, a driver that is not installed
        raise StorageError(f"cannot open store {where}: {exc}") from exc
    if is_sqlite:
        _apply_sqlite_policy(engine, file_backed=path is not None, read_only=read_only)
    db = Database(engine, url, is_sqlite, read_only, path)
    if read_only:
        _check_readable(db)
    else:
        _create_schema(db)
    return db


def _apply_sqlite_policy(engine: Engine, *, file_backed: bool, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (pysqlite's implicit transactions are off).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        if file_backed and not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers call BEGIN IMMEDIATE explicitly (Database.write); nothing to do for others.
        return None


def _tables(conn: Connection, columns: bool) -> Dict[str, Set[str]]:
    """litemeta's table names present in the database, with their columns when asked."""
    from sqlalchemy import inspect

    insp = inspect(conn)
    names = [t for t in TABLES if t in set(insp.get_table_names())]
    return {
        t: ({c["name"] for c in insp.get_columns(t)} if columns or t == "metadata_aspect_v2" else set()) for t in names
    }


def _version(conn: Connection, tables: Dict[str, Set[str]]) -> Optional[int]:
    if MARKER not in tables:
        return None
    row = conn.execute(text(f"SELECT max(version) FROM {MARKER}")).scalar()
    return int(row) if row is not None else None


def _check_readable(db: Database) -> None:
    """A read-only open: the database must be a litemeta store of a schema this litemeta knows."""
    try:
        with db.engine.connect() as conn:
            tables = _tables(conn, columns=False)
            why = refusal(db.where, tables, _version(conn, tables), SCHEMA_VERSION)
    except SQLAlchemyError as exc:
        raise storage_error(f"cannot read {db.where}", exc) from exc
    if why is None and not tables:
        why = f"{db.where} is not a litemeta store (it has none of litemeta's tables); ingest into it first"
    if why is not None:
        raise StorageError(why)


def _create_schema(db: Database) -> None:
    expected = {t.name: {c.name for c in t.columns} for t in metadata.sorted_tables}
    try:
        with db.engine.connect() as conn:
            if db.is_sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            tables = _tables(conn, columns=True)
            why = refusal(db.where, tables, _version(conn, tables), SCHEMA_VERSION, expected)
            if why is not None:
                conn.rollback()
                raise StorageError(why)
            metadata.create_all(conn)
            row = conn.execute(text("SELECT max(version) FROM litemeta_schema_version")).scalar()
            if row is None:
                import time

                conn.execute(schema_version.insert().values(version=SCHEMA_VERSION, applied_at=int(time.time() * 1000)))
            elif row < SCHEMA_VERSION:
                upgrade(conn, row)
            _ensure_store_id(conn)
            conn.commit()
    except SQLAlchemyError as exc:
        raise storage_error(f"cannot create litemeta's tables in {db.where}", exc) from exc


def _ensure_store_id(conn: Connection) -> None:
    """Give the store its id (``store_id`` in ``litemeta_settings``: a random id, written when the
    store is created or first opened for writing by a litemeta that has ids) if it has none yet.
    The search index records it and is rebuilt when it finds another (followers/search/)."""
    found = conn.execute(select(store_settings.c.value).where(store_settings.c.name == STORE_ID)).first()
    if found is None:
        import uuid

        conn.execute(store_settings.insert().values(name=STORE_ID, value=uuid.uuid4().hex))
