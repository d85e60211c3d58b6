"""Issue 19: a package that looks finished: version, py.typed, LICENSE, what the wheel ships,
logging levels, shell completion."""

from __future__ import annotations

import logging
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile
from typing import Iterator

import pytest
from click.testing import CliRunner

import litemeta
from litemeta.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    out = tmp_path_factory.mktemp("wheel")
    # from a clean copy: setuptools reuses a build/ folder left in the tree, stale files included
    src = out / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv*", "build", "dist", "*.egg-info", ".git", "__pycache__", "*.db", "*.db-*", "*.index"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (built,) = out.glob("litemeta-*.whl")
    with zipfile.ZipFile(built) as z:
        yield z


def test_version_is_the_package_metadata_version(wheel: zipfile.ZipFile) -> None:
    from importlib.metadata import version

    assert litemeta.__version__ == version("litemeta")
    assert any(n.startswith(f"litemeta-{litemeta.__version__}.dist-info/") for n in wheel.namelist())
    assert CliRunner().invoke(main, ["--version"]).output.strip().endswith(litemeta.__version__)


def test_the_wheel_ships_license_and_py_typed_and_not_the_generator(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert "litemeta/py.typed" in names
    licenses = [n for n in names if ".dist-info/" in n and "LICENSE" in n]
    assert licenses and b"Apache License" in wheel.read(licenses[0])
    assert "litemeta/_data/registry.json" in names and any(n.startswith("litemeta/_data/schemas/") for n in names)
    assert not [n for n in names if "generate" in n]  # the SDK-based generator stays in the repository
    assert (ROOT / "LICENSE").read_text().startswith("\n                                 Apache License")


def test_verbose_and_debug_set_the_log_level(tmp_path: pathlib.Path) -> None:
    db = str(tmp_path / "s.db")
    CliRunner().invoke(main, ["ingest", str(ROOT / "examples" / "sample.json"), "--db", db], catch_exceptions=False)
    logger = logging.getLogger("litemeta")
    try:
        for flags, level in ((["-v"], logging.INFO), (["-vv"], logging.DEBUG), (["--debug"], logging.DEBUG)):
            result = CliRunner().invoke(main, [*flags, "list-urns", "--db", db], catch_exceptions=False)
            assert result.exit_code == 0 and logger.level == level
    finally:
        logger.setLevel(logging.NOTSET)
    proc = subprocess.run(
        [sys.executable, "-m", "litemeta", "--debug", "exists", "urn:li:corpuser:alice", "--db", db],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.stdout.strip() == "true" and "DEBUG litemeta: reading" in proc.stderr
    quiet = subprocess.run(
        [sys.executable, "-m", "litemeta", "exists", "urn:li:corpuser:alice", "--db", db],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert quiet.stderr == ""


def test_shell_completion_script_and_completions(tmp_path: pathlib.Path) -> None:
    env = dict(os.environ, _LITEMETA_COMPLETE="bash_source")
    script = subprocess.run(
        [sys.executable, "-c", "from litemeta.cli import entry; entry()"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    ).stdout
    assert "_LITEMETA_COMPLETE=bash_complete" in script and "complete " in script
    env = dict(os.environ, _LITEMETA_COMPLETE="bash_complete", COMP_WORDS="litemeta hist", COMP_CWORD="1")
    words = subprocess.run(
        [sys.executable, "-c", "from litemeta.cli import entry; entry()"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    ).stdout
    assert "plain,history" in words.split()
    readme = (ROOT / "README.md").read_text()
    assert "_LITEMETA_COMPLETE=bash_source litemeta" in readme and (ROOT / "CHANGELOG.md").exists()
