"""core/versions.py: the write path's pure decisions, each against the DataHub rule it copies
(docs/datahub-semantics.md). No database: values in, values out."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from litemeta.core import versions as V
from litemeta.errors import ConflictError

DS_KEY = {"platform": "urn:li:dataPlatform:hive", "name": "Shop.Orders.Daily", "origin": "PROD"}


# ------------------------------------------------------------------ systemMetadata (R1.41, R1.17, R8.4, R8.5)
def test_r1_41_missing_run_id_and_last_observed_get_defaults_and_r1_17_copies_the_run_id() -> None:
    assert V.fill_system_metadata(None, 1234) == {
        "lastObserved": 1234,
        "runId": "no-run-id-provided",
        "lastRunId": "no-run-id-provided",
    }
    # R1.41: a lastObserved of 0 counts as missing; R8.21: DEFAULT_RUN_ID's value
    assert V.fill_system_metadata({"lastObserved": 0, "runId": ""}, 99)["lastObserved"] == 99
    got = V.fill_system_metadata({"pipelineName": "p", "runId": "r1", "lastRunId": "old", "lastObserved": 5}, 99)
    assert got == {"lastObserved": 5, "runId": "r1", "lastRunId": "r1", "pipelineName": "p"}
    assert list(got) == ["lastObserved", "runId", "lastRunId", "pipelineName"]  # one text for equal metadata


def test_r8_4_an_equal_value_keeps_the_stored_metadata_but_its_run_fields() -> None:
    stored = {
        "lastObserved": 1,
        "runId": "a",
        "lastRunId": "z",
        "version": "3",
        "registryName": "reg",
        "properties": {"k": "v"},
    }
    incoming = {"lastObserved": 2, "runId": "b", "registryName": "other", "pipelineName": "p", "schemaVersion": 7}
    assert V.noop_system_metadata(stored, incoming) == {
        "lastObserved": 2,
        "runId": "b",
        "lastRunId": "a",
        "version": "3",
        "registryName": "reg",
        "properties": {"k": "v"},
        "schemaVersion": 7,
    }
    # lastObserved only when non-null; runId removed when null; lastRunId removed when the stored runId is
    assert V.noop_system_metadata({"lastObserved": 1, "version": "2"}, {"lastObserved": None, "runId": None}) == {
        "lastObserved": 1,
        "version": "2",
    }


def test_r8_5_a_changed_value_merges_into_the_stored_metadata() -> None:
    stored = {"lastObserved": 1, "runId": "a", "version": "2", "registryName": "reg", "properties": {"k": "v"}}
    incoming = {
        "lastObserved": 9,
        "runId": "b",
        "registryName": "other",
        "aspectModified": {"time": 9},
        "properties": {"new": "x"},
    }
    assert V.changed_system_metadata(stored, incoming, 3) == {
        "lastObserved": 9,
        "runId": "b",
        "lastRunId": "a",
        "version": "3",
        "registryName": "reg",
        "properties": {"k": "v"},
        "aspectModified": {"time": 9},
    }


def test_r8_5_a_first_write_stores_the_incoming_metadata_with_version_1_and_aspect_created() -> None:
    incoming = {"lastObserved": 9, "runId": "b", "aspectModified": {"time": 9, "actor": "urn:li:corpuser:x"}}
    assert V.changed_system_metadata(None, incoming, 1) == {
        **incoming,
        "version": "1",
        "aspectCreated": incoming["aspectModified"],
    }
    assert V.changed_system_metadata(None, {"runId": "b"}, 1) == {"runId": "b", "version": "1"}


# ------------------------------------------------------------------ version numbers (R8.19, R8.2, R8.3)
@pytest.mark.parametrize(
    "sm,expected",
    [
        ({"version": "7"}, 7),
        ({"version": ""}, None),
        ({"version": "x"}, None),
        ({}, None),
        (None, None),
        ({"version": 3}, 3),
    ],
)
def test_r8_19_the_version_is_a_number_stored_as_a_string(sm: object, expected: object) -> None:
    assert V.stored_version(sm) == expected  # type: ignore[arg-type]


def test_r8_2_the_archive_number_of_the_replaced_row_0() -> None:
    # sequential writes: row 0 holds "the number its value gets when archived" (R8.19)
    assert V.archive_version({"version": "3"}, {}, None) == 3
    # an incoming version ahead of the stored one (R8.6's consumed numbers): incoming - 1
    assert V.archive_version({"version": "3"}, {"version": "6"}, None) == 5
    # a legacy row 0 without a version: the database's max(version) + 1 (R8.2, R1.3)
    assert V.archive_version({"runId": "old"}, {}, 4) == 5
    assert V.archive_version(None, {}, 0) == 1
    assert V.archive_version(None, {}, None) == 1


@given(
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.integers(0, 10**6)),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_r8_2_the_archive_number_is_never_below_1_nor_below_either_side(
    row0: object, incoming: object, db_max: object
) -> None:
    row0_sm = {"version": str(row0)} if row0 is not None else {}
    incoming_sm = {"version": str(incoming)} if incoming is not None else {}
    n = V.archive_version(row0_sm, incoming_sm, db_max if row0 is None else None)  # type: ignore[arg-type]
    assert n >= 1
    assert n >= (row0 if row0 is not None else 1)  # type: ignore[operator]
    assert incoming is None or n >= incoming - 1  # type: ignore[operator]


@pytest.mark.parametrize("newest,max_versions", [(25, 20), (19, 20), (1, 20), (30, 1), (5, 2)])
def test_r8_3_retention_keeps_max_versions_in_all(newest: int, max_versions: int) -> None:
    """EbeanRetentionService: archived versions <= ceiling go; row 0 plus maxVersions - 1 archived ones stay."""
    ceiling = V.retention_ceiling(newest, max_versions)
    kept_archived = [v for v in range(1, newest + 1) if v > ceiling]
    assert 1 + len(kept_archived) == min(max_versions, newest + 1)


# ------------------------------------------------------------------ timeseries (R1.40)
def test_r1_40_the_document_id_is_the_sha256_of_the_key_fields() -> None:
    urn = "urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)"
    value = {
        "timestampMillis": 1700000000000,
        "eventGranularity": {"unit": "DAY", "multiple": 1},
        "partitionSpec": {"partition": "FULL_TABLE_SNAPSHOT", "type": "FULL_TABLE"},
        "rowCount": 5,
    }
    # the rule's concatenation, written out: timestampMillis + eventGranularity(json) + urn(json-quoted)
    # + messageId(json, absent here) + partitionSpec(json)
    text = (
        '1700000000000{"unit":"DAY","multiple":1}"urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)"'
        '{"partition":"FULL_TABLE_SNAPSHOT","type":"FULL_TABLE"}'
    )
    assert V.timeseries_document_id(urn, value) == hashlib.sha256(text.encode()).hexdigest()
    # same key fields overwrite each other; other fields do not matter; a messageId does
    assert V.timeseries_document_id(urn, {**value, "rowCount": 9}) == V.timeseries_document_id(urn, value)
    assert V.timeseries_document_id(urn, {**value, "messageId": "m"}) != V.timeseries_document_id(urn, value)
    assert V.timeseries_document_id(urn + "x", value) != V.timeseries_document_id(urn, value)
    assert json.dumps("x") == '"x"'  # (the urn is JSON-quoted, as the rule says)


# ------------------------------------------------------------------ default aspects (R1.23, choice 3)
@pytest.mark.parametrize(
    "entity_type,key,expected",
    [
        ("dataset", DS_KEY, "urn:li:dataPlatform:hive"),
        ("chart", {"dashboardTool": "Looker", "chartId": "1"}, "urn:li:dataPlatform:looker"),
        ("dataFlow", {"orchestrator": "Airflow", "flowId": "f", "cluster": "prod"}, "urn:li:dataPlatform:airflow"),
        ("dataJob", {"flow": "urn:li:dataFlow:(Airflow,f,prod)", "jobId": "j"}, "urn:li:dataPlatform:airflow"),
        (
            "mlModel",
            {"platform": "urn:li:dataPlatform:sagemaker", "name": "m", "origin": "PROD"},
            "urn:li:dataPlatform:sagemaker",
        ),
    ],
)
def test_r1_23_the_default_data_platform_instance_comes_from_the_key(
    entity_type: str, key: dict, expected: str
) -> None:
    assert V.default_data_platform_instance(entity_type, key) == {"platform": expected}


def test_r1_23_entities_without_a_platform_in_their_key_get_no_data_platform_instance() -> None:
    assert V.default_data_platform_instance("corpuser", {"username": "a"}) is None
    assert V.default_data_platform_instance("chart", {"dashboardTool": "", "chartId": "1"}) is None


def test_choice_3_default_browse_paths_v2_follow_datahubs_algorithm() -> None:
    """BrowsePathV2Utils.getDefaultBrowsePathV2: a dataset's containers, else its lower-cased name
    split on the delimiter without the last part, else "Default"; a job's flow; charts and
    dashboards their containers; everything else "Default"."""
    assert V.default_browse_paths_v2("dataset", DS_KEY, []) == {"path": [{"id": "shop"}, {"id": "orders"}]}
    assert V.default_browse_paths_v2("dataset", {**DS_KEY, "name": "orders"}, []) == {"path": [{"id": "Default"}]}
    assert V.default_browse_paths_v2("dataset", {**DS_KEY, "name": "a.b."}, []) == {"path": [{"id": "a"}]}
    assert V.default_browse_paths_v2("dataset", {**DS_KEY, "name": "a/b/c"}, [], "/") == {
        "path": [{"id": "a"}, {"id": "b"}]
    }
    chain = ["urn:li:container:db", "urn:li:container:schema"]
    assert V.default_browse_paths_v2("dataset", DS_KEY, chain) == {"path": [{"id": c, "urn": c} for c in chain]}
    assert V.default_browse_paths_v2("chart", {"dashboardTool": "looker", "chartId": "1"}, []) == {
        "path": [{"id": "Default"}]
    }
    flow = "urn:li:dataFlow:(airflow,f,prod)"
    assert V.default_browse_paths_v2("dataJob", {"flow": flow, "jobId": "j"}, []) == {
        "path": [{"id": flow, "urn": flow}]
    }
    assert V.default_browse_paths_v2("corpuser", {"username": "a"}, []) == {"path": [{"id": "Default"}]}


# ------------------------------------------------------------------ preconditions (R1.44, R1.29, R1.30)
def test_r1_44_if_version_match_compares_with_the_stored_version_case_insensitively() -> None:
    V.check_preconditions({"if-version-match": "3"}, "UPSERT", {"version": "3"}, True, 10)
    with pytest.raises(ConflictError) as e:
        V.check_preconditions({"If-Version-Match": "2"}, "UPSERT", {"version": "3"}, True, 10)
    assert (e.value.header, e.value.expected, e.value.actual) == ("If-Version-Match", "2", "3")
    V.check_preconditions({"If-Version-Match": "-1"}, "UPSERT", None, False, None)  # nothing stored: -1
    V.check_preconditions({"If-Version-Match": "-1"}, "CREATE", {"version": "3"}, True, 10)  # CREATE: -1
    V.check_preconditions({"If-Version-Match": "1"}, "UPSERT", {"runId": "legacy"}, True, 10)  # no version: 1


def test_r1_44_if_modified_since_and_if_unmodified_since() -> None:
    t = 1_700_000_000_000  # 2023-11-14T22:13:20Z
    iso = "2023-11-14T22:13:20Z"
    V.check_preconditions({"If-Modified-Since": iso}, "UPSERT", None, True, t + 1)
    with pytest.raises(ConflictError):
        V.check_preconditions({"If-Modified-Since": iso}, "UPSERT", None, True, t)  # not strictly after
    with pytest.raises(ConflictError):
        V.check_preconditions({"If-Modified-Since": iso}, "UPSERT", None, False, None)  # never modified
    V.check_preconditions({"If-Unmodified-Since": iso}, "UPSERT", None, True, t)
    V.check_preconditions({"If-Unmodified-Since": iso}, "UPSERT", None, False, None)
    with pytest.raises(ConflictError):
        V.check_preconditions({"If-Unmodified-Since": iso}, "UPSERT", None, True, t + 1)
    with pytest.raises(ConflictError) as e:
        V.check_preconditions({"If-Modified-Since": "yesterday"}, "UPSERT", None, True, t)
    assert e.value.expected == "ISO-8601 instant" and e.value.actual == "yesterday"
    V.check_preconditions(None, "UPSERT", None, True, t)
    V.check_preconditions({}, "UPSERT", None, True, t)


def test_r1_29_r1_30_if_none_match_star_turns_create_conflicts_into_drops() -> None:
    assert V.if_none_match_star({"if-none-match": " * "})
    assert not V.if_none_match_star({"If-None-Match": "abc"})
    assert not V.if_none_match_star(None)
