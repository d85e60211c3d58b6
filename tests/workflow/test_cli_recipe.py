"""``litemeta ingest -c RECIPE``: summary, --json, exit codes (design.md choice 10), --strict-warnings, --db."""

from __future__ import annotations

import json
from pathlib import Path

from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.sink.file import write_metadata_file as sdk_write
from datahub.metadata import schema_classes as S

from litemeta.store import open_store
from tests.conftest import Cli
from tests.workflow.sdk_harness import ds


def _setup(tmp_path: Path, transformers: str = "", extra: str = "") -> Path:
    sdk_write(
        tmp_path / "in.json",
        [
            W(entityUrn=ds("a"), aspect=S.StatusClass(removed=False)),
            W(entityUrn=ds("b"), aspect=S.GlobalTagsClass(tags=[])),
        ],
    )
    recipe = tmp_path / "recipe.yml"
    recipe.write_text(
        f"source:\n  type: file\n  config:\n    path: {tmp_path / 'in.json'}\n{transformers}"
        f"sink:\n  type: litemeta\n  config:\n    db: {tmp_path / 'recipe.db'}\n{extra}"
    )
    return recipe


def test_summary_table_and_db_override(cli: Cli, tmp_path: Path) -> None:
    recipe = _setup(tmp_path)
    db = tmp_path / "cli.db"
    r = cli("ingest", "-c", str(recipe), "--db", str(db), code=None)
    assert r.exit_code == 0, r.output
    assert "file" in r.output and "litemeta" in r.output and "records" in r.output
    with open_store(str(db), read_only=True) as store:
        assert store.exists(ds("a")) and store.exists(ds("b"))
    assert not (tmp_path / "recipe.db").exists()


def test_json_output(cli: Cli, tmp_path: Path) -> None:
    r = cli("ingest", "-c", str(_setup(tmp_path, extra="run_id: cli-1\n")), "--json", code=None)
    out = json.loads(r.output)
    assert r.exit_code == 0 and out["runId"] == "cli-1" and out["failures"] == 0
    assert [s["kind"] for s in out["steps"]] == ["source", "sink"]


def test_tag_transformer_keys_are_dropped_without_warnings(cli: Cli, tmp_path: Path) -> None:
    """The tagKey a tag transformer writes equals the urn's key: dropped silently (R1.22)."""
    recipe = _setup(
        tmp_path,
        transformers="transformers:\n  - type: simple_add_dataset_tags\n    config: {tag_urns: ['urn:li:tag:t']}\n",
    )
    r = cli("ingest", "-c", str(recipe), "--json", "--strict-warnings", code=None)
    assert r.exit_code == 0 and json.loads(r.output)["warnings"] == 0


def test_strict_warnings_exit_code(cli: Cli, tmp_path: Path) -> None:
    """Warnings (here: a key aspect that contradicts its urn, dropped by the store, R1.22) fail only with --strict-warnings."""
    recipe = _setup(tmp_path)
    objs = json.loads((tmp_path / "in.json").read_text())
    objs.append(
        {
            "entityType": "tag",
            "entityUrn": "urn:li:tag:t",
            "changeType": "UPSERT",
            "aspectName": "tagKey",
            "aspect": {"json": {"name": "other"}},
        }
    )
    (tmp_path / "in.json").write_text(json.dumps(objs))
    relaxed = cli("ingest", "-c", str(recipe), "--json", code=None)
    assert relaxed.exit_code == 0 and json.loads(relaxed.output)["warnings"] >= 1
    strict = cli("ingest", "-c", str(recipe), "--strict-warnings", code=None)
    assert strict.exit_code == 1


def test_failures_exit_1(cli: Cli, tmp_path: Path) -> None:
    recipe = _setup(tmp_path)
    objs = json.loads((tmp_path / "in.json").read_text())
    objs.append({"entityUrn": "urn:li:nope:x", "changeType": "UPSERT", "aspectName": "status", "aspect": {"json": {}}})
    (tmp_path / "in.json").write_text(json.dumps(objs))
    r = cli("ingest", "-c", str(recipe), code=None)
    assert r.exit_code == 1 and "✗" in r.output


def test_bad_recipe_is_a_message_and_exit_2(cli: Cli, tmp_path: Path) -> None:
    recipe = _setup(tmp_path, extra="sources: {}\n")
    r = cli("ingest", "-c", str(recipe), code=None)
    assert r.exit_code == 2
    assert "unknown key 'sources' in recipe; allowed keys: source, transformers" in r.output
    assert "Traceback" not in r.output
    bad_step = _setup(
        tmp_path, transformers="transformers:\n  - type: simple_add_dataset_tags\n    config: {tags: [x]}\n"
    )
    r = cli("ingest", "-c", str(bad_step), code=None)
    assert r.exit_code == 2 and "unknown config key 'tags'" in r.output
