"""GMS wire shapes (pure): request bodies to proposals, stored rows to response bodies.

    >>> p = restli_proposal({"entityType": "dataset", "changeType": "UPSERT", "aspectName": "status",
    ...     "entityUrn": "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)",
    ...     "aspect": {"value": '{"removed": false}', "contentType": "application/json"}}, Origin("<r1>", 0))
    >>> p.aspect
    {'removed': False}
    >>> parse_restli_list("List(datasetProperties,status)")
    ['datasetProperties', 'status']

Everything here follows ``docs/rest-compat.md`` (the contract of acryl-datahub 1.7.0.17): the
Rest.li dialect carries an aspect as JSON text, the OpenAPI v3 dialect as a JSON object; both
end as :class:`Proposal`\\ s for the write path. No web framework here: the route modules call
these and turn :class:`HttpError` into a response.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from litemeta.errors import LitemetaError
from litemeta.model import proposal as P
from litemeta.model.codec import LegacyMCE, proposal_from_mcp_value
from litemeta.model.jsontext import loads
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.registry import AspectSpec

# The Rest.li error class GMS names in its error bodies (the client reads only ``message``).
RESTLI_EXCEPTION = "com.linkedin.restli.server.RestLiServiceException"
SYNC_INDEX_HEADER = "X-DataHub-Sync-Index-Update"  # in an OpenAPI v3 body, per aspect (trap 6)
AVRO_NS, PEGASUS_NS = "com.linkedin.pegasus2avro.", "com.linkedin."


class HttpError(LitemetaError):
    """A request the server refuses: answered with ``status`` and DataHub's error body (never a 5xx
    for bad input: the client retries those for about 30 s, rest-compat.md trap 14)."""

    def __init__(self, status: int, message: str, details: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    def body(self) -> Dict[str, Any]:
        """The Rest.li error body: ``exceptionClass``, ``message``, ``status`` (and litemeta's ``errors``)."""
        out: Dict[str, Any] = {"exceptionClass": RESTLI_EXCEPTION, "message": self.message, "status": self.status}
        if self.details:
            out["errors"] = self.details
        return out


def json_body(raw: bytes) -> Any:
    """Decode a request body; malformed JSON is a 400 naming the position."""
    if not raw:
        raise HttpError(400, "the request body is empty; expected JSON")
    try:
        return loads(raw)
    except ValueError as exc:
        raise HttpError(400, f"the request body is not valid JSON: {exc}") from None


def need(obj: Any, key: str, kind: type, where: str) -> Any:
    """``obj[key]`` of the given JSON type, or a 400 naming the field, the expected and the actual type."""
    if not isinstance(obj, dict):
        raise HttpError(400, f"{where} must be a JSON object, found {_type(obj)}")
    if key not in obj:
        raise HttpError(400, f"{where}.{key} is missing")
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise HttpError(400, f"{where}.{key} must be a {_KINDS.get(kind, kind.__name__)}, found {_type(value)}")
    return value


_KINDS = {str: "string", list: "list", dict: "JSON object", int: "number", bool: "boolean"}


def _type(v: Any) -> str:
    for kind, name in (
        (bool, "a boolean"),
        (str, "a string"),
        (int, "a number"),
        (float, "a number"),
        (list, "a list"),
        (dict, "an object"),
    ):
        if isinstance(v, kind):
            return name
    return "null" if v is None else type(v).__name__


# ------------------------------------------------------------------------------ Rest.li writes
def restli_proposal(obj: Any, origin: Origin) -> Proposal:
    """An MCP as ``ingestProposal`` carries it: aspect as ``{value: "<json text>", contentType}``;
    ``systemMetadata`` may arrive as JSON text (``datahub put --run-id``, trap 7)."""
    if isinstance(obj, dict) and isinstance(obj.get("systemMetadata"), str):
        try:
            obj = {**obj, "systemMetadata": loads(obj["systemMetadata"])}
        except ValueError as exc:
            raise HttpError(400, f"{origin}: systemMetadata is a string but not JSON text: {exc}") from None
    try:
        return proposal_from_mcp_value(obj, origin)
    except LitemetaError as exc:  # a proposal of the wrong shape never reaches the writer
        raise HttpError(400, str(exc)) from None


def restli_mce(body: Any, origin: Origin) -> LegacyMCE:
    """A legacy MCE as ``entities?action=ingest`` carries it (Pegasus names, no ``pegasus2avro``)."""
    entity = need(body, "entity", dict, "body")
    value = need(entity, "value", dict, "entity")
    if len(value) != 1:
        raise HttpError(400, "entity.value must hold exactly one snapshot, keyed by its type")
    ((snapshot_type, snap),) = value.items()
    urn = need(snap, "urn", str, snapshot_type)
    raw_aspects = need(snap, "aspects", list, snapshot_type)
    aspects: List[Tuple[str, Any]] = []
    for i, a in enumerate(raw_aspects):
        if not isinstance(a, dict) or len(a) != 1:
            raise HttpError(
                400, f"{snapshot_type}.aspects[{i}] must be an object with one key, the aspect's record name"
            )
        ((record, aspect_value),) = a.items()
        aspects.append((_avro_name(record), aspect_value))
    sm = body.get("systemMetadata")
    if sm is not None and not isinstance(sm, dict):
        raise HttpError(400, f"systemMetadata must be a JSON object, found {_type(sm)}")
    return LegacyMCE(urn, _avro_name(snapshot_type), tuple(aspects), sm, origin)


def _avro_name(name: str) -> str:
    if name.startswith(PEGASUS_NS) and not name.startswith(AVRO_NS):
        return AVRO_NS + name[len(PEGASUS_NS) :]
    return name


# ------------------------------------------------------------------------------ OpenAPI v3 writes
def openapi_proposals(entity_type: str, body: Any, change_type: str, origin_file: str) -> Tuple[List[Proposal], bool]:
    """``[{urn, <aspect>: {value, systemMetadata, headers}}]`` to proposals, in order; and whether
    any aspect asked for the search index to be synced (``X-DataHub-Sync-Index-Update: true``)."""
    if not isinstance(body, list):
        raise HttpError(400, f"the body must be a list of entities, found {_type(body)}")
    out: List[Proposal] = []
    wait = False
    for i, item in enumerate(body):
        where = f"[{i}]"
        urn = need(item, "urn", str, where)
        for name, env in item.items():
            if name == "urn":
                continue
            if not isinstance(env, dict) or "value" not in env:
                raise HttpError(400, f"{where}.{name} must be an object with a value")
            headers = env.get("headers") or {}
            sm = env.get("systemMetadata")
            if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
                raise HttpError(400, f"{where}.{name}.headers must be an object of strings")
            if sm is not None and not isinstance(sm, dict):
                raise HttpError(400, f"{where}.{name}.systemMetadata must be an object, found {_type(sm)}")
            headers = dict(headers)
            if str(headers.pop(SYNC_INDEX_HEADER, "")).lower() == "true":
                wait = True
            value = env["value"]
            if change_type == P.PATCH:
                if not isinstance(value, dict) or not isinstance(value.get("patch"), list):
                    raise HttpError(400, f'{where}.{name}.value must be {{"patch": [operations]}} in a PATCH')
                if value.keys() == {"patch"}:
                    value = value["patch"]  # the client wrapped an operation list: the Rest.li form is the list
            out.append(
                Proposal(
                    urn,
                    name,
                    change_type,
                    value,
                    entity_type=entity_type,
                    content_type=P.JSON_PATCH if change_type == P.PATCH else P.JSON,
                    system_metadata=sm,
                    headers=headers or None,
                    origin=Origin(origin_file, len(out)),
                )
            )
    return out, wait


def openapi_entities(proposals: Sequence[Proposal]) -> List[Dict[str, Any]]:
    """The v3 write response: ``[{urn, <aspect>: {value, systemMetadata}}]``, one item per urn."""
    by_urn: Dict[str, Dict[str, Any]] = {}
    for p in proposals:
        item = by_urn.setdefault(p.entity_urn, {"urn": p.entity_urn})
        item[p.aspect_name or ""] = {"value": p.aspect, "systemMetadata": p.system_metadata}
    return list(by_urn.values())


# ------------------------------------------------------------------------------ reads
def fqcn(spec: AspectSpec) -> str:
    """The aspect's Pegasus class name, as ``get_aspect`` looks it up (``com.linkedin.dataset.DatasetProperties``)."""
    name = spec.record_name
    return PEGASUS_NS + name[len(AVRO_NS) :] if name.startswith(AVRO_NS) else name


def parse_restli_list(text: Optional[str]) -> Optional[List[str]]:
    """Rest.li 2.0's ``List(a,b)`` (also a bare ``a,b``); None when absent."""
    if text is None:
        return None
    text = text.strip()
    if text.startswith("List(") and text.endswith(")"):
        text = text[5:-1]
    return [t for t in (s.strip() for s in text.split(",")) if t]


def envelope(name: str, value: Any, row: Optional[Mapping[str, Any]], version: int = 0) -> Dict[str, Any]:
    """One aspect of an ``entitiesV2`` answer: ``name``, ``type``, ``version``, ``value`` always
    (``datahub get --details`` deletes the first three, trap 10), then ``created`` and ``systemMetadata``."""
    out: Dict[str, Any] = {"name": name, "type": "VERSIONED", "version": version, "value": value}
    if row is not None:
        out["created"] = {"time": row.get("createdOn"), "actor": row.get("createdBy")}
        if row.get("systemMetadata") is not None:
            out["systemMetadata"] = row["systemMetadata"]
    return out


def criteria_match(value: Mapping[str, Any], criteria: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a timeseries value meets every criterion ``{field, value|values, condition, negated}``
    (the equality filters of the stateful-ingestion checkpoint lookup; fields are top-level, or dotted)."""
    for c in criteria:
        field = str(c.get("field", ""))
        wanted = [str(v) for v in (c.get("values") or ([c["value"]] if "value" in c else []))]
        actual: Any = value
        for part in field.split("."):
            actual = actual.get(part) if isinstance(actual, dict) else None
        cond = str(c.get("condition") or "EQUAL")
        if cond == "EQUAL":
            hit = _text(actual) in wanted
        elif cond == "EXISTS":
            hit = actual is not None
        else:
            raise HttpError(400, f"timeseries filter condition {cond} is not supported; expected EQUAL or EXISTS")
        if hit == bool(c.get("negated")):
            return False
    return True


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def or_filters(filt: Any) -> List[List[Mapping[str, Any]]]:
    """DataHub's ``{or: [{and: [criteria]}]}`` (or the older ``{criteria: [...]}``) as lists of criteria."""
    if not filt:
        return []
    if not isinstance(filt, dict):
        raise HttpError(400, f"filter must be an object, found {_type(filt)}")
    if filt.get("or"):
        return [list(c.get("and") or []) for c in filt["or"] if isinstance(c, dict)]
    if filt.get("criteria"):
        return [list(filt["criteria"])]
    return []


def criterion(c: Any) -> Dict[str, Any]:
    """A search criterion as :meth:`MetadataStore.search` takes it: ``value`` folded into ``values``,
    and Elasticsearch's ``.keyword`` sub-field (which the SDK names, e.g. ``platform.keyword``)
    mapped to the field itself, which litemeta matches exactly."""
    if not isinstance(c, dict):
        raise HttpError(400, f"a filter criterion must be an object, found {_type(c)}")
    field = str(c.get("field", ""))
    if field.endswith(".keyword"):
        field = field[: -len(".keyword")]
    values = list(c.get("values") or ([c["value"]] if c.get("value") is not None else []))
    return {
        "field": field,
        "condition": c.get("condition") or "EQUAL",
        "values": values,
        "negated": bool(c.get("negated")),
    }


def search_filter(filt: Any) -> Optional[Dict[str, Any]]:
    """A Rest.li search ``filter`` for :meth:`MetadataStore.search` (criteria through :func:`criterion`)."""
    alternatives = [[criterion(c) for c in conj] for conj in or_filters(filt)]
    return {"or": [{"and": conj} for conj in alternatives]} if alternatives else None
