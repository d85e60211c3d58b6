"""The wheel carries the browser view: templates, styles, scripts and the vendored libraries' licenses."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
UI = ROOT / "litemeta" / "serve" / "ui"


@pytest.mark.slow
def test_wheel_contains_templates_and_static_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheel = next(tmp_path.glob("litemeta-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {str(p.relative_to(ROOT)) for p in UI.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped, "the browser view has files"
    missing = sorted(shipped - names)
    assert not missing, f"not in the wheel: {missing}"
    for must in (
        "litemeta/serve/ui/templates/entity.html",
        "litemeta/serve/ui/static/vendor/cytoscape.min.js",
        "litemeta/serve/ui/static/vendor/licenses/htmx.org.LICENSE",
    ):
        assert must in names
