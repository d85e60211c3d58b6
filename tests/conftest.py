"""Shared fixtures: the registry, and SDK-built corpora written by the SDK's own file writer."""
from __future__ import annotations

import pathlib
from typing import Callable, Optional

import pytest

from litemeta.model.registry import Registry, load_registry


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The registry shipped with litemeta."""
    return load_registry()


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

settings.register_profile("quick", max_examples=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("slow", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])


def slow_run(config: "pytest.Config") -> bool:
    """Whether this run asked for the slow tests (``-m slow``, or LITEMETA_SLOW=1)."""
    return "slow" in (config.getoption("markexpr") or "").replace("not slow", "") or \
        _os.environ.get("LITEMETA_SLOW") == "1"


def pytest_configure(config: "pytest.Config") -> None:
    config.addinivalue_line("markers", "slow: long runs (the fuzz suite in full); select with -m slow")
    settings.load_profile("slow" if slow_run(config) else "quick")


@pytest.fixture
def slow_only(request: pytest.FixtureRequest) -> None:
    """Skips the test unless this is a slow run (``-m slow``)."""
    if not slow_run(request.config):
        pytest.skip("a slow test: run with -m slow")
