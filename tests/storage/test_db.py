"""The connection policy of storage/db.py: pooled connections for long-running processes."""

from __future__ import annotations

from typing import Any


def test_pooled_connections_reuse_connections_and_see_new_commits(tmp_path: Any) -> None:
    """A long-running process (litemeta serve) keeps SQLite connections open; a reused connection
    still reads each new commit (every read is its own transaction)."""
    import litemeta

    with litemeta.open_store(str(tmp_path / "p.db"), pooled_connections=2) as store:
        assert type(store.db.engine.pool).__name__ == "QueuePool"
        seen = []
        for i in range(3):
            store.ingest(
                [
                    {
                        "entityType": "corpuser",
                        "entityUrn": f"urn:li:corpuser:u{i}",
                        "changeType": "UPSERT",
                        "aspectName": "status",
                        "aspect": {"json": {"removed": False}},
                    }
                ]
            )
            seen.append(len(store.list_urns("corpuser")))
        assert seen == [1, 2, 3]
        assert store.db.engine.pool.checkedin() >= 1  # connections went back to the pool, open
