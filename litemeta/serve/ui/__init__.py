"""The browser view of the catalog, served by ``litemeta serve`` beside DataHub's GMS API.

    >>> from litemeta.serve.app import create_app
    >>> from litemeta.serve import ui
    >>> app = create_app("meta.db", extra_routes=ui.routes())                   # doctest: +SKIP
    >>> app = create_app("meta.db", token="T", extra_routes=ui.routes(), sign_in=ui.sign_in())  # doctest: +SKIP

Server-rendered Jinja2 pages at DataHub's own URLs (``/search?query=...&filter_platform=...``,
``/dataset/<urn percent-encoded>/Schema``, ``/pipelines/...`` for data flows, ``/tasks/...`` for
data jobs), made interactive by a few packaged scripts (htmx for partial updates, Cytoscape.js with
the dagre layout for lineage): no CDN, no build step. Modules: ``paths`` (the URL scheme),
``results`` (search results for the pages: the one adapter of the store's search), ``entity``
(what an entity page shows), ``history`` (versions, diffs, timeline), ``lineage`` (the graph,
followed from the MCL log), ``edits`` (PATCH proposals), ``activity`` (live feed, runs, rollback,
consumer groups), ``signin`` (the sign-in page of a server with a token), ``pages`` (handlers),
``render`` (templates).

Private endpoints of the pages live under ``/ui/`` and the static files under ``/assets/``; the
GMS paths (``/config``, ``/aspects``, ``/entities``, ``/openapi``, ``/api/graphql``...) are
matched first and are never shadowed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List

if TYPE_CHECKING:
    from litemeta.serve.auth import SignIn


def sign_in() -> "SignIn":
    """The browser view's :class:`~litemeta.serve.auth.SignIn` (its sign-in page and public paths),
    for :func:`litemeta.serve.app.create_app`'s ``sign_in``: with a token, pages without the session
    cookie go to the sign-in page instead of answering 401."""
    from litemeta.serve.ui.signin import SIGN_IN

    return SIGN_IN


def routes(registry: Any = None) -> List[Any]:
    """The browser view's routes, for :func:`litemeta.serve.app.create_app`'s ``extra_routes``.

    An entity page route is made for the UI path name of every entity type of ``registry``
    (default: the registry shipped with litemeta)."""
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from litemeta.model.registry import load_registry
    from litemeta.serve.ui import activity, pages, paths, signin
    from litemeta.serve.ui.render import STATIC

    reg = registry or load_registry()
    names = sorted({paths.path_name(et) for et in reg.entities} | set(paths.PATH_NAMES.values()))
    return [
        Route("/", pages.home, methods=["GET"]),
        Route("/search", pages.search, methods=["GET"]),
        Route("/activity", activity.activity, methods=["GET"]),
        Route("/activity/rollback", activity.rollback_confirm, methods=["GET"]),
        Route("/ui/autocomplete", pages.autocomplete, methods=["GET"]),
        Route("/ui/edit", pages.edit, methods=["POST"]),
        Route("/ui/events", activity.events, methods=["GET"]),
        Route("/ui/runs", activity.runs, methods=["GET"]),
        Route("/ui/rollback", activity.rollback, methods=["POST"]),
        Route(signin.PAGE, signin.form, methods=["GET"]),
        Route(signin.PAGE, signin.sign_in, methods=["POST"]),
        Route(signin.SIGN_OUT, signin.sign_out, methods=["GET"]),
        Mount("/assets", StaticFiles(directory=str(STATIC)), name="assets"),
        *pages.routes_for(names),
    ]
