"""design.md style rule 7: library code is fully typed (mypy, ``disallow_untyped_defs``, config in pyproject.toml).

mypy runs on the whole package (so imports are followed exactly as for users), and the test
asserts that it reports no error in the modules listed in CHECKED. Modules still being typed by
their owners are not listed yet; when ``mypy litemeta`` is clean, CHECKED becomes every module.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parents[1]

# Type-clean modules, relative to the repository root.
CHECKED = [
    "litemeta/core/patch_templates.py",
    "litemeta/core/validate.py",
    "litemeta/followers/replay.py",
    "litemeta/followers/replay_plan.py",
    "litemeta/model/avro.py",
    "litemeta/model/pegasus.py",
    "litemeta/model/pegasus_validation.py",
    "litemeta/sources/database.py",
    "litemeta/sources/database_model.py",
    "litemeta/workflow/builtin.py",
    "litemeta/workflow/filters.py",
    "litemeta/workflow/recipe.py",
    "litemeta/workflow/steps.py",
    "litemeta/workflow/transformer_base.py",
    "litemeta/workflow/transformers.py",
]

_ERROR = re.compile(r"^(?P<path>[^:\s]+\.py):\d+(?::\d+)?: error: ")


def _mypy_errors(tmp_path: Path) -> List[Tuple[str, str]]:
    """(module path, error line) for every error mypy reports on the package."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache"), "--no-error-summary",
         "--show-error-codes", "litemeta"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        pytest.fail(f"mypy did not run (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    found = []
    for line in proc.stdout.splitlines():
        m = _ERROR.match(line)
        if m:
            found.append((m.group("path").replace("\\", "/"), line))
    return found


def test_checked_modules_exist() -> None:
    missing = [p for p in CHECKED if not (ROOT / p).is_file()]
    assert not missing, f"CHECKED names modules that do not exist: {missing}"


def test_checked_modules_type_check(tmp_path: Path) -> None:
    """No mypy error in any module of CHECKED (errors are listed with their codes)."""
    checked = set(CHECKED)
    errors = [line for path, line in _mypy_errors(tmp_path) if path in checked]
    assert not errors, "mypy errors:\n" + "\n".join(errors)
