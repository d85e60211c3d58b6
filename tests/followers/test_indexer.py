"""The search follower: catches up from its committed offset, recovers, rebuilds; store.search on SDK data."""
from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m

import litemeta
from litemeta.followers.indexer import OFFSET_FILE

ORDERS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
USERS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)"


def seed(store: Any) -> None:
    store.ingest([
        MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders", description="Orders placed online")),
        MCPW(entityUrn=ORDERS, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag="urn:li:tag:gold")])),
        MCPW(entityUrn=USERS, aspect=m.DatasetPropertiesClass(name="customers", description="Registered people")),
        MCPW(entityUrn=USERS, aspect=m.SchemaMetadataClass(
            schemaName="customers", platform="urn:li:dataPlatform:hive", version=0, hash="",
            platformSchema=m.OtherSchemaClass(rawSchema=""),
            fields=[m.SchemaFieldClass(fieldPath="email_address", nativeDataType="VARCHAR",
                                       type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass()))])),
    ])


@pytest.fixture
def store(tmp_path: Any) -> Any:
    s = litemeta.open_store(str(tmp_path / "s.db"))
    seed(s)
    yield s
    s.close()


def urns(res: Any) -> list:
    return [h.urn for h in res.results]


def test_search_catches_up_before_answering(store: Any) -> None:
    """Issue 5 consistency: a search first catches up, so nobody sees stale results."""
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


def test_recovers_after_a_crash_between_index_commit_and_offset(store: Any) -> None:
    """Idempotent follower: an offset left behind (crash after the index commit) only repeats work."""
    store.search("*")
    follower = store.search_follower
    end = follower.offset()
    assert end > 0 and follower.lag() == 0
    with open(os.path.join(follower.directory, OFFSET_FILE), "w") as f:
        f.write('{"MetadataChangeLog_Versioned_v1": 1}')
    assert follower.lag() == end - 1
    assert urns(store.search("orders"))[0] == ORDERS
    assert follower.offset() == end and store.search("*").total == 2


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
            "tags": Counter(t["tag"] for r in s.scan(["globalTags"]) if r.urn in live_set
                            for t in {x["tag"]: x for x in r.value.get("tags", [])}.values()),
            "owners": Counter(o for r in s.scan(["ownership"]) if r.urn in live_set
                              for o in {x["owner"] for x in r.value.get("owners", [])}),
            "domains": Counter(d for r in s.scan(["domains"]) if r.urn in live_set
                               for d in set(r.value.get("domains", []))),
            "typeNames": Counter(t for r in s.scan(["subTypes"]) if r.urn in live_set
                                 for t in set(r.value.get("typeNames", []))),
        }
        got = s.search("*", count=0).facets
        assert s.search("*", count=0).total == len(live)
        for facet, counts in want.items():
            assert got[facet] == dict(counts), facet


def test_a_search_waits_for_another_writer_of_the_index(store: Any) -> None:
    """Two processes searching one store: the one that finds the index locked waits, then answers."""
    import threading
    import time as _time

    from litemeta.followers.search import SearchIndex

    store.search("*")  # build the index
    store.ingest([MCPW(entityUrn=ORDERS, aspect=m.EditableDatasetPropertiesClass(description="waited for"))])
    other = SearchIndex.open(store.search_follower.directory, store.registry)
    writer = other._writer()  # "another process" holds the write lock for a while
    released = threading.Event()

    def release() -> None:
        _time.sleep(1.0)
        writer.cancel()
        released.set()

    threading.Thread(target=release).start()
    assert urns(store.search("waited")) == [ORDERS]
    assert released.is_set()
    other.close()


def test_updates_of_an_existing_index_replace_documents(store: Any) -> None:
    """Re-indexing a changed entity replaces its document (one delete per urn through a shared searcher)."""
    store.search("*")
    for i in range(3):
        store.ingest([MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders", description=f"v{i} text"))])
        assert urns(store.search(f"v{i}")) == [ORDERS]
    assert store.search_follower.index.doc_count() == 2


def test_cli_search_reads_a_current_index_directly_and_catches_up_otherwise(store: Any) -> None:
    """The whole-process search skips the store only when the index has indexed the whole log."""
    import json as _json

    from click.testing import CliRunner

    from litemeta.cli import main
    from litemeta.followers.search_fast import current_index

    db = store.settings.db
    folder = store.search_follower.directory
    assert current_index(db, folder, store.registry) is None  # nothing indexed yet
    store.search("*")
    ix = current_index(db, folder, store.registry)
    assert ix is not None
    ix.close()
    expected = [h.urn for h in store.search("orders").results]
    out = _json.loads(CliRunner().invoke(main, ["search", "orders", "--db", db, "--json"]).output)
    assert [r["urn"] for r in out["results"]] == expected
    store.ingest([MCPW(entityUrn=USERS, aspect=m.EditableDatasetPropertiesClass(description="fresh words"))])
    assert current_index(db, folder, store.registry) is None  # behind the log: the CLI goes through the store
    out = _json.loads(CliRunner().invoke(main, ["search", "fresh", "--db", db, "--json"]).output)
    assert [r["urn"] for r in out["results"]] == [USERS]
