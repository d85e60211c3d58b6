"""``datahub ingest`` (acryl-datahub 1.7.0.17, a subprocess) with the ``datahub-rest`` sink into
``litemeta serve``: modes SYNC, ASYNC and ASYNC_BATCH (the default), and stateful ingestion
(rest-compat.md §5, §4.9). The store then holds what ``litemeta ingest`` of the same file gives."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

import litemeta
from tests.conftest import needs_sdk
from tests.serve.compare import journal_equals_store

# Each test runs DataHub's own CLI in subprocesses (seconds each).
pytestmark = [pytest.mark.slow, needs_sdk]


def run_recipe(recipe: Dict[str, Any], tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    path = tmp_path / f"recipe-{len(list(tmp_path.glob('recipe-*')))}.yml"
    path.write_text(yaml.safe_dump(recipe))
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "DATAHUB_TELEMETRY_ENABLED": "false", "HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-m", "datahub", "ingest", "-c", str(path), *extra],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    return out


def current(store: Any) -> Dict[Any, Any]:
    """Every current aspect value and timeseries row, by urn and aspect."""
    out: Dict[Any, Any] = {}
    for urn in store.list_urns():
        for name, value in store.get(urn).items():
            out[(urn, name)] = value
    return out


def readable_corpus(path: Path, *, patches: bool = True) -> Path:
    """The SDK-built test corpus without its DELETE proposals: DataHub's own file source cannot
    read an MCP without an aspect ("Unknown object type"), so they never reach a sink. Without
    PATCHes too when asked: read back from a file a PATCH has the content type application/json,
    which the client's OpenAPI path refuses before sending ("ChangeType PATCH only supports ...")."""
    from datahub.ingestion.sink.file import write_metadata_file

    from tests.sdkcorpus import build_records

    dropped = ("DELETE",) if patches else ("DELETE", "PATCH")
    records = [r for r in build_records(300, 3) if getattr(r, "changeType", None) not in dropped]
    write_metadata_file(path, records)
    return path


@pytest.mark.parametrize(
    "mode,endpoint", [("SYNC", "RESTLI"), ("ASYNC", "RESTLI"), ("ASYNC_BATCH", "RESTLI"), ("ASYNC_BATCH", "OPENAPI")]
)
def test_the_rest_sink_in_every_mode(
    litemeta_server: str, litemeta_store: Any, tmp_path: Path, mode: str, endpoint: str
) -> None:
    corpus = readable_corpus(tmp_path / "corpus.json", patches=endpoint == "RESTLI")
    run_recipe(
        {
            "source": {"type": "file", "config": {"path": str(corpus)}},
            "sink": {"type": "datahub-rest", "config": {"server": litemeta_server, "mode": mode, "endpoint": endpoint}},
        },
        tmp_path,
    )
    journal_equals_store(litemeta_store, tmp_path)
    assert litemeta_store.read_topic("failed") == []
    with litemeta.open_store(str(tmp_path / "file-ref.db")) as ref:
        assert ref.ingest([str(corpus)]).failed == 0
        served, wanted = current(litemeta_store), current(ref)
    ingestion_types = ("dataHubIngestionSource", "dataHubExecutionRequest")  # the sink's own report
    served = {k: v for k, v in served.items() if not k[0].startswith(tuple(f"urn:li:{t}:" for t in ingestion_types))}
    assert served.keys() == wanted.keys()
    differ = [k for k in wanted if served[k] != wanted[k]]
    assert not differ, differ[:5]


SHOP = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER);
CREATE TABLE refunds (id INTEGER PRIMARY KEY, order_id INTEGER);
"""


def test_stateful_ingestion_soft_deletes_what_disappeared(
    litemeta_server: str, litemeta_store: Any, tmp_path: Path
) -> None:
    """The checkpoint is a timeseries aspect read back with getTimeseriesAspectValues and a filter;
    a table dropped between two runs is soft-deleted by the second (stale entity removal)."""
    db = tmp_path / "shop.db"
    with sqlite3.connect(str(db)) as con:
        con.executescript(SHOP)
    recipe = {
        "pipeline_name": "shop-sqlite",
        "source": {
            "type": "sqlalchemy",
            "config": {
                "platform": "sqlite",
                "connect_uri": f"sqlite:///{db}",
                "stateful_ingestion": {"enabled": True, "remove_stale_metadata": True},
            },
        },
        "sink": {"type": "datahub-rest", "config": {"server": litemeta_server}},
    }
    run_recipe(recipe, tmp_path)
    datasets = {u: litemeta_store.get(u).get("status") for u in litemeta_store.list_urns("dataset")}
    refunds = [u for u in datasets if "refunds" in u]
    assert len(datasets) == 3 and len(refunds) == 1 and all(s == {"removed": False} for s in datasets.values())
    jobs = litemeta_store.list_urns("dataJob")
    assert any(litemeta_store.timeseries(j, "datahubIngestionCheckpoint") for j in jobs)
    with sqlite3.connect(str(db)) as con:
        con.execute("DROP TABLE refunds")
    run_recipe(recipe, tmp_path)
    assert litemeta_store.get(refunds[0])["status"] == {"removed": True}
    others = [u for u in datasets if u not in refunds]
    assert all(litemeta_store.get(u)["status"] == {"removed": False} for u in others)
    checkpoints = [json.dumps(v) for j in jobs for v in litemeta_store.timeseries(j, "datahubIngestionCheckpoint")]
    assert len(checkpoints) == 2
