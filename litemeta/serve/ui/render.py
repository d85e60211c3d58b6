"""Jinja2 templates of the browser view: the environment, its filters, and page responses.

Templates and static files are package data (``litemeta/serve/ui/templates``, ``.../static``).
Autoescaping is on for every template: metadata (names, descriptions, custom properties) is text,
never markup, so a ``<script>`` in a description is shown, not run.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from litemeta.serve.ui import paths

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def when(ms: Any) -> str:
    """Milliseconds since the epoch as ``2024-03-01 12:00:05 UTC`` (empty for 0 or missing)."""
    if not isinstance(ms, (int, float)) or ms <= 0:
        return ""
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty(value: Any) -> str:
    """JSON, indented (for raw aspects and diff values)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def short(value: Any, width: int = 160) -> str:
    """A value as compact JSON text, cut at ``width`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared template environment (templates are compiled once per process)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(when=when, pretty=pretty, short=short)
    env.globals.update(entity_url=paths.entity_url, tabs=paths.TABS, search_url=paths.search_url)
    return env


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with ``context`` (plus the request) as an HTML response."""
    state = getattr(request.app.state, "served", None)
    context.setdefault("sign_out", getattr(state, "token", None) is not None)  # a server with a token
    html = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def error_page(request: Request, status: int, title: str, message: str, query: Optional[str] = None) -> HTMLResponse:
    """The page for a missing entity or a request that cannot be served (never a traceback)."""
    return page(request, "error.html", status=status, title=title, message=message, query=query or "")


# A strict content security policy: scripts and styles only from this server (every library is
# packaged), no inline script, no plugin; inline style attributes are allowed for the graph library.
_HEADERS: Dict[str, str] = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
