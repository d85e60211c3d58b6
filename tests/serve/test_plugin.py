"""litemeta's pytest plugin (entry point pytest11), as a user's test suite sees it: the README's
example test of a user's own emitter code runs green in a separate pytest process."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import needs_sdk

ROOT = Path(__file__).resolve().parents[2]


def readme_test() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Testing your own DataHub code.**", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


@pytest.mark.slow
@needs_sdk
def test_the_readme_example_passes_in_a_users_pytest_run(tmp_path: Path) -> None:
    code = readme_test()
    assert len([line for line in code.splitlines() if line.strip()]) <= 12
    (tmp_path / "test_users_code.py").write_text(code, encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path), "DATAHUB_TELEMETRY_ENABLED": "false"}
    env.pop("DATAHUB_GMS_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_users_code.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "1 passed" in out.stdout, out.stdout + out.stderr


def test_the_server_fixture_sets_the_gms_url_and_serves_the_store(litemeta_server: str, litemeta_store: Any) -> None:
    import requests

    assert os.environ["DATAHUB_GMS_URL"] == litemeta_server
    assert litemeta_server.startswith("http://127.0.0.1:")
    assert requests.get(litemeta_server + "/config", timeout=5).json()["noCode"] == "true"


def test_a_stopped_server_releases_its_port(litemeta_store: Any) -> None:
    from litemeta.serve import ServerThread, create_app

    with ServerThread(create_app(litemeta_store)) as server:
        port = server.port
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still accepts connections"
