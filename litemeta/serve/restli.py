"""GMS's Rest.li resources, as acryl-datahub's Rest.li dialect calls them (rest-compat.md §4.1-4.10).

Writes become proposals for the one writer (:mod:`litemeta.serve.writer`) and are answered after
their commit; a rejected proposal is a 422 naming it (it is on the dead-letter topic, as an ingest
puts it). Reads run on the thread pool, over the store's public reads.
"""

from __future__ import annotations

from typing import Any, Callable, Coroutine, Dict, List, Optional, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from litemeta.errors import LitemetaError
from litemeta.model import proposal as P
from litemeta.model.jsontext import dumps
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.urns import entity_type_of, key_aspect_from_urn
from litemeta.serve import references
from litemeta.serve.state import Served, json_response, served
from litemeta.serve.wire import (
    HttpError,
    criteria_match,
    envelope,
    fqcn,
    json_body,
    need,
    or_filters,
    parse_restli_list,
    restli_mce,
    restli_proposal,
    search_filter,
)
from litemeta.serve.writer import WriteResult
from litemeta.views import admin

Handler = Callable[[Request, Served, Any], Coroutine[Any, Any, Response]]
_request_ids = iter(range(1, 1 << 62))


def origin_file(request: Request) -> str:
    """Where a request's proposals came from, for reports: ``<POST /aspects?action=ingestProposal #12>``."""
    q = f"?{request.url.query}" if request.url.query else ""
    return f"<{request.method} {request.url.path}{q} #{next(_request_ids)}>"


def check_result(result: WriteResult) -> None:
    """A 422 naming every rejected proposal (DataHub's validation status, never retried)."""
    if result.ok:
        return
    errs = result.errors
    first = "; ".join(_describe(e) for e in errs[:3])
    more = f" (and {len(errs) - 3} more)" if len(errs) > 3 else ""
    total = result.report.proposals
    raise HttpError(
        422,
        f"{len(errs)} of {total} proposal(s) rejected: {first}{more}",
        [{k: e.get(k) for k in ("urn", "aspect", "path", "reason", "message")} for e in errs],
    )


def _describe(e: Dict[str, Any]) -> str:
    where = " ".join(str(x) for x in (e.get("urn"), e.get("aspect"), e.get("path")) if x)
    return f"{where}: {e.get('message')}" if where else str(e.get("message"))


async def write(request: Request, items: Sequence[Any], *, wait_index: bool = False) -> WriteResult:
    """Hand records to the writer, await their commit, and raise the 422 of any rejection."""
    result = await served(request).writer.write(items, wait_index=wait_index)
    check_result(result)
    return result


# ------------------------------------------------------------------------------ POST /aspects?action=
async def ingest_proposal(request: Request, s: Served, body: Any) -> Response:
    p = restli_proposal(need(body, "proposal", dict, "body"), Origin(origin_file(request), 0))
    await write(request, [p])
    return json_response({"value": p.entity_urn})


async def ingest_proposal_batch(request: Request, s: Served, body: Any) -> Response:
    where = origin_file(request)
    items = need(body, "proposals", list, "body")
    proposals = [restli_proposal(obj, Origin(where, i)) for i, obj in enumerate(items)]
    await write(request, proposals)
    return json_response({"value": [p.entity_urn for p in proposals]})


async def timeseries_values(request: Request, s: Served, body: Any) -> Response:
    urn = need(body, "urn", str, "body")
    name = need(body, "aspect", str, "body")
    spec = aspect_spec(s, name)
    if not spec.timeseries:
        raise HttpError(400, f"aspect {name} is not a timeseries aspect")
    groups = or_filters(body.get("filter"))
    limit = 1 if body.get("latestValue") else number(body, "limit", None)
    start, end = number(body, "startTimeMillis", None), number(body, "endTimeMillis", None)
    values = await run_in_threadpool(s.store.timeseries, urn, name, start, end, None if groups else limit)
    if groups:  # the stateful-ingestion checkpoint lookup filters by pipeline name and platform instance
        values = [v for v in values if any(criteria_match(v, g) for g in groups)]
        values = values[:limit] if isinstance(limit, int) else values
    out = [{"aspect": {"value": dumps(v), "contentType": P.JSON}} for v in values]  # JSON text (trap 11)
    entity = body.get("entity") or urn_entity_type(urn)
    return json_response(
        {"value": {"entityName": entity, "aspectName": name, "limit": limit if limit else len(out), "values": out}}
    )


async def get_count(request: Request, s: Served, body: Any) -> Response:
    name = need(body, "aspect", str, "body")
    counts = await run_in_threadpool(s.store.aspect_counts)
    return json_response({"value": counts.get(name, {}).get("current", 0)})


# ------------------------------------------------------------------------------ POST /entities?action=
async def ingest_mce(request: Request, s: Served, body: Any) -> Response:
    mce = restli_mce(body, Origin(origin_file(request), 0))
    await write(request, [mce])
    return json_response({})


async def delete_entity(request: Request, s: Served, body: Any) -> Response:
    """Hard delete of an entity (R1.35), or of a timeseries aspect's rows with ``aspectName``."""
    urn = need(body, "urn", str, "body")
    et = urn_entity_type(urn)
    name = body.get("aspectName")
    if name is not None:
        spec = aspect_spec(s, str(name))
        if body.get("startTimeMillis") is not None or body.get("endTimeMillis") is not None:
            raise HttpError(
                400,
                "deleting timeseries rows by time range is not supported; omit startTimeMillis "
                "and endTimeMillis to delete every row of the aspect",
            )
        proposals = [Proposal(urn, spec.name, P.DELETE, entity_type=et, origin=Origin(origin_file(request), 0))]
    else:
        proposals, _ = admin.plan_deletes(
            [urn], admin.HARD, s.registry, s.store.clock(), run_id=str(body.get("runId") or admin.DELETE_RUN_ID)
        )
    counts = await run_in_threadpool(s.store.row_counts, [urn], name)
    await write(request, proposals)
    c = counts.get(urn, {})
    return json_response(
        {"value": {"urn": urn, "rows": c.get("rows", 0), "timeseriesRows": c.get("timeseriesRows", 0)}}
    )


async def delete_references(request: Request, s: Served, body: Any) -> Response:
    urn = need(body, "urn", str, "body")
    urn_entity_type(urn)
    found = await run_in_threadpool(references.find, s.store, urn)
    if not body.get("dryRun") and found:
        planned = await run_in_threadpool(references.plan, s.store, found, urn, origin_file(request))
        if planned:
            await write(request, planned)
    related = [{"relationship": r.relationship, "entity": r.urn, "aspect": r.aspect} for r in found]
    return json_response({"value": {"total": len(related), "relatedAspects": related}})


def number(body: Any, key: str, default: Optional[int]) -> Optional[int]:
    """``body[key]`` as a non-negative int (JSON number or numeric string), or ``default`` when absent."""
    value = body.get(key) if isinstance(body, dict) else None
    if value is None:
        return default
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise HttpError(400, f"body.{key} must be a number, found {value!r}") from None
    if n < 0:
        raise HttpError(400, f"body.{key} must be >= 0, found {n}")
    return n


async def search_entities(request: Request, s: Served, body: Any) -> Response:
    if not isinstance(body, dict):
        raise HttpError(400, "the body must be a JSON object")
    entity = body.get("entity")
    query = str(body.get("input") or "*")
    start, count = number(body, "start", 0) or 0, number(body, "count", 10) or 0
    result = await run_in_threadpool(
        s.search, query, [entity] if entity else None, search_filter(body.get("filter")), False, start, count
    )
    hits = [{"entity": h.urn, "matchedFields": []} for h in result.results]
    return json_response(
        {
            "value": {
                "numEntities": result.total,
                "from": start,
                "pageSize": count,
                "entities": hits,
                "metadata": {"aggregations": []},
            }
        }
    )


async def list_urns(request: Request, s: Served, body: Any) -> Response:
    entity = need(body, "entity", str, "body")
    start, count = number(body, "start", 0) or 0, number(body, "count", 10) or 0
    urns = await run_in_threadpool(s.store.list_urns, entity)
    return json_response(
        {"value": {"entities": urns[start : start + count], "start": start, "count": count, "total": len(urns)}}
    )


ASPECT_ACTIONS: Dict[str, Handler] = {
    "ingestProposal": ingest_proposal,
    "ingestProposalBatch": ingest_proposal_batch,
    "getTimeseriesAspectValues": timeseries_values,
    "getCount": get_count,
}
ENTITY_ACTIONS: Dict[str, Handler] = {
    "ingest": ingest_mce,
    "delete": delete_entity,
    "deleteReferences": delete_references,
    "search": search_entities,
    "listUrns": list_urns,
}


def _dispatch(actions: Dict[str, Handler]) -> Callable[[Request], Coroutine[Any, Any, Response]]:
    async def endpoint(request: Request) -> Response:
        action = request.query_params.get("action")
        handler = actions.get(action or "")
        if handler is None:
            raise HttpError(
                400, f"unknown action {action!r} on {request.url.path}; supported: {', '.join(sorted(actions))}"
            )
        body = json_body(await request.body())
        return await handler(request, served(request), body)

    return endpoint


# ------------------------------------------------------------------------------ reads
def urn_entity_type(urn: str) -> str:
    try:
        return entity_type_of(urn)
    except LitemetaError as exc:
        raise HttpError(400, f"invalid urn {urn!r}: {exc}") from None


def aspect_spec(s: Served, name: str) -> Any:
    spec = s.registry.aspects.get(name)
    if spec is None:
        raise HttpError(400, f"unknown aspect {name!r}")
    return spec


def _get_aspect(s: Served, urn: str, name: str, version: int) -> Optional[Dict[str, Any]]:
    spec = aspect_spec(s, name)
    if spec.timeseries:
        raise HttpError(400, f"aspect {name} is a timeseries aspect: use getTimeseriesAspectValues")
    et = urn_entity_type(urn)
    if et not in s.registry.entities:
        return None
    got = s.store.get(urn, [name], version=version or None, details=True)
    row = got.get(name)
    if row is None:
        return None
    return {"aspect": {fqcn(spec): row["value"]}, "urn": urn, "version": version}


async def get_aspect(request: Request) -> Response:
    """``GET /aspects/{urn}?aspect=&version=``: 200 with the Pegasus-named value, 404 when absent."""
    s = served(request)
    urn = request.path_params["urn"]
    name = request.query_params.get("aspect")
    if not name:
        raise HttpError(400, "the query parameter aspect is missing")
    try:
        version = int(request.query_params.get("version") or 0)
    except ValueError:
        raise HttpError(400, f"version must be a number, found {request.query_params.get('version')!r}") from None
    out = await run_in_threadpool(_get_aspect, s, urn, name, version)
    if out is None:
        raise HttpError(404, f"{urn} has no aspect {name}" + (f" version {version}" if version else ""))
    return json_response(out)


def entity_v2(s: Served, urn: str, names: Optional[List[str]]) -> Dict[str, Any]:
    """``entitiesV2``: the named (or all) versioned aspects, and always the key aspect (trap 10)."""
    et = urn_entity_type(urn)
    ent = s.registry.entities.get(et)
    if ent is None:
        raise HttpError(404, f"unknown entity type {et!r} of {urn}")
    wanted = [n for n in names if not aspect_spec(s, n).timeseries] if names else None
    if names and not wanted:
        rows: Dict[str, Any] = {}  # only timeseries aspects asked: the key alone (rest-compat.md §4.7)
    else:
        rows = s.store.get(urn, wanted, details=True)
    aspects: Dict[str, Any] = {}
    for name, row in rows.items():
        spec = s.registry.aspects.get(name)
        if spec is not None and not spec.timeseries:
            aspects[name] = envelope(name, row["value"], row)
    if ent.key_aspect not in aspects:  # GMS's alwaysIncludeKeyAspect: synthesised from the urn
        try:
            _, key = key_aspect_from_urn(urn, s.registry)
        except LitemetaError as exc:
            raise HttpError(400, f"invalid urn {urn!r}: {exc}") from None
        aspects[ent.key_aspect] = envelope(ent.key_aspect, key, None)
    return {"entityName": et, "urn": urn, "aspects": aspects}


async def get_entity_v2(request: Request) -> Response:
    s = served(request)
    names = parse_restli_list(request.query_params.get("aspects"))
    out = await run_in_threadpool(entity_v2, s, request.path_params["urn"], names)
    return json_response(out)


def routes() -> List[BaseRoute]:
    """The Rest.li routes (``/aspects/`` too: ``datahub put`` posts there, trap 8)."""
    aspects = _dispatch(ASPECT_ACTIONS)
    entities = _dispatch(ENTITY_ACTIONS)
    return [
        Route("/aspects", aspects, methods=["POST"]),
        Route("/aspects/", aspects, methods=["POST"]),
        Route("/entities", entities, methods=["POST"]),
        Route("/entities/", entities, methods=["POST"]),
        Route("/aspects/{urn:path}", get_aspect, methods=["GET"]),
        Route("/entitiesV2/{urn:path}", get_entity_v2, methods=["GET"]),
    ]
