"""Issue 19: DataHub's habits in the CLI, item by item, on the shipped sample (no SDK needed, so
these run in CI's plain-install venv too)."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from litemeta.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "examples" / "sample.json")
ORDERS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"
ALICE = "urn:li:corpuser:alice"


def run(*args: str, code: int = 0, env: Any = None) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("habits") / "store.db")
    run("ingest", SAMPLE, "--db", path)
    return path


@pytest.fixture
def copy(db: str, tmp_path: pathlib.Path) -> str:
    """A store of its own for tests that write."""
    target = tmp_path / "own.db"
    shutil.copy(db, target)
    return str(target)


# ------------------------------------------------------------------------------------ item 1: --db
def test_db_before_and_after_the_command(db: str) -> None:
    after = run("list-urns", "--db", db).output
    assert ALICE in after
    assert run("--db", db, "list-urns").output == after
    assert run("--db", db, "runs", "list").output == run("runs", "list", "--db", db).output
    assert run("--db", db, "search", "orders", "--json").output  # "No such option" before issue 19
    out = run("--db", db, "list-urns", "--db", db + "x", code=2).output
    assert "--db given twice" in out


# ------------------------------------------------------------------------------ item 2: urn and --urn
def test_positional_urn_and_urn_option_everywhere(copy: str) -> None:
    for cmd in (["exists"], ["history", "-a", "datasetProperties"], ["get", "-a", "datasetProperties"], ["timeline"]):
        assert run(*cmd, ORDERS, "--db", copy).output == run(*cmd, "--urn", ORDERS, "--db", copy).output
    assert "two different urns" in run("exists", ALICE, "--urn", ORDERS, "--db", copy, code=2).output
    data = pathlib.Path(copy).with_suffix(".json")
    data.write_text('{"removed": false}')
    assert "written" in run("put", ALICE, "-a", "status", "-d", str(data), "--db", copy).output
    assert "unchanged" in run("put", "--urn", ALICE, "-a", "status", "-d", str(data), "--db", copy).output
    report = json.loads(run("delete", ALICE, "--db", copy, "--json").output)
    assert report["urns"] == [ALICE] and report["changed"] == 1
    undo = json.loads(run("delete", "undo-by-filter", ALICE, "--db", copy, "--json").output)
    assert undo["urns"] == [ALICE] and undo["changed"] == 1
    hard = json.loads(run("delete", "-a", "status", ALICE, "--db", copy, "-n", "--json").output)
    assert hard["mode"] == "aspect" and hard["urns"] == [ALICE]


def test_get_asof_is_lite_spelling_of_as_of(db: str) -> None:
    # the sample writes the first datasetProperties of shop.orders at 1700000012000, the second at ...26000
    first = json.loads(run("get", ORDERS, "-a", "datasetProperties", "--asof", "1700000020000", "--db", db).output)
    same = json.loads(run("get", ORDERS, "-a", "datasetProperties", "--as-of", "1700000020000", "--db", db).output)
    now = json.loads(run("get", ORDERS, "-a", "datasetProperties", "--db", db).output)
    assert first == same and first != now
    assert first["datasetProperties"]["description"] == "Customer orders placed in the web shop"


# ------------------------------------------------------------------------- item 3: ingest's spellings
def test_ingest_subcommand_spellings_are_aliases(copy: str) -> None:
    assert run("ingest", "list-runs", "--db", copy).output == run("runs", "list", "--db", copy).output
    every = run("ingest", "list-runs", "--db", copy).output.splitlines()[1:]
    assert len(every) == 2 and any(r.startswith("sample-run-1 ") for r in every)
    for offset in (0, 1):  # DataHub's [PAGE_OFFSET] [PAGE_SIZE]
        assert run("ingest", "list-runs", str(offset), "1", "--db", copy).output.splitlines()[1:] == [every[offset]]
    shown = run("ingest", "show", "--run-id", "sample-run-1", "--count", "3", "--db", copy).output
    assert shown == run("runs", "show", "--run-id", "sample-run-1", "--count", "3", "--db", copy).output
    dry = json.loads(run("ingest", "rollback", "--run-id", "sample-run-1", "-n", "--json", "--db", copy).output)
    assert dry["dryRun"] is True and dry["aspects"] > 0  # a rollback, not "rollback: no such file"
    again = json.loads(run("ingest", "mcps", SAMPLE, "--json", "--db", copy).output)
    assert again["failed"] == 0 and again["records"] == 34


# ------------------------------------------------------------------------------------- item 4: search
def test_search_filters_take_datahub_names_and_short_platforms(db: str) -> None:
    hive = {"urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)", ORDERS}
    for flt in (["--filter", "platform=hive"], ["-f", "platform=urn:li:dataPlatform:hive"], ["-p", "hive"]):
        assert set(run("search", "*", *flt, "--urns-only", "--db", db).output.split()) == hive
    both = run(
        "search", "*", "-f", "platform=hive,snowflake", "-f", "entity_type=dataset", "--format", "urns", "--db", db
    ).output.split()
    assert set(both) == hive | {"urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.public.daily_revenue,PROD)"}
    data = json.loads(run("search", "orders", "--format", "json", "-n", "1", "--db", db).output)
    assert data["results"][0]["urn"] == ORDERS and len(data["results"]) == 1


def test_search_mistakes_are_errors_with_did_you_mean(db: str) -> None:
    out = run("search", "*", "--entity-type", "datasets", "--db", db, code=1).output
    assert "unknown entity type 'datasets'" in out and "did you mean 'dataset'" in out
    out = run("search", "*", "-f", "platfrom=hive", "--db", db, code=2).output
    assert "unknown field 'platfrom'" in out and "did you mean 'platform'" in out
    out = run("search", "*", "-f", "platform=sqlit", "--db", db, code=1).output
    assert "no entity in this store has platform 'sqlit'" in out and "hive, looker, snowflake" in out
    out = run("search", "*", "--json", "--urns-only", "--db", db, code=2).output
    assert "choose one output format" in out


# ----------------------------------------------------------------------------------- item 5: history
def test_history_shows_changes_by_default_and_whole_values_on_request(copy: str, tmp_path: pathlib.Path) -> None:
    long_text = "A description longer than two hundred characters: " + "urn:li:dataset:(x) " * 20
    value = tmp_path / "props.json"
    value.write_text(json.dumps({"name": "orders", "description": long_text, "customProperties": {}, "tags": []}))
    run("put", ORDERS, "-a", "datasetProperties", "-d", str(value), "--db", copy)
    out = run("history", ORDERS, "-a", "datasetProperties", "--db", copy).output
    lines = out.splitlines()
    assert [ln.split()[0] for ln in lines if ln.startswith(" ") and ln.split()[0] in ("v1", "v2", "current")] == [
        "v1",
        "v2",
        "current",
    ]
    assert any(ln.strip().startswith("~ /description:") and long_text in ln for ln in lines)  # whole, not cut
    assert any(ln.strip().startswith("- /customProperties/team:") for ln in lines)
    full = run("history", ORDERS, "-a", "datasetProperties", "--full", "--db", copy).output
    assert json.dumps(long_text) in full and "~ /" not in full
    rows = json.loads(run("history", ORDERS, "-a", "datasetProperties", "--json", "--db", copy).output)
    assert rows[-1]["value"]["description"] == long_text and rows[-1]["version"] == 0


# ------------------------------------------------------------------------------------- item 9: errors
def test_get_with_an_unknown_aspect_says_so(db: str) -> None:
    out = run("get", ORDERS, "-a", "nosuchaspect", "--db", db, code=1).output
    assert "unknown aspect 'nosuchaspect'" in out and "not found" not in out
    out = run("get", ORDERS, "-a", "datasetproperties", "--db", db, code=1).output
    assert "did you mean 'datasetProperties'" in out


@pytest.mark.parametrize(
    "name, value",
    [("LITEMETA_MAX_VERSIONS", "abc"), ("LITEMETA_BATCH_SIZE", "0"), ("LITEMETA_HELPER_PROCESSES", "maybe")],
)
def test_a_bad_litemeta_variable_is_one_line_naming_it(db: str, name: str, value: str) -> None:
    env = dict(os.environ, **{name: value})
    for cmd in (["stats"], ["get", ORDERS]):
        proc = subprocess.run(
            [sys.executable, "-m", "litemeta", *cmd, "--db", db],
            capture_output=True,
            text=True,
            env=env,
            cwd=pathlib.Path(db).parent,
        )
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {name}={value!r}: expected ")


def test_ls_of_an_unknown_entity_type_says_did_you_mean(db: str) -> None:
    out = run("ls", "/datasets", "--db", db, code=1).output
    assert "'datasets' is not an entity type; did you mean /dataset?" in out


def test_ls_shows_container_names(tmp_path: pathlib.Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "examples" / "make_shop_db.py"), str(tmp_path / "shop.db")], check=True)
    recipe = tmp_path / "recipe.yml"
    recipe.write_text(
        f'source: {{type: sqlalchemy, config: {{connect_uri: "sqlite:///{tmp_path / "shop.db"}", '
        f'platform: sqlite}}}}\nsink: {{type: litemeta, config: {{db: "{tmp_path / "m.db"}"}}}}\n'
    )
    run("ingest", "-c", str(recipe))
    db = str(tmp_path / "m.db")
    top = run("ls", "/dataset/sqlite", "--db", db).output.splitlines()
    assert top and not any("urn:li:container:" in ln for ln in top)  # names, not urn:li:container:b3df.../
    folder = top[0].split("/")[0]
    listing = json.loads(run("ls", f"/dataset/sqlite/{folder}", "--json", "--db", db).output)
    assert listing["entries"]  # a container's name works in the path too
    entries = json.loads(run("ls", "/dataset/sqlite", "--json", "--db", db).output)["entries"]
    assert all(e["urn"].startswith("urn:li:container:") for e in entries if e["name"] == folder)


# -------------------------------------------------------------------------- item 7: the recipe source
def test_a_sqlite_recipe_on_a_missing_file_fails_and_an_empty_one_warns(tmp_path: pathlib.Path) -> None:
    recipe = tmp_path / "r.yml"
    missing = tmp_path / "shop.db"
    recipe.write_text(
        f'source: {{type: sqlalchemy, config: {{connect_uri: "sqlite:///{missing}", '
        f'platform: sqlite}}}}\nsink: {{type: litemeta, config: {{db: "{tmp_path / "m.db"}"}}}}\n'
    )
    out = run("ingest", "-c", str(recipe), code=1).output
    assert f"SQLite database file {missing} does not exist" in out and not missing.exists()
    import sqlite3

    sqlite3.connect(missing).close()
    out = run("ingest", "-c", str(recipe)).output
    assert "found no tables or views" in out


def test_views_kept_beside_the_store_follow_every_write(copy: str) -> None:
    """item 8: ls and stats keep what they read in <db>.cache/ while the change log has not moved;
    a write (here a soft delete, then its undo) moves it and they read again."""
    before = run("ls", "/dataset/hive", "--db", copy).output
    assert "shop" in before and pathlib.Path(copy + ".cache", "facts-dataset.json").is_file()
    counts = json.loads(run("stats", "--json", "--db", copy).output)
    types = run("ls", "--db", copy).output
    assert run("ls", "/dataset/hive", "--db", copy).output == before  # from the cache
    run("delete", "urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)", "--db", copy)
    assert run("ls", "/dataset/hive", "--db", copy).output != before
    after = json.loads(run("stats", "--json", "--db", copy).output)
    assert after["softDeleted"]["dataset"] == counts["softDeleted"].get("dataset", 0) + 1
    assert run("ls", "--db", copy).output != types
    run("delete", "undo-by-filter", "urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)", "--db", copy)
    assert run("ls", "/dataset/hive", "--db", copy).output == before and run("ls", "--db", copy).output == types
    pathlib.Path(copy + ".cache", "facts-dataset.json").write_text("[damaged")
    assert run("ls", "/dataset/hive", "--db", copy).output == before
    # runs follow the proposal journal too: a no-op write moves a row to another run without an MCL
    runs = run("runs", "list", "--db", copy).output
    assert "again" not in runs and run("runs", "list", "--db", copy).output == runs
    same = pathlib.Path(copy).with_suffix(".same.json")
    info = json.loads(run("get", ALICE, "-a", "corpUserInfo", "--db", copy).output)["corpUserInfo"]
    same.write_text(json.dumps(info))
    mcl = run("log", "mcl", "--json", "--db", copy).output
    put = run("put", ALICE, "-a", "corpUserInfo", "-d", str(same), "--run-id", "again", "--db", copy).output
    assert "unchanged" in put
    assert run("log", "mcl", "--json", "--db", copy).output == mcl  # no MCL: the change log did not move
    assert "again " in run("runs", "list", "--db", copy).output
