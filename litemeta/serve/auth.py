"""Who may use a server started with a token: DataHub's Bearer rule, and a browser session for the pages.

GMS answers a request without ``Authorization: Bearer <token>`` with 401. DataHub's clients send the
header; a browser cannot. So a browser front end (the catalog view) signs in once: its sign-in page
takes the token and sets a session cookie holding :func:`session_value` (an HMAC of the token, never
the token), ``HttpOnly``, ``SameSite=Strict``, ``Path=/``. The cookie opens the front end's routes
only (its pages, fragments, form posts and event stream); every GMS route keeps the Bearer rule, so
a REST client without the header gets GMS's 401 whatever cookies the browser holds.

    >>> session_value("s3cret") == session_value("s3cret") != session_value("other")
    True
    >>> "s3cret" in session_value("s3cret")
    False
    >>> safe_next("//evil.example/x"), safe_next("/dataset/urn%3Ali%3A...?x=1")
    ('/', '/dataset/urn%3Ali%3A...?x=1')
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple
from urllib.parse import quote, urlsplit

from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Match

from litemeta.serve.wire import HttpError

COOKIE_PREFIX = "litemeta_session"
# What the session cookie's HMAC signs: a fixed context, so the value names this use of the token only.
_CONTEXT = b"litemeta serve: browser session v1"
# Paths GMS serves without authentication (its authentication.excludedPaths).
PUBLIC_PATHS = ("/config", "/health")


def session_value(token: str) -> str:
    """The session cookie's value for ``token``: HMAC-SHA256 keyed by the token (the token cannot be
    read back from it; another token gives another value, so changing the token signs everyone out)."""
    return hmac.new(token.encode("utf-8"), _CONTEXT, hashlib.sha256).hexdigest()


def cookie_name(scope: Mapping[str, Any]) -> str:
    """The session cookie's name on the server handling ``scope``.

    Browsers keep cookies per host, not per port: two servers on one host (a user's and a test's)
    would overwrite each other's cookie under one name, so the name carries the port."""
    server = scope.get("server")
    return f"{COOKIE_PREFIX}_{server[1]}" if server and server[1] else COOKIE_PREFIX


def safe_next(target: Optional[str]) -> str:
    """``target`` when it is a path of this server, else ``/`` (a sign-in never redirects elsewhere)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


@dataclass(frozen=True)
class SignIn:
    """How a browser front end signs in: its sign-in ``page``, and the paths it serves to anyone
    (``public``: exact paths, or prefixes ending in ``/``, such as the sign-in page and static files)."""

    page: str
    public: Tuple[str, ...] = ()

    def url(self, next_path: str) -> str:
        """The sign-in page, returning to ``next_path`` after signing in."""
        return f"{self.page}?next={quote(safe_next(next_path), safe='')}"


class Access:
    """The token rule of one server: which requests pass, and what the others are answered.

    A request passes with the right Bearer header (any route), on a public path, or, on a route of
    the browser front end (``browser_routes``, when no GMS route matches it first, as routing would),
    with the session cookie. A browser page without the cookie is sent to the sign-in page (an htmx
    request gets ``HX-Redirect``, which reloads the whole page there); anything else gets GMS's 401."""

    def __init__(
        self,
        token: str,
        gms_routes: Sequence[BaseRoute],
        browser_routes: Sequence[BaseRoute],
        sign_in: Optional[SignIn],
    ) -> None:
        self.bearer = ("Bearer " + token).encode()
        self.session = session_value(token)
        self.gms_routes = list(gms_routes)
        self.browser_routes = list(browser_routes)
        self.sign_in = sign_in

    def refusal(self, scope: Mapping[str, Any], headers: Dict[bytes, bytes]) -> Optional[Response]:
        """None when the request may go on, else the response to send instead."""
        given = headers.get(b"authorization")
        if given is not None and hmac.compare_digest(given, self.bearer):
            return None
        path = scope["path"]
        if path in PUBLIC_PATHS:
            return None
        if self.sign_in is not None and any(
            path == p or (p.endswith("/") and path.startswith(p)) for p in self.sign_in.public
        ):
            return None
        if not self._browser(scope):
            message = (
                "Unauthorized to perform this action: a valid token is required (Authorization: Bearer <token>)"
                if given is None
                else "Unauthorized to perform this action: the token is not valid"
            )
            return JSONResponse(HttpError(401, message).body(), status_code=401)
        if self.signed_in(scope, headers):
            return None
        return self._to_sign_in(scope, headers)

    def signed_in(self, scope: Mapping[str, Any], headers: Dict[bytes, bytes]) -> bool:
        """Whether the request carries this server's session cookie."""
        raw = headers.get(b"cookie")
        if raw is None:
            return False
        value = cookie_parser(raw.decode("latin-1")).get(cookie_name(scope), "")
        return hmac.compare_digest(value.encode("latin-1", "replace"), self.session.encode())

    def _browser(self, scope: Mapping[str, Any]) -> bool:
        # Routing tries the GMS routes first: a path they match is theirs, whatever the front end declares.
        def matched(routes: Sequence[BaseRoute]) -> bool:
            return any(r.matches(dict(scope))[0] is not Match.NONE for r in routes)

        return matched(self.browser_routes) and not matched(self.gms_routes)

    def _to_sign_in(self, scope: Mapping[str, Any], headers: Dict[bytes, bytes]) -> Response:
        message = "Sign in first: this server needs its token"
        if self.sign_in is None:
            return JSONResponse(HttpError(401, message).body(), status_code=401)
        if headers.get(b"hx-request") == b"true":  # a fragment: send the whole page to the sign-in page
            current = urlsplit(headers.get(b"hx-current-url", b"/").decode("latin-1"))
            back = current.path + (f"?{current.query}" if current.query else "")
            return Response(
                message, status_code=401, media_type="text/plain", headers={"HX-Redirect": self.sign_in.url(back)}
            )
        if b"text/event-stream" in headers.get(b"accept", b""):  # EventSource reconnects; a redirect would not help
            return Response(message, status_code=401, media_type="text/plain")
        if scope["method"] in ("GET", "HEAD"):
            query = scope.get("query_string", b"").decode("latin-1")
            back = scope.get("raw_path", scope["path"].encode()).decode("latin-1") + (f"?{query}" if query else "")
        else:  # a form posted after the session ended: back to the page it came from
            back = urlsplit(headers.get(b"referer", b"/").decode("latin-1")).path or "/"
        return RedirectResponse(self.sign_in.url(back), status_code=303)
