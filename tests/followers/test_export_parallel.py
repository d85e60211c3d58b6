"""A kafka-log export with many platform events writes that topic in a second process
(followers/export.py ``_export_two_processes``). The folder must be byte for byte what one process
writes, read by kafka-python's own record reader, and a failing second process loses nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict

import pytest
from kafka.record.memory_records import MemoryRecords

import litemeta.followers.export as E
from litemeta.store import open_store


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.sdkcorpus import write_corpus

    d = tmp_path_factory.mktemp("store")
    write_corpus(d / "c.json", 400, 4)
    with open_store(str(d / "s.db")) as s:
        s.clock = lambda: 1_700_000_000_000
        report = s.ingest([str(d / "c.json")])
    assert report.platform_events > 1000
    return d / "s.db"


def _files(folder: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _export(store_path: Path, out: Path, **kw):
    with open_store(str(store_path), read_only=True) as s:
        report = s.export(str(out), **kw)
    return report, report.from_offsets, report.next_offsets


def test_two_processes_write_exactly_what_one_writes(store_path: Path, tmp_path: Path) -> None:
    """Formats §3 / choice 9: same segments, indexes and schemas.json; same report and offsets."""
    one, starts1, ends1 = _export(store_path, tmp_path / "one", parallel=False)
    two, starts2, ends2 = _export(store_path, tmp_path / "two", parallel=True)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert (one.counts, one.skipped, one.bytes) == (two.counts, two.skipped, two.bytes)
    assert (starts1, ends1) == (starts2, ends2)
    assert sorted(Path(f).name for f in one.files) == sorted(Path(f).name for f in two.files)
    with open_store(str(store_path), read_only=True) as s:
        n_pe = s.end_offsets()["PlatformEvent_v1"]
    offsets = []
    for seg in sorted((tmp_path / "two" / "PlatformEvent_v1-0").glob("*.log")):
        batches = MemoryRecords(seg.read_bytes())
        while batches.has_next():
            batch = batches.next_batch()
            assert batch.validate_crc()
            offsets.extend(r.offset for r in batch)
    assert offsets == list(range(n_pe))


def test_a_failing_second_process_is_replaced_by_this_one(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, _, _ = _export(store_path, tmp_path / "one", parallel=False)
    real = subprocess.Popen

    def broken(args, **kw):  # the child starts, writes nothing and fails
        return real(["python3", "-c", "import sys; sys.exit(3)"], **kw)

    monkeypatch.setattr(subprocess, "Popen", broken)
    two, _, ends = _export(store_path, tmp_path / "two", parallel=True)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert two.counts == one.counts and ends["PlatformEvent_v1"] == sum(one.counts["PlatformEvent_v1"].values())


def test_the_cut_is_taken_when_the_export_starts(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records appended while an export runs are left for the next one: both processes stop at
    the end offsets read when the export started."""
    import shutil

    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
    from datahub.metadata.schema_classes import GlobalTagsClass, TagAssociationClass

    from litemeta.storage import log as L

    db = tmp_path / "s.db"
    shutil.copy(store_path, db)
    real = L.end_offsets
    seen = {}

    def end_offsets_then_a_write(conn) -> Dict[str, int]:
        cut = real(conn)
        seen.update(cut)
        with open_store(str(db)) as w:  # another writer, during the export
            r = w.ingest(
                MCPW(
                    entityUrn="urn:li:corpuser:late",
                    aspect=GlobalTagsClass(tags=[TagAssociationClass(tag="urn:li:tag:t")]),
                )
            )
            assert r.written == 1 and r.platform_events >= 1
        return cut

    monkeypatch.setattr(L, "end_offsets", end_offsets_then_a_write)
    rep, _, ends = _export(db, tmp_path / "x", parallel=True)
    monkeypatch.undo()
    assert ends == {t: n for t, n in seen.items() if n}
    assert {t: sum(p.values()) for t, p in rep.counts.items()} == ends
    with open_store(str(db), read_only=True) as s:
        after = s.end_offsets()
    assert all(after[t] > seen[t] for t in ("MetadataChangeProposal_v1", "PlatformEvent_v1"))


def test_helper_processes_off_keeps_an_export_in_one_process(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(E, "PARALLEL_MIN_RECORDS", 1)
    calls = []
    monkeypatch.setattr(E, "_export_two_processes", lambda *a, **k: calls.append(a))
    with open_store(str(store_path), read_only=True, helper_processes=False) as s:
        s.export(str(tmp_path / "x"))
    assert calls == []


def test_one_usable_cpu_keeps_an_export_in_one_process(
    store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(E, "PARALLEL_MIN_RECORDS", 1)
    monkeypatch.setattr("litemeta.config.usable_cpus", lambda: 1)
    calls = []
    monkeypatch.setattr(E, "_export_two_processes", lambda *a, **k: calls.append(a))
    _export(store_path, tmp_path / "x")
    assert calls == []


def test_small_exports_stay_in_one_process(store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(E, "_export_two_processes", lambda *a, **k: calls.append(a))
    _export(store_path, tmp_path / "x")  # default threshold: far more events than this store has
    assert calls == []
