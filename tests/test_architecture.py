"""design.md's architecture, checked by an AST scan of every import (at module level, inside
functions and under ``TYPE_CHECKING`` alike: a lazy import is still a dependency):

- the dependency direction between the package's folders and root modules;
- no import cycle between litemeta's modules, whatever the import's place in the file;
- one home module per third-party library;
- every subpackage says what it is for and what it may import; modules stay under ~600 lines;
- the layout section of docs/design.md names what the tree holds.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

import pytest

PKG = Path(__file__).resolve().parents[1] / "litemeta"
DESIGN = PKG.parent / "docs" / "design.md"

# Homes reserved by design.md for work that lands on other branches: the rules hold whether or
# not the folder exists yet. serve/: the HTTP server and browser view (the web stack's one home);
# integrations/: DataHub's tools (the one run-time importer of acryl-datahub and DataHub Actions);
# pytest_plugin.py: the pytest plugin (fixtures starting litemeta for tests of DataHub tools).
RESERVED = {"serve", "integrations", "pytest_plugin"}
ABOVE_STORE = {"store", "emitter", "views", "serve", "integrations", "pytest_plugin", "cli"}

# layer -> layers it must not import (design.md "Dependency direction"; an arrow there means "may import")
FORBIDDEN: Dict[str, Set[str]] = {
    "errors": {"config", "model", "formats", "storage", "core", "followers", "sources", "workflow"} | ABOVE_STORE,
    "config": {"model", "formats", "storage", "core", "followers", "sources", "workflow"} | ABOVE_STORE,
    "model": {"formats", "storage", "core", "followers", "sources", "workflow"} | ABOVE_STORE,
    # file formats (Kafka record batches and segments, Avro, export layouts): bytes and model values only
    "formats": {"config", "storage", "core", "followers", "sources", "workflow"} | ABOVE_STORE,
    "storage": {"formats", "core", "followers", "sources", "workflow"} | ABOVE_STORE,
    "core": {"formats", "followers", "sources", "workflow"} | ABOVE_STORE,
    "followers": {"core", "sources", "workflow"} | ABOVE_STORE,
    "sources": {"core", "followers", "workflow"} | ABOVE_STORE,
    "workflow": {"core"} | (ABOVE_STORE - {"store"}),
    "store": ABOVE_STORE - {"store"},
    # its base class is DataHub's Emitter when acryl-datahub imports (integrations/sdk.py, which
    # imports neither the emitter nor the store)
    "emitter": ABOVE_STORE - {"store", "emitter", "integrations"},
    # read-side views (lineage, timeline, dump, diff, check, admin): anything below them
    "views": {"serve", "integrations", "cli"},
    # above the store, below only the CLI and the pytest plugin (they may use each other)
    "serve": {"cli", "pytest_plugin"},
    "integrations": {"cli", "pytest_plugin"},
    "pytest_plugin": {"cli"},
}

# third-party library -> the only modules (or folders, ending in /) that may import it
HOMES: Dict[str, Set[str]] = {
    "whoosh": {"followers/search/"},
    "watchdog": {"sources/watch.py"},
    "fastavro": {"model/avro.py"},
    "sqlalchemy": {"storage/", "sources/database.py", "sources/database_profile.py", "sources/lite.py"},
    "yaml": {"workflow/recipe.py"},
    "confluent_kafka": {"followers/replay.py"},
    "ijson": {"sources/files.py"},
    "crc32c": {"formats/kafka_log.py"},
    "orjson": {"model/jsontext.py"},
    "tqdm": {"cli/progress.py"},
    # the web stack: only the server's folder
    "starlette": {"serve/"},
    "uvicorn": {"serve/"},
    "graphql": {"serve/"},
    "jinja2": {"serve/"},
    # acryl-datahub and the Actions framework: at run time only the integrations (tests use them freely)
    "datahub": {"integrations/"},
    "datahub_actions": {"integrations/"},
    "selenium": set(),  # the browser view's tests drive Chromium with it; never the package
}

MAX_LINES = 600
# Modules over MAX_LINES that another issue is rewriting.
BEING_SPLIT: Set[str] = set()


# ------------------------------------------------------------------------------------ the scan
def _modules() -> List[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    """``litemeta.storage.db`` for litemeta/storage/db.py, ``litemeta.core`` for its __init__.py."""
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> List[Tuple[str, int]]:
    """(imported name, line) of every import statement anywhere in ``source``, relative imports made
    absolute; ``from a import b`` gives ``a.b`` (a module, or a name defined in module ``a``)."""
    out: List[Tuple[str, int]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.extend((f"{target}.{a.name}" if a.name != "*" else target, node.lineno) for a in node.names)
    return out


MODULES = _modules()
NAMES = {_name(p): p for p in MODULES}


def _resolve(name: str) -> Optional[str]:
    """The litemeta module an imported name refers to (the longest known prefix), or None."""
    while name:
        if name in NAMES:
            return name
        name = name.rpartition(".")[0]
    return None


def _graph() -> Dict[str, Dict[str, int]]:
    """module -> {imported litemeta module: line of its first import}."""
    graph: Dict[str, Dict[str, int]] = {}
    for name, path in NAMES.items():
        edges: Dict[str, int] = {}
        for imported, line in imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"):
            target = _resolve(imported) if imported.split(".")[0] == "litemeta" else None
            if target is not None and target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> List[List[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


# ------------------------------------------------------------------------------------ the rules
def test_modules_found() -> None:
    assert len(MODULES) > 10
    assert set(FORBIDDEN) >= {_layer(n) for n in NAMES} - {"__init__", "__main__", "cli"}, (
        "a folder or root module without a rule in FORBIDDEN"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_dependency_direction(path: Path) -> None:
    name = _name(path)
    bad = FORBIDDEN.get(_layer(name), set())
    wrong = sorted(
        {
            f"{imported} (line {line})"
            for imported, line in imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
            if imported.startswith("litemeta.") and imported.split(".")[1] in bad
        }
    )
    assert not wrong, f"{path.relative_to(PKG)} ({_layer(name)}) must not import {wrong}"


def test_no_import_cycles() -> None:
    """Every import counts: one inside a function forms a cycle as surely as one at the top. A
    lazy import kept for start-up speed must not close a loop: restructure instead."""
    graph = _graph()
    found = cycles(graph)
    detail = [
        "; ".join(f"{a} -> {b} (line {graph[a][b]})" for a in comp for b in graph[a] if b in comp) for comp in found
    ]
    assert not found, "import cycles:\n" + "\n".join(detail)


def test_the_scan_sees_imports_inside_functions_and_finds_their_cycles() -> None:
    """The checks above can fail: a function-level import is an edge, and a loop of edges is reported."""
    src = "def f():\n    from litemeta.storage import log\n    from . import db\n"
    assert ("litemeta.storage.log", 2) in imports_of(src, "litemeta.storage.aspects")
    assert ("litemeta.storage.db", 3) in imports_of(src, "litemeta.storage.aspects")
    assert cycles({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": []}) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_one_home_per_library(path: Path) -> None:
    rel = str(path.relative_to(PKG))
    problems: Dict[str, str] = {}
    for mod, _line in imports_of(path.read_text(encoding="utf-8"), _name(path)):
        homes = HOMES.get(mod.split(".")[0])
        if homes is None:
            continue
        if not any(rel == h or (h.endswith("/") and rel.startswith(h)) for h in homes):
            problems[mod] = f"only in {sorted(homes)}"
    assert not problems, f"{rel} imports {problems}"


@pytest.mark.parametrize("init", sorted(PKG.glob("*/__init__.py")), ids=lambda p: p.parent.name)
def test_every_subpackage_says_what_it_is_for_and_what_it_may_import(init: Path) -> None:
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    first = doc.split("\n\n")[0]
    assert len(first.split()) >= 8 and "may import" in first, (
        f"{init.relative_to(PKG)}: its docstring's first sentence says what the folder is for and what it may import"
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_modules_stay_under_600_lines(path: Path) -> None:
    rel = str(path.relative_to(PKG))
    text = path.read_text(encoding="utf-8")
    lines = text.count("\n")
    if lines <= MAX_LINES or rel in BEING_SPLIT:
        return
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert re.search(r"\bport of\b.*\S+\.(java|py|ts)\b", doc), (
        f"{rel} has {lines} lines: split it, or say in its docstring which upstream file it is a port of"
    )


# ------------------------------------------------------------------------------------ the doc
def layout_entries(design: str) -> Dict[str, str]:
    """The top-level entries of the code block under "## Module layout": ``name`` -> its text."""
    section = design.split("## Module layout", 1)[1]
    block = section.split("```", 2)[1]
    entries: Dict[str, str] = {}
    current = None
    for line in block.splitlines():
        m = re.match(r"^  (\S+)\s*(.*)$", line)
        if m:
            current = m.group(1).rstrip("/")
            entries[current] = m.group(2)
        elif current and line.startswith("    "):
            entries[current] += " " + line.strip()
    return entries


def test_the_design_doc_layout_names_what_the_tree_holds() -> None:
    entries = layout_entries(DESIGN.read_text(encoding="utf-8"))
    tree = {
        p.name[:-3] if p.suffix == ".py" else p.name
        for p in PKG.iterdir()
        if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))
    }
    doc = {e[:-3] if e.endswith(".py") else e: text for e, text in entries.items()}
    assert tree - set(doc) == set(), f"in litemeta/ but not in design.md's layout: {sorted(tree - set(doc))}"
    assert set(doc) - tree <= RESERVED, (
        f"in design.md's layout but not in litemeta/: {sorted(set(doc) - tree - RESERVED)}"
    )
    for name in RESERVED:
        assert name in doc and "reserved" in doc[name], f"design.md reserves {name}"
    stale = []
    for entry, text in entries.items():
        folder = PKG / entry.replace(".py", "")
        for mod in re.findall(r"\b([a-z_]+)\.py\b", text):
            if folder.is_dir() and not (folder / f"{mod}.py").exists() and not (folder / mod).is_dir():
                stale.append(f"{entry}/{mod}.py")
    assert not stale, f"design.md's layout names modules that do not exist: {stale}"


def test_the_pytest_plugin_imports_nothing_optional() -> None:
    """pytest loads the plugin (entry point pytest11) in every run where litemeta is installed: it
    must import neither the web stack nor acryl-datahub nor the store's heavy libraries."""
    import subprocess
    import sys

    code = (
        "import sys, litemeta.pytest_plugin; "
        "print(sorted(m for m in ('starlette', 'uvicorn', 'graphql', 'datahub', 'sqlalchemy', 'whoosh') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_one_progress_bar() -> None:
    """Long commands share ``cli/progress.py``'s bar (tqdm: rate and ETA on a terminal, quiet when
    piped); click's ``progressbar`` would draw another kind, without a rate."""
    users = [str(p.relative_to(PKG)) for p in MODULES if "progressbar(" in p.read_text(encoding="utf-8")]
    assert users == [], f"click.progressbar in {users}: use litemeta.cli.progress.Progress"
