"""``litemeta serve``, DataHub's GMS HTTP contract over a litemeta store for DataHub's own clients (and, in ``ui/``, the browser view); may import the store, views, model, core's pure parts and integrations, never the CLI.

    >>> import json, os, tempfile, urllib.request
    >>> from litemeta.serve import ServerThread, create_app
    >>> with ServerThread(create_app(os.path.join(tempfile.mkdtemp(), "meta.db"))) as server:
    ...     json.load(urllib.request.urlopen(server.url + "/config"))["noCode"]   # DataHubRestEmitter(server.url)...
    'true'

This package is the one home of the web stack (Starlette, uvicorn, graphql-core), installed with
``pip install 'litemeta[serve]'``. Modules: ``app`` (the app factory and the shared state),
``writer`` (the one writer, group commit), ``wire`` (request and response shapes, pure),
``restli``, ``openapi``, ``graphql`` (route groups), ``references`` (``deleteReferences``),
``runner`` (uvicorn in the foreground or on a thread).
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "ServerThread", "Writer", "WriteResult"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that importing the package (the CLI's help) needs no web stack.
    if name == "create_app":
        from litemeta.serve.app import create_app

        return create_app
    if name == "ServerThread":
        from litemeta.serve.runner import ServerThread

        return ServerThread
    if name in ("Writer", "WriteResult"):
        from litemeta.serve import writer

        return getattr(writer, name)
    raise AttributeError(name)
