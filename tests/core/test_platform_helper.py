"""Platform events derived in the helper process (core/platform.py, core/platform_helper.py).

A large ingest hands each MCL to a child process and appends what comes back at the batch's
flush. The log must be exactly what deriving inline gives (R3.4 envelope and key, R3.5 order,
offsets), whether the helper works, dies mid-ingest, or is never started.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, List, Tuple

import pytest

import litemeta.core.platform as PL
from litemeta import open_store
from litemeta.core.platform_helper import Helper

PINNED = 1_700_000_000_000


@pytest.fixture(autouse=True)
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper starts only with two usable CPUs: these tests must not depend on the machine."""
    monkeypatch.setattr("litemeta.config.usable_cpus", lambda: 2)
    # Only the helper's batches are compressed here, so that a compressed batch shows it ran.
    monkeypatch.setattr("litemeta.storage.log.COMPRESS_MIN_BYTES", 10**12)


def _ingest(path: Path, corpus: Path, batch_size: int, **settings: Any) -> Tuple[Any, List[tuple], int]:
    with open_store(str(path), **settings) as s:
        s.clock = lambda: PINNED
        report = s.ingest([str(corpus)], batch_size=batch_size)
        pe = [(r.offset, r.key, r.timestamp, r.value) for r in s.iter_topic("PlatformEvent_v1")]
        with s.db.read() as conn:
            zlib_rows = conn.exec_driver_sql(
                "SELECT count(*) FROM topic_log WHERE topic = 'PlatformEvent_v1' AND codec = 1"
            ).scalar()
    return report, pe, zlib_rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.sdkcorpus import write_corpus

    path = tmp_path_factory.mktemp("corpus") / "c.json"
    write_corpus(path, 700, 5)
    return path


@pytest.fixture(scope="module")
def inline(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Tuple[Any, List[tuple]]:
    """The reference: every event derived inline (the helper never started)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(PL.PlatformEvents, "start_helper", lambda self: None)
    mp.setattr("litemeta.storage.log.COMPRESS_MIN_BYTES", 10**12)
    try:
        report, pe, zlib_rows = _ingest(tmp_path_factory.mktemp("inline") / "s.db", corpus, 80)
    finally:
        mp.undo()
    assert zlib_rows == 0
    return report, pe


def test_helper_derives_exactly_what_inline_derivation_gives(
    corpus: Path, inline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R3.4/R3.5: same records, offsets, keys, timestamps and payloads; same report counts."""
    monkeypatch.setattr(PL, "CHUNK", 16)  # many chunks per batch
    report, pe, zlib_rows = _ingest(tmp_path / "s.db", corpus, 80)
    ref_report, ref_pe = inline
    assert zlib_rows > 0  # the helper really derived (its batches are the compressed ones)
    assert len(pe) == report.platform_events == ref_report.platform_events > 500
    assert pe == ref_pe
    assert report.offsets["PlatformEvent_v1"] == ref_report.offsets["PlatformEvent_v1"]


def test_a_helper_that_dies_mid_ingest_loses_nothing(
    corpus: Path, inline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The helper is killed after its third answer: the writer derives the rest itself."""
    answers = {"n": 0}
    real_result = Helper.result

    def result(self: Helper) -> Tuple[Any, ...]:
        answers["n"] += 1
        if answers["n"] == 3:
            self.proc.kill()
            self.proc.wait()
        return real_result(self)

    monkeypatch.setattr(Helper, "result", result)
    monkeypatch.setattr(PL, "CHUNK", 16)
    report, pe, zlib_rows = _ingest(tmp_path / "s.db", corpus, 80)
    assert answers["n"] >= 3 and zlib_rows >= 1
    assert pe == inline[1] and report.platform_events == inline[0].platform_events
    assert "helper process failed" in caplog.text  # said once, in the log; the ingest itself succeeds


def test_helper_processes_can_be_turned_off(corpus: Path, inline, tmp_path: Path) -> None:
    """``helper_processes=False`` (env LITEMETA_HELPER_PROCESSES=0): everything in the writer."""
    from litemeta.config import from_environment

    assert from_environment({"LITEMETA_HELPER_PROCESSES": "0"}).helper_processes is False
    assert from_environment({}).helper_processes is True
    report, pe, zlib_rows = _ingest(tmp_path / "s.db", corpus, 80, helper_processes=False)
    assert zlib_rows == 0 and pe == inline[1]


def test_a_helper_that_cannot_start_falls_back_to_inline(
    corpus: Path, inline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    report, pe, zlib_rows = _ingest(tmp_path / "s.db", corpus, 80)
    assert zlib_rows == 0 and pe == inline[1]


def test_a_script_without_a_main_guard_is_not_run_again(corpus: Path, tmp_path: Path) -> None:
    """The helper is a fresh interpreter running litemeta's module, never the caller's script
    (multiprocessing's spawn would re-run an unguarded script in the child)."""
    script = tmp_path / "unguarded.py"
    marker = tmp_path / "runs.txt"
    script.write_text(
        textwrap.dedent(f"""
        import litemeta, litemeta.config, litemeta.storage.log
        litemeta.config.usable_cpus = lambda: 2
        litemeta.storage.log.COMPRESS_MIN_BYTES = 10**12  # only the helper's batches compressed
        with open({str(marker)!r}, "a") as f:
            f.write("run\\n")
        with litemeta.open_store({str(tmp_path / "s.db")!r}) as s:
            r = s.ingest([{str(corpus)!r}], batch_size=80)
            with s.db.read() as conn:
                helper_batches = conn.exec_driver_sql(
                    "SELECT count(*) FROM topic_log WHERE topic = 'PlatformEvent_v1' AND codec = 1").scalar()
        print(r.platform_events, helper_batches)
    """)
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    events, helper_batches = map(int, proc.stdout.split())
    assert events > 500 and helper_batches > 0  # the helper ran
    assert marker.read_text() == "run\n"


def test_no_helper_on_a_single_cpu(corpus: Path, inline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one usable CPU a helper would only compete with the writer: events are derived inline."""
    monkeypatch.setattr("litemeta.config.usable_cpus", lambda: 1)
    report, pe, zlib_rows = _ingest(tmp_path / "s.db", corpus, 80)
    assert zlib_rows == 0 and pe == inline[1]


def test_helper_process_starts_without_sqlalchemy(tmp_path: Path) -> None:
    """The helper imports only what deriving and encoding events need (storage.batches, not the SQL
    layer): SQLAlchemy's import is 0.3 s of CPU on the core beside the writer."""
    code = (
        "import io, sys; from litemeta.core.platform_helper import serve; "
        "serve(io.BytesIO(b''), io.BytesIO()); "  # the helper's own imports, then end of input
        "from litemeta.model.registry import load_registry; load_registry(); "  # what derive loads
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlalchemy'))"
    )
    # run outside the repository: ``-c`` puts the working folder first on sys.path, and the package
    # under test is the installed one (CI's second run installs it without -e)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert out.strip() == "[]"
