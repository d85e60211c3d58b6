"""GMS's OpenAPI endpoints that acryl-datahub calls (rest-compat.md §4.12-4.15): the v3 entity
writes of SDK-mode clients, ``batchGet``, the write trace, the v2 timeline and the v1 relationships."""

from __future__ import annotations

import secrets
import time
from typing import Any, Dict, List

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from litemeta.errors import UnknownEntityError
from litemeta.model import proposal as P
from litemeta.model.proposal import Origin, Proposal
from litemeta.serve.restli import aspect_spec, origin_file, urn_entity_type, write
from litemeta.serve.state import json_response, served
from litemeta.serve.wire import HttpError, json_body, openapi_entities, openapi_proposals
from litemeta.views import admin


def _is_async(request: Request) -> bool:
    return request.query_params.get("async", "true").lower() == "true"


async def _write_entities(request: Request, change_type: str) -> Response:
    s = served(request)
    entity_type = request.path_params["entity"]
    if entity_type not in s.registry.entities:
        raise HttpError(404, f"unknown entity type {entity_type!r}")
    body = json_body(await request.body())
    proposals, wait = openapi_proposals(entity_type, body, change_type, origin_file(request))
    await write(request, proposals, wait_index=wait)
    # GMS answers 202 to async=true and 200 with the entities otherwise; litemeta has committed
    # either way. The traceparent header is what an ASYNC_WAIT client follows to the trace endpoint
    # (without it the client warns that API tracing is not active, rest-compat.md §4.14).
    status = 202 if _is_async(request) else 200
    return json_response(openapi_entities(proposals), status, headers={"traceparent": traceparent()})


def traceparent() -> str:
    """A W3C ``traceparent`` whose trace id starts with the time in microseconds, as GMS's
    TraceIdGenerator makes them (acryl-datahub reads that time back from the id).

    >>> t = traceparent().split("-")
    >>> [len(part) for part in t], t[0], t[3]
    ([2, 32, 16, 2], '00', '01')
    """
    return f"00-{time.time_ns() // 1000:016x}{secrets.token_hex(8)}-{secrets.token_hex(8)}-01"


async def post_entities(request: Request) -> Response:
    """``POST /openapi/v3/entity/{entity}``: UPSERTs, one per aspect of each listed entity."""
    return await _write_entities(request, P.UPSERT)


async def patch_entities(request: Request) -> Response:
    """``PATCH /openapi/v3/entity/{entity}``: JSON-patch proposals (``{"patch": [...], "arrayPrimaryKeys"?}``)."""
    return await _write_entities(request, P.PATCH)


async def delete_entity(request: Request) -> Response:
    """``DELETE /openapi/v3/entity/{entity}/{urn}``: the raw urn in the path, body ``[]`` (trap 12).
    Without ``aspects=`` the entity is hard-deleted (R1.35); with it, those aspects are (R1.34)."""
    s = served(request)
    urn = request.path_params["urn"]
    et = urn_entity_type(urn)
    names = [a for a in request.query_params.getlist("aspects") for a in a.split(",") if a]
    where = origin_file(request)
    if names:
        proposals = [
            Proposal(urn, aspect_spec(s, n).name, P.DELETE, entity_type=et, origin=Origin(where, i))
            for i, n in enumerate(names)
        ]
    else:
        proposals, _ = admin.plan_deletes([urn], admin.HARD, s.registry, s.store.clock())
    await write(request, proposals)
    return Response(b"", status_code=200)


def _batch_get(s: Any, entity_type: str, body: Any, with_sm: bool) -> List[Dict[str, Any]]:
    if not isinstance(body, list):
        raise HttpError(400, "the body must be a list of {urn, <aspect>: {}} items")
    out: List[Dict[str, Any]] = []
    for i, item in enumerate(body):
        if not isinstance(item, dict) or not isinstance(item.get("urn"), str):
            raise HttpError(400, f"[{i}].urn must be a string")
        urn = item["urn"]
        names = [n for n in item if n != "urn"] or None
        rows = s.store.get(urn, names, details=True)
        entity: Dict[str, Any] = {"urn": urn}
        for name, row in rows.items():
            entity[name] = {"value": row["value"]}
            if with_sm and row.get("systemMetadata") is not None:
                entity[name]["systemMetadata"] = row["systemMetadata"]
        out.append(entity)
    return out


async def batch_get(request: Request) -> Response:
    """``POST /openapi/v3/entity/{entity}/batchGet``: aspects of several urns (``get_entities``)."""
    s = served(request)
    body = json_body(await request.body())
    with_sm = request.query_params.get("systemMetadata", "false").lower() == "true"
    return json_response(await run_in_threadpool(_batch_get, s, request.path_params["entity"], body, with_sm))


async def trace_write(request: Request) -> Response:
    """``POST /openapi/v1/trace/write/{id}``: every write is committed before it is answered, so every
    aspect asked about is in its final state in both stores (rest-compat.md §4.14)."""
    body = json_body(await request.body())
    if not isinstance(body, dict):
        raise HttpError(400, "the body must be an object {urn: [aspect names]}")
    done = {
        "success": True,
        "primaryStorage": {"writeStatus": "ACTIVE_STATE"},
        "searchStorage": {"writeStatus": "ACTIVE_STATE"},
    }
    return json_response({urn: {a: done for a in (aspects or [])} for urn, aspects in body.items()})


def _timeline(s: Any, urn: str, categories: Any, start: Any, end: Any, raw: bool) -> List[Dict[str, Any]]:
    from litemeta.views.timeline import timeline

    try:
        return [t.as_dict() for t in timeline(s.store, urn, categories, start, end, raw)]
    except UnknownEntityError:
        return []
    except ValueError as exc:  # an unknown category
        raise HttpError(400, str(exc)) from None


async def get_timeline(request: Request) -> Response:
    """``GET /openapi/v2/timeline/v1/{urn}?categories=TAG,DOCUMENTATION&startTime=&endTime=&raw=``."""
    q = request.query_params
    cats = [c for c in (q.get("categories") or "").split(",") if c] or None
    try:
        start = int(q["startTime"]) if q.get("startTime") else None
        end = int(q["endTime"]) if q.get("endTime") else None
    except ValueError:
        raise HttpError(400, "startTime and endTime must be epoch milliseconds") from None
    raw = (q.get("raw") or "false").lower() == "true"
    s = served(request)
    return json_response(await run_in_threadpool(_timeline, s, request.path_params["urn"], cats, start, end, raw))


# GMS's RelationshipsController (datahub-project/datahub metadata-service/openapi-servlet/src/main/java/
# io/datahubproject/openapi/relationships/RelationshipsController.java): urn, relationshipTypes and
# direction are required; start defaults to 0, count to 200; the answer is RelatedEntitiesResult.
_RELATED_COUNT = 200


def _query_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    try:
        n = default if raw is None or raw == "" else int(raw)
    except ValueError:
        raise HttpError(400, f"the query parameter {name} must be a number, found {raw!r}") from None
    if n < 0:
        raise HttpError(400, f"the query parameter {name} must be >= 0, found {n}")
    return n


def _related(s: Any, urn: str, types: List[str], direction: str, start: int, count: int) -> Dict[str, Any]:
    from litemeta.views.related import related_entities

    found = related_entities(s.store, urn, types, direction, s.registry)
    page = found[start : start + count]
    return {"start": start, "count": len(page), "total": len(found), "entities": [r.as_dict() for r in page]}


async def get_relationships(request: Request) -> Response:
    """``GET /openapi/relationships/v1/?urn=&relationshipTypes=&direction=INCOMING|OUTGOING&start=&count=``
    (``get_related_entities``): one hop of the graph, ``{start, count, total, entities}``. Each
    ``relationshipTypes`` value is one type (GMS does not split it at commas); an unknown type
    matches nothing."""
    from litemeta.views.related import DIRECTIONS

    q = request.query_params
    urn, direction, types = q.get("urn") or "", q.get("direction") or "", q.getlist("relationshipTypes")
    for name, given in (("urn", urn), ("direction", direction), ("relationshipTypes", types)):
        if not given:
            raise HttpError(400, f"the query parameter {name} is missing")
    if direction not in DIRECTIONS:
        raise HttpError(400, f"the query parameter direction must be INCOMING or OUTGOING, found {direction!r}")
    start, count = _query_int(request, "start", 0), _query_int(request, "count", _RELATED_COUNT)
    s = served(request)
    return json_response(await run_in_threadpool(_related, s, urn, types, direction, start, count))


def routes() -> List[BaseRoute]:
    """The OpenAPI routes."""
    return [
        Route("/openapi/v3/entity/{entity}", post_entities, methods=["POST"]),
        Route("/openapi/v3/entity/{entity}", patch_entities, methods=["PATCH"]),
        Route("/openapi/v3/entity/{entity}/batchGet", batch_get, methods=["POST"]),
        Route("/openapi/v3/entity/{entity}/{urn:path}", delete_entity, methods=["DELETE"]),
        Route("/openapi/v1/trace/write/{trace}", trace_write, methods=["POST"]),
        Route("/openapi/v2/timeline/v1/{urn:path}", get_timeline, methods=["GET"]),
        Route("/openapi/relationships/v1/", get_relationships, methods=["GET"]),
    ]
