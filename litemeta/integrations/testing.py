"""acryl-datahub clients pointed at a litemeta server, for tests (the ``datahub_graph`` and
``datahub_emitter`` fixtures of litemeta's pytest plugin use these).

    >>> graph = graph_for("http://127.0.0.1:8080")    # a running litemeta serve  # doctest: +SKIP
    >>> graph.exists("urn:li:corpuser:alice")                                     # doctest: +SKIP
    False

Each is DataHub's own client, unchanged: what a test exercises is the code that would run against
a real GMS.
"""

from __future__ import annotations

from typing import Any

from datahub.emitter.rest_emitter import DataHubRestEmitter
from datahub.ingestion.graph.client import DataHubGraph, get_default_graph
from datahub.ingestion.graph.config import DatahubClientConfig


def graph_for(url: str, **config: Any) -> DataHubGraph:
    """A :class:`DataHubGraph` on ``url`` (connection tested: ``/config`` was read)."""
    return DataHubGraph(DatahubClientConfig(server=url, **config))


def emitter_for(url: str, **options: Any) -> DataHubRestEmitter:
    """A :class:`DataHubRestEmitter` on ``url``, connection tested."""
    emitter = DataHubRestEmitter(url, **options)
    emitter.test_connection()
    return emitter


def forget_default_graph() -> None:
    """Drop the graph that ``get_default_graph`` (``DataHubClient.from_env()``, the CLI's commands)
    keeps for the life of the process: a test's server has a port of its own, so the next test
    must build its graph afresh from ``DATAHUB_GMS_URL``."""
    get_default_graph.cache_clear()
