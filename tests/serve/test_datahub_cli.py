"""The ``datahub`` CLI (acryl-datahub 1.7.0.17, run as a subprocess with DATAHUB_GMS_URL, telemetry
off and a fresh HOME) against ``litemeta serve``: put, get, exists, timeline, delete (soft, hard,
by filter, with references) (rest-compat.md §5). After each, the store equals an ingest of the
proposals it accepted (its MCP journal, design.md choice 5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m

from tests.serve.compare import journal_equals_store

# Each test runs DataHub's own CLI in subprocesses (seconds each).
pytestmark = pytest.mark.slow

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
DS2 = "urn:li:dataset:(urn:li:dataPlatform:mysql,crm.customers,PROD)"


@pytest.fixture
def datahub(litemeta_server: str, tmp_path: Path) -> Any:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DATAHUB_GMS_URL": litemeta_server, "DATAHUB_TELEMETRY_ENABLED": "false", "HOME": str(home)}
    env.pop("DATAHUB_GMS_TOKEN", None)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        out = subprocess.run(
            [sys.executable, "-m", "datahub", *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        if ok:
            assert out.returncode == 0, f"datahub {' '.join(args)}:\n{out.stdout}\n{out.stderr}"
        return out

    return run


def test_put_get_exists(datahub: Any, litemeta_store: Any, tmp_path: Path) -> None:
    (tmp_path / "props.json").write_text(json.dumps({"description": "orders é", "customProperties": {"k": "v"}}))
    datahub("put", "--urn", DS, "-a", "datasetProperties", "-d", "props.json")  # posts to /aspects/ (trap 8)
    datahub("put", "--urn", DS, "-a", "status", "-d", _file(tmp_path, {"removed": False}), "--run-id", "run-7")
    datahub("put", "platform", "--name", "shopdb", "--logo", "https://example.com/logo.png")
    assert litemeta_store.get(DS)["datasetProperties"]["description"] == "orders é"
    assert litemeta_store.get(DS, details=True)["status"]["systemMetadata"]["runId"] == "run-7"  # trap 7
    assert (
        litemeta_store.get("urn:li:dataPlatform:shopdb")["dataPlatformInfo"]["logoUrl"]
        == "https://example.com/logo.png"
    )
    got = json.loads(datahub("get", "--urn", DS).stdout)
    assert got["datasetProperties"]["description"] == "orders é" and got["status"] == {"removed": False}
    one = json.loads(datahub("get", "--urn", DS, "-a", "datasetProperties").stdout)
    assert one == {"datasetProperties": {"customProperties": {"k": "v"}, "description": "orders é"}}
    details = json.loads(datahub("get", "--urn", DS, "--details").stdout)  # deletes name/type/version (trap 10)
    assert details["datasetKey"]["value"]["name"] == "shop.orders"
    missing = datahub("get", "--urn", "urn:li:dataset:(urn:li:dataPlatform:hive,nope,PROD)", ok=False)
    assert "not found" in (missing.stdout + missing.stderr).lower()
    assert datahub("exists", "--urn", DS).stdout.strip() == "true"
    assert datahub("exists", "--urn", DS2).stdout.strip() == "false"
    journal_equals_store(litemeta_store, tmp_path)


def test_get_a_timeseries_aspect(datahub: Any, datahub_graph: Any) -> None:
    datahub_graph.emit_mcps(
        [
            MCPW(entityUrn=DS, aspect=m.DatasetProfileClass(timestampMillis=t, rowCount=t % 7))
            for t in (1_700_000_000_000, 1_700_000_001_000)
        ]
    )
    got = json.loads(datahub("get", "--urn", DS, "-a", "datasetProfile").stdout)
    assert got["datasetProfile"]["timestampMillis"] == 1_700_000_001_000  # the latest value


def test_timeline(datahub: Any, datahub_graph: Any) -> None:
    datahub_graph.emit(MCPW(entityUrn=DS, aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass("urn:li:tag:pii")])))
    datahub_graph.emit(MCPW(entityUrn=DS, aspect=m.EditableDatasetPropertiesClass(description="docs")))
    out = datahub("timeline", "--urn", DS, "-c", "TAG", "-c", "documentation")
    assert "ADD TAG" in out.stdout and "urn:li:tag:pii" in out.stdout and "ADD DOCUMENTATION" in out.stdout, out.stdout


def test_delete_soft_hard_and_by_filter(datahub: Any, datahub_graph: Any, litemeta_store: Any, tmp_path: Path) -> None:
    datahub_graph.emit_mcps(
        [MCPW(entityUrn=u, aspect=m.StatusClass(removed=False)) for u in (DS, DS2)]
        + [
            MCPW(entityUrn=f"urn:li:dataset:(urn:li:dataPlatform:kafka,t{i},PROD)", aspect=m.StatusClass(removed=False))
            for i in range(3)
        ]
    )
    datahub("delete", "--urn", DS, "-f")
    assert litemeta_store.get(DS)["status"] == {"removed": True}
    assert litemeta_store.get(DS, details=True)["status"]["systemMetadata"]["runId"] == "__datahub-delete-cli"
    datahub("delete", "--urn", DS2, "--hard", "-f")
    assert not litemeta_store.exists(DS2)
    datahub("delete", "--platform", "kafka", "--hard", "-f")
    assert litemeta_store.list_urns("dataset") == [DS]
    journal_equals_store(litemeta_store, tmp_path)


def test_hard_delete_of_a_tag_removes_references(
    datahub: Any, datahub_graph: Any, litemeta_store: Any, tmp_path: Path
) -> None:
    tags = [m.TagAssociationClass("urn:li:tag:pii"), m.TagAssociationClass("urn:li:tag:gold")]
    datahub_graph.emit_mcps(
        [
            MCPW(entityUrn="urn:li:tag:pii", aspect=m.TagPropertiesClass(name="pii")),
            MCPW(entityUrn=DS, aspect=m.GlobalTagsClass(tags=tags)),
            MCPW(entityUrn=DS2, aspect=m.GlobalTagsClass(tags=tags[:1])),
        ]
    )
    datahub("delete", "--urn", "urn:li:tag:pii", "--hard", "-f")  # deleteReferences, then delete
    assert not litemeta_store.exists("urn:li:tag:pii")
    assert litemeta_store.get(DS)["globalTags"] == {"tags": [{"tag": "urn:li:tag:gold"}]}
    assert litemeta_store.get(DS2)["globalTags"] == {"tags": []}
    journal_equals_store(litemeta_store, tmp_path)


def _file(tmp_path: Path, value: Any) -> str:
    path = tmp_path / f"aspect-{len(list(tmp_path.glob('aspect-*')))}.json"
    path.write_text(json.dumps(value))
    return str(path)


def test_search_runs_search_across_entities(datahub: Any, datahub_graph: Any) -> None:
    """`datahub search` sends searchAcrossEntities (first asking the schema which fields exist, and
    dropping the others): executed by graphql-core against litemeta's declared schema."""
    datahub_graph.emit_mcps(
        [
            MCPW(entityUrn=DS, aspect=m.DatasetPropertiesClass(description="orders table")),
            MCPW(entityUrn=DS2, aspect=m.DatasetPropertiesClass(description="customers")),
        ]
    )
    assert datahub("search", "orders", "--urns-only").stdout.split() == [DS]
    result = json.loads(datahub("search", "*", "--format", "json").stdout)
    assert result["total"] == 2
    hit = next(r["entity"] for r in result["searchResults"] if r["entity"]["urn"] == DS)
    assert hit["platform"] == {"name": "hive", "urn": "urn:li:dataPlatform:hive"}
    assert hit["properties"]["description"] == "orders table" and hit["type"] == "DATASET"
