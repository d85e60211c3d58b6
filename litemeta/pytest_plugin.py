"""litemeta's pytest plugin (entry point ``pytest11``): a fresh store, a DataHub-compatible server
over it, and DataHub's own clients pointed at that server, for testing metadata code.

    def test_my_emitter(datahub_emitter, litemeta_store):
        my_code.publish(datahub_emitter)        # the code under test, unchanged
        assert litemeta_store.get(URN)["status"] == {"removed": False}

Fixtures:

- ``litemeta_store``: a :class:`litemeta.MetadataStore` in the test's ``tmp_path``, closed after it;
- ``litemeta_server``: ``litemeta serve`` over that store on 127.0.0.1 and a free port; yields its
  URL and sets ``DATAHUB_GMS_URL`` (so ``DataHubClient.from_env()`` and the ``datahub`` CLI find
  it) for the test (needs ``litemeta[serve]``);
- ``datahub_graph``, ``datahub_emitter``: acryl-datahub's ``DataHubGraph`` and
  ``DataHubRestEmitter`` on that server (skipped when acryl-datahub is not installed).

This module imports nothing optional: pytest loads it in every run where litemeta is installed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterator

import pytest


@pytest.fixture
def litemeta_store(tmp_path: Path) -> Iterator[Any]:
    """A fresh litemeta store (a SQLite file in ``tmp_path``)."""
    from litemeta.store import open_store

    store = open_store(str(tmp_path / "litemeta.db"))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def litemeta_server(litemeta_store: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A DataHub GMS-compatible server over ``litemeta_store``; yields its URL (``http://127.0.0.1:PORT``)."""
    try:
        from litemeta.serve import ServerThread, create_app
    except ImportError as missing:  # pragma: no cover - depends on the installation
        pytest.skip(f"litemeta_server needs litemeta[serve] ({missing.name} is not installed)")
    with ServerThread(create_app(litemeta_store)) as server:
        monkeypatch.setenv("DATAHUB_GMS_URL", server.url)
        monkeypatch.delenv("DATAHUB_GMS_TOKEN", raising=False)
        monkeypatch.setenv("DATAHUB_TELEMETRY_ENABLED", "false")
        _forget_default_graph()
        try:
            yield server.url
        finally:
            _forget_default_graph()


def _forget_default_graph() -> None:
    # DataHubClient.from_env() keeps its graph for the life of the process (an lru_cache): each
    # test's server has its own port. Only when acryl-datahub is already loaded: nothing is imported.
    if "datahub.ingestion.graph.client" in sys.modules:
        from litemeta.integrations.testing import forget_default_graph

        forget_default_graph()


@pytest.fixture
def datahub_graph(litemeta_server: str) -> Iterator[Any]:
    """acryl-datahub's ``DataHubGraph`` on the test's server."""
    yield from _sdk_client(litemeta_server, "graph_for")


@pytest.fixture
def datahub_emitter(litemeta_server: str) -> Iterator[Any]:
    """acryl-datahub's ``DataHubRestEmitter`` on the test's server."""
    yield from _sdk_client(litemeta_server, "emitter_for")


def _sdk_client(url: str, factory: str) -> Iterator[Any]:
    pytest.importorskip("datahub", reason="the DataHub client fixtures need acryl-datahub (litemeta[datahub])")
    from litemeta.integrations import testing

    client = getattr(testing, factory)(url)
    try:
        yield client
    finally:
        client.close()
