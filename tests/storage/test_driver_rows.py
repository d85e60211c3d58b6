"""Rows the write path inserts through the driver (storage/aspects.py) hold exactly what
SQLAlchemy's own types would have written (R1.1 columns, R1.40 timeseries rows)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import datahub.metadata.schema_classes as m
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from sqlalchemy import select

import litemeta
from litemeta.storage.tables import aspects, timeseries

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"


def test_driver_rows_match_sqlalchemys_types(tmp_path: Any) -> None:
    path = str(tmp_path / "d.db")
    observed = [1_700_000_000_123, 1_700_000_060_456]
    recs = [
        MCPW(
            entityUrn=DS,
            aspect=m.StatusClass(removed=False),
            systemMetadata=m.SystemMetadataClass(lastObserved=observed[0]),
        )
    ]
    recs += [
        MCPW(
            entityUrn=DS,
            aspect=m.DatasetProfileClass(timestampMillis=t, rowCount=i),
            systemMetadata=m.SystemMetadataClass(lastObserved=t),
        )
        for i, t in enumerate(observed)
    ]
    recs.append(
        MCPW(
            entityUrn=DS,
            aspect=m.DatasetProfileClass(timestampMillis=observed[1], rowCount=7),
            systemMetadata=m.SystemMetadataClass(lastObserved=observed[1]),
        )
    )  # same document: replaced
    with litemeta.open_store(path) as s:
        s.ingest(recs)
        dialect = s.db.engine.dialect
        with s.db.read() as conn:
            ts_times = [
                r[0] for r in conn.execute(select(timeseries.c.createdon).order_by(timeseries.c.timestampmillis))
            ]
            status_time = conn.execute(select(aspects.c.createdon).where(aspects.c.aspect == "status")).scalar()
        rows = s.timeseries(DS, "datasetProfile")
    raw = sqlite3.connect(path)
    ts_text = [r[0] for r in raw.execute("SELECT createdon FROM metadata_timeseries ORDER BY timestampmillis")]
    status_text = raw.execute("SELECT createdon FROM metadata_aspect_v2 WHERE aspect = 'status'").fetchone()[0]
    raw.close()
    to_text = timeseries.c.createdon.type.dialect_impl(dialect).bind_processor(dialect)
    assert ts_text == [to_text(t) for t in ts_times] and status_text == to_text(status_time)
    # createdon is when the store applied the write: the proposals' lastObserved (UTC, naive)
    assert ts_times == [datetime(2023, 11, 14, 22, 13, 20, 123000), datetime(2023, 11, 14, 22, 14, 20, 456000)]
    # newest first; R1.40: the second document of observed[1] replaced the first
    assert [r["rowCount"] for r in rows] == [7, 0]
