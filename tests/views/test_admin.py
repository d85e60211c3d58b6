"""litemeta.views.admin: selection, soft/hard/aspect delete and undo through the write path, ls, stats, nuke."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Dict, List

import datahub.metadata.schema_classes as S
import pytest
from datahub.emitter.mce_builder import make_data_job_urn, make_dataset_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W

from litemeta.errors import InputError, InvalidUrnError, LitemetaError, StorageError, UnknownAspectError
from litemeta.store import MetadataStore, open_store
from litemeta.views import admin, browse

ORDERS = make_dataset_urn("hive", "shop.orders", "PROD")
CUSTOMERS = make_dataset_urn("hive", "shop.customers", "PROD")
DEV_ORDERS = make_dataset_urn("hive", "shop.orders", "DEV")
SALES = make_dataset_urn("snowflake", "mart.sales", "PROD")
S3 = make_dataset_urn("s3", "bucket/raw/events", "PROD")
ALICE = "urn:li:corpuser:alice"
CHART = "urn:li:chart:(looker,sales_chart)"
JOB = make_data_job_urn("airflow", "etl", "build")
CONTAINER = "urn:li:container:0123456789abcdef"
PLATFORM = "urn:li:dataPlatform:hive"  # an entity type without a status aspect


def _path(*ids: str) -> S.BrowsePathsV2Class:
    return S.BrowsePathsV2Class(path=[S.BrowsePathEntryClass(id=i) for i in ids])


def records() -> List[Any]:
    """SDK MCPWs: datasets of three platforms and two envs with explicit browse paths, and more."""
    sm = S.SystemMetadataClass(lastObserved=1_000, runId="seed")
    return [
        W(entityUrn=ORDERS, aspect=_path("shop"), systemMetadata=sm),
        W(
            entityUrn=ORDERS,
            aspect=S.DatasetPropertiesClass(name="orders", description="customer orders"),
            systemMetadata=sm,
        ),
        W(entityUrn=ORDERS, aspect=S.DatasetProfileClass(timestampMillis=1_000, rowCount=10), systemMetadata=sm),
        W(entityUrn=ORDERS, aspect=S.DatasetProfileClass(timestampMillis=2_000, rowCount=12), systemMetadata=sm),
        W(entityUrn=CUSTOMERS, aspect=_path("shop"), systemMetadata=sm),
        W(entityUrn=CUSTOMERS, aspect=S.DatasetPropertiesClass(name="customers"), systemMetadata=sm),
        W(entityUrn=DEV_ORDERS, aspect=_path("shop"), systemMetadata=sm),
        W(entityUrn=SALES, aspect=_path("mart"), systemMetadata=sm),
        W(entityUrn=S3, aspect=_path("bucket/raw"), systemMetadata=sm),  # a folder name with a slash
        W(entityUrn=ALICE, aspect=S.CorpUserInfoClass(active=True, displayName="Alice"), systemMetadata=sm),
        W(
            entityUrn=CHART,
            aspect=S.ChartInfoClass(title="Sales", description="", lastModified=S.ChangeAuditStampsClass()),
            systemMetadata=sm,
        ),
        W(entityUrn=JOB, aspect=S.DataJobInfoClass(name="build", type="COMMAND"), systemMetadata=sm),
        W(entityUrn=CONTAINER, aspect=S.ContainerPropertiesClass(name="shop", env="DEV"), systemMetadata=sm),
        W(
            entityUrn=PLATFORM,
            aspect=S.DataPlatformInfoClass(name="hive", type="FILE_SYSTEM", datasetNameDelimiter="."),
            systemMetadata=sm,
        ),
    ]


@pytest.fixture
def store(store: Any) -> Any:
    """The shared store (memory and file), with the records above."""
    report = store.ingest(records())
    assert report.failed == 0, report.errors
    return store


# ------------------------------------------------------------------------------ facts and selection
def test_platform_of_reads_instance_then_key() -> None:
    """The platform comes from dataPlatformInstance, else from the key (chart tool, a job's flow)."""
    assert (
        browse.platform_of({"dataPlatformInstance": {"platform": "urn:li:dataPlatform:hive"}}, "datasetKey")
        == "urn:li:dataPlatform:hive"
    )
    assert (
        browse.platform_of({"chartKey": {"dashboardTool": "looker", "chartId": "x"}}, "chartKey")
        == "urn:li:dataPlatform:looker"
    )
    assert (
        browse.platform_of({"dataJobKey": {"flow": "urn:li:dataFlow:(airflow,etl,prod)", "jobId": "j"}}, "dataJobKey")
        == "urn:li:dataPlatform:airflow"
    )
    assert browse.platform_of({"corpUserKey": {"username": "a"}}, "corpUserKey") is None


def test_env_of_origin_and_container() -> None:
    """datahub's env filter: the key's origin, a container's env or env=/instance= custom property."""
    assert browse.env_of({"datasetKey": {"origin": "DEV"}}, "datasetKey") == "DEV"
    assert browse.env_of({"containerProperties": {"name": "c", "env": "QA"}}, "containerKey") == "QA"
    assert (
        browse.env_of({"containerProperties": {"name": "c", "customProperties": {"instance": "PROD"}}}, "containerKey")
        == "PROD"
    )


def test_select_by_platform_env_and_type(store: MetadataStore) -> None:
    assert set(admin.select(store, platform="hive").urns) == {ORDERS, CUSTOMERS, DEV_ORDERS}
    assert set(admin.select(store, platform="urn:li:dataPlatform:hive", env="PROD").urns) == {ORDERS, CUSTOMERS}
    assert set(admin.select(store, env="dev").urns) == {DEV_ORDERS, CONTAINER}
    assert admin.select(store, entity_type="chart").urns == (CHART,)
    assert admin.select(store, platform="airflow").urns == (JOB,)


def test_select_urns_reports_missing_and_rejects_bad_urns(store: MetadataStore) -> None:
    """R1.6: an entity exists iff its key aspect row exists."""
    missing = make_dataset_urn("hive", "nope")
    sel = admin.select(store, urns=[ORDERS, missing, ORDERS])
    assert sel.urns == (ORDERS,) and sel.not_found == (missing,)
    with pytest.raises(InvalidUrnError):
        admin.select(store, urns=["not-an-urn"])
    with pytest.raises(InputError, match="at least one filter"):
        admin.select(store)
    with pytest.raises(LitemetaError, match="chartz"):
        admin.select(store, entity_type="chartz")


def test_select_by_query_uses_search(store: MetadataStore) -> None:
    assert admin.select(store, query="customers", entity_type="dataset").urns == (CUSTOMERS,)


# ------------------------------------------------------------------------------ delete and undo
def _last_mcl(store: MetadataStore) -> Dict[str, Any]:
    return store.read_topic("MetadataChangeLog_Versioned_v1")[-1].value


def test_soft_delete_writes_status_as_system_actor(store: MetadataStore) -> None:
    """R1.35 soft branch: UPSERT status {removed: true}; R8.21: actor urn:li:corpuser:__datahub_system;
    journaled on the MCP topic with datahub delete's run id."""
    mcp_before = len(store.read_topic("MetadataChangeProposal_v1"))
    report = admin.delete_entities(store, [ORDERS, CUSTOMERS], mode="soft")
    assert (report.changed, report.unchanged, report.failed) == (2, 0, 0)
    assert store.get(ORDERS, ["status"]) == {"status": {"removed": True}}
    row = store.history(ORDERS, "status")[-1]
    assert row.created_by == "urn:li:corpuser:__datahub_system"
    assert row.system_metadata["runId"] == "__datahub-delete-cli"
    mcl = _last_mcl(store)
    assert mcl["aspectName"] == "status" and mcl["created"]["actor"] == "urn:li:corpuser:__datahub_system"
    journal = store.read_topic("MetadataChangeProposal_v1")[mcp_before:]
    assert [(r.value["entityUrn"], r.value["aspectName"]) for r in journal] == [
        (ORDERS, "status"),
        (CUSTOMERS, "status"),
    ]
    assert store.exists(ORDERS) and not store.exists(ORDERS, include_soft_deleted=False)
    again = admin.delete_entities(store, [ORDERS], mode="soft")
    assert (again.changed, again.unchanged) == (0, 1)


def test_undo_restores(store: MetadataStore) -> None:
    """datahub delete undo-by-filter: status {removed: false}."""
    admin.delete_entities(store, [ORDERS], mode="soft")
    assert admin.select(store, platform="hive", removed=True).urns == (ORDERS,)
    report = admin.delete_entities(store, [ORDERS], mode="undo")
    assert report.changed == 1
    assert store.get(ORDERS, ["status"]) == {"status": {"removed": False}}
    assert store.history(ORDERS, "status")[-1].system_metadata["runId"] == "__datahub-graph-client"


def test_hard_delete_removes_every_row(store: MetadataStore) -> None:
    """R1.35: DELETE of the key aspect removes all rows of the urn (timeseries too) with a DELETE MCL."""
    assert store.row_counts([ORDERS])[ORDERS]["timeseriesRows"] == 2
    report = admin.delete_entities(store, [ORDERS], mode="hard")
    assert (
        report.changed == 1 and report.rows == 4 and report.timeseries_rows == 2
    )  # key, browsePathsV2, properties, dataPlatformInstance
    assert not store.exists(ORDERS)
    assert store.get(ORDERS) == {}
    assert store.row_counts([ORDERS])[ORDERS] == {"rows": 0, "timeseriesRows": 0}
    mcl = _last_mcl(store)
    assert (mcl["changeType"], mcl["aspectName"]) == ("DELETE", "datasetKey")
    assert store.exists(CUSTOMERS)


def test_aspect_delete_keeps_the_entity(store: MetadataStore) -> None:
    """R1.34 without conditions: the aspect and its whole history go; the entity stays."""
    store.ingest([W(entityUrn=ORDERS, aspect=S.DatasetPropertiesClass(name="orders v2"))])
    assert len(store.history(ORDERS, "datasetProperties")) == 2
    report = admin.delete_entities(store, [ORDERS], mode="aspect", aspect="datasetProperties")
    assert report.changed == 1 and report.rows == 2
    assert store.history(ORDERS, "datasetProperties") == []
    assert store.exists(ORDERS)
    with pytest.raises(UnknownAspectError):
        admin.delete_entities(store, [ORDERS], mode="aspect", aspect="nopeAspect")


def test_dry_run_changes_nothing(store: MetadataStore) -> None:
    before = (store.aspect_counts(), store.topic_sizes(), store.timeseries_counts())
    report = admin.delete_entities(store, [ORDERS, CUSTOMERS], mode="hard", dry_run=True)
    assert report.dry_run and report.changed == 2 and report.rows == 4 + 4
    assert (store.aspect_counts(), store.topic_sizes(), store.timeseries_counts()) == before


def test_entity_without_status_cannot_be_soft_deleted(store: MetadataStore) -> None:
    """R1.35: soft delete needs a status aspect; dataPlatform has none."""
    report = admin.delete_entities(store, [PLATFORM, ORDERS], mode="soft")
    assert report.changed == 1
    assert [u for u, _ in report.skipped] == [PLATFORM]
    assert "status" not in store.get(PLATFORM)


# ------------------------------------------------------------------------------ ls
def _names(listing: browse.Listing) -> List[str]:
    return [e.name for e in listing.entries]


def test_ls_levels(store: MetadataStore) -> None:
    root = browse.ls(store, "/")
    counts = {e.name: e.count for e in root.entries}
    assert counts == {"chart": 1, "container": 1, "corpuser": 1, "dataJob": 1, "dataPlatform": 1, "dataset": 5}
    assert {e.name: e.count for e in browse.ls(store, "/dataset").entries} == {"hive": 3, "s3": 1, "snowflake": 1}
    assert [(e.name, e.count) for e in browse.ls(store, "/dataset/hive").entries] == [("shop", 3)]
    assert _names(browse.ls(store, "/dataset/hive/shop")) == sorted([CUSTOMERS, DEV_ORDERS, ORDERS])
    assert [e.kind for e in browse.ls(store, "/dataset/hive/shop").entries] == ["entity"] * 3
    assert _names(browse.ls(store, "/corpuser")) == [ALICE]  # no platform: entities right away


def test_ls_slash_inside_a_folder_name(store: MetadataStore) -> None:
    listing = browse.ls(store, "/dataset/s3")
    assert _names(listing) == ["bucket/raw"]
    assert _names(browse.ls(store, "/dataset/s3/" + browse.join_path(["bucket/raw"]).lstrip("/"))) == [S3]


def test_ls_hides_soft_deleted(store: MetadataStore) -> None:
    admin.delete_entities(store, [ORDERS, DEV_ORDERS], mode="soft")
    assert _names(browse.ls(store, "/dataset/hive/shop")) == [CUSTOMERS]
    assert len(browse.ls(store, "/dataset/hive/shop", include_removed=True).entries) == 3
    assert {e.name: e.count for e in browse.ls(store, "/").entries}["dataset"] == 3
    admin.delete_entities(store, [CUSTOMERS], mode="soft")
    assert browse.ls(store, "/dataset/hive/shop").entries == ()  # exists, but everything there is hidden


def test_ls_unknown_paths(store: MetadataStore) -> None:
    with pytest.raises(InputError, match="did you mean /dataset"):
        browse.ls(store, "/Dataset")
    with pytest.raises(InputError, match="path not found: /dataset/hive/nope"):
        browse.ls(store, "/dataset/hive/nope")


# ------------------------------------------------------------------------------ stats
def test_stats(store: MetadataStore) -> None:
    admin.delete_entities(store, [ORDERS], mode="soft")
    store.commit("alerts", {"PlatformEvent_v1": 1})
    s = admin.stats(store)
    assert s["entities"] == {"chart": 1, "container": 1, "corpuser": 1, "dataJob": 1, "dataPlatform": 1, "dataset": 5}
    assert s["entitiesTotal"] == 10 and s["softDeleted"] == {"dataset": 1}
    assert s["timeseries"] == {"datasetProfile": 2}
    assert s["aspects"]["datasetProperties"] == {"current": 2, "archived": 0}
    pe = len(store.read_topic("PlatformEvent_v1"))
    assert s["topics"]["PlatformEvent_v1"] == pe
    assert s["topics"]["MetadataChangeProposal_v1"] == len(records()) + 1
    assert s["consumerGroups"]["alerts"]["lag"]["PlatformEvent_v1"] == pe - 1
    assert s["runs"] == 2  # "seed" and the delete's "__datahub-delete-cli"


# ------------------------------------------------------------------------------ nuke
def test_nuke_removes_db_wal_shm_index_and_lineage_cache(tmp_path: pathlib.Path) -> None:
    from litemeta.storage.sqlite_reads import SqliteReader
    from litemeta.views.graph import cached_graph

    db = str(tmp_path / "n.db")
    with open_store(db) as s:
        s.ingest(records()[:3])
        s.search("orders")  # creates the index folder beside the store
    with SqliteReader(db) as reader:
        cached_graph(reader)  # `litemeta lineage` keeps the graph beside the store
    for extra in ("-wal", "-shm"):
        pathlib.Path(db + extra).write_bytes(b"")
    assert os.path.isdir(db + ".index") and os.path.isfile(db + ".cache/lineage.json")
    removed = admin.nuke(db)
    assert sorted(removed) == sorted([db, db + "-wal", db + "-shm", db + ".index", db + ".cache"])
    assert os.listdir(tmp_path) == []


def test_nuke_refuses_other_files(tmp_path: pathlib.Path) -> None:
    other = tmp_path / "notes.db"
    other.write_text("not a database")
    with pytest.raises(StorageError, match="not a litemeta store"):
        admin.nuke(str(other))
    assert other.read_text() == "not a database"
    with pytest.raises(StorageError, match="no litemeta store"):
        admin.nuke(str(tmp_path / "missing.db"))
    with pytest.raises(LitemetaError, match="in-memory"):
        admin.nuke(":memory:")


def test_delete_report_json_shape(store: MetadataStore) -> None:
    d = admin.delete_entities(store, [ORDERS], mode="soft", not_found=["urn:li:corpuser:ghost"]).as_dict()
    assert json.loads(json.dumps(d))["notFound"] == ["urn:li:corpuser:ghost"]
    assert d["entities"] == 1 and d["mode"] == "soft"
