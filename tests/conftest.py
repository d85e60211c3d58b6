"""Shared fixtures: the registry, a store on memory and on file, the CLI, and SDK-built corpora
written by the SDK's own file writer.

Without acryl-datahub (CI's second run, on a plain ``pip install .`` plus the test tools: what
users get, SQLAlchemy 2.1 included), the tests that need the SDK are skipped, and say so: a module
that imports it (or a test helper that does) is not collected, and a test that imports it when it
runs is reported as skipped. Everything else runs.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
import pathlib
from typing import Any, Callable, Iterator, List, Optional

import pytest
from click.testing import CliRunner, Result

from litemeta.model.registry import Registry, load_registry
from litemeta.store import MetadataStore, open_store

HAS_SDK = importlib.util.find_spec("datahub") is not None
TESTS = pathlib.Path(__file__).parent
# for a test that needs the SDK in another process (``python -m datahub``, a user's pytest run)
needs_sdk = pytest.mark.skipif(not HAS_SDK, reason="needs acryl-datahub (the test extra) in a subprocess")


def _top_imports(path: pathlib.Path) -> List[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: List[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


@functools.lru_cache(maxsize=None)
def _imports_sdk_at_top(path: pathlib.Path) -> bool:
    """Whether a test module imports acryl-datahub when it is imported, itself or through a test
    helper module (``tests.relevance.corpus``...) that does."""
    for name in _top_imports(path):
        if name == "datahub" or name.startswith("datahub."):
            return True
        if name.startswith("tests.") and name != "tests.conftest":
            helper = TESTS.parent.joinpath(*name.split("."))
            for candidate in (helper.with_suffix(".py"), helper / "__init__.py"):
                if candidate.is_file() and _imports_sdk_at_top(candidate):
                    return True
    return False


def pytest_ignore_collect(collection_path: pathlib.Path, config: pytest.Config) -> Optional[bool]:
    if HAS_SDK or collection_path.suffix != ".py" or collection_path.name == "conftest.py":
        return None
    return True if _imports_sdk_at_top(collection_path) else None


def _skip_without_sdk(e: ModuleNotFoundError) -> None:
    if HAS_SDK or (e.name or "").split(".")[0] != "datahub":
        raise e
    pytest.skip(f"needs acryl-datahub (the test extra): {e}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:  # fixtures that build inputs with the SDK
    try:
        return (yield)
    except ModuleNotFoundError as e:
        _skip_without_sdk(e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    try:
        return (yield)
    except ModuleNotFoundError as e:
        _skip_without_sdk(e)


# acryl-datahub reads this once, when first imported: no telemetry (no network) from any test
os.environ.setdefault("DATAHUB_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The registry shipped with litemeta."""
    return load_registry()


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> Iterator[MetadataStore]:
    """An empty store, once on ``:memory:`` and once on a SQLite file (tinydb's ``params=['memory',
    'json']``); closed after the test. A test module that needs data overrides it with a fixture of
    the same name that takes this one and ingests into it."""
    with open_store(":memory:" if request.param == "memory" else str(tmp_path / "store.db")) as s:
        yield s


@pytest.fixture
def file_store(tmp_path: pathlib.Path) -> Iterator[MetadataStore]:
    """An empty store on a SQLite file, for tests that reopen it, hand it to a command or a process."""
    with open_store(str(tmp_path / "store.db")) as s:
        yield s


class Cli:
    """The ``litemeta`` command run in this process (click's ``CliRunner``, exceptions not caught).

    ``cli("get", urn, "--db", db)`` checks the exit code (``code=None``: any) and that no traceback
    was printed, and returns click's result; ``cli.json(...)`` adds ``--json`` and returns the
    parsed last line of standard output.
    """

    def __call__(self, *args: Any, code: Optional[int] = 0, input: Any = None) -> Result:
        from litemeta.cli import main

        result = CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        return result

    def json(self, *args: Any, code: Optional[int] = 0, input: Any = None) -> Any:
        return json.loads(self(*args, "--json", code=code, input=input).stdout.strip().splitlines()[-1])


@pytest.fixture
def cli() -> Cli:
    """The ``litemeta`` command line (:class:`Cli`)."""
    return Cli()


@pytest.fixture
def corpus_file(tmp_path: pathlib.Path) -> Callable[..., pathlib.Path]:
    """A factory ``corpus_file(size=400, seed=1, name=None) -> Path``.

    Writes a deterministic, varied corpus (tests/sdkcorpus.py: MCPWs of 12 entity types,
    PATCHes from the SDK's patch builders, DELETEs, legacy MCEs, timeseries aspects) with
    ``datahub.ingestion.sink.file.write_metadata_file`` into ``tmp_path``.
    """
    from tests.sdkcorpus import write_corpus

    def make(size: int = 400, seed: int = 1, name: Optional[str] = None) -> pathlib.Path:
        path = tmp_path / (name or f"corpus-{size}-{seed}.json")
        write_corpus(path, size, seed)
        return path

    return make


# ------------------------------------------------------------------- slow runs (issue 15 fuzz suite)
# `python -m pytest -m slow` selects the slow-marked tests and runs them in full: the hypothesis
# properties with >= 500 examples each (profile "slow"), and the tests that only make sense there
# (a fresh virtual environment, ...). Without `-m slow` the properties run a few dozen examples each.
import os as _os  # noqa: E402

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "quick",
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "slow",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


def slow_run(config: "pytest.Config") -> bool:
    """Whether this run asked for the slow tests (``-m slow``, or LITEMETA_SLOW=1)."""
    return (
        "slow" in (config.getoption("markexpr") or "").replace("not slow", "")
        or _os.environ.get("LITEMETA_SLOW") == "1"
    )


def pytest_configure(config: "pytest.Config") -> None:
    config.addinivalue_line("markers", "slow: long runs (the fuzz suite in full); select with -m slow")
    settings.load_profile("slow" if slow_run(config) else "quick")


@pytest.fixture
def slow_only(request: pytest.FixtureRequest) -> None:
    """Skips the test unless this is a slow run (``-m slow``)."""
    if not slow_run(request.config):
        pytest.skip("a slow test: run with -m slow")
