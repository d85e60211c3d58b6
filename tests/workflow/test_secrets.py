"""Issue 15 item 9: a recipe's expanded secrets never reach a message, the status report, the
store or its log (DataHub masks every ${VAR} of a recipe; URL passwords as SQLAlchemy's
``render_as_string(hide_password=True)`` does)."""

from __future__ import annotations

import os
import pathlib
import sqlite3
import subprocess
import sys
from typing import List

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.sink.file import write_metadata_file as sdk_write
from datahub.metadata import schema_classes as S

from tests.workflow.sdk_harness import ds

SECRET = "s3cr3t-Pa55word"


def _run(tmp_path: pathlib.Path, recipe: str, *extra: str) -> subprocess.CompletedProcess:
    path = tmp_path / "recipe.yml"
    path.write_text(recipe)
    env = {**os.environ, "DB_PASSWORD": SECRET, "SECRET_DIR": f"/nonexistent/{SECRET}"}
    return subprocess.run(
        [sys.executable, "-m", "litemeta", "ingest", "-c", str(path), "--db", str(tmp_path / "s.db"), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _store_bytes(tmp_path: pathlib.Path) -> bytes:
    """Every byte of the store's files (rows, topic log, WAL), and of the log's decoded values."""
    data = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*") if p.is_file())
    if (tmp_path / "s.db").exists():
        with sqlite3.connect(tmp_path / "s.db") as con:
            data += b"".join(bytes(r[0]) for r in con.execute("SELECT value FROM topic_log"))
    return data


RECIPES: List[str] = [
    # the case: the source fails, and its message printed the expanded password
    "source:\n  type: sqlalchemy\n  config:\n    platform: postgres\n"
    '    connect_uri: "postgresql://admin:${DB_PASSWORD}@127.0.0.1:1/db"\n',
    # a driver error that quotes the URL
    "source:\n  type: sqlalchemy\n  config:\n    platform: sqlite\n"
    '    connect_uri: "sqlite:////nonexistent/${DB_PASSWORD}/x.db"\n',
    # a file source whose path holds a secret
    'source:\n  type: file\n  config:\n    path: "${SECRET_DIR}/in.json"\n',
]


@pytest.mark.parametrize("recipe", RECIPES, ids=["sqlalchemy-password", "sqlalchemy-path", "file-path"])
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_a_failing_source_does_not_print_or_store_the_secret(
    tmp_path: pathlib.Path, recipe: str, as_json: bool
) -> None:
    result = _run(tmp_path, recipe, *(["--json"] if as_json else []))
    assert result.returncode == 1, result.stderr
    assert "***" in result.stdout + result.stderr  # it says where, masked
    assert SECRET not in result.stdout + result.stderr
    assert SECRET.encode() not in _store_bytes(tmp_path)


def test_a_secret_in_a_record_s_failure_and_the_pipeline_name_is_masked_in_the_report(tmp_path: pathlib.Path) -> None:
    """A failure quoting a record that holds the value, and the summary's pipeline name."""
    sdk_write(tmp_path / "in.json", [W(entityUrn=ds("a"), aspect=S.DatasetPropertiesClass(description=SECRET))])
    bad = (tmp_path / "in.json").read_text().replace('"description"', '"nodescription"')
    (tmp_path / "bad.json").write_text(bad)
    recipe = (
        f'source:\n  type: file\n  config:\n    path: {tmp_path / "bad.json"}\npipeline_name: "p-${{DB_PASSWORD}}"\n'
    )
    result = _run(tmp_path, recipe, "--json")
    assert result.returncode == 1 and SECRET not in result.stdout + result.stderr


def test_a_store_that_cannot_be_opened_is_one_line_without_the_secret(tmp_path: pathlib.Path) -> None:
    """The sink's store failing (here: a DataHub Lite-shaped database) printed a traceback."""
    with sqlite3.connect(tmp_path / "s.db") as con:
        con.execute(
            "CREATE TABLE metadata_aspect_v2 (urn TEXT, aspect_name TEXT, version INT, metadata TEXT, "
            "system_metadata TEXT, createdon INT)"
        )
    sdk_write(tmp_path / "in.json", [W(entityUrn=ds("a"), aspect=S.StatusClass(removed=False))])
    result = _run(tmp_path, f"source:\n  type: file\n  config:\n    path: {tmp_path / 'in.json'}\n")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "DataHub Lite" in result.stderr
