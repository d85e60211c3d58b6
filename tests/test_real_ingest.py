"""Records of a real `datahub ingest` run (DataHub's sqlalchemy source with profiling, file sink):
`check metadata-file` finds no error and `ingest` writes them all (issue 2 item 7, issue 3)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli

SHOP = """
PRAGMA foreign_keys=ON;
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, full_name TEXT, country_code CHAR(2));
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, ordered_at TIMESTAMP, total_cents BIGINT,
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers(id));
CREATE VIEW customer_revenue AS SELECT c.id, SUM(o.total_cents) AS revenue FROM customers c JOIN orders o
  ON o.customer_id = c.id GROUP BY c.id;
INSERT INTO customers VALUES (1,'a@example.com','Ann','DE'),(2,'b@example.com','Bo','US');
INSERT INTO orders VALUES (1,1,'2024-01-01',3998),(2,2,'2024-01-02',4999);
"""


@pytest.fixture(scope="module")
def datahub_output(tmp_path_factory: Any) -> Path:
    from datahub.ingestion.run.pipeline import Pipeline

    tmp = tmp_path_factory.mktemp("real")
    db = tmp / "shop.db"
    con = sqlite3.connect(str(db))
    con.executescript(SHOP)
    con.close()
    out = tmp / "real_ingest.json"
    old = os.environ.get("HOME")
    os.environ["HOME"] = str(tmp)
    os.environ.setdefault("DATAHUB_TELEMETRY_ENABLED", "false")
    try:
        p = Pipeline.create(
            {
                "source": {
                    "type": "sqlalchemy",
                    "config": {
                        "platform": "sqlite",
                        "connect_uri": f"sqlite:///{db}",
                        "include_views": True,
                        "profiling": {"enabled": True, "profile_table_level_only": False},
                    },
                },
                "sink": {"type": "file", "config": {"filename": str(out)}},
            }
        )
        p.run()
        p.raise_from_status()
    finally:
        if old is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old
    return out


def test_check_finds_no_error_in_a_real_datahub_run(cli: Cli, datahub_output: Path) -> None:
    r = cli("check", "metadata-file", str(datahub_output), "--json", code=None)
    report = json.loads(r.output)
    assert r.exit_code == 0, report["errors"][:3]
    assert report["records"] > 20 and report["invalid"] == 0


def test_ingest_writes_every_record_of_a_real_datahub_run(cli: Cli, datahub_output: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    r = cli("ingest", "--db", db, str(datahub_output), "--json", code=None)
    report = json.loads(r.output)
    assert r.exit_code == 0 and report["failed"] == 0, report["errors"][:3]
    assert report["written"] > 0
    found = cli("search", "orders", "--db", db, "--json", code=None)
    assert any("orders" in h["urn"] for h in json.loads(found.output)["results"])
