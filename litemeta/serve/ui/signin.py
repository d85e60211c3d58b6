"""Signing a browser in to a server started with ``--token``: the token is entered once.

The sign-in page (``/ui/signin``, public) takes the token; when it is the server's, the answer sets
the session cookie (:func:`litemeta.serve.auth.session_value`, an HMAC of the token: the token itself
never leaves the form) and goes back to the page that asked. The cookie is ``HttpOnly`` (no script
reads it), ``SameSite=Strict`` (no other site's page or link sends it) and lasts for the browser
session; ``/ui/signout`` clears it. The guard (:class:`litemeta.serve.auth.Access`) accepts it on the
browser view's routes only: the GMS API keeps DataHub's Bearer rule.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from litemeta.serve.auth import SignIn, cookie_name, safe_next, session_value
from litemeta.serve.ui.pages import same_origin, served
from litemeta.serve.ui.render import error_page, page

PAGE = "/ui/signin"
SIGN_OUT = "/ui/signout"
# Served to anyone: the sign-in page itself and the packaged scripts and styles it uses.
SIGN_IN = SignIn(page=PAGE, public=(PAGE, "/assets/"))


def _signed_in(request: Request) -> bool:
    token = served(request).token
    value = request.cookies.get(cookie_name(request.scope), "")
    return token is not None and hmac.compare_digest(value.encode("latin-1", "replace"), session_value(token).encode())


async def form(request: Request) -> Response:
    """The sign-in page (straight back to ``next`` when there is nothing to sign in to)."""
    target = safe_next(request.query_params.get("next"))
    if served(request).token is None or _signed_in(request):
        return RedirectResponse(target, status_code=303)
    return page(request, "signin.html", target=target, error="", query="")


async def sign_in(request: Request) -> Response:
    """Check the token posted by the sign-in form; set the session cookie when it is right."""
    form_data = await request.form()
    target = safe_next(str(form_data.get("next") or "/"))
    token = served(request).token
    if token is None:
        return RedirectResponse(target, status_code=303)
    if not same_origin(request):
        return error_page(request, 403, "Forbidden", "Sign in from this server's own page.")
    given = str(form_data.get("token") or "")
    if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        return page(
            request,
            "signin.html",
            status=401,
            target=target,
            query="",
            error="That is not this server's token (the value given to litemeta serve --token).",
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        cookie_name(request.scope),
        session_value(token),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def sign_out(request: Request) -> Response:
    """Clear the session cookie and show the sign-in page."""
    response = RedirectResponse(PAGE if served(request).token is not None else "/", status_code=303)
    response.delete_cookie(
        cookie_name(request.scope), path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response
