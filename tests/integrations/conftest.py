"""Fixtures for litemeta inside DataHub's tools: a clean DataHub CLI environment and litemeta installed from its wheel.

``wheel_env`` builds litemeta's wheel (``pip wheel --no-deps --no-build-isolation``, from a copy
of the source tree so that no build folders land in it) and installs it into a fresh virtual
environment whose other packages (acryl-datahub, the Actions framework, SQLAlchemy...) are the
test environment's, reached through a folder of symbolic links that leaves litemeta's editable
install out: in that environment the only litemeta distribution, and so the only source of its
entry points, is the wheel. Built once per session (~10 s).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Python source that makes ``datahub`` unimportable for the rest of a ``python -c`` program (as if
# acryl-datahub were not installed).
BLOCK_DATAHUB = """
import sys
class NoDataHub:
    def find_spec(self, name, path=None, target=None):
        if name == "datahub" or name.startswith("datahub."):
            raise ImportError("acryl-datahub is not installed (blocked by the test)")
        return None
sys.meta_path.insert(0, NoDataHub())
"""


def datahub_env(home: Path, **extra: str) -> Dict[str, str]:
    """Environment for DataHub's CLI in tests: its own HOME (no ~/.datahubenv), no telemetry, no upgrade check."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAHUB_", "LITEMETA_"))}
    env.update(
        {
            "HOME": str(home),
            "DATAHUB_TELEMETRY_ENABLED": "false",
            "DATAHUB_SKIP_UPGRADE_CHECK": "true",
            "DATAHUB_SUPPRESS_LOGGING_MANAGER": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def dh_env(tmp_path: Path) -> Dict[str, str]:
    """A DataHub CLI environment with HOME in the test's folder."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return datahub_env(home)


@dataclass
class WheelEnv:
    """A virtual environment with litemeta installed from its wheel."""

    python: Path
    bin: Path
    wheel: Path
    site: Path

    def run(
        self, args: List[str], cwd: Path, env: Dict[str, str], timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run ``python -m ...`` (or a script of the environment's bin/) in the environment."""
        proc = subprocess.run(
            [str(self.python), *args],
            cwd=cwd,
            env={**env, "VIRTUAL_ENV": str(self.bin.parent)},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
            )
        return proc


def _copy_source(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)
    for folder in ("litemeta", "data"):
        shutil.copytree(ROOT / folder, dest / folder, ignore=ignore)


def _is_litemeta(name: str) -> bool:
    low = name.lower()
    return low == "litemeta" or low.startswith(("litemeta-", "__editable__.litemeta", "__editable___litemeta"))


@pytest.fixture(scope="session")
def wheel_env(tmp_path_factory: pytest.TempPathFactory) -> WheelEnv:
    """litemeta installed from its wheel into a fresh environment that shares the test environment's other packages."""
    root = tmp_path_factory.mktemp("wheel-env")
    src, dist, venv, shared = root / "src", root / "dist", root / "venv", root / "shared"
    for d in (src, dist, shared):
        d.mkdir()
    _copy_source(src)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(dist),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(dist.glob("litemeta-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The test environment's packages, litemeta's editable install left out (its dist-info would be
    # a second source of litemeta's entry points, its finder a second litemeta).
    test_site = Path(sysconfig.get_paths()["purelib"])
    for entry in test_site.iterdir():
        if not _is_litemeta(entry.name):
            (shared / entry.name).symlink_to(entry)
    # addsitedir (not a bare path line) so that the shared packages' own .pth files apply too
    (site / "_litemeta_test_shared.pth").write_text(f"import site; site.addsitedir({str(shared)!r})\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return WheelEnv(python=python, bin=venv / "bin", wheel=wheel, site=site)


def first_line(text: str, needle: str) -> Optional[str]:
    """The first line of ``text`` containing ``needle``."""
    return next((line for line in text.splitlines() if needle in line), None)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_subprocess(db: Path, token: Optional[str] = None, timeout: float = 60) -> Iterator[str]:
    """``litemeta serve --db DB`` as its own process on 127.0.0.1 and a free port, as a user runs it; yields its URL
    once ``GET /config`` answers, and always stops it (SIGTERM, then SIGKILL after 10 s)."""
    port = free_port()
    args = [sys.executable, "-m", "litemeta", "serve", "--db", str(db), "--port", str(port), "--log-level", "warning"]
    if token:
        args += ["--token", token]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITEMETA_")}
    proc = subprocess.Popen(args, cwd=str(ROOT), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
                raise RuntimeError(f"litemeta serve exited {proc.returncode}: {out[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/config", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"litemeta serve did not answer on {url} within {timeout} s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
