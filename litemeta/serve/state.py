"""What every route of the server shares: :class:`Served` (reached as ``request.app.state.served``)
and the JSON response. Route modules import this, never :mod:`litemeta.serve.app`, which imports them."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from starlette.requests import Request
from starlette.responses import Response

from litemeta.model.jsontext import dumps
from litemeta.serve.feed import LogFeed
from litemeta.serve.writer import Writer


@dataclass
class Served:
    """What every route reaches through ``request.app.state.served``."""

    store: Any
    writer: Writer
    feed: LogFeed
    token: Optional[str] = None
    index_lock: threading.Lock = field(default_factory=threading.Lock)
    started: float = field(default_factory=time.time)

    @property
    def registry(self) -> Any:
        """The store's entity registry."""
        return self.store.registry

    def search(self, *args: Any, **kwargs: Any) -> Any:
        """:meth:`MetadataStore.search` under the index lock (the writer's index syncs take it too)."""
        with self.index_lock:
            return self.store.search(*args, **kwargs)


def json_response(obj: Any, status: int = 200, headers: Optional[Mapping[str, str]] = None) -> Response:
    """A JSON response written with litemeta's JSON codec."""
    return Response(dumps(obj), status_code=status, media_type="application/json", headers=headers)


def served(request: Request) -> Served:
    """The server state of the app handling ``request``."""
    return request.app.state.served  # type: ignore[no-any-return]
