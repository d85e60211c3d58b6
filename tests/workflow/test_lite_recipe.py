"""The ``datahub-lite`` recipe source: a DataHub Lite database written by acryl-datahub, through a pipeline."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

os.environ["DATAHUB_TELEMETRY_ENABLED"] = "false"

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW  # noqa: E402
from datahub.lite.lite_util import get_datahub_lite  # noqa: E402
from datahub.metadata.schema_classes import (  # noqa: E402
    DatasetPropertiesClass,
    GlobalTagsClass,
    StatusClass,
    SystemMetadataClass,
    TagAssociationClass,
)

from litemeta.errors import ConfigurationError  # noqa: E402
from litemeta.store import open_store  # noqa: E402
from litemeta.workflow.run import Pipeline  # noqa: E402

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)"
DS2 = "urn:li:dataset:(urn:li:dataPlatform:hive,db.customers,PROD)"


@pytest.fixture()
def lite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DataHub Lite (sqlite engine) database written through the SDK."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    path = tmp_path / "datahub.db"
    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(path)}})
    sm = SystemMetadataClass(lastObserved=1_700_000_000_000, runId="run-1")
    lite.write(MCPW(entityUrn=DS, aspect=DatasetPropertiesClass(name="v1"), systemMetadata=sm))
    lite.write(
        MCPW(entityUrn=DS, aspect=DatasetPropertiesClass(name="v2", customProperties={"k": "v"}), systemMetadata=sm)
    )
    lite.write(MCPW(entityUrn=DS, aspect=StatusClass(removed=False), systemMetadata=sm))
    lite.write(
        MCPW(entityUrn=DS2, aspect=GlobalTagsClass(tags=[TagAssociationClass(tag="urn:li:tag:pii")]), systemMetadata=sm)
    )
    lite.close()
    return path


def test_lite_source_into_the_store(lite_db: Path, tmp_path: Path) -> None:
    """The latest (version 0) aspects of the Lite database end up in the store, as DataHub Lite wrote them."""
    db = tmp_path / "meta.db"
    p = Pipeline.create(
        {
            "source": {"type": "datahub-lite", "config": {"path": str(lite_db)}},
            "sink": {"type": "litemeta", "config": {"db": str(db)}},
        }
    ).run()
    p.raise_from_status()
    with open_store(str(db), read_only=True) as store:
        got = store.get(DS)
        assert got["datasetProperties"] == DatasetPropertiesClass(name="v2", customProperties={"k": "v"}).to_obj()
        assert got["status"] == {"removed": False}
        assert store.get(DS2)["globalTags"] == {"tags": [{"tag": "urn:li:tag:pii"}]}
    assert p.summary()["steps"][0]["records"] == 3  # one per latest aspect: v1 is history


def test_unreadable_row_is_a_source_failure(lite_db: Path, tmp_path: Path) -> None:
    """design.md choice 2: a Lite row that cannot be read is a reported failure, the others are written."""
    con = sqlite3.connect(str(lite_db))
    con.execute("UPDATE metadata_aspect_v2 SET metadata = '{oops' WHERE aspect_name = 'globalTags' AND version = 0")
    con.commit()
    con.close()
    db = tmp_path / "meta.db"
    p = Pipeline.create(
        {
            "source": {"type": "datahub-lite", "config": {"path": str(lite_db)}},
            "sink": {"type": "litemeta", "config": {"db": str(db)}},
        }
    ).run()
    assert p.exit_code() == 1
    source = p.summary()["steps"][0]
    assert source["failures"] == 1
    assert DS2 in source["failureList"][0]["name"] and "globalTags" in source["failureList"][0]["name"]
    with open_store(str(db), read_only=True) as store:
        assert store.get(DS)["status"] == {"removed": False}


def test_lite_source_config_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="'path' is required"):
        Pipeline.create({"source": {"type": "datahub-lite", "config": {}}, "sink": {"type": "console"}})
    with pytest.raises(ConfigurationError, match="unknown config key 'file'"):
        Pipeline.create({"source": {"type": "datahub-lite", "config": {"file": "x.db"}}, "sink": {"type": "console"}})
