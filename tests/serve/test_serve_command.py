"""``litemeta serve`` as a command: binds 127.0.0.1, answers /config, enforces --token, stops on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_litemeta_serve_runs_until_terminated(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "served.db"
    proc = subprocess.Popen([sys.executable, "-m", "litemeta", "serve", "--db", str(db), "--port", str(port),
                             "--token", "t0k"], stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "LITEMETA_HELPER_PROCESSES": "0"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                config = requests.get(url + "/config", timeout=2)
                break
            except requests.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.05)
        assert config.json()["noCode"] == "true"
        assert config.json()["versions"]["acryldata/datahub"]["version"] == "v1.3.0"  # parseable (trap 2)
        assert "serverEnv" not in config.json()["datahub"]  # not DataHub Cloud (trap 4)
        body = {"proposal": {"entityType": "corpuser", "entityUrn": "urn:li:corpuser:a", "changeType": "UPSERT",
                             "aspectName": "status", "aspect": {"value": '{"removed": false}',
                                                                "contentType": "application/json"}}}
        assert requests.post(url + "/aspects?action=ingestProposal", json=body, timeout=10).status_code == 401
        ok = requests.post(url + "/aspects?action=ingestProposal", json=body, timeout=10,
                           headers={"Authorization": "Bearer t0k"})
        assert ok.status_code == 200 and ok.json() == {"value": "urn:li:corpuser:a"}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    assert code in (0, -signal.SIGTERM)  # uvicorn shuts down gracefully, then re-raises the signal it caught
    import litemeta

    with litemeta.open_store(str(db), read_only=True) as store:
        assert store.get("urn:li:corpuser:a")["status"] == {"removed": False}
