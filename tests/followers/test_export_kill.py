"""Issue 15 item 6: a kafka-log export killed mid-way and run again at once leaves no duplicated
record. The export's second process (the one writing the platform-event topic) dies with its
parent, and a second export into the same folder waits for the first instead of interleaving
with it. Real processes: the ``litemeta`` command, SIGKILL, the folder read back by litemeta's
reader and by kafka-python's."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from kafka.record.memory_records import MemoryRecords

from litemeta.formats.export_layout import read_export
from litemeta.formats.kafka_log import CorruptionReport
from litemeta.model.events import PLATFORM_EVENT_TOPIC
from litemeta.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with enough platform events (~110,000) for the two-process export path, whose
    second process then writes for seconds: long enough for a re-run to meet it (with ~60,000
    events it was done before the re-run began, and the old code's defect did not show)."""
    from tests.sdkcorpus import write_corpus

    d = tmp_path_factory.mktemp("big")
    write_corpus(d / "c.json", 20_000, 1)
    with open_store(str(d / "s.db")) as s:
        s.clock = lambda: 1_700_000_000_000
        report = s.ingest([str(d / "c.json")])
    assert report.failed == 0 and report.platform_events >= 100_000
    return d / "s.db"


def _export_command(db: Path, out: Path) -> List[str]:
    return [sys.executable, "-m", "litemeta", "export", "--out", str(out), "--db", str(db)]


def _records(folder: Path) -> List[Tuple[str, int, int, str, Any]]:
    items = list(read_export(folder))
    bad = [i for i in items if isinstance(i, CorruptionReport)]
    assert not bad, f"unreadable parts: {[b.describe() for b in bad[:3]]}"
    return [(r.topic, r.partition, r.offset, r.key, r.value) for r in items]  # type: ignore[union-attr]


def _kafka_offsets(folder: Path) -> Dict[str, List[int]]:
    """Offsets of every partition folder, in file order, as kafka-python's record reader sees them."""
    out: Dict[str, List[int]] = {}
    for part in sorted(p for p in folder.iterdir() if p.is_dir()):
        offsets = out.setdefault(part.name, [])
        for seg in sorted(part.glob("*.log")):
            batches = MemoryRecords(seg.read_bytes())
            while batches.has_next():
                batch = batches.next_batch()
                assert batch.validate_crc(), f"{seg}: bad CRC"
                offsets.extend(r.offset for r in batch)
    return out


def _child_writing(out: Path) -> bool:
    folder = out / f"{PLATFORM_EVENT_TOPIC}-0"
    return any(p.stat().st_size > 0 for p in folder.glob("*.log")) if folder.is_dir() else False


def test_an_export_killed_and_run_again_at_once_writes_every_record_once(big_store: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    subprocess.run(_export_command(big_store, clean), check=True, capture_output=True, timeout=300)

    out = tmp_path / "killed"
    first = subprocess.Popen(_export_command(big_store, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _child_writing(out):  # about 1 s in: the second process has begun the platform events
        assert first.poll() is None, "the export ended before its second process wrote anything"
        assert time.monotonic() < deadline, "the second export process never started writing"
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait()
    again = subprocess.run(_export_command(big_store, out), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    time.sleep(1.0)  # a helper that outlived its parent would still be appending now
    got = _records(out)
    dupes = [k for k, n in Counter((t, p, o) for t, p, o, _k, _v in got).items() if n > 1]
    assert not dupes, f"{len(dupes)} records written twice, e.g. {dupes[:3]}"
    assert got == _records(clean)
    offsets = _kafka_offsets(out)
    assert offsets == {name: list(range(len(v))) for name, v in _kafka_offsets(clean).items()}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the child process through /proc")
def test_no_export_process_outlives_its_parent(big_store: Path, tmp_path: Path) -> None:
    """The second process has its parent's death signal (Linux) and watches its parent's pipe
    (everywhere): it is gone within a second of the parent's SIGKILL."""
    out = tmp_path / "x"
    first = subprocess.Popen(_export_command(big_store, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _child_writing(out):
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    children = _children_of(first.pid)
    assert children, "no second export process found"
    first.send_signal(signal.SIGKILL)
    first.wait()
    end = time.monotonic() + 1.0
    while any(_alive(c) for c in children) and time.monotonic() < end:
        time.sleep(0.02)
    assert not any(_alive(c) for c in children), "the second export process outlived its parent"


def _children_of(pid: int) -> List[int]:
    kids: List[int] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended (its parent is gone; init reaps it)
