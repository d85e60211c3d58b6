"""The ``litemeta`` command as a process (python -m litemeta, the console script's entry): an
ingest ends without interpreter teardown (cli.common.finish) and still exits with its code, prints
its whole report, and leaves the store complete and closed (issue 3, item 8)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import litemeta
from litemeta.cli import common
from tests.conftest import Cli


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "litemeta", *args], capture_output=True, text=True, timeout=300)


def test_exit_codes_and_complete_output_of_a_process(corpus_file: Callable[..., Path], tmp_path: Path) -> None:
    corpus = corpus_file(300, 9)
    db = str(tmp_path / "s.db")
    ok = _run("ingest", "--db", db, str(corpus), "--json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)  # the whole object reached the pipe
    assert report["records"] == 300 and report["failed"] == 0 and report["platformEvents"] > 0
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            [
                {
                    "entityType": "corpuser",
                    "entityUrn": "urn:li:corpuser:x",
                    "changeType": "UPSERT",
                    "aspectName": "noSuchAspect",
                    "aspect": {"json": {}},
                }
            ]
        )
    )
    failed = _run("ingest", "--db", db, str(bad))
    assert failed.returncode == 1 and "failed:    1" in failed.stdout
    # everything was committed and the store closed cleanly: another process reads it all
    with litemeta.open_store(db) as s:
        assert len(s.read_topic("MetadataChangeProposal_v1")) == report["proposals"] - report["failed"]
        assert len(s.read_topic("FailedMetadataChangeProposal_v1")) == 1
    assert not Path(db + "-wal").exists() or Path(db + "-wal").stat().st_size == 0  # checkpointed at close


def test_inside_another_program_the_command_returns(
    cli: Cli, corpus_file: Callable[..., Path], tmp_path: Path, monkeypatch: Any
) -> None:
    """Run by CliRunner (or any caller of ``main``), ingest never ends the caller's process."""
    assert common.STANDALONE is False
    result = cli("ingest", "--db", str(tmp_path / "s.db"), str(corpus_file(50, 2)), code=None)
    assert result.exit_code == 0 and "50 records" in result.output
