"""The write path against DataHub's rules (datahub-semantics.md §1, §2, §10), with SDK-built input."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m

import litemeta
from litemeta.model.events import FAILED_MCP_TOPIC, MCL_TIMESERIES_TOPIC, MCL_VERSIONED_TOPIC, MCP_TOPIC

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
DS2 = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)"
T0 = 1_700_000_000_000


@pytest.fixture(params=["memory", "file"])
def store(request: Any, tmp_path: Any) -> Any:
    path = ":memory:" if request.param == "memory" else str(tmp_path / "t.db")
    s = litemeta.open_store(path)
    s.clock = lambda: T0 + 999_999  # records without lastObserved get this time
    yield s
    s.close()


def sm(i: int, run: str = "run-1", **extra: Any) -> m.SystemMetadataClass:
    return m.SystemMetadataClass(lastObserved=T0 + i, runId=run, **extra)


def props(desc: str) -> m.DatasetPropertiesClass:
    return m.DatasetPropertiesClass(description=desc, customProperties={"k": "v"})


def mcls(store: Any, urn: str = DS, aspect: str = "datasetProperties", topic: str = MCL_VERSIONED_TOPIC) -> List[Dict]:
    return [r.value for r in store.read_topic(topic) if r.key == urn and r.value["aspectName"] == aspect]


def rows(store: Any, urn: str, aspect: str) -> Dict[int, Any]:
    return {r.version: r for r in store.history(urn, aspect)}


def test_r1_2_r1_3_versions_are_chronological_and_row_0_is_latest(store: Any) -> None:
    """R1.2, R1.3: 5 distinct writes give rows 0 (current) and 1..4, where 4 is the previous value."""
    for i in range(5):
        store.ingest([MCPW(entityUrn=DS, aspect=props(f"d{i}"), systemMetadata=sm(i))])
    r = rows(store, DS, "datasetProperties")
    assert sorted(r) == [0, 1, 2, 3, 4]
    assert r[0].value["description"] == "d4"
    assert [r[v].value["description"] for v in (1, 2, 3, 4)] == ["d0", "d1", "d2", "d3"]


def test_r1_4_archived_row_keeps_old_audit_and_system_metadata(store: Any) -> None:
    """R1.4: the archived copy keeps the old row's createdon, createdby and systemmetadata."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1, "run-a"))])
    store.ingest([MCPW(entityUrn=DS, aspect=props("b"), systemMetadata=sm(2, "run-b"))])
    r = rows(store, DS, "datasetProperties")
    assert r[1].created_on == T0 + 1 and r[1].system_metadata["runId"] == "run-a"
    assert r[0].created_on == T0 + 2 and r[0].system_metadata["runId"] == "run-b"
    assert r[0].created_by == "urn:li:corpuser:datahub"  # choice 6 default actor


def test_r8_19_system_metadata_version_counts_changes(store: Any) -> None:
    """R8.19: first write stores "1"; after N changed writes row 0 holds "N"; archived row k holds "k"."""
    for i in range(4):
        store.ingest([MCPW(entityUrn=DS, aspect=props(f"d{i}"), systemMetadata=sm(i))])
    r = rows(store, DS, "datasetProperties")
    assert r[0].system_metadata["version"] == "4"
    assert [r[k].system_metadata["version"] for k in (1, 2, 3)] == ["1", "2", "3"]
    assert [json.loads(x["aspect"]["value"])["description"] for x in mcls(store)] == ["d0", "d1", "d2", "d3"]
    assert [x["systemMetadata"]["version"] for x in mcls(store)] == ["1", "2", "3", "4"]


def test_r1_5_negative_versions_count_from_the_end(store: Any) -> None:
    """R1.5: version -1 is the newest archived version."""
    for i in range(3):
        store.ingest([MCPW(entityUrn=DS, aspect=props(f"d{i}"), systemMetadata=sm(i))])
    assert store.get(DS, ["datasetProperties"], version=-1)["datasetProperties"]["description"] == "d1"
    assert store.get(DS, ["datasetProperties"], version=1)["datasetProperties"]["description"] == "d0"


def test_r8_4_identical_value_is_a_no_op_that_refreshes_run_fields(store: Any) -> None:
    """R8.4, R1.18: same value: no version, no MCL; lastObserved/runId refreshed, incoming properties ignored."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("same"), systemMetadata=sm(1, "run-a", properties={"p": "1"}))])
    n_mcl = len(store.read_topic(MCL_VERSIONED_TOPIC))
    rep = store.ingest([MCPW(entityUrn=DS, aspect=props("same"), systemMetadata=sm(5, "run-b", properties={"p": "2"}))])
    assert rep.unchanged == 1 and rep.written == 0
    assert len(store.read_topic(MCL_VERSIONED_TOPIC)) == n_mcl
    r = rows(store, DS, "datasetProperties")
    assert sorted(r) == [0]
    stored = r[0].system_metadata
    assert stored["lastObserved"] == T0 + 5 and stored["runId"] == "run-b" and stored["lastRunId"] == "run-a"
    assert stored["properties"] == {"p": "1"}  # the stored properties are kept (R8.4)
    assert r[0].created_on == T0 + 1  # audit columns kept


def test_r8_4_no_op_with_same_system_metadata_writes_nothing(store: Any) -> None:
    """R8.4 / §8 trap 4: value and systemMetadata unchanged: nothing is written at all; R1.11 repeats."""
    rec = MCPW(entityUrn=DS, aspect=props("x"), systemMetadata=sm(1))
    store.ingest([rec])
    before = store.history(DS, "datasetProperties")
    offsets = {t: len(store.read_topic(t)) for t in (MCL_VERSIONED_TOPIC,)}
    rep = store.ingest([rec, rec])
    assert rep.unchanged == 2
    after = store.history(DS, "datasetProperties")
    assert after == before  # row 0 untouched: same value, systemMetadata and audit columns
    assert len(store.read_topic(MCL_VERSIONED_TOPIC)) == offsets[MCL_VERSIONED_TOPIC]


def test_r8_5_changed_value_merges_system_metadata(store: Any) -> None:
    """R8.5: the stored systemMetadata keeps its properties; the MCL carries the incoming one with version."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1, "r1", properties={"p": "old"}))])
    store.ingest([MCPW(entityUrn=DS, aspect=props("b"), systemMetadata=sm(2, "r2", properties={"p": "new"}))])
    row0 = rows(store, DS, "datasetProperties")[0].system_metadata
    assert row0["properties"] == {"p": "old"} and row0["runId"] == "r2" and row0["lastRunId"] == "r1"
    assert row0["version"] == "2"
    last = mcls(store)[-1]
    assert last["systemMetadata"]["properties"] == {"p": "new"} and last["systemMetadata"]["version"] == "2"


def test_r2_1_mcl_fields(store: Any) -> None:
    """R2.1: the MCL copies the MCP and adds created, previousAspectValue, previousSystemMetadata."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1))])
    store.ingest([MCPW(entityUrn=DS, aspect=props("b"), systemMetadata=sm(2))])
    first, second = mcls(store)
    assert "previousAspectValue" not in first
    assert second["changeType"] == "UPSERT" and second["entityType"] == "dataset"
    assert json.loads(second["previousAspectValue"]["value"])["description"] == "a"
    assert second["previousSystemMetadata"]["lastObserved"] == T0 + 1
    assert second["created"] == {"time": T0 + 2, "actor": "urn:li:corpuser:datahub"}
    assert second["aspect"]["contentType"] == "application/json"


def test_r1_22_r1_23_new_entity_gets_key_and_default_aspects_first(store: Any) -> None:
    """R1.23, R1.24, choice 3: key aspect, browsePathsV2, dataPlatformInstance, each with its MCL, before the write."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1))])
    log = [(r.value["aspectName"], r.value["changeType"]) for r in store.read_topic(MCL_VERSIONED_TOPIC)]
    assert log == [
        ("datasetKey", "UPSERT"),
        ("browsePathsV2", "UPSERT"),
        ("dataPlatformInstance", "UPSERT"),
        ("datasetProperties", "UPSERT"),
    ]
    got = store.get(DS)
    assert got["datasetKey"] == {"platform": "urn:li:dataPlatform:hive", "name": "shop.orders", "origin": "PROD"}
    # BrowsePathV2Utils: dataset name split on the platform delimiter, the last part omitted
    assert got["browsePathsV2"] == {"path": [{"id": "shop"}]}
    assert got["dataPlatformInstance"] == {"platform": "urn:li:dataPlatform:hive"}
    assert store.exists(DS)


def test_r1_22_client_key_aspect_is_dropped_with_a_warning(store: Any) -> None:
    """R1.22: a key aspect in the input is replaced by the server's; not an error."""
    rep = store.ingest(
        [
            MCPW(
                entityUrn=DS,
                aspect=m.DatasetKeyClass(platform="urn:li:dataPlatform:x", name="other", origin="DEV"),
                systemMetadata=sm(1),
            )
        ]
    )
    assert rep.failed == 0 and rep.warnings
    assert store.get(DS)["datasetKey"]["name"] == "shop.orders"


def test_r1_23_defaults_not_generated_when_carried_or_existing(store: Any) -> None:
    """R1.23: no default browsePathsV2 when the same proposal carries it; none for an existing entity."""
    path = m.BrowsePathsV2Class(path=[m.BrowsePathEntryClass(id="mine")])
    store.ingest([MCPW(entityUrn=DS, aspect=path, systemMetadata=sm(1))])
    assert store.get(DS)["browsePathsV2"] == {"path": [{"id": "mine"}]}
    assert [r.value["aspectName"] for r in store.read_topic(MCL_VERSIONED_TOPIC)].count("browsePathsV2") == 1
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(2))])
    assert [r.value["aspectName"] for r in store.read_topic(MCL_VERSIONED_TOPIC)].count("datasetKey") == 1


def test_r1_6_exists_needs_the_key_row_and_soft_delete_is_optional(store: Any) -> None:
    """R1.6: exists() and list_urns() use the key row; includeSoftDeleted=false hides removed entities."""
    assert not store.exists(DS)
    store.ingest([MCPW(entityUrn=DS, aspect=m.StatusClass(removed=True), systemMetadata=sm(1))])
    assert store.exists(DS) and not store.exists(DS, include_soft_deleted=False)
    assert store.list_urns("dataset") == [DS]


def test_r1_29_create_fails_when_the_aspect_exists(store: Any) -> None:
    """R1.29: CREATE on an existing aspect fails (FailedMCP); with If-None-Match: * it is dropped silently."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1))])
    rep = store.ingest([MCPW(entityUrn=DS, aspect=props("b"), changeType="CREATE", systemMetadata=sm(2))])
    assert rep.failed == 1 and "already exists" in rep.errors[0]["message"]
    failed = store.read_topic(FAILED_MCP_TOPIC)
    assert len(failed) == 1 and "already exists" in failed[0].value["error"]
    assert failed[0].value["metadataChangeProposal"]["changeType"] == "CREATE"
    rep = store.ingest(
        [
            MCPW(
                entityUrn=DS,
                aspect=props("c"),
                changeType="CREATE",
                systemMetadata=sm(3),
                headers={"If-None-Match": "*"},
            )
        ]
    )
    assert rep.failed == 0 and store.get(DS)["datasetProperties"]["description"] == "a"
    # the failed proposal is not journaled on the MCP topic (choice 5 journals accepted ones)
    assert [r.value["changeType"] for r in store.read_topic(MCP_TOPIC)] == ["UPSERT", "CREATE"]


def test_r1_30_create_entity_only_for_new_entities(store: Any) -> None:
    """R1.30: CREATE_ENTITY succeeds for a new entity and fails once its key exists."""
    rep = store.ingest([MCPW(entityUrn=DS, aspect=props("a"), changeType="CREATE_ENTITY", systemMetadata=sm(1))])
    assert rep.failed == 0 and rep.written == 1
    rep = store.ingest(
        [MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False), changeType="CREATE_ENTITY", systemMetadata=sm(2))]
    )
    assert rep.failed == 1 and "CREATE_ENTITY" in rep.errors[0]["message"]


def test_r1_44_if_version_match_conflict_names_header_expected_actual(store: Any) -> None:
    """R1.44: If-Version-Match compares with systemMetadata.version; a mismatch is a ConflictError."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1))])
    rep = store.ingest([MCPW(entityUrn=DS, aspect=props("b"), systemMetadata=sm(2), headers={"if-version-match": "7"})])
    assert rep.failed == 1
    msg = rep.errors[0]["message"]
    assert "If-Version-Match" in msg and "7" in msg and "1" in msg and rep.errors[0]["reason"] == "ConflictError"
    rep = store.ingest([MCPW(entityUrn=DS, aspect=props("b"), systemMetadata=sm(3), headers={"If-Version-Match": "1"})])
    assert rep.failed == 0 and store.get(DS)["datasetProperties"]["description"] == "b"


def test_r1_34_delete_aspect_removes_history_and_logs_delete(store: Any) -> None:
    """R1.34: DELETE of an aspect removes every version; the MCL is DELETE with the previous value."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1))])
    store.ingest([MCPW(entityUrn=DS, aspect=props("b"), systemMetadata=sm(2))])
    store.ingest([MCPW(entityUrn=DS, aspectName="datasetProperties", changeType="DELETE", systemMetadata=sm(3))])
    assert store.history(DS, "datasetProperties") == []
    last = mcls(store)[-1]
    assert last["changeType"] == "DELETE" and "aspect" not in last
    assert json.loads(last["previousAspectValue"]["value"])["description"] == "b"
    assert store.exists(DS)


def test_r1_35_delete_key_aspect_hard_deletes_the_entity(store: Any) -> None:
    """R1.35: DELETE of the key aspect removes all rows and timeseries of the urn; one DELETE MCL for the key."""
    store.ingest(
        [
            MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1)),
            MCPW(entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=T0, rowCount=5), systemMetadata=sm(2)),
            MCPW(entityUrn=DS2, aspect=props("other"), systemMetadata=sm(3)),
        ]
    )
    store.ingest([MCPW(entityUrn=DS, aspectName="datasetKey", changeType="DELETE", systemMetadata=sm(4))])
    assert store.get(DS) == {} and not store.exists(DS)
    assert store.timeseries(DS, "datasetProfile") == []
    assert store.exists(DS2)
    key_mcls = mcls(store, DS, "datasetKey")
    assert [x["changeType"] for x in key_mcls] == ["UPSERT", "DELETE"]


def test_r1_35_key_delete_then_recreate_in_one_batch_forgets_aspects_the_batch_never_read(store: Any) -> None:
    """R1.35 then R1.23 in one batch: a batch reads only the aspects its proposals name (and the
    key and default lookups); the other rows of a deleted entity must not come back."""
    store.ingest(
        [
            MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1)),
            MCPW(
                entityUrn=DS,
                aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass("urn:li:tag:t")]),
                systemMetadata=sm(2),
            ),
        ]
    )
    rep = store.ingest(
        [
            MCPW(entityUrn=DS, aspectName="datasetKey", changeType="DELETE", systemMetadata=sm(3)),
            MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False), systemMetadata=sm(4)),
        ]
    )
    assert rep.failed == 0
    after = store.get(DS)
    assert "datasetProperties" not in after and "globalTags" not in after
    assert after["status"] == {"removed": False} and "datasetKey" in after
    assert store.history(DS, "datasetProperties") == [] and store.history(DS, "globalTags") == []
    assert [x["changeType"] for x in mcls(store, DS, "datasetKey")] == ["UPSERT", "DELETE", "UPSERT"]


@pytest.mark.parametrize("delimiter", ["/", "."])
def test_r1_23_default_browse_path_reads_an_aspect_its_batch_did_not_name(tmp_path: Any, delimiter: str) -> None:
    """R1.23 (browsePathsV2 default): the platform's dataPlatformInfo delimiter is read when the
    default is computed, also when the platform urn is in the batch with other aspects only."""
    platform = "urn:li:dataPlatform:s3"
    ds = "urn:li:dataset:(urn:li:dataPlatform:s3,bucket/dir/file,PROD)"
    paths = []
    for with_platform in (False, True):
        with litemeta.open_store(str(tmp_path / f"{with_platform}.db")) as s:
            s.clock = lambda: T0
            s.ingest(
                [
                    MCPW(
                        entityUrn=platform,
                        aspect=m.DataPlatformInfoClass(name="s3", type="FILE_SYSTEM", datasetNameDelimiter=delimiter),
                        systemMetadata=sm(1),
                    )
                ]
            )
            batch = [MCPW(entityUrn=ds, aspect=m.StatusClass(removed=False), systemMetadata=sm(2))]
            if with_platform:  # the platform urn is read for its key aspect only (dropped, R1.22)
                batch.insert(
                    0, MCPW(entityUrn=platform, aspect=m.DataPlatformKeyClass(platformName="s3"), systemMetadata=sm(2))
                )
            s.ingest(batch)
            paths.append(s.get(ds, ["browsePathsV2"])["browsePathsV2"])
    assert paths[0] == paths[1]
    # "/" splits the name into folders; "." finds none and gives DataHub's "Default" path
    assert [p["id"] for p in paths[0]["path"]] == (["bucket", "dir"] if delimiter == "/" else ["Default"])


def test_r8_4_a_value_equal_to_the_stored_one_is_not_validated_again(store: Any, monkeypatch: Any) -> None:
    """R8.4 no-op: a value equal to row 0 was checked when it was stored; only other values meet
    the schema validator again (issue 3: no naive validation)."""
    import litemeta.core.validate as V

    store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1))])
    checked: List[Any] = []

    def refusing(schema: str) -> Any:
        def check(value: Any) -> None:
            checked.append(value)
            raise V.SchemaError("refused by the test", aspect=schema, path="")

        return check

    monkeypatch.setattr(V, "aspect_validator", refusing)
    same = store.ingest([MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(2))])
    assert (same.failed, same.unchanged, checked) == (0, 1, [])
    other = store.ingest(
        [
            MCPW(entityUrn=DS, aspect=props("b"), systemMetadata=sm(3)),
            MCPW(entityUrn=DS2, aspect=props("a"), systemMetadata=sm(4)),
        ]
    )  # same value, other urn
    assert other.failed == 2 and len(checked) == 2


def test_r1_38_r1_39_timeseries_upsert_goes_to_its_topic_not_the_aspect_table(store: Any) -> None:
    """R1.38: PATCH on a timeseries aspect is rejected; R1.39: UPSERT → MCL_Timeseries, not metadata_aspect_v2."""
    prof = m.DatasetProfileClass(timestampMillis=T0, rowCount=10, columnCount=2)
    rep = store.ingest([MCPW(entityUrn=DS, aspect=prof, systemMetadata=sm(1))])
    assert rep.failed == 0
    assert store.history(DS, "datasetProfile") == []
    ts = store.read_topic(MCL_TIMESERIES_TOPIC)
    assert len(ts) == 1 and ts[0].value["changeType"] == "UPSERT" and "previousAspectValue" not in ts[0].value
    assert store.exists(DS)  # R1.25: the key aspect is written
    assert store.timeseries(DS, "datasetProfile")[0]["rowCount"] == 10
    bad = {
        "entityType": "dataset",
        "entityUrn": DS,
        "changeType": "PATCH",
        "aspectName": "datasetProfile",
        "aspect": {"json": [{"op": "add", "path": "/rowCount", "value": 3}]},
    }
    rep = store.ingest([bad])
    assert rep.failed == 1


def test_r1_40_same_timeseries_document_id_overwrites(store: Any) -> None:
    """R1.40: same (timestampMillis, eventGranularity, urn, messageId, partitionSpec) overwrites."""
    store.ingest(
        [
            MCPW(entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=T0, rowCount=1), systemMetadata=sm(1)),
            MCPW(entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=T0, rowCount=2), systemMetadata=sm(2)),
            MCPW(entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=T0 + 1, rowCount=3), systemMetadata=sm(3)),
        ]
    )
    assert [v["rowCount"] for v in store.timeseries(DS, "datasetProfile")] == [3, 2]


def test_choice_1_timeseries_delete_removes_the_aspect_rows(store: Any) -> None:
    """Choice 1: DELETE of a timeseries aspect removes its rows for the urn, with a DELETE MCL."""
    store.ingest(
        [MCPW(entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=T0, rowCount=1), systemMetadata=sm(1))]
    )
    store.ingest([MCPW(entityUrn=DS, aspectName="datasetProfile", changeType="DELETE", systemMetadata=sm(2))])
    assert store.timeseries(DS, "datasetProfile") == []
    assert [r.value["changeType"] for r in store.read_topic(MCL_TIMESERIES_TOPIC)] == ["UPSERT", "DELETE"]


def test_r8_9_no_op_on_lineage_aspect_emits_restate(store: Any) -> None:
    """R8.9: a no-op write of an aspect with a lineage relationship emits a RESTATE MCL."""
    lin = m.UpstreamLineageClass(upstreams=[m.UpstreamClass(dataset=DS2, type="TRANSFORMED")])
    store.ingest([MCPW(entityUrn=DS, aspect=lin, systemMetadata=sm(1, "r1"))])
    store.ingest([MCPW(entityUrn=DS, aspect=lin, systemMetadata=sm(2, "r2"))])
    kinds = [x["changeType"] for x in mcls(store, DS, "upstreamLineage")]
    assert kinds == ["UPSERT", "RESTATE"]
    restate = mcls(store, DS, "upstreamLineage")[-1]
    assert restate["aspect"]["value"] == restate["previousAspectValue"]["value"]


def test_r8_3_retention_keeps_max_versions(tmp_path: Any) -> None:
    """R8.3: row 0 plus maxVersions-1 archived versions remain (EbeanRetentionService: version <= largest-max+1 removed)."""
    with litemeta.open_store(str(tmp_path / "r.db"), max_versions=3) as s:
        for i in range(6):
            s.ingest([MCPW(entityUrn=DS, aspect=props(f"d{i}"), systemMetadata=sm(i))])
        r = rows(s, DS, "datasetProperties")
        assert sorted(r) == [0, 4, 5]
        assert [r[v].value["description"] for v in (4, 5, 0)] == ["d3", "d4", "d5"]


def test_choice_2_invalid_proposals_fail_alone(store: Any) -> None:
    """Choice 2 (R1.14 for every path): the bad record goes to FailedMCP, the ones around it are written."""
    bad = {
        "entityType": "dataset",
        "entityUrn": DS2,
        "changeType": "UPSERT",
        "aspectName": "datasetProperties",
        "aspect": {"json": {"description": 42}},
    }
    rep = store.ingest(
        [
            MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1)),
            bad,
            MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False), systemMetadata=sm(2)),
        ]
    )
    assert (rep.written, rep.failed) == (2, 1)
    assert rep.errors[0]["path"] and "description" in rep.errors[0]["path"]
    assert len(store.read_topic(FAILED_MCP_TOPIC)) == 1
    assert not store.exists(DS2)


def test_choice_5_mcp_topic_journals_accepted_proposals(store: Any) -> None:
    """Choice 5: every accepted proposal (timeseries too) is on MetadataChangeProposal_v1, keyed by urn."""
    store.ingest(
        [
            MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1)),
            MCPW(entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=T0, rowCount=1), systemMetadata=sm(2)),
        ]
    )
    recs = store.read_topic(MCP_TOPIC)
    assert [(r.key, r.value["aspectName"]) for r in recs] == [(DS, "datasetProperties"), (DS, "datasetProfile")]
    assert [r.offset for r in recs] == [0, 1]


def test_r1_32_patch_stores_and_logs_the_full_value(store: Any) -> None:
    """R1.32, R2.2: a PATCH becomes the full resulting value, logged as UPSERT."""
    from datahub.specific.dataset import DatasetPatchBuilder

    store.ingest(
        [
            MCPW(
                entityUrn=DS,
                aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag="urn:li:tag:a")]),
                systemMetadata=sm(1),
            )
        ]
    )
    patch = DatasetPatchBuilder(DS).add_tag(m.TagAssociationClass(tag="urn:li:tag:b")).build()
    rep = store.ingest(patch)
    assert rep.failed == 0
    assert store.get(DS)["globalTags"] == {"tags": [{"tag": "urn:li:tag:a"}, {"tag": "urn:li:tag:b"}]}
    last = mcls(store, DS, "globalTags")[-1]
    assert last["changeType"] == "UPSERT"
    assert json.loads(last["aspect"]["value"]) == {"tags": [{"tag": "urn:li:tag:a"}, {"tag": "urn:li:tag:b"}]}


def test_rule_6_batch_size_does_not_change_the_result(tmp_path: Any) -> None:
    """design.md rule 6: ingesting in batches of 1 or of 1000 gives identical rows and topics."""
    recs = []
    for i in range(30):
        recs.append(MCPW(entityUrn=DS if i % 2 else DS2, aspect=props(f"d{i % 7}"), systemMetadata=sm(i)))
        if i % 5 == 0:
            recs.append(MCPW(entityUrn=DS, aspectName="datasetProperties", changeType="DELETE", systemMetadata=sm(i)))
    dumps = []
    for size in (1, 1000):
        with litemeta.open_store(str(tmp_path / f"b{size}.db")) as s:
            s.clock = lambda: T0
            s.ingest(recs, batch_size=size)
            dumps.append(
                (
                    [
                        (r.version, r.value, r.system_metadata)
                        for u in (DS, DS2)
                        for r in s.history(u, "datasetProperties")
                    ],
                    [
                        (r.topic, r.offset, r.key, r.value)
                        for t in (MCL_VERSIONED_TOPIC, MCP_TOPIC)
                        for r in s.read_topic(t)
                    ],
                )
            )
    assert dumps[0] == dumps[1]


def test_one_connection_per_ingest_and_other_writers_between_batches(tmp_path: Any) -> None:
    """An ingest of many batches keeps one connection (no reconnect, pragmas or WAL checkpoint per
    batch) but one transaction per batch: another connection can write between two batches
    (rule 6: results unchanged)."""
    import gc

    from sqlalchemy import event

    path = str(tmp_path / "one.db")
    recs = [
        MCPW(entityUrn=f"urn:li:corpuser:u{i}", aspect=m.StatusClass(removed=False), systemMetadata=sm(i))
        for i in range(12)
    ]
    with litemeta.open_store(path) as s:
        connects: List[int] = []
        event.listen(s.db.engine, "connect", lambda *a: connects.append(1))
        written_between = []

        def after_batch(n: int) -> None:  # the progress callback runs between two batches
            with litemeta.open_store(path) as other:
                written_between.append(
                    other.ingest(
                        [
                            MCPW(
                                entityUrn="urn:li:corpuser:other",
                                aspect=m.StatusClass(removed=len(written_between) % 2 == 0),
                                systemMetadata=sm(100 + len(written_between)),
                            )
                        ]
                    ).written
                )

        report = s.ingest(recs, batch_size=3, progress=after_batch)
        assert gc.isenabled()
        assert report.written == 12 and len(connects) == 1
        assert written_between == [1, 1, 1, 1]
        assert [r.offset for r in s.read_topic(MCP_TOPIC)] == list(range(16))


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.mark.parametrize("caller_gc", [True, False])
def test_cyclic_gc_runs_between_batches_only(tmp_path: Any, caller_gc: bool) -> None:
    """During an ingest the automatic collector is off and one collection runs after each batch: a
    reference cycle dropped during one batch is gone by the next. The caller's setting comes
    back afterwards, and a caller with the collector off gets no collections."""
    import gc
    import weakref

    recs = [
        MCPW(entityUrn=f"urn:li:corpuser:u{i}", aspect=m.StatusClass(removed=False), systemMetadata=sm(i))
        for i in range(9)
    ]
    seen: List[Any] = []
    refs: List[Any] = []

    def after_batch(n: int) -> None:
        seen.append((gc.isenabled(), [r() is None for r in refs]))
        refs.append(weakref.ref(_Cycle()))  # unreachable at once, freed only by a collection

    (gc.enable if caller_gc else gc.disable)()
    try:
        with litemeta.open_store(str(tmp_path / "gc.db")) as s:
            s.ingest(recs, batch_size=3, progress=after_batch)
        assert gc.isenabled() is caller_gc
    finally:
        gc.enable()
    assert [enabled for enabled, _ in seen] == [False, False, False]
    assert [collected for _, collected in seen] == [[], [caller_gc], [caller_gc, caller_gc]]


def test_r1_34_rollback_restores_the_last_version_of_another_run(store: Any) -> None:
    """R1.34 with conditions (rollback by runId): newest versions of the run are removed, the survivor
    becomes row 0 (UPSERT MCL); an aspect only the run wrote is deleted; an entity it created is deleted."""
    store.ingest([MCPW(entityUrn=DS, aspect=props("base"), systemMetadata=sm(1, "r1"))])
    store.ingest(
        [
            MCPW(entityUrn=DS, aspect=props("x"), systemMetadata=sm(2, "r2")),
            MCPW(entityUrn=DS, aspect=props("y"), systemMetadata=sm(3, "r2")),
            MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False), systemMetadata=sm(4, "r2")),
            MCPW(entityUrn=DS2, aspect=props("new"), systemMetadata=sm(5, "r2")),
        ]
    )
    report = store.rollback("r2")
    assert store.get(DS, ["datasetProperties"])["datasetProperties"]["description"] == "base"
    assert "status" not in store.get(DS)
    assert not store.exists(DS2)
    assert sorted(r.version for r in store.history(DS, "datasetProperties")) == [0]
    actions = {(c["urn"], c["aspect"]): c["action"] for c in report["changes"]}
    assert actions[(DS, "datasetProperties")].startswith("restored") and actions[(DS, "status")] == "deleted"
    assert actions[(DS2, "datasetKey")] == "entity deleted"
    last = mcls(store)[-1]
    assert last["changeType"] == "UPSERT" and last["created"]["actor"] == "urn:li:corpuser:__datahub_system"


def test_rollback_then_reingest_gives_the_first_ingest_state(store: Any) -> None:
    """Issue 7 / datahub#6733: ingest → rollback → re-ingest gives the state of the first ingest."""
    recs = [
        MCPW(entityUrn=DS, aspect=props("a"), systemMetadata=sm(1, "r9")),
        MCPW(
            entityUrn=DS,
            aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag="urn:li:tag:t")]),
            systemMetadata=sm(2, "r9"),
        ),
    ]
    store.ingest(recs)
    first = store.get(DS)
    store.rollback("r9")
    assert store.get(DS) == {}
    store.ingest(recs)
    assert store.get(DS) == first


@pytest.mark.parametrize("n", [0, 1, 3, 4, 7, 9])
def test_batches_say_whether_input_follows_reading_one_group_ahead(n: int) -> None:
    """The ingest loop's batches (3 proposals each here) come with whether more input follows (the
    event helper starts only then), and the input is read at most one group past the batch."""
    from litemeta.core.batching import with_lookahead

    read: List[int] = []

    def groups() -> Any:
        for i in range(n):
            read.append(i)
            yield [i]

    seen = [(b, more, len(read)) for b, more in with_lookahead(groups(), 3)]
    batches = [[[i] for i in range(k, min(k + 3, n))] for k in range(0, n, 3)]
    assert [(b, more) for b, more, _ in seen] == [(b, k < len(batches) - 1) for k, b in enumerate(batches)]
    assert [r for _, _, r in seen] == [min(3 * (k + 1) + 1, n) for k in range(len(batches))]


def test_a_proposal_without_lastobserved_reads_the_clock_once(store: Any) -> None:
    """R1.41: a missing (or 0) lastObserved becomes the time of the write, and the row, its MCL and
    the journal record carry the same time even when the clock ticks during the batch (it did
    for `datahub put --run-id`, which sends lastObserved 0: the journal was a millisecond late)."""
    ticks = iter(range(T0, T0 + 1000))
    store.clock = lambda: next(ticks)
    store.ingest(
        [
            {
                "entityType": "dataset",
                "entityUrn": DS,
                "changeType": "UPSERT",
                "aspectName": "status",
                "aspect": {"json": {"removed": False}},
                "systemMetadata": {"lastObserved": 0, "runId": "r"},
            }
        ]
    )
    row = store.get(DS, ["status"], details=True)["status"]
    mcl = [r.value for r in store.read_topic(MCL_VERSIONED_TOPIC) if r.value["aspectName"] == "status"][0]
    journal = [r for r in store.read_topic(MCP_TOPIC)][0]
    t = row["systemMetadata"]["lastObserved"]
    assert row["createdOn"] == t == mcl["created"]["time"] == mcl["systemMetadata"]["lastObserved"]
    assert journal.value["systemMetadata"]["lastObserved"] == t == journal.timestamp
