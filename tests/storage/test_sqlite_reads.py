"""The stdlib fast path of `get`/`exists` returns exactly what the store returns (R1.6)."""

from __future__ import annotations

from typing import Any

import litemeta
from litemeta.storage.sqlite_reads import key_row_exists, latest, sqlite_file
from tests.sdkcorpus import build_records


def test_fast_reads_equal_the_store(tmp_path: Any) -> None:
    db = str(tmp_path / "f.db")
    with litemeta.open_store(db) as store:
        store.ingest(build_records(800, 3))
        urns = store.list_urns()
        assert sqlite_file(db) and sqlite_file(f"sqlite:///{db}") and sqlite_file(":memory:") is None
        for urn in urns[:200]:
            assert latest(db, urn) == store.get(urn), urn
            assert latest(db, urn, ["status", "datasetProfile"]) == store.get(urn, ["status", "datasetProfile"])
            key = store.registry.entities[urn.split(":")[2]].key_aspect
            assert key_row_exists(db, urn, key) == store.exists(urn) is True
        assert not key_row_exists(db, "urn:li:corpuser:nobody", "corpUserKey")
