"""Every module's doctests run as part of the suite (``pytest tests`` collects them here, so CI and
the quick loop both do): a module docstring's example is a test, not decoration."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path
from typing import List

import pytest

PKG = Path(__file__).resolve().parents[1] / "litemeta"


def _module_names() -> List[str]:
    names = []
    for p in sorted(PKG.rglob("*.py")):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


@pytest.mark.parametrize("name", _module_names())
def test_module_doctests_pass(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False, report=True)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} doctest examples failed (see above)"


def test_the_doctests_are_found() -> None:
    """Guard against a scan that silently finds nothing."""
    found = sum(len(doctest.DocTestFinder().find(importlib.import_module(n))) for n in _module_names())
    assert found > 50
