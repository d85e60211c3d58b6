"""The ASGI application: DataHub's GMS HTTP contract over a litemeta store.

    >>> from litemeta.serve.app import create_app
    >>> app = create_app("meta.db", token="s3cret")                             # doctest: +SKIP
    >>> # uvicorn.run(app, host="127.0.0.1", port=8080), or litemeta.serve.runner.ServerThread(app)

:func:`create_app` assembles route groups (Rest.li in :mod:`~litemeta.serve.restli`, OpenAPI v3,
trace and timeline in :mod:`~litemeta.serve.openapi`, GraphQL in :mod:`~litemeta.serve.graphql`)
over one :class:`Served`: the store, its one :class:`~litemeta.serve.writer.Writer`, the
:class:`~litemeta.serve.feed.LogFeed` that tells followers about each commit, and the options. Another front end served by the same process (the browser view) passes its own routes
in ``extra_routes`` and reaches the store and the writer through ``request.app.state.served``.
The GMS paths stay where DataHub's clients expect them; ``/`` is left to such a front end.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, List, MutableMapping, Optional, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from litemeta.errors import LitemetaError, StorageError
from litemeta.model.jsontext import dumps
from litemeta.serve.auth import Access, SignIn
from litemeta.serve.feed import LogFeed
from litemeta.serve.state import Served, json_response
from litemeta.serve.wire import HttpError
from litemeta.serve.writer import Writer

# rest-compat.md §1: the client splits batches at 15 MiB; a body up to this size is accepted.
MAX_BODY_BYTES = 16 * 1024 * 1024
# The version advertised in /config (rest-compat.md §2): >= 1.0.1 lets SDK-mode clients choose the
# OpenAPI v3 dialect; < 1.7.0 keeps the ingestion auto-status processor on UPSERT. It must parse
# as vX.Y.Z (trap 2).
ADVERTISED_VERSION = "v1.3.0"
# SQLite connections a served store keeps open (the reads' thread pool and the writer).
READ_CONNECTIONS = 8

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def config_body() -> Dict[str, Any]:
    """``GET /config``: the GMS shape rest-compat.md §2 recommends (``noCode`` as the string
    ``"true"``, a parseable version, no ``serverEnv``, not ``quickstart``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        mine = version("litemeta")
    except PackageNotFoundError:  # running from a source tree
        mine = "unknown"
    return {
        "noCode": "true",
        "versions": {"acryldata/datahub": {"version": ADVERTISED_VERSION}, "litemeta": {"version": mine}},
        "datahub": {"serverType": "litemeta"},
        "statefulIngestionCapable": True,
        "patchCapable": True,
        "supportsImpactAnalysis": False,
        "telemetry": {"enabledCli": False, "enabledIngestion": False},
        "managedIngestion": {"enabled": False, "defaultCliVersion": None},
        "retention": "true",
        "timeZone": "UTC",
        "models": {},
    }


async def _config(request: Request) -> Response:
    config = request.app.state.config
    if request.app.state.frontend:
        # The browser view answers DataHub's own entity URLs, so DataHubGraph.url_for(urn) (which
        # builds them on baseUrl) links into it; without a front end, as GMS, there is no baseUrl.
        config = {**config, "baseUrl": str(request.base_url).rstrip("/")}
    return json_response(config)


async def _health(request: Request) -> Response:
    return Response("", status_code=200)


async def _graphql(request: Request) -> Response:
    # graphql-core is imported with the first query: it is a fifth of the server's start-up.
    from litemeta.serve.graphql import graphql_endpoint

    return await graphql_endpoint(request)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return json_response(exc.body(), exc.status)


async def _litemeta_error(request: Request, exc: Exception) -> Response:
    # A store error is the server's fault (503: retried by the client); anything else the caller's.
    status = 503 if isinstance(exc, StorageError) else 400
    return json_response(HttpError(status, str(exc)).body(), status)


async def _server_error(request: Request, exc: Exception) -> Response:
    # A bug, not bad input: still DataHub's error body, so that the client shows the message.
    return json_response(HttpError(500, f"{type(exc).__name__}: {exc}").body(), 500)


class Guard:
    """ASGI middleware: the token (:class:`~litemeta.serve.auth.Access`: 401 as GMS answers, or the
    browser's sign-in page) and the body limit (413), before any route runs. A body without a length
    header is counted as it arrives."""

    def __init__(self, app: Any, access: Optional[Access], max_body: int) -> None:
        self.app = app
        self.access = access
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if self.access is not None:
            refused = self.access.refusal(scope, headers)
            if refused is not None:
                await refused(scope, receive, send)
                return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _send(send, _too_large(int(length), self.max_body))
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body:
                raise _too_large(seen, self.max_body)
            return message

        await self.app(scope, counted, send)


def _too_large(size: int, limit: int) -> HttpError:
    return HttpError(
        413, f"the request body has {size} bytes, more than the {limit} bytes accepted; send smaller batches"
    )


async def _send(send: Send, err: HttpError) -> None:
    body = dumps(err.body()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": err.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    store: Any,
    *,
    token: Optional[str] = None,
    max_body: int = MAX_BODY_BYTES,
    extra_routes: Sequence[BaseRoute] = (),
    sign_in: Optional[SignIn] = None,
    events_helper: Optional[bool] = None,
) -> Starlette:
    """The GMS-compatible ASGI app over ``store`` (a :class:`MetadataStore` or a path to open).

    The writer thread starts with the app (ASGI lifespan) and stops after writing what is queued;
    a store opened here from a path is closed then too. ``extra_routes`` are mounted after the GMS
    routes (for the browser view). With a ``token``, every route wants ``Authorization: Bearer
    <token>``; the extra routes also take the session cookie their front end's ``sign_in`` page sets
    (see :mod:`litemeta.serve.auth`; the browser view's is :func:`litemeta.serve.ui.sign_in`).
    ``events_helper`` derives platform events in a helper process (default: when the store's
    settings allow helper processes)."""
    from litemeta.serve import openapi, restli
    from litemeta.store import open_store

    owned = isinstance(store, str)
    # Reads come from a thread pool: their SQLite connections are kept open for reuse.
    store = open_store(store, pooled_connections=READ_CONNECTIONS) if isinstance(store, str) else store
    if store.db.sqlite_file is None and store.db.is_sqlite:
        raise LitemetaError(
            "litemeta serve needs a store in a file (or a database URL): an in-memory store "
            "cannot be shared by the writer and the readers"
        )
    helper = store.settings.helper_processes if events_helper is None else events_helper
    lock = threading.Lock()
    feed = LogFeed(store)
    writer = Writer(store, index_lock=lock, events_helper=helper, on_commit=feed.publish)
    served = Served(store, writer, feed, token, lock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        served.writer.start()
        try:
            yield
        finally:
            served.writer.stop()
            if owned:
                store.close()

    routes: List[BaseRoute] = [Route("/config", _config), Route("/health", _health)]
    routes += restli.routes() + openapi.routes() + [Route("/api/graphql", _graphql, methods=["POST"])]
    access = Access(token, routes, extra_routes, sign_in) if token else None
    routes += list(extra_routes)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HttpError: _http_error, LitemetaError: _litemeta_error, Exception: _server_error},
    )
    app.state.served = served
    app.state.config = config_body()
    app.state.frontend = bool(extra_routes)
    app.add_middleware(Guard, access=access, max_body=max_body)
    return app
