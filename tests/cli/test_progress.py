"""Issue 19 item 10: a real progress bar (tqdm) with rate and ETA on a terminal, quiet when piped;
the ingest bar follows the bytes the file readers have read; push draws the same bar."""

from __future__ import annotations

import io
import json
import pathlib
import sys
from typing import Dict, List, Tuple

import pytest

from litemeta.cli.ingest import input_bytes
from litemeta.cli.progress import Progress
from litemeta.sources.files import watch_reads
from litemeta.store import open_store

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample.json"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_with_a_total_shows_percent_rate_and_eta_and_nothing_when_piped() -> None:
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        with Progress("ingest", unit="B", total=4096, stream=stream, interval=0) as bar:
            for position in (1024, 2048, 4096):
                bar.moveto(position)
            bar.note("34 records")
    assert pipe.getvalue() == ""
    drawn = tty.getvalue()
    assert "ingest:  25%" in drawn and "ingest: 100%" in drawn and "4.00k/4.00k" in drawn
    assert "B/s" in drawn and "<00:0" in drawn and "34 records" in drawn  # rate, ETA, note


def test_the_readers_report_their_position_up_to_the_file_size(tmp_path: pathlib.Path) -> None:
    seen: List[Tuple[str, int]] = []
    with open_store(str(tmp_path / "s.db")) as store, watch_reads(lambda p, pos: seen.append((p, pos))):
        assert store.ingest([str(SAMPLE)]).failed == 0
    assert seen and seen[-1] == (str(SAMPLE), SAMPLE.stat().st_size)
    with open_store(str(tmp_path / "t.db")) as store:  # outside the block nobody is told
        store.ingest([str(SAMPLE)])
    assert seen[-1] == (str(SAMPLE), SAMPLE.stat().st_size) and len({p for p, _ in seen}) == 1


def test_input_bytes_of_files_and_folders(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.json").write_text("[]")
    (tmp_path / "b.jsonl").write_text("{}\n")
    (tmp_path / "notes.txt").write_text("ignored")
    sizes: Dict[str, int] = {"file": SAMPLE.stat().st_size}
    assert input_bytes([str(SAMPLE)]) == sizes["file"]
    assert input_bytes([str(tmp_path), str(SAMPLE)]) == 2 + 3 + sizes["file"]
    assert input_bytes(["-"]) is None and input_bytes([str(tmp_path / "missing.json")]) is None


def test_the_export_bar_knows_how_many_records_it_will_write(tmp_path: pathlib.Path) -> None:
    from litemeta.cli.export import _records_to_export

    with open_store(str(tmp_path / "s.db")) as store:
        store.ingest([str(SAMPLE)])
        ends = store.end_offsets()
        assert _records_to_export(store, (), None, None) == sum(ends.values())
        assert _records_to_export(store, ("mcl",), 10, None) == ends["MetadataChangeLog_Versioned_v1"] - 10
        report = store.export(str(tmp_path / "out"), "jsonl", ("pe",), group="nightly")
        assert report.records == ends["PlatformEvent_v1"]  # what the bar's total said before it ran
        assert _records_to_export(store, ("pe",), None, "nightly") == 0  # the group has them all


def test_push_draws_the_shared_bar_with_rate_and_eta_and_nothing_when_piped(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("datahub")
    from litemeta.cli.push import push

    db = tmp_path / "s.db"
    with open_store(str(db)) as store:
        store.ingest([str(SAMPLE)])
        journal = store.end_offsets()["MetadataChangeProposal_v1"]
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        monkeypatch.setattr(sys, "stderr", stream)
        # a dry run reads and builds every proposal and never connects (nothing listens on port 9)
        push.main(["--db", str(db), "--server", "http://127.0.0.1:9", "--dry-run", "--json"], standalone_mode=False)
        assert json.loads(capsys.readouterr().out)["records"] == journal
    assert pipe.getvalue() == ""
    drawn = tty.getvalue()
    assert "dry run: 100%" in drawn and f"{journal}/{journal}" in drawn  # the journal's records are its total
    assert "proposals/s" in drawn and "<00:0" in drawn  # rate and ETA
