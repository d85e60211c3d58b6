"""CLI: put, delete (and undo-by-filter), runs list/show/rollback, ls, stats, nuke (CliRunner)."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any, Dict, List

import datahub.metadata.schema_classes as S
import pytest
from datahub.emitter.mce_builder import make_dataset_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.sink.file import write_metadata_file

from litemeta.store import open_store
from tests.conftest import Cli

ORDERS = make_dataset_urn("hive", "shop.orders")
CUSTOMERS = make_dataset_urn("hive", "shop.customers")
SALES = make_dataset_urn("snowflake", "mart.sales")
ALICE = "urn:li:corpuser:alice"


def seed() -> List[Any]:
    return [
        W(entityUrn=ORDERS, aspect=S.DatasetPropertiesClass(name="orders", description="customer orders")),
        W(entityUrn=ORDERS, aspect=S.GlobalTagsClass(tags=[S.TagAssociationClass("urn:li:tag:pii")])),
        W(entityUrn=CUSTOMERS, aspect=S.DatasetPropertiesClass(name="customers")),
        W(entityUrn=SALES, aspect=S.DatasetPropertiesClass(name="sales")),
        W(entityUrn=ALICE, aspect=S.CorpUserInfoClass(active=True, displayName="Alice")),
    ]


@pytest.fixture
def db(tmp_path: pathlib.Path) -> str:
    path = str(tmp_path / "cli.db")
    with open_store(path) as s:
        assert s.ingest(seed(), run_id="seed").failed == 0
    return path


def state(db: str) -> Dict[str, Dict[str, Any]]:
    """Every entity's current aspects (the comparison for rollback tests)."""
    with open_store(db, read_only=True) as s:
        return {u: s.get(u) for u in s.list_urns()}


# ------------------------------------------------------------------------------ put
def test_put_from_file_and_stdin(cli: Cli, db: str, tmp_path: pathlib.Path) -> None:
    f = tmp_path / "info.json"
    f.write_text(json.dumps({"active": False, "displayName": "Alice A."}))
    out = cli("put", "--urn", ALICE, "-a", "corpUserInfo", "-d", str(f), "--db", db, "--run-id", "manual").output
    assert "written" in out
    cli("put", "--urn", ALICE, "-a", "status", "-d", "-", "--db", db, input='{"removed": false}')
    with open_store(db, read_only=True) as s:
        assert s.get(ALICE, ["corpUserInfo", "status"]) == {
            "corpUserInfo": {"active": False, "displayName": "Alice A."},
            "status": {"removed": False},
        }
        assert s.history(ALICE, "corpUserInfo")[-1].system_metadata["runId"] == "manual"
    again = json.loads(
        cli("put", "--urn", ALICE, "-a", "status", "-d", "-", "--db", db, "--json", input='{"removed": false}').output
    )
    assert (again["written"], again["unchanged"]) == (0, 1)


def test_put_patch_and_create(cli: Cli, db: str) -> None:
    patch = json.dumps([{"op": "add", "path": "/tags/urn:li:tag:gold", "value": {"tag": "urn:li:tag:gold"}}])
    cli("put", "--urn", ORDERS, "-a", "globalTags", "--change-type", "patch", "-d", "-", "--db", db, input=patch)
    with open_store(db, read_only=True) as s:
        assert s.get(ORDERS, ["globalTags"])["globalTags"]["tags"] == [
            {"tag": "urn:li:tag:pii"},
            {"tag": "urn:li:tag:gold"},
        ]
    # CREATE of an aspect that exists is rejected (R1.x precondition): exit 1 with the reason
    res = cli(
        "put",
        "--urn",
        ORDERS,
        "-a",
        "datasetProperties",
        "--change-type",
        "create",
        "-d",
        "-",
        "--db",
        db,
        input='{"name": "x"}',
        code=1,
    )
    assert "rejected" in res.output


def test_put_bad_input(cli: Cli, db: str, tmp_path: pathlib.Path) -> None:
    assert (
        "unknown aspect"
        in cli("put", "--urn", ALICE, "-a", "nopeAspect", "-d", "-", "--db", db, input="{}", code=1).output
    )
    assert (
        "invalid urn"
        in cli("put", "--urn", "nope", "-a", "status", "-d", "-", "--db", db, input='{"removed": false}', code=1).output
    )
    assert (
        "not valid JSON"
        in cli("put", "--urn", ALICE, "-a", "status", "-d", "-", "--db", db, input="{removed", code=1).output
    )
    assert (
        "cannot read"
        in cli("put", "--urn", ALICE, "-a", "status", "-d", str(tmp_path / "missing.json"), "--db", db, code=1).output
    )
    assert cli("put", "--urn", ALICE, "-a", "status", "--db", db, code=2).exit_code == 2


# ------------------------------------------------------------------------------ delete
def test_delete_one_urn_soft_by_default(cli: Cli, db: str) -> None:
    """datahub delete: soft by default = status {removed: true} (R1.35)."""
    out = cli("delete", "--urn", ORDERS, "--db", db).output
    assert "Soft-deleted 1 entities" in out
    with open_store(db, read_only=True) as s:
        assert s.get(ORDERS, ["status"]) == {"status": {"removed": True}}
        assert s.exists(ORDERS)


def test_delete_by_filter_asks_when_several(cli: Cli, db: str) -> None:
    res = cli("delete", "--platform", "hive", "--db", db, input="n\n", code=1)
    assert "This will soft-delete 2 entities" in res.output and "Aborted" in res.output
    with open_store(db, read_only=True) as s:
        assert "status" not in s.get(ORDERS)
    cli("delete", "--platform", "hive", "--db", db, input="y\n")
    with open_store(db, read_only=True) as s:
        assert s.get(ORDERS)["status"] == {"removed": True} and s.get(CUSTOMERS)["status"] == {"removed": True}
        assert "status" not in s.get(SALES)


def test_delete_dry_run_json(cli: Cli, db: str) -> None:
    before = state(db)
    d = json.loads(cli("delete", "-p", "hive", "--hard", "--dry-run", "--json", "--db", db).output)
    assert d["dryRun"] and d["mode"] == "hard" and sorted(d["urns"]) == sorted([ORDERS, CUSTOMERS])
    assert d["changed"] == 2 and d["rows"] > 0
    assert state(db) == before


def test_delete_hard_and_aspect(cli: Cli, db: str) -> None:
    """R1.35 hard delete removes the entity; -a deletes one aspect and its history (R1.34)."""
    cli("delete", "--urn", ORDERS, "-a", "globalTags", "--db", db)
    with open_store(db, read_only=True) as s:
        assert "globalTags" not in s.get(ORDERS) and s.history(ORDERS, "globalTags") == []
    cli("delete", "--urn", ORDERS, "--hard", "--db", db)
    with open_store(db, read_only=True) as s:
        assert not s.exists(ORDERS) and s.get(ORDERS) == {}
    res = cli("delete", "--urn", ORDERS, "--hard", "--db", db, code=1)
    assert "not found" in res.output


def test_delete_urn_file_and_usage_errors(cli: Cli, db: str, tmp_path: pathlib.Path) -> None:
    f = tmp_path / "urns.txt"
    f.write_text(f'# to remove\n{ORDERS}\n"{SALES}"\n\n')
    out = json.loads(cli("delete", "--urn-file", str(f), "--force", "--json", "--db", db).output)
    assert sorted(out["urns"]) == sorted([ORDERS, SALES]) and out["changed"] == 2
    assert cli("delete", "--db", db, code=2).exit_code == 2
    assert "not both" in cli("delete", "--urn", ORDERS, "-p", "hive", "--db", db, code=2).output
    assert "soft" in cli("delete", "--urn", ORDERS, "-a", "globalTags", "--soft", "--db", db, code=2).output
    assert "cannot read urn file" in cli("delete", "--urn-file", str(tmp_path / "no.txt"), "--db", db, code=1).output
    assert "invalid urn" in cli("delete", "--urn", "oops", "--db", db, code=1).output


def test_delete_missing_store_is_not_created(cli: Cli, tmp_path: pathlib.Path) -> None:
    missing = str(tmp_path / "none.db")
    assert "no litemeta store" in cli("delete", "--urn", ORDERS, "--db", missing, code=1).output
    assert not os.path.exists(missing)


def test_delete_by_query(cli: Cli, db: str) -> None:
    d = json.loads(cli("delete", "--query", "customers", "--entity-type", "dataset", "--json", "--db", db).output)
    assert d["urns"] == [CUSTOMERS]


def test_undo_by_filter(cli: Cli, db: str) -> None:
    cli("delete", "-p", "hive", "--force", "--db", db)
    out = json.loads(cli("delete", "undo-by-filter", "-p", "hive", "--force", "--json", "--db", db).output)
    assert out["mode"] == "undo" and sorted(out["urns"]) == sorted([CUSTOMERS, ORDERS])
    with open_store(db, read_only=True) as s:
        assert s.get(ORDERS)["status"] == {"removed": False}
    res = cli("delete", "undo-by-filter", "-p", "hive", "--db", db)
    assert "no soft-deleted entities" in res.output


# ------------------------------------------------------------------------------ runs
def _file(tmp_path: pathlib.Path, name: str, mcps: List[Any]) -> str:
    path = tmp_path / name
    write_metadata_file(path, mcps)
    return str(path)


def test_runs_ingest_rollback_reingest(cli: Cli, tmp_path: pathlib.Path) -> None:
    """R1.34: rollback restores each aspect to its last value from another run, deletes what the run
    created; ingest -> rollback -> re-ingest gives the state of the first ingest."""
    db = str(tmp_path / "runs.db")
    first = _file(tmp_path, "first.json", seed())
    second = _file(
        tmp_path,
        "second.json",
        [
            W(entityUrn=ORDERS, aspect=S.DatasetPropertiesClass(name="orders", description="changed")),
            W(entityUrn=make_dataset_urn("hive", "shop.new"), aspect=S.DatasetPropertiesClass(name="new")),
        ],
    )
    cli("ingest", first, "--run-id", "r1", "--db", db)
    after_first = state(db)
    cli("ingest", second, "--run-id", "r2", "--db", db)
    after_second = state(db)
    listed = json.loads(cli("runs", "list", "--json", "--db", db).output)
    # r1: 5 + 4 + 4 aspects of the datasets (key, dataPlatformInstance, browsePathsV2 by default) + 2 of
    # alice, less the datasetProperties r2 overwrote; r2: that one + the new dataset's 4
    assert {r["runId"]: r["rows"] for r in listed} == {"r1": 14, "r2": 5}
    shown = json.loads(cli("runs", "show", "--run-id", "r2", "-a", "--json", "--db", db).output)
    assert shown["entities"] == 2 and shown["total"] == 5
    assert {"urn": ORDERS, "aspect": "datasetProperties"} in [
        {"urn": r["urn"], "aspect": r["aspect"]} for r in shown["rows"]
    ]
    assert [r["value"]["description"] for r in shown["rows"] if r["urn"] == ORDERS] == ["changed"]
    dry = json.loads(cli("runs", "rollback", "--run-id", "r2", "--dry-run", "--json", "--db", db).output)
    assert dry["dryRun"] and dry["entitiesDeleted"] == 1 and state(db) == after_second
    res = cli("runs", "rollback", "--run-id", "r2", "--db", db, input="n\n", code=1)
    assert "Aborted" in res.output and state(db) == after_second
    report = json.loads(cli("runs", "rollback", "--run-id", "r2", "--force", "--json", "--db", db).output)
    assert report["entitiesDeleted"] == 1
    assert state(db) == after_first
    cli("ingest", first, "--run-id", "r1", "--db", db)  # re-ingest of the first run changes nothing
    assert state(db) == after_first
    cli("runs", "rollback", "--run-id", "r1", "--force", "--db", db)
    cli("ingest", first, "--run-id", "r1", "--db", db)
    assert state(db) == after_first  # ingest -> rollback -> re-ingest = the first ingest's state
    assert "wrote nothing" in cli("runs", "rollback", "--run-id", "nope", "--force", "--db", db, code=1).output
    assert "no current aspects" in cli("runs", "show", "--run-id", "nope", "--db", db, code=1).output


def test_runs_list_text(cli: Cli, db: str) -> None:
    out = cli("runs", "list", "--db", db).output
    assert "seed" in out and "run id" in out


# ------------------------------------------------------------------------------ ls, stats
def test_ls_and_stats(cli: Cli, db: str) -> None:
    assert cli("ls", "--db", db).output.splitlines() == ["corpuser/  (1)", "dataset/  (3)"]
    assert json.loads(cli("ls", "/dataset", "--json", "--db", db).output) == {
        "path": "/dataset",
        "entries": [
            {"name": "hive", "type": "folder", "count": 2},
            {"name": "snowflake", "type": "folder", "count": 1},
        ],
    }
    assert "not an entity type" in cli("ls", "/nope", "--db", db, code=1).output
    s = json.loads(cli("stats", "--json", "--db", db).output)
    assert s["entities"] == {"corpuser": 1, "dataset": 3}
    assert s["topics"]["MetadataChangeProposal_v1"] == len(seed())
    text = cli("stats", "--db", db).output
    assert "entities: 4" in text and "MetadataChangeLog_Versioned_v1" in text


def test_read_only_commands_do_not_create_a_store(cli: Cli, tmp_path: pathlib.Path) -> None:
    missing = str(tmp_path / "none.db")
    for cmd in (["ls"], ["stats"], ["runs", "list"]):
        assert "no litemeta store" in cli(*cmd, "--db", missing, code=1).output
    assert not os.path.exists(missing)


def test_ls_with_sdk_default_browse_paths(cli: Cli, db: str) -> None:
    """Without a browsePathsV2 in the input, the default one (choice 3) gives the folders."""
    assert json.loads(cli("ls", "/dataset/hive", "--json", "--db", db).output)["entries"] == [
        {"name": "shop", "type": "folder", "count": 2}
    ]


# ------------------------------------------------------------------------------ nuke
def test_nuke_asks_then_deletes(cli: Cli, db: str) -> None:
    assert "Aborted" in cli("nuke", "--db", db, input="n\n", code=1).output
    assert os.path.exists(db)
    out = json.loads(cli("nuke", "--db", db, "--json", input="y\n").output.splitlines()[-1])
    assert db in out["removed"] and not os.path.exists(db)
    assert "no litemeta store" in cli("nuke", "--db", db, "--force", code=1).output
