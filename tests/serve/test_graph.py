"""DataHubGraph and DataHubClient (acryl-datahub 1.7.0.17, unchanged) against ``litemeta serve``:
reads (rest-compat.md §4.6-4.9, §4.11), deletes (§4.4) and SDK-mode entity get/upsert (§4.12)."""

from __future__ import annotations

from typing import Any

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m

import litemeta
from tests.serve.compare import assert_same, journal_equals_store

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
DS2 = "urn:li:dataset:(urn:li:dataPlatform:mysql,crm.customers,PROD)"
NOPE = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.nothing,PROD)"


@pytest.fixture
def loaded(datahub_graph: Any) -> Any:
    datahub_graph.emit_mcps(
        [
            MCPW(entityUrn=DS, aspect=m.DatasetPropertiesClass(description="orders", customProperties={"k": "v"})),
            MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)),
            MCPW(entityUrn=DS, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass("urn:li:tag:pii")])),
            MCPW(entityUrn=DS2, aspect=m.DatasetPropertiesClass(description="customers")),
            *[
                MCPW(
                    entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=1_700_000_000_000 + i * 1000, rowCount=i)
                )
                for i in range(3)
            ],
        ]
    )
    return datahub_graph


def test_get_aspect_and_exists(loaded: Any) -> None:
    """R1.6: an entity exists when its key aspect row exists; a missing aspect reads as None (404)."""
    assert loaded.get_aspect(DS, m.DatasetPropertiesClass).customProperties == {"k": "v"}
    assert loaded.get_aspect(DS, m.OwnershipClass) is None
    assert loaded.get_aspect(NOPE, m.StatusClass) is None
    assert loaded.exists(DS) is True and loaded.exists(NOPE) is False


def test_get_entity_raw_and_aspects_for_entity(loaded: Any) -> None:
    raw = loaded.get_entity_raw(DS, ["datasetProperties", "status"])
    assert set(raw["aspects"]) == {"datasetProperties", "status", "datasetKey"}  # the key always (trap 10)
    assert all({"name", "type", "version", "value"} <= set(a) for a in raw["aspects"].values())
    got = loaded.get_aspects_for_entity(DS, ["status", "globalTags"], [m.StatusClass, m.GlobalTagsClass])
    assert got["status"].removed is False and got["globalTags"].tags[0].tag == "urn:li:tag:pii"
    unknown = loaded.get_entity_raw(NOPE)
    assert list(unknown["aspects"]) == ["datasetKey"]  # 200 with the synthesised key, never 404
    semi = loaded.get_entity_semityped(DS)
    assert semi["datasetProperties"].description == "orders" and "datasetProfile" not in semi


def test_timeseries_values_newest_first_as_json_text(loaded: Any) -> None:
    values = loaded.get_timeseries_values(DS, m.DatasetProfileClass, filter={}, limit=2)
    assert [v.rowCount for v in values] == [2, 1]
    assert loaded.get_latest_timeseries_value(DS, m.DatasetProfileClass, filter_criteria_map={}).rowCount == 2
    latest = loaded.get_latest_timeseries_value(DS, m.DatasetProfileClass, filter_criteria_map={"rowCount": "1"})
    assert latest.rowCount == 1


def test_get_urns_by_filter_scrolls_with_graphql(loaded: Any) -> None:
    assert sorted(loaded.get_urns_by_filter(entity_types=["dataset"])) == sorted([DS, DS2])
    assert list(loaded.get_urns_by_filter(entity_types=["dataset"], platform="mysql")) == [DS2]
    assert list(loaded.get_urns_by_filter(entity_types=["dataset"], query="orders")) == [DS]
    assert list(loaded.get_urns_by_filter(entity_types=["dataset"], batch_size=1)).__len__() == 2  # two pages


def test_soft_and_hard_delete(loaded: Any, litemeta_store: Any, tmp_path: Any) -> None:
    loaded.soft_delete_entity(DS)
    assert litemeta_store.get(DS, ["status"])["status"] == {"removed": True}
    assert list(loaded.get_urns_by_filter(entity_types=["dataset"])) == [DS2]  # soft-deleted hidden (R4.4)
    rows, ts_rows = loaded.hard_delete_entity(DS)
    assert (rows, ts_rows) >= (1, 3)
    assert not litemeta_store.exists(DS) and litemeta_store.timeseries(DS, "datasetProfile") == []
    assert loaded.exists(DS) is False
    journal_equals_store(litemeta_store, tmp_path)


def test_sdk_client_from_env_gets_and_upserts_entities(
    litemeta_server: str, litemeta_store: Any, tmp_path: Any
) -> None:
    """DataHubClient.from_env() (DATAHUB_GMS_URL from the fixture) writes in the OpenAPI v3 dialect."""
    from datahub.sdk import DataHubClient, Dataset

    client = DataHubClient.from_env()
    ds = Dataset(
        platform="snowflake",
        name="db.schema.sales",
        description="sales",
        tags=["urn:li:tag:gold"],
        custom_properties={"team": "finance"},
    )
    client.entities.upsert(ds)
    got = client.entities.get(ds.urn)
    assert got.description == "sales" and [str(t.tag) for t in got.tags or []] == ["urn:li:tag:gold"]
    assert litemeta_store.get(str(ds.urn))["datasetProperties"]["customProperties"] == {"team": "finance"}
    with litemeta.open_store(str(tmp_path / "ref.db")) as ref:
        ref.ingest(list(ds.as_mcps()))
        assert ref.get(str(ds.urn)) == litemeta_store.get(str(ds.urn))


def test_graph_writes_equal_an_ingest(datahub_graph: Any, litemeta_store: Any, tmp_path: Any) -> None:
    items = [
        MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)),
        MCPW(entityUrn=DS, aspect=m.DatasetPropertiesClass(description="x")),
    ]
    for item in items:
        datahub_graph.emit(item)
    with litemeta.open_store(str(tmp_path / "ref.db")) as ref:
        ref.ingest(items)
        assert_same(litemeta_store, ref)


def test_versions_and_references(datahub_graph: Any, litemeta_store: Any) -> None:
    """GET /aspects version=N reads an archived version (R1.5); deleteReferences in dry-run lists
    the referring aspects without changing them."""
    for d in ("first", "second"):
        datahub_graph.emit(MCPW(entityUrn=DS, aspect=m.DatasetPropertiesClass(description=d)))
    assert datahub_graph.get_aspect(DS, m.DatasetPropertiesClass).description == "second"
    assert datahub_graph.get_aspect(DS, m.DatasetPropertiesClass, version=1).description == "first"
    datahub_graph.emit(MCPW(entityUrn=DS, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass("urn:li:tag:pii")])))
    total, related = datahub_graph.delete_references_to_urn("urn:li:tag:pii", dry_run=True)
    assert total == 1 and related == [{"relationship": "TaggedWith", "entity": DS, "aspect": "globalTags"}]
    assert litemeta_store.get(DS)["globalTags"]["tags"][0]["tag"] == "urn:li:tag:pii"


def test_restli_search_and_counts(datahub_graph: Any) -> None:
    """entities?action=search (get_search_results, get_domain_urn_by_name) and aspects?action=getCount."""
    datahub_graph.emit_mcps(
        [
            MCPW(entityUrn="urn:li:domain:sales", aspect=m.DomainPropertiesClass(name="Sales")),
            MCPW(entityUrn="urn:li:domain:ops", aspect=m.DomainPropertiesClass(name="Operations")),
            MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)),
        ]
    )
    assert datahub_graph.get_domain_urn_by_name("Sales") == "urn:li:domain:sales"
    assert datahub_graph.get_domain_urn_by_name("Nobody") is None
    result = datahub_graph.get_search_results(count=10, entity="domain")
    assert result["value"]["numEntities"] == 2
    assert sorted(e["entity"] for e in result["value"]["entities"]) == ["urn:li:domain:ops", "urn:li:domain:sales"]
    assert datahub_graph.get_aspect_counts("domainProperties") == 2


def test_hard_delete_of_a_timeseries_aspect(loaded: Any, litemeta_store: Any) -> None:
    """entities?action=delete with aspectName: every row of that timeseries aspect goes (design.md
    choice 1); a time range, which litemeta's DELETE cannot express, is a 400 that deletes nothing."""
    from datetime import datetime, timezone

    with pytest.raises(Exception) as err:
        loaded.hard_delete_timeseries_aspect(DS, "datasetProfile", datetime(2023, 1, 1, tzinfo=timezone.utc), None)
    assert "400" in str(err.value) or "time range" in str(err.value)
    assert len(litemeta_store.timeseries(DS, "datasetProfile")) == 3
    assert loaded.hard_delete_timeseries_aspect(DS, "datasetProfile", None, None) == 3
    assert litemeta_store.timeseries(DS, "datasetProfile") == [] and litemeta_store.exists(DS)
