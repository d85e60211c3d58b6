"""A writer killed with SIGKILL mid-ingest leaves whole batches only: every change has exactly its MCL
and its platform events, nothing partial (design.md rule 1, issue 3 and 4 crash tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any, List, Tuple

import pytest

import litemeta
from litemeta.model.codec import proposal_from_mcp_value
from litemeta.model.events import MCL_TIMESERIES_TOPIC, MCL_VERSIONED_TOPIC, MCP_TOPIC, PLATFORM_EVENT_TOPIC
from litemeta.model.proposal import Origin
from tests.sdkcorpus import write_corpus

CHILD = """
import sys, litemeta, litemeta.config
litemeta.config.usable_cpus = lambda: 2  # the helper runs whatever the machine
with litemeta.open_store(sys.argv[1]) as s:
    s.clock = lambda: 1_700_000_000_000
    s.ingest([sys.argv[2]], batch_size=40)
"""


def _topic(store: Any, topic: str) -> List[Tuple[Any, ...]]:
    out = []
    for r in store.read_topic(topic):
        v = r.value
        body = v.get("aspect", v.get("payload", {})).get("value") if isinstance(v, dict) else None
        out.append((r.offset, r.key, v.get("changeType"), v.get("aspectName"), v.get("name"), body))
    return out


def _helper_pids(parent: int) -> List[int]:
    """Child processes of ``parent`` running litemeta's platform-event helper (Linux /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and b"litemeta.core.platform_helper" in cmd:
            out.append(int(entry))
    return out


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_no_partial_batch(tmp_path: Any) -> None:
    corpus = tmp_path / "c.json"
    write_corpus(corpus, 3000, 5)
    db = str(tmp_path / "killed.db")
    child = subprocess.Popen([sys.executable, "-c", CHILD, db, str(corpus)], cwd=os.getcwd())
    try:
        deadline = time.time() + 60
        seen = 0
        while time.time() < deadline and child.poll() is None:
            time.sleep(0.05)
            if os.path.exists(db):
                try:
                    with litemeta.open_store(db, read_only=True) as ro:
                        seen = len(ro.read_topic(MCP_TOPIC, limit=500))
                except litemeta.StorageError:
                    continue
                if seen >= 300:
                    break
        assert child.poll() is None, "the writer finished before it could be killed; make the corpus larger"
        helpers = _helper_pids(child.pid)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    # the writer's platform-event helper (a multi-batch ingest has one) ends with it: no orphan
    assert helpers, "the killed ingest ran no helper process"
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{pid}") for pid in helpers):
        time.sleep(0.05)
    assert not [pid for pid in helpers if os.path.exists(f"/proc/{pid}")]
    with litemeta.open_store(db) as killed:
        journal = killed.read_topic(MCP_TOPIC)
        assert 300 <= len(journal) < 3000
        # replay exactly the journaled (committed) proposals into a fresh store
        with litemeta.open_store(str(tmp_path / "replayed.db")) as fresh:
            fresh.clock = lambda: 1_700_000_000_000
            props = [proposal_from_mcp_value(r.value, Origin("journal", r.offset)) for r in journal]
            rep = fresh.ingest(props)
            assert rep.failed == 0
            for topic in (MCL_VERSIONED_TOPIC, MCL_TIMESERIES_TOPIC, PLATFORM_EVENT_TOPIC, MCP_TOPIC):
                assert _topic(killed, topic) == _topic(fresh, topic), topic
            # offsets are contiguous per topic
            for topic in (MCL_VERSIONED_TOPIC, PLATFORM_EVENT_TOPIC):
                offs = [r.offset for r in killed.read_topic(topic)]
                assert offs == list(range(len(offs)))
            for urn in fresh.list_urns():
                assert killed.get(urn) == fresh.get(urn), urn
        # the writer can resume: ingesting the whole file again completes without failures
        rep = killed.ingest([str(corpus)])
        assert rep.failed == 0
