"""Upgrades of a store written by an older litemeta, run when it is opened for writing.

    >>> from litemeta.storage.migrations import STEPS
    >>> sorted(STEPS)
    [1]

Each step takes the store from one schema version to the next (:data:`STEPS`); the version is
then recorded in ``litemeta_schema_version``. 1 -> 2: the topic log's one row per record becomes
record batches (same offsets and values).
"""

from __future__ import annotations

import time
from typing import Callable, Dict

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from litemeta.model.jsontext import loads
from litemeta.storage.log import ENVELOPED, Appender
from litemeta.storage.tables import SCHEMA_VERSION, schema_version, topic_log


def upgrade(conn: Connection, found: int) -> None:
    """Run every step from schema version ``found`` to :data:`SCHEMA_VERSION`, recording the new version."""
    for version in range(found, SCHEMA_VERSION):
        STEPS[version](conn)
    conn.execute(schema_version.insert().values(version=SCHEMA_VERSION, applied_at=int(time.time() * 1000)))


def migrate_record_rows(conn: Connection) -> None:
    """Schema 1 -> 2: rewrite a log of one row per record as record batches (same offsets and values)."""
    cols = {c["name"] for c in inspect(conn).get_columns("topic_log")}
    if "last_offset" in cols:
        return
    conn.exec_driver_sql("ALTER TABLE topic_log RENAME TO topic_log_v1")
    topic_log.create(conn)
    topics = [t for (t,) in conn.exec_driver_sql("SELECT DISTINCT topic FROM topic_log_v1")]
    for topic in topics:
        off_col = '"offset"'
        rows = conn.exec_driver_sql(
            f'SELECT "partition", {off_col}, timestamp, key, value, headers FROM topic_log_v1 '
            f'WHERE topic = ? ORDER BY "partition", {off_col}',
            (topic,),
        ).fetchall()
        if not rows:
            continue
        out = Appender({topic: rows[0][1]})  # the store has always kept one partition per topic
        for _p, _o, ts, key, value, headers in rows:
            if topic in ENVELOPED and value.startswith('{"header"'):  # early stores kept the envelope
                value = str(loads(value)["payload"]["value"])
            out.append_text(topic, key, ts, value, loads(headers) if headers else None)
        out.flush(conn)
    conn.exec_driver_sql("DROP TABLE topic_log_v1")


STEPS: Dict[int, Callable[[Connection], None]] = {1: migrate_record_rows}  # from version -> the step to the next
