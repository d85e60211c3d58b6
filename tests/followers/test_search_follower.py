"""The search follower: catches up from the offset its generation records, recovers, rebuilds; store.search on SDK data."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m

import litemeta

ORDERS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
USERS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)"


def seed(store: Any) -> None:
    store.ingest(
        [
            MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders", description="Orders placed online")),
            MCPW(entityUrn=ORDERS, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag="urn:li:tag:gold")])),
            MCPW(entityUrn=USERS, aspect=m.DatasetPropertiesClass(name="customers", description="Registered people")),
            MCPW(
                entityUrn=USERS,
                aspect=m.SchemaMetadataClass(
                    schemaName="customers",
                    platform="urn:li:dataPlatform:hive",
                    version=0,
                    hash="",
                    platformSchema=m.OtherSchemaClass(rawSchema=""),
                    fields=[
                        m.SchemaFieldClass(
                            fieldPath="email_address",
                            nativeDataType="VARCHAR",
                            type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass()),
                        )
                    ],
                ),
            ),
        ]
    )


@pytest.fixture
def store(tmp_path: Any) -> Any:
    s = litemeta.open_store(str(tmp_path / "s.db"))
    seed(s)
    yield s
    s.close()


def urns(res: Any) -> list:
    return [h.urn for h in res.results]


def test_search_catches_up_with_its_own_writes_before_answering(store: Any) -> None:
    """Design rule 3: a process always sees its own committed writes (its search catches up first)."""
    assert urns(store.search("orders"))[0] == ORDERS
    assert urns(store.search("email_address")) == [USERS]  # a column name finds its table
    store.ingest([MCPW(entityUrn=ORDERS, aspect=m.EditableDatasetPropertiesClass(description="refunds included"))])
    assert urns(store.search("refunds")) == [ORDERS]


def test_soft_deleted_hidden_hard_deleted_gone(store: Any) -> None:
    """R4.4: status.removed hides an entity unless asked; a key DELETE (R1.35) removes it from the index."""
    store.ingest([MCPW(entityUrn=ORDERS, aspect=m.StatusClass(removed=True))])
    assert ORDERS not in urns(store.search("orders"))
    assert ORDERS in urns(store.search("orders", include_removed=True))
    store.ingest([MCPW(entityUrn=USERS, changeType="DELETE", aspectName="datasetKey")])
    assert store.search("customers", include_removed=True).total == 0


def test_index_rebuilds_after_being_deleted(store: Any) -> None:
    """design.md rule 2: a follower can always be rebuilt by replaying from 0."""
    before = urns(store.search("*", count=50))
    folder = store.search_follower.directory
    store.close()
    shutil.rmtree(folder)
    again = litemeta.open_store(store.settings.db, read_only=True)
    try:
        assert urns(again.search("*", count=50)) == before
        assert again.reindex() == 2 and urns(again.search("*", count=50)) == before
        assert again.reindex(from_log=True) > 0 and urns(again.search("*", count=50)) == before
    finally:
        again.close()


def test_an_offset_left_behind_only_repeats_work(store: Any) -> None:
    """Idempotent follower: a generation whose recorded offset is behind what it holds (re-processing)
    catches up to the same documents."""
    before = urns(store.search("*", count=50))
    follower = store.search_follower
    end = follower.offset()
    assert end > 0 and follower.lag() == 0
    ix, identity = follower.ensure()
    ix.apply([], identity.meta(1))  # the record says offset 1, the documents are all there
    assert follower.lag() == end - 1
    store.sync_followers()
    assert follower.offset() == end and urns(store.search("*", count=50)) == before
    assert urns(store.search("orders"))[0] == ORDERS


def test_sync_wait_makes_the_index_current_before_returning(tmp_path: Any) -> None:
    """Design rule 3: SYNC_WAIT = the search index has caught up when emit returns."""
    from litemeta.emitter import EmitMode, LitemetaEmitter

    with litemeta.open_store(str(tmp_path / "e.db")) as s:
        em = LitemetaEmitter(s)
        em.emit(MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders")), emit_mode=EmitMode.SYNC_WAIT)
        assert s.search_follower.lag() == 0
        em.emit(MCPW(entityUrn=USERS, aspect=m.DatasetPropertiesClass(name="customers")))  # SYNC_PRIMARY
        assert s.search_follower.lag() == 4  # key, browsePathsV2, dataPlatformInstance, datasetProperties
        em.flush()
        assert s.search_follower.lag() == 0


def test_facet_counts_equal_counts_computed_from_the_sql_rows(tmp_path: Any) -> None:
    """Issue 5: facet counts from the index equal counts computed here from the stored rows (R4.4: soft-deleted
    entities are not counted)."""
    from collections import Counter

    from tests.sdkcorpus import build_records

    with litemeta.open_store(str(tmp_path / "f.db")) as s:
        s.ingest(build_records(1500, 4))
        removed = {r.urn for r in s.scan(["status"]) if r.value.get("removed")}
        live = [u for u in s.list_urns() if u not in removed]
        live_set = set(live)
        want = {
            "_entityType": Counter(u.split(":")[2] for u in live),
            "tags": Counter(
                t["tag"]
                for r in s.scan(["globalTags"])
                if r.urn in live_set
                for t in {x["tag"]: x for x in r.value.get("tags", [])}.values()
            ),
            "owners": Counter(
                o
                for r in s.scan(["ownership"])
                if r.urn in live_set
                for o in {x["owner"] for x in r.value.get("owners", [])}
            ),
            "domains": Counter(
                d for r in s.scan(["domains"]) if r.urn in live_set for d in set(r.value.get("domains", []))
            ),
            "typeNames": Counter(
                t for r in s.scan(["subTypes"]) if r.urn in live_set for t in set(r.value.get("typeNames", []))
            ),
        }
        got = s.search("*", count=0).facets
        assert s.search("*", count=0).total == len(live)
        for facet, counts in want.items():
            assert got[facet] == dict(counts), facet


def test_own_writes_are_seen_even_while_another_writer_holds_the_index(store: Any) -> None:
    """A process that wrote waits for another writer of the index (its lock), then sees its write."""
    import threading
    import time as _time

    store.search("*")  # build the index
    store.ingest([MCPW(entityUrn=ORDERS, aspect=m.EditableDatasetPropertiesClass(description="waited for"))])
    folder = store.search_follower.folder
    lock = folder.try_lock()  # "another process" holds the write lock for a while
    assert lock is not None
    released = threading.Event()

    def release() -> None:
        _time.sleep(1.0)
        released.set()
        folder.unlock(lock)

    threading.Thread(target=release).start()
    assert urns(store.search("waited")) == [ORDERS]
    assert released.is_set()


def test_updates_of_an_existing_index_replace_documents(store: Any) -> None:
    """Re-indexing a changed entity replaces its document (one delete per urn through a shared searcher)."""
    store.search("*")
    for i in range(3):
        store.ingest([MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders", description=f"v{i} text"))])
        assert urns(store.search(f"v{i}")) == [ORDERS]
    assert store.search_follower.index.doc_count() == 2


def test_cli_search_reads_the_current_generation_and_reports_its_lag(store: Any) -> None:
    """The whole-process search answers from the current generation without the store; when the
    generation lags other processes' writes it says so (``stale``) instead of catching up itself."""
    import json as _json

    from click.testing import CliRunner

    from litemeta.cli import main
    from litemeta.followers.search.current import search_sqlite_file

    db = store.settings.db
    folder = store.search_follower.directory
    assert search_sqlite_file(db, folder, store.registry, "orders") is None  # nothing indexed yet
    expected = [h.urn for h in store.search("orders").results]
    direct = search_sqlite_file(db, folder, store.registry, "orders")
    assert direct is not None and [h.urn for h in direct.results] == expected and direct.stale is None
    out = _json.loads(CliRunner().invoke(main, ["search", "orders", "--db", db, "--json"]).output)
    assert [r["urn"] for r in out["results"]] == expected and out["stale"] is None
    writer = litemeta.open_store(db)  # another writer: this store's follower knows nothing of it
    writer.ingest([MCPW(entityUrn=USERS, aspect=m.EditableDatasetPropertiesClass(description="fresh words"))])
    writer.close()
    lagging = search_sqlite_file(db, folder, store.registry, "fresh")
    assert lagging is not None and lagging.stale is not None and lagging.stale.behind > 0
    store.sync_followers()  # waits for the background catch-up, or does it
    out = _json.loads(CliRunner().invoke(main, ["search", "fresh", "--db", db, "--json"]).output)
    assert [r["urn"] for r in out["results"]] == [USERS] and out["stale"] is None
