"""design.md: the dependency direction and one home module per third-party library (an AST scan)."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

PKG = Path(__file__).resolve().parents[1] / "litemeta"

# layer -> layers it must not import (design.md "Dependency direction")
FORBIDDEN = {
    "errors": {"config", "model", "core", "storage", "followers", "sources", "workflow", "store", "emitter", "cli"},
    "config": {"model", "core", "storage", "followers", "sources", "workflow", "store", "emitter", "cli"},
    "model": {"core", "storage", "followers", "sources", "workflow", "store", "emitter", "cli"},
    "storage": {"core", "followers", "sources", "workflow", "store", "emitter", "cli"},
    "core": {"followers", "sources", "workflow", "store", "emitter", "cli"},
    "followers": {"core", "sources", "workflow", "store", "emitter", "cli"},
    "sources": {"core", "followers", "workflow", "store", "emitter", "cli"},
    "workflow": {"cli", "core"},
    "store": {"cli"},
    "emitter": {"cli"},
    # read-side modules above the store (lineage, diff, dump, timeline): they may use store, model, core
    "graph": {"cli"},
    "consumers": {"cli", "core"},
    "diff": {"cli"},
    "dump": {"cli"},
    "timeline": {"cli"},
    # administration above the store (delete by filter, undo, ls, stats, nuke)
    "admin": {"cli"},
}

# third-party library -> the only modules that may import it
HOMES = {
    "whoosh": {"followers/search/"},
    "watchdog": {"sources/watch.py"},
    "fastavro": {"model/avro.py"},
    "sqlalchemy": {"storage/", "sources/database.py", "sources/lite.py"},
    "yaml": {"workflow/recipe.py"},
    "confluent_kafka": {"followers/replay.py"},
    "ijson": {"sources/files.py"},
    "crc32c": {"followers/kafka_log.py"},
    "orjson": {"model/jsontext.py"},
    "datahub": set(),  # never at run time (tests only)
}


def _modules() -> List[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> Set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _layer(path: Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_modules_found() -> None:
    assert len(_modules()) > 10


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_dependency_direction(path: Path) -> None:
    layer = _layer(path)
    bad = FORBIDDEN.get(layer, set())
    wrong = sorted(m for m in _imports(path) if m.startswith("litemeta.") and m.split(".")[1] in bad)
    assert not wrong, f"{path.relative_to(PKG)} ({layer}) must not import {wrong}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_one_home_per_library(path: Path) -> None:
    rel = str(path.relative_to(PKG))
    problems: Dict[str, str] = {}
    for mod in _imports(path):
        top = mod.split(".")[0]
        homes = HOMES.get(top)
        if homes is None:
            continue
        if not any(rel == h or (h.endswith("/") and rel.startswith(h)) for h in homes):
            problems[mod] = f"only in {sorted(homes) or 'tests'}"
    assert not problems, f"{rel} imports {problems}"
