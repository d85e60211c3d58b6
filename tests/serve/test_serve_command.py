"""``litemeta serve`` as a command: binds 127.0.0.1, answers /config, enforces --token (the pages sign in once),
stops on SIGTERM."""

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
    proc = subprocess.Popen(
        [sys.executable, "-m", "litemeta", "serve", "--db", str(db), "--port", str(port), "--token", "t0k"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LITEMETA_HELPER_PROCESSES": "0"},
    )
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
        body = {
            "proposal": {
                "entityType": "corpuser",
                "entityUrn": "urn:li:corpuser:a",
                "changeType": "UPSERT",
                "aspectName": "status",
                "aspect": {"value": '{"removed": false}', "contentType": "application/json"},
            }
        }
        assert requests.post(url + "/aspects?action=ingestProposal", json=body, timeout=10).status_code == 401
        ok = requests.post(
            url + "/aspects?action=ingestProposal", json=body, timeout=10, headers={"Authorization": "Bearer t0k"}
        )
        assert ok.status_code == 200 and ok.json() == {"value": "urn:li:corpuser:a"}
        # the browser view asks for the token on its sign-in page, then keeps a session cookie
        page = requests.get(url + "/search?query=a", timeout=10, allow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/ui/signin?next=%2Fsearch%3Fquery%3Da"
        with requests.Session() as browser:
            signed = browser.post(
                url + "/ui/signin", data={"token": "t0k", "next": "/"}, headers={"Origin": url}, timeout=10
            )
            assert signed.status_code == 200 and "entities in this store" in signed.text
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    assert code in (0, -signal.SIGTERM)  # uvicorn shuts down gracefully, then re-raises the signal it caught
    import litemeta

    with litemeta.open_store(str(db), read_only=True) as store:
        assert store.get("urn:li:corpuser:a")["status"] == {"removed": False}
