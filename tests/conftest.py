"""Shared fixtures: the registry, and SDK-built corpora written by the SDK's own file writer."""
from __future__ import annotations

import os
import pathlib
from typing import Callable, Optional

import pytest

from litemeta.model.registry import Registry, load_registry

# acryl-datahub reads this once, when first imported: no telemetry (no network) from any test
os.environ.setdefault("DATAHUB_TELEMETRY_ENABLED", "false")


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
