"""The ``datahub-lite`` source, on a real DataHub Lite database written by acryl-datahub's own Lite."""

from __future__ import annotations

import os
import pathlib
import sqlite3
from typing import Any, Dict, Tuple

import pytest

os.environ["DATAHUB_TELEMETRY_ENABLED"] = "false"

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW  # noqa: E402
from datahub.lite.lite_util import get_datahub_lite  # noqa: E402
from datahub.metadata.schema_classes import (  # noqa: E402
    DatasetPropertiesClass,
    DatasetSnapshotClass,
    GlobalTagsClass,
    MetadataChangeEventClass,
    OwnerClass,
    OwnershipClass,
    StatusClass,
    SystemMetadataClass,
    TagAssociationClass,
)

from litemeta.errors import InputError  # noqa: E402
from litemeta.sources.lite import LiteSource  # noqa: E402

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)"
DS2 = "urn:li:dataset:(urn:li:dataPlatform:hive,db.customers,PROD)"


@pytest.fixture()
def lite_db(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """A DataHub Lite (sqlite engine) database written through the SDK: versions, a dedup, an MCE."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "datahub.db"
    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(path)}})
    sm = SystemMetadataClass(lastObserved=1_700_000_000_000, runId="run-1")
    lite.write(MCPW(entityUrn=DS, aspect=DatasetPropertiesClass(name="v1", description="first"), systemMetadata=sm))
    lite.write(
        MCPW(
            entityUrn=DS,
            aspect=DatasetPropertiesClass(name="v2", customProperties={"k": "v"}),
            systemMetadata=SystemMetadataClass(lastObserved=1_700_000_000_500, runId="run-2"),
        )
    )
    lite.write(
        MCPW(
            entityUrn=DS,
            aspect=StatusClass(removed=False),
            systemMetadata=SystemMetadataClass(
                lastObserved=1_700_000_001_000, runId="run-2", properties={"team": "data"}
            ),
        )
    )
    lite.write(MCPW(entityUrn=DS, aspect=StatusClass(removed=False)))  # identical rewrite: deduped
    lite.write(
        MetadataChangeEventClass(
            proposedSnapshot=DatasetSnapshotClass(
                urn=DS2,
                aspects=[
                    OwnershipClass(owners=[OwnerClass(owner="urn:li:corpuser:ann", type="DATAOWNER")]),
                    GlobalTagsClass(tags=[TagAssociationClass(tag="urn:li:tag:pii")]),
                ],
            )
        )
    )
    lite.close()
    return path


def _sdk_latest(path: pathlib.Path) -> Dict[Tuple[str, str], Any]:
    """What DataHub Lite itself returns as the latest aspects (get_all_aspects reads version 0)."""
    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(path), "read_only": True}}, read_only=True)
    try:
        return {
            (m.entityUrn, m.aspectName): (
                m.to_obj(simplified_structure=True)["aspect"]["json"],
                m.systemMetadata.to_obj() if m.systemMetadata else None,
            )
            for m in lite.get_all_aspects()
        }
    finally:
        lite.close()


def test_version_0_rows_are_the_latest_values_as_upserts(lite_db: pathlib.Path) -> None:
    """Every v0 row, and only those, becomes an UPSERT with the value Lite reports as latest."""
    source = LiteSource(lite_db)
    proposals = list(source.proposals())
    expected = _sdk_latest(lite_db)
    assert {(p.entity_urn, p.aspect_name): p.aspect for p in proposals} == {k: v for k, (v, _) in expected.items()}
    assert len(proposals) == len(expected) == 4
    assert all(p.change_type == "UPSERT" for p in proposals)
    props = next(p for p in proposals if p.aspect_name == "datasetProperties")
    assert props.aspect["name"] == "v2"  # version 0 = latest, not version 1
    rows = sqlite3.connect(str(lite_db)).execute("SELECT COUNT(*) FROM metadata_aspect_v2").fetchone()[0]
    assert rows > len(proposals)  # history rows exist and are not read
    assert source.report.rows == source.report.proposals == 4 and source.report.failures == []


def test_system_metadata_kept_without_lites_sys_version(lite_db: pathlib.Path) -> None:
    """runId / lastObserved / own properties survive; Lite's properties.sysVersion is removed."""
    by_key = {(p.entity_urn, p.aspect_name): p for p in LiteSource(lite_db).proposals()}
    sdk = _sdk_latest(lite_db)
    status = by_key[(DS, "status")].system_metadata
    assert status is not None and status["runId"] == "run-2" and status["properties"] == {"team": "data"}
    assert sdk[(DS, "status")][1]["properties"]["sysVersion"] == "1"
    props = by_key[(DS, "datasetProperties")].system_metadata
    expected = dict(sdk[(DS, "datasetProperties")][1])
    expected.pop("properties")  # only held sysVersion
    assert props == expected and props["lastObserved"] == 1_700_000_000_500
    kept = {(p.entity_urn, p.aspect_name): p for p in LiteSource(lite_db, strip_sys_version=False).proposals()}
    assert kept[(DS, "datasetProperties")].system_metadata == sdk[(DS, "datasetProperties")][1]


def test_origin_names_the_file_and_row(lite_db: pathlib.Path) -> None:
    proposals = list(LiteSource(str(lite_db)).proposals())
    assert [p.origin.index for p in proposals] == list(range(len(proposals)))
    assert {p.origin.file for p in proposals} == {str(lite_db)}


def test_bad_json_row_is_a_reported_failure(lite_db: pathlib.Path) -> None:
    con = sqlite3.connect(str(lite_db))
    con.execute("UPDATE metadata_aspect_v2 SET metadata = '{oops' WHERE aspect_name = 'globalTags' AND version = 0")
    con.commit()
    con.close()
    source = LiteSource(lite_db)
    proposals = list(source.proposals())
    assert len(proposals) == 3
    assert [(f["urn"], f["aspect"]) for f in source.report.failures] == [(DS2, "globalTags")]
    assert "invalid JSON" in source.report.failures[0]["message"]


def test_not_a_lite_database(tmp_path: pathlib.Path) -> None:
    with pytest.raises(InputError, match="no such DataHub Lite database"):
        list(LiteSource(tmp_path / "missing.db").proposals())
    other = tmp_path / "other.db"
    sqlite3.connect(str(other)).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(InputError, match="not a DataHub Lite database"):
        list(LiteSource(other).proposals())
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database at all")
    with pytest.raises(InputError) as e:
        list(LiteSource(text).proposals())
    assert str(text) in str(e.value)
