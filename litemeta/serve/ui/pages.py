"""Route handlers of the catalog pages: home, search, autocomplete, entity pages and edits.

Reads run on Starlette's thread pool (the store's reads are synchronous); edits go to the server's
one writer as PATCH proposals and are answered after their commit and the search index's catch-up,
so the edited page, its history and a new search all show them.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from litemeta.errors import InvalidUrnError
from litemeta.model.urns import parse_urn
from litemeta.serve.ui import edits, entity, history, paths, results
from litemeta.serve.ui.lineage import follower_of, warm
from litemeta.serve.ui.render import error_page, page

MAX_QUERY_CHARS = 1000


def served(request: Request) -> Any:
    """The server state (store, writer, index lock) of the app handling ``request``."""
    return request.app.state.served


def partial(request: Request) -> bool:
    """Whether htmx asked for a fragment of the page (a tab, a result list) rather than the page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"


# ------------------------------------------------------------------------------ home and search
async def home(request: Request) -> Response:
    warm(request.app)
    s = served(request)
    found = await run_in_threadpool(results.run_search, s, "", {}, 1, 0)
    types = next((f for f in found.facets if f.field == results.ENTITY_FACET), None)
    platforms = next((f for f in found.facets if f.field == "platform"), None)
    return page(request, "home.html", total=found.total, types=types, platforms=platforms, query="")


async def search(request: Request) -> Response:
    query = request.query_params.get("query", "")
    try:
        if len(query) > MAX_QUERY_CHARS:
            raise results.QueryError(f"the query has {len(query)} characters; at most {MAX_QUERY_CHARS} are accepted")
        filters = results.parse_filters(request.query_params.multi_items())
        number = request.query_params.get("page", "1")
        if not number.isdigit() or int(number) < 1:
            raise results.QueryError(f"page must be a positive number, got {number!r}")
        found = await run_in_threadpool(results.run_search, served(request), query, filters, int(number))
    except results.QueryError as err:
        return page(
            request,
            "search.html" if not partial(request) else "_results.html",
            status=400,
            query=query,
            found=None,
            error=str(err),
        )
    return page(request, "_results.html" if partial(request) else "search.html", query=query, found=found, error="")


async def autocomplete(request: Request) -> Response:
    prefix = request.query_params.get("query", "")[:MAX_QUERY_CHARS]
    items = await run_in_threadpool(results.complete, served(request), prefix)
    return page(request, "_autocomplete.html", items=items, query=prefix)


# ------------------------------------------------------------------------------ entity pages
def _raw_rest(request: Request, kind: str) -> Optional[str]:
    raw = request.scope.get("raw_path")
    if not isinstance(raw, bytes):
        return None
    text = raw.decode("latin-1").split("?", 1)[0]
    prefix = f"/{kind}/"
    return text[len(prefix) :] if text.startswith(prefix) else None


async def entity_page(request: Request) -> Response:
    warm(request.app)
    kind = request.url.path.split("/", 2)[1]
    urn, tab = paths.split_entity_path(kind, request.path_params.get("rest", ""), _raw_rest(request, kind))
    try:
        parsed = parse_urn(urn)
    except InvalidUrnError as err:
        return error_page(request, 404, "Not a valid urn", f"{err}")
    expected = paths.entity_type_for(kind) or kind
    if parsed.entity_type != expected:  # a link with the wrong path name: send it where it belongs
        return RedirectResponse(paths.entity_url(urn, tab), status_code=301)
    tab = tab or paths.DEFAULT_TAB
    ctx = await run_in_threadpool(load, request, urn, tab)
    if ctx is None:
        return error_page(
            request, 404, "Entity not found", f"There is no entity {urn} in this store.", query=entity.urn_name(urn)
        )
    return page(request, "_entity_body.html" if partial(request) else "entity.html", **ctx)


def load(request: Request, urn: str, tab: str, message: str = "", error: str = "") -> Optional[Dict[str, Any]]:
    """Everything the entity page needs for ``tab`` (None when the store has no such entity)."""
    s = served(request)
    store = s.store
    aspects = store.get(urn)
    if not aspects and not store.exists(urn):
        return None
    wanted = entity.referenced(aspects)
    names = {u: entity.label_of(u, a) for u, a in store.latest_many(wanted).items()} if wanted else {}
    summary = entity.summarize(urn, aspects, s.registry, names)
    ctx: Dict[str, Any] = {
        "urn": urn,
        "summary": summary,
        "tab": tab,
        "message": message,
        "error": error,
        "query": "",
        "has_schema": "schemaMetadata" in aspects,
        "owner_types": edits.OWNER_TYPES,
        "can_describe": edits.description_target(summary.entity_type) is not None,
    }
    if tab == "Schema":
        ctx["fields"] = entity.schema_rows(urn, aspects, names)
    elif tab == "Lineage":
        hops = _int(request.query_params.get("hops"), 3)
        columns = request.query_params.get("columns") == "1"
        ctx["lineage"] = follower_of(request.app).view(urn, hops, columns)
    elif tab in ("History", "Timeline"):
        kept = history.versions(store, urn, sorted(a for a in aspects if a in _versioned(s)))
        if tab == "History":
            ctx["versions"] = kept
        else:
            from litemeta.views.timeline import CATEGORIES

            chosen = [c for c in request.query_params.getlist("category") if c in CATEGORIES]
            ctx["categories"] = CATEGORIES
            ctx["chosen"] = chosen
            ctx["transactions"] = history.timeline_from_versions(urn, kept, chosen or None)
    elif tab == "Aspects":
        ctx["aspects"] = store.get(urn, details=True)
        ctx["aspects"].update({k: v for k, v in aspects.items() if k not in ctx["aspects"]})
    return ctx


def _versioned(s: Any) -> set:  # type: ignore[type-arg]
    reg = s.registry
    return {name for name, a in reg.aspects.items() if not getattr(a, "timeseries", False)}


def _int(text: Optional[str], default: int) -> int:
    return int(text) if text and text.isdigit() else default


# ------------------------------------------------------------------------------ edits
def same_origin(request: Request) -> bool:
    """A form post from a page of this server (browsers send ``Origin`` on posts): another site
    cannot make a visitor's browser edit the catalog."""
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


async def edit(request: Request) -> Response:
    form = await request.form()
    urn = str(form.get("urn") or "")
    action = str(form.get("action") or "")
    tab = paths.TAB_NAMES.get(str(form.get("tab") or "").lower(), paths.DEFAULT_TAB)
    if not same_origin(request):
        return error_page(request, 403, "Forbidden", "Edits are accepted from this server's own pages only.")
    message, error = "", ""
    try:
        proposal = edits.edit_proposal(urn, action, {k: form.get(k) for k in ("value", "owner_type", "description")})
    except edits.EditError as err:
        error = str(err)
    else:
        result = await served(request).writer.write([proposal], wait_index=True)
        if result.ok:
            message = _done(action, form)
        else:
            error = "; ".join(str(e.get("message")) for e in result.errors)
    if not partial(request):
        if error:
            return error_page(request, 422, "The edit was not made", error)
        return RedirectResponse(paths.entity_url(urn, tab), status_code=303)
    ctx = await run_in_threadpool(load, request, urn, tab, message, error)
    if ctx is None:
        return error_page(request, 404, "Entity not found", f"There is no entity {urn} in this store.")
    return page(request, "_entity_body.html", status=200 if not error else 422, **ctx)


def _done(action: str, form: Any) -> str:
    what = {
        "add_tag": "Tag added",
        "remove_tag": "Tag removed",
        "add_term": "Term added",
        "remove_term": "Term removed",
        "add_owner": "Owner added",
        "remove_owner": "Owner removed",
        "set_description": "Description saved",
    }.get(action, "Saved")
    value = str(form.get("value") or "")
    return f"{what}: {unquote(value)}." if value else f"{what}."


def routes_for(path_names: List[str]) -> List[Any]:
    """The entity page route of each UI path name."""
    from starlette.routing import Route

    return [Route(f"/{name}/{{rest:path}}", entity_page, methods=["GET"]) for name in path_names]
