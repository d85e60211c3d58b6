"""litemeta.views.timeline: change transactions from the MCL log, with DataHub's semantic versions."""

from __future__ import annotations

from typing import Any, List

import datahub.metadata.schema_classes as S
import pytest
from datahub.emitter.mce_builder import make_dataset_urn, make_user_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W

from litemeta.errors import UnknownEntityError
from litemeta.store import open_store
from litemeta.views.timeline import (
    AspectChange,
    build_timeline,
    changes_from_mcls,
    json_patch,
    normalize_categories,
    timeline,
)

DS = make_dataset_urn("hive", "db.orders")
ALICE, BOB = make_user_urn("alice"), make_user_urn("bob")


def sm(t: int, run: str) -> S.SystemMetadataClass:
    return S.SystemMetadataClass(lastObserved=t, runId=run)


def owners(*pairs: tuple) -> S.OwnershipClass:
    return S.OwnershipClass(owners=[S.OwnerClass(owner=o, type=t) for o, t in pairs])


def schema(*fields: str) -> S.SchemaMetadataClass:
    return S.SchemaMetadataClass(
        schemaName="orders",
        platform="urn:li:dataPlatform:hive",
        version=0,
        hash="",
        platformSchema=S.OtherSchemaClass(rawSchema=""),
        fields=[
            S.SchemaFieldClass(
                fieldPath=f, type=S.SchemaFieldDataTypeClass(S.StringTypeClass()), nativeDataType="string"
            )
            for f in fields
        ],
    )


WRITES: List[List[Any]] = [
    [W(entityUrn=DS, aspect=owners((ALICE, "DATAOWNER")), systemMetadata=sm(1_000, "r1"))],
    [
        W(
            entityUrn=DS,
            aspect=S.GlobalTagsClass(tags=[S.TagAssociationClass("urn:li:tag:pii")]),
            systemMetadata=sm(2_000, "r2"),
        )
    ],
    [W(entityUrn=DS, aspect=schema("id", "amount"), systemMetadata=sm(3_000, "r3"))],
    [W(entityUrn=DS, aspect=schema("id"), systemMetadata=sm(4_000, "r4"))],
    [
        W(
            entityUrn=DS,
            aspect=S.InstitutionalMemoryClass(
                elements=[
                    S.InstitutionalMemoryMetadataClass(
                        url="https://wiki/orders",
                        description="wiki",
                        createStamp=S.AuditStampClass(time=0, actor=ALICE),
                    )
                ]
            ),
            systemMetadata=sm(5_000, "r5"),
        )
    ],
    [W(entityUrn=DS, aspect=owners((ALICE, "TECHNICAL_OWNER")), systemMetadata=sm(6_000, "r6"))],
    # the same value again: a no-op (or RESTATE) changes nothing and adds no transaction
    [W(entityUrn=DS, aspect=owners((ALICE, "TECHNICAL_OWNER")), systemMetadata=sm(7_000, "r7"))],
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    st = open_store(str(tmp_path_factory.mktemp("tl") / "s.db"))
    for batch in WRITES:
        assert st.ingest(batch).failed == 0
    yield st
    st.close()


def summary(txns: Any) -> List[tuple]:
    return [
        (t.timestamp, t.semver_change, t.semver, sorted({(e["category"], e["operation"]) for e in t.events}))
        for t in txns
    ]


def test_transactions_and_semantic_versions(store: Any) -> None:
    """TimelineServiceImpl.getGroupSemanticVersion: first 0.0.0, then MAJOR/MINOR/PATCH bumps.
    Owner added MINOR, tag added MINOR, field added MINOR, field removed MAJOR, link added MINOR
    (institutionalMemory: run by the timeline though the hook skips it), owner type changed PATCH."""
    got = summary(timeline(store, DS))
    assert [g[:3] for g in got] == [
        (1_000, "MINOR", "0.0.0-computed"),
        (2_000, "MINOR", "0.1.0-computed"),
        (3_000, "MINOR", "0.2.0-computed"),
        (4_000, "MAJOR", "1.0.0-computed"),
        (5_000, "MINOR", "1.1.0-computed"),
        (6_000, "PATCH", "1.1.1-computed"),
    ]
    assert ("LIFECYCLE", "CREATE") in got[0][3] and ("OWNERSHIP", "ADD") in got[0][3]
    assert got[3][3] == [("TECHNICAL_SCHEMA", "REMOVE")]
    assert got[4][3] == [("DOCUMENTATION", "ADD")]
    assert got[5][3] == [("OWNERSHIP", "MODIFY")]


def test_category_filter_with_owner_alias(store: Any) -> None:
    """-c OWNER means OWNERSHIP (R8.11); versions count only the transactions shown."""
    got = summary(timeline(store, DS, ["owner"]))
    assert [g[:3] for g in got] == [(1_000, "MINOR", "0.0.0-computed"), (6_000, "PATCH", "0.0.1-computed")]
    assert all(c == "OWNERSHIP" for g in got for c, _ in g[3])
    with pytest.raises(ValueError):
        normalize_categories(["NOPE"])


def test_time_window_keeps_versions(store: Any) -> None:
    got = summary(timeline(store, DS, start=3_000, end=5_000))
    assert [(g[0], g[2]) for g in got] == [
        (3_000, "0.2.0-computed"),
        (4_000, "1.0.0-computed"),
        (5_000, "1.1.0-computed"),
    ]


def test_raw_diff(store: Any) -> None:
    t = [x for x in timeline(store, DS, raw=True) if x.timestamp == 2_000][0]
    (raw,) = t.raw
    assert raw["aspectName"] == "globalTags" and raw["previousValue"] is None
    assert raw["patch"] == [{"op": "add", "path": "", "value": {"tags": [{"tag": "urn:li:tag:pii"}]}}]
    d = t.as_dict()
    assert d["semVer"] == "0.1.0-computed" and d["changeEvents"][0]["changeType"] == "ADD"
    assert d["changeEvents"][0]["semVerChange"] == "MINOR" and d["rawDiff"] == [raw]


def test_unknown_urn(store: Any) -> None:
    with pytest.raises(UnknownEntityError):
        timeline(store, make_dataset_urn("hive", "missing"))


def test_pure_build_from_mcl_values() -> None:
    """changes_from_mcls reads design.md choice-8 values; RESTATE and other urns are skipped."""
    mcl = {
        "entityType": "dataset",
        "entityUrn": DS,
        "changeType": "UPSERT",
        "aspectName": "globalTags",
        "aspect": {"value": '{"tags": [{"tag": "urn:li:tag:b"}]}', "contentType": "application/json"},
        "previousAspectValue": {"value": '{"tags": [{"tag": "urn:li:tag:a"}]}', "contentType": "application/json"},
        "systemMetadata": {"runId": "x"},
        "created": {"time": 9, "actor": ALICE},
    }
    restate = dict(mcl, changeType="RESTATE")
    other = dict(mcl, entityUrn=make_dataset_urn("hive", "other"))
    changes = list(changes_from_mcls([mcl, restate, other], DS))
    assert changes == [
        AspectChange(
            DS,
            "globalTags",
            "UPSERT",
            {"tags": [{"tag": "urn:li:tag:a"}]},
            {"tags": [{"tag": "urn:li:tag:b"}]},
            9,
            ALICE,
            "x",
        )
    ]
    (t,) = build_timeline(changes)
    assert sorted((e["operation"], e["modifier"]) for e in t.events) == [
        ("ADD", "urn:li:tag:b"),
        ("REMOVE", "urn:li:tag:a"),
    ]
    assert t.actor == ALICE and t.run_id == "x"


def test_json_patch() -> None:
    assert json_patch({"a": 1, "b/c": 2}, {"a": 2, "d": [1]}) == [
        {"op": "replace", "path": "/a", "value": 2},
        {"op": "remove", "path": "/b~1c"},
        {"op": "add", "path": "/d", "value": [1]},
    ]
