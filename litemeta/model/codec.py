"""Wire codecs: DataHub's file-sink JSON and MCP topic values <-> :class:`Proposal` / :class:`LegacyMCE`.

    >>> from litemeta.model.proposal import Origin
    >>> rec = record_from_obj({"entityType": "dataset",
    ...     "entityUrn": "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)",
    ...     "changeType": "UPSERT", "aspectName": "status",
    ...     "aspect": {"json": {"removed": False}}}, Origin("f.json", 0))
    >>> rec.aspect_name, rec.aspect
    ('status', {'removed': False})
    >>> proposal_to_obj(rec)["aspect"]
    {'json': {'removed': False}}

This is the only module that knows DataHub's camelCase wire names (formats.md §1). It is pure:
no file or stream I/O except :func:`write_metadata_file`, which writes what it is given.

Reading accepts everything DataHub's SDK writes or reads: MCPs in the simplified form
(``"aspect": {"json": ...}``) and in the nested form (``"aspect": {"value": "<json text>",
"contentType": ...}``), DELETEs with no ``aspect`` key or ``"aspect": null``, PATCHes as a list of
operations or as ``{"patch": [...], "arrayPrimaryKeys": {...}}``, MCPs keyed by
``entityKeyAspect`` instead of ``entityUrn``, and legacy MCEs (``proposedSnapshot``).
Writing reproduces the SDK's ``write_metadata_file`` byte for byte (tests/model/test_codec.py).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from litemeta.errors import ChangeTypeError, UnknownAspectError, ValidationError
from litemeta.model.jsontext import dumps, loads, recursion_room
from litemeta.model.proposal import CHANGE_TYPES, DELETE, JSON, JSON_PATCH, NO_ORIGIN, PATCH, UPSERT, Origin, Proposal
from litemeta.model.registry import Registry

AVRO_NAMESPACE = "com.linkedin.pegasus2avro."
PEGASUS_NAMESPACE = "com.linkedin."
_JSON_TYPES = (JSON, JSON_PATCH)
# Keys that make an object an MCP (the upstream file source only looks at "aspect"; litemeta also
# recognises DELETEs written without one, and reports a missing aspect precisely).
_MCP_KEYS = ("aspect", "changeType", "entityUrn", "entityKeyAspect", "aspectName")


@dataclass(frozen=True)
class LegacyMCE:
    """A legacy MetadataChangeEvent: one snapshot of an entity with several aspects.

    ``aspects`` holds ``(record_name, value)`` pairs as written in the file, the record name being
    the union branch's full Avro name (``com.linkedin.pegasus2avro.common.Status``).
    """

    urn: str
    snapshot_type: str
    aspects: Tuple[Tuple[str, Any], ...]
    system_metadata: Optional[Mapping[str, Any]] = None
    origin: Origin = field(default=NO_ORIGIN, compare=False)


Record = Union[Proposal, LegacyMCE]


def _err(message: str, origin: Origin, **where: Any) -> ValidationError:
    return ValidationError(message, file=origin.file, index=origin.index, **where)


# ----------------------------------------------------------------------------------------- read
def record_from_obj(obj: Any, origin: Origin = NO_ORIGIN) -> Record:
    """Classify one decoded JSON object of a metadata file and build its record.

    Raises :class:`ValidationError` (with ``origin``'s file and index) for an object of unknown
    shape, a legacy UsageAggregation, or a malformed MCP/MCE.
    """
    if not isinstance(obj, dict):
        raise _err(f"record is a JSON {_json_type(obj)}, expected an object (an MCP or an MCE)", origin)
    if "proposedSnapshot" in obj:
        return _mce_from_obj(obj, origin)
    if "bucket" in obj:
        raise _err(
            "legacy UsageAggregation records are not supported (DataHub's file source drops them "
            "with a warning); emit datasetUsageStatistics aspects instead",
            origin,
        )
    if any(k in obj for k in _MCP_KEYS):
        return _mcp_from_obj(obj, origin)
    found = ", ".join(sorted(map(str, obj))) or "none"
    raise _err(
        f"unknown record shape: keys found: {found}; expected an MCP (entityUrn, changeType, "
        "aspectName, aspect) or a legacy MCE (proposedSnapshot)",
        origin,
    )


def proposal_from_mcp_value(d: Any, origin: Origin = NO_ORIGIN) -> Proposal:
    """A proposal from an MCP in either dialect (topic value or file-sink form)."""
    if not isinstance(d, dict):
        raise _err(f"MCP is a JSON {_json_type(d)}, expected an object", origin)
    return _mcp_from_obj(d, origin)


def _type_error(obj: Mapping[str, Any], key: str, expected: str, origin: Origin) -> ValidationError:
    urn, name = obj.get("entityUrn"), obj.get("aspectName")
    return _err(
        f"{key} must be {expected}, found a JSON {_json_type(obj[key])}",
        origin,
        path=key,
        urn=urn if isinstance(urn, str) else None,
        aspect=name if isinstance(name, str) else None,
    )


_CHANGE_TYPE_SET = frozenset(CHANGE_TYPES)


def _mcp_from_obj(obj: Mapping[str, Any], origin: Origin) -> Proposal:
    # The hot path of every reader: plain lookups first, error details only when something is wrong.
    get = obj.get
    urn, aspect_name, entity_type, change_type = (
        get("entityUrn"),
        get("aspectName"),
        get("entityType"),
        get("changeType"),
    )
    for key, v in (("entityUrn", urn), ("aspectName", aspect_name), ("entityType", entity_type)):
        if v is not None and v.__class__ is not str:
            raise _type_error(obj, key, "a string", origin)
    where: Dict[str, Any] = {"urn": urn, "aspect": aspect_name}
    if change_type is None:
        raise _err(
            f"changeType is missing; expected one of {', '.join(CHANGE_TYPES)}", origin, path="changeType", **where
        )
    if change_type.__class__ is not str or change_type not in _CHANGE_TYPE_SET:
        raise ChangeTypeError(
            f"unknown changeType {change_type!r}; expected one of {', '.join(CHANGE_TYPES)}",
            file=origin.file,
            index=origin.index,
            path="changeType",
            **where,
        )
    if aspect_name is None:
        raise _err("aspectName is missing", origin, path="aspectName", **where)
    key_aspect = None
    raw_key = get("entityKeyAspect")
    if raw_key is not None:
        key_aspect, _ = _generic_aspect(raw_key, "entityKeyAspect", False, origin, where)
    elif urn is None:
        raise _err("entityUrn is missing (and no entityKeyAspect)", origin, path="entityUrn", **where)
    raw = get("aspect")
    if raw is None:
        if change_type != DELETE:
            raise _err(
                f"a {change_type} proposal needs an aspect; only DELETE may omit it", origin, path="aspect", **where
            )
        aspect, content_type = None, JSON
    elif isinstance(raw, dict) and len(raw) == 1 and "json" in raw:
        # After the SDK's round trip a PATCH reads as plain JSON: the change type decides (formats.md §1).
        aspect, content_type = raw["json"], (JSON_PATCH if change_type == PATCH else JSON)
    else:
        aspect, content_type = _generic_aspect(raw, "aspect", change_type == PATCH, origin, where)
    sm = get("systemMetadata")
    if sm is not None and not isinstance(sm, dict):
        raise _type_error(obj, "systemMetadata", "an object", origin)
    headers = get("headers")
    if headers is not None and not (isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())):
        raise _err("headers must be an object of strings", origin, path="headers", **where)
    return Proposal(
        entity_urn=urn or "",
        aspect_name=aspect_name,
        change_type=change_type,
        aspect=aspect,
        entity_type=entity_type,
        content_type=content_type,
        system_metadata=sm,
        headers=headers,
        entity_key_aspect=key_aspect,
        origin=origin,
    )


def _generic_aspect(raw: Any, name: str, is_patch: bool, origin: Origin, where: Dict[str, Any]) -> Tuple[Any, str]:
    """Decode a GenericAspect in either dialect: ``{"json": v}`` or ``{"value": text, "contentType": t}``."""
    if not isinstance(raw, dict):
        raise _err(
            f"{name} must be an object with 'json' or 'value', found a JSON {_json_type(raw)}",
            origin,
            path=name,
            **where,
        )
    if "json" in raw:
        # After the SDK's round trip a PATCH reads as plain JSON: the change type decides (formats.md §1).
        return raw["json"], JSON_PATCH if is_patch else JSON
    if "value" in raw:
        content_type = raw.get("contentType") or JSON
        value = raw["value"]
        if content_type == JSON and is_patch:
            content_type = JSON_PATCH
        if content_type not in _JSON_TYPES or not isinstance(value, str):
            return value, content_type  # opaque content, kept as given
        try:
            return loads(value), content_type
        except ValueError as e:
            raise _err(f"{name}.value is not valid JSON text: {e}", origin, path=f"{name}.value", **where) from None
    found = ", ".join(sorted(map(str, raw))) or "none"
    raise _err(f"{name} has keys {found}; expected 'json' or 'value' and 'contentType'", origin, path=name, **where)


def _mce_from_obj(obj: Mapping[str, Any], origin: Origin) -> LegacyMCE:
    snap = obj["proposedSnapshot"]
    if not isinstance(snap, dict) or len(snap) != 1:
        raise _err(
            "proposedSnapshot must be an object with exactly one snapshot type key", origin, path="proposedSnapshot"
        )
    ((snapshot_type, body),) = snap.items()
    if not isinstance(body, dict) or not isinstance(body.get("urn"), str):
        raise _err(f"snapshot {snapshot_type} has no urn string", origin, path="proposedSnapshot.urn")
    urn = body["urn"]
    raw_aspects = body.get("aspects")
    if not isinstance(raw_aspects, list):
        raise _err(f"snapshot {snapshot_type} has no aspects list", origin, urn=urn, path="proposedSnapshot.aspects")
    aspects: List[Tuple[str, Any]] = []
    for i, a in enumerate(raw_aspects):
        if not isinstance(a, dict) or len(a) != 1:
            raise _err(
                f"snapshot aspect #{i} must be an object with one key, the aspect's record name",
                origin,
                urn=urn,
                path=f"proposedSnapshot.aspects[{i}]",
            )
        ((record_name, value),) = a.items()
        aspects.append((record_name, value))
    sm = obj.get("systemMetadata")
    if sm is not None and not isinstance(sm, dict):
        raise _err("systemMetadata must be an object", origin, urn=urn, path="systemMetadata")
    return LegacyMCE(urn, snapshot_type, tuple(aspects), sm, origin)


def pegasus_json(value: Any) -> Any:
    """Avro JSON (as an MCE carries it) to Pegasus JSON (as an MCP carries it).

    The same rewrite as the SDK's ``pre_json_transform``: union branches named
    ``com.linkedin.pegasus2avro.*`` become ``com.linkedin.*``, null fields are dropped, and a
    union with aliases loses its ``fieldDiscriminator``. A value nested as deep as JSON text may
    be (:data:`~litemeta.model.jsontext.MAX_DEPTH`) is rewritten whatever the caller's stack depth.
    """
    try:
        return _pegasus_json(value)
    except RecursionError:
        with recursion_room():
            return _pegasus_json(value)


def _pegasus_json(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            ((k, v),) = value.items()
            if isinstance(k, str) and k.startswith(AVRO_NAMESPACE):
                return {PEGASUS_NAMESPACE + k[len(AVRO_NAMESPACE) :]: _pegasus_json(v)}
        f = value.get("fieldDiscriminator")
        if isinstance(f, str) and f in value:
            return {f: _pegasus_json(value[f])}
        return {k: _pegasus_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_pegasus_json(v) for v in value]
    return value


def proposals_of(record: Record, registry: Registry) -> List[Proposal]:
    """The proposals a record stands for: itself, or one UPSERT per aspect of a legacy MCE.

    The aspect name comes from the record name through the registry; each proposal carries the
    MCE's systemMetadata and origin. An unknown record name fails the whole MCE (design.md
    choice 3: an MCE is one write).
    """
    if isinstance(record, Proposal):
        return [record]
    out = []
    for record_name, value in record.aspects:
        try:
            spec = registry.aspect_by_record(record_name)
        except UnknownAspectError as e:
            raise UnknownAspectError(
                e.message,
                file=record.origin.file,
                index=record.origin.index,
                urn=record.urn,
                path="proposedSnapshot.aspects",
            ) from None
        out.append(
            Proposal(
                entity_urn=record.urn,
                aspect_name=spec.name,
                change_type=UPSERT,
                aspect=pegasus_json(value),
                system_metadata=record.system_metadata,
                origin=record.origin,
            )
        )
    return out


# ---------------------------------------------------------------------------------------- write
def _aspect_text(value: Any) -> str:
    # The SDK's MetadataChangeProposalWrapper serialises with json.dumps' defaults (", ", ": ",
    # ASCII escapes): the same text here keeps files identical to what DataHub's tooling writes.
    return json.dumps(value)


def _mcp_obj(
    p: Proposal, aspect_as_text: bool, text: Callable[[Any], str] = _aspect_text, aspect_text: Optional[str] = None
) -> Dict[str, Any]:
    obj: Dict[str, Any] = {}
    if p.entity_type is not None:
        obj["entityType"] = p.entity_type
    if p.entity_urn:
        obj["entityUrn"] = p.entity_urn
    if p.entity_key_aspect is not None:
        # The SDK leaves the key aspect in the nested form even in the simplified structure.
        obj["entityKeyAspect"] = {"value": text(p.entity_key_aspect), "contentType": JSON}
    obj["changeType"] = p.change_type
    if p.aspect_name is not None:
        obj["aspectName"] = p.aspect_name
    if p.aspect is not None:
        if p.content_type not in _JSON_TYPES:
            obj["aspect"] = {"value": p.aspect, "contentType": p.content_type}
        elif aspect_as_text:
            obj["aspect"] = {
                "value": aspect_text if aspect_text is not None else text(p.aspect),
                "contentType": p.content_type,
            }
        else:
            obj["aspect"] = {"json": p.aspect}
    if p.system_metadata is not None:
        obj["systemMetadata"] = p.system_metadata
    if p.headers is not None:
        obj["headers"] = p.headers
    return obj


def proposal_to_obj(p: Proposal) -> Dict[str, Any]:
    """The file-sink "simplified" form of a proposal, key for key as the SDK writes it."""
    return _mcp_obj(p, aspect_as_text=False)


def proposal_to_mcp_value(p: Proposal, compact: bool = False, aspect_text: Optional[str] = None) -> Dict[str, Any]:
    """The MCP as a topic value (design.md choice 8): aspect as ``{value: "<json text>", contentType}``.

    The JSON texts are the SDK's (``json.dumps`` defaults), or with ``compact`` litemeta's stored
    form (compact, UTF-8: what MCLs carry), which the store's own topics use: the same JSON
    values, written about five times faster. With ``compact``, ``aspect_text`` is that text of
    ``p.aspect`` when the caller already has it."""
    return _mcp_obj(p, True, dumps if compact else _aspect_text, aspect_text if compact else None)


def mce_to_obj(m: LegacyMCE) -> Dict[str, Any]:
    """The file-sink form of a legacy MCE."""
    obj: Dict[str, Any] = {
        "proposedSnapshot": {m.snapshot_type: {"urn": m.urn, "aspects": [{name: value} for name, value in m.aspects]}}
    }
    if m.system_metadata is not None:
        obj["systemMetadata"] = m.system_metadata
    return obj


def record_to_obj(r: Record) -> Dict[str, Any]:
    """The file-sink form of a proposal or a legacy MCE."""
    if isinstance(r, LegacyMCE):
        return mce_to_obj(r)
    return proposal_to_obj(r)


def write_metadata_file(path_or_stream: Union[str, "os.PathLike[str]", IO[Any]], records: Iterable[Record]) -> int:
    """Write records as DataHub's ``write_metadata_file`` does, streaming; returns the record count.

    The bytes equal the SDK's: ``"[\\n"``, records joined by ``",\\n"``, each ``json.dumps(indent=4)``,
    then ``"\\n]"`` (so an empty file is ``"[\\n\\n]"``). ``path_or_stream`` is a path or an open
    text or binary stream (left open).
    """
    if isinstance(path_or_stream, (str, os.PathLike)):
        with open(path_or_stream, "w", encoding="utf-8", newline="") as f:
            return _write_records(f, records)
    stream = path_or_stream
    if not isinstance(stream, io.TextIOBase):
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="")  # type: ignore[arg-type]
        try:
            return _write_records(text, records)
        finally:
            text.flush()
            text.detach()
    return _write_records(stream, records)


def _write_records(f: IO[str], records: Iterable[Record]) -> int:
    f.write("[\n")
    n = 0
    for r in records:
        if n:
            f.write(",\n")
        f.write(json.dumps(record_to_obj(r), indent=4))
        n += 1
    f.write("\n]")
    return n


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__
