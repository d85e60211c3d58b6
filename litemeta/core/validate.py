"""Proposal validation: urn, registry, change type, Avro schema (the write path's first step).

    >>> from litemeta.model.registry import load_registry
    >>> v = validate_proposal(Proposal("urn:li:corpuser:alice", "status", aspect={"removed": False}),
    ...                       load_registry())
    >>> v.spec.name, v.drop, v.warnings
    ('status', False, ())
    >>> validate_proposal(Proposal("urn:li:corpuser:alice", "corpUserKey", aspect={"username": "alice"}),
    ...                   load_registry()).drop      # R1.22: a client key aspect is dropped
    True

:func:`validate_proposal` is pure (no I/O) and raises a :class:`ValidationError` subclass naming
the record (file, index), urn, aspect and field path. It decides by the aspect's kind
(design.md, litemeta's choices 1):

- versioned aspects: UPSERT, UPDATE, CREATE, CREATE_ENTITY, PATCH, DELETE;
- key aspects: DELETE (hard-deletes the entity, R1.35); any write is dropped with a warning (R1.22);
- timeseries aspects: UPSERT and DELETE only (R1.38); the value needs ``timestampMillis`` (R1.40);
- RESTATE is never accepted as input (R1.33).

``systemMetadata`` is checked against DataHub's ``SystemMetadata`` schema (its known fields;
others are kept as given), and ``lastObserved`` must be an epoch time in milliseconds from 0 to
:data:`MAX_LAST_OBSERVED` (the end of year 9999): the Avro type is a ``long``, but litemeta stamps
``createdon`` with it (design.md choice 6), a SQL ``DATETIME`` as in DataHub's MySQL table, which
ends there. An aspect value must also be storable text: no lone surrogate (``\\udc80``) in any
string, and no NaN or infinity in a number (neither is JSON; DataHub's Jackson rejects both).

A PATCH is checked for shape only (R1.32, R8.17); the write path validates the patched result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from litemeta.errors import (
    ChangeTypeError,
    InvalidUrnError,
    PatchError,
    SchemaError,
    UnknownAspectError,
    UnknownEntityError,
    ValidationError,
)
from litemeta.model import pegasus_validation as PV
from litemeta.model.jsontext import LoneSurrogateError, NestingError, dumps_utf8, loads
from litemeta.model.pegasus_validation import aspect_validator, show
from litemeta.model.proposal import (
    CHANGE_TYPES,
    CREATE,
    CREATE_ENTITY,
    DELETE,
    PATCH,
    RESTATE,
    UPDATE,
    UPSERT,
    Proposal,
)
from litemeta.model.registry import AspectSpec, Registry
from litemeta.model.urns import key_aspect_from_urn, parse_urn, urn_from_key, validate_urn

VERSIONED_CHANGE_TYPES = frozenset((UPSERT, UPDATE, CREATE, CREATE_ENTITY, PATCH, DELETE))
TIMESERIES_CHANGE_TYPES = frozenset((UPSERT, DELETE))
PATCH_OPS = frozenset(("add", "remove", "replace", "move", "copy", "test"))
_OPS_WITH_VALUE = frozenset(("add", "replace", "test"))
_OPS_WITH_FROM = frozenset(("move", "copy"))
_GENERIC_PATCH_KEYS = frozenset(("patch", "arrayPrimaryKeys", "forceGenericPatch"))
_VALID_URNS_MAX = 100_000
# 9999-12-31T23:59:59.999Z: the last instant a SQL DATETIME (DataHub's createdon column, and
# Python's datetime) can hold; litemeta stamps createdon with lastObserved (choice 6).
MAX_LAST_OBSERVED = 253_402_300_799_999


@dataclass(frozen=True)
class Validated:
    """A proposal that passed validation.

    ``proposal`` is normalised: ``entity_urn`` filled from ``entity_key_aspect`` when missing
    (R6.5), ``entity_type`` set, a null change type made UPSERT (R1.27). ``drop`` is True for a
    client-written key aspect, which is discarded with a warning (R1.22). ``text`` is the aspect
    value's compact JSON text when validation made it (a checked UPSERT-like value), for the
    write path to reuse.
    """

    proposal: Proposal
    spec: AspectSpec
    warnings: Tuple[str, ...] = ()
    drop: bool = False
    text: Optional[str] = None


# ``stored(urn, aspect, value)``: True when ``value`` equals the aspect's current stored value.
StoredCheck = Callable[[str, str, Any], bool]


def validate_proposal(p: Proposal, registry: Registry, stored: Optional[StoredCheck] = None) -> Validated:
    """Check one proposal against DataHub's model; raise a :class:`ValidationError` subclass if it does not fit.

    With ``stored``, a value equal to the aspect's stored value is not checked against the schema
    again (it was when it was stored, and writing it is a no-op, R8.4); everything else is.
    """
    try:
        return _validate(p, registry, stored)
    except RecursionError:  # a value built in Python, nested deeper than any schema: refused, never a crash
        raise SchemaError(
            "the value is nested too deeply to be checked (no DataHub aspect nests that deep)",
            urn=p.entity_urn or None,
            aspect=p.aspect_name,
        ).located(file=p.origin.file, index=p.origin.index) from None
    except ValidationError as e:
        if e.urn is None and p.entity_urn:
            e.urn = p.entity_urn
        if e.aspect is None and p.aspect_name:
            e.aspect = p.aspect_name
        e.located(file=p.origin.file, index=p.origin.index)  # fills in this error itself
        raise


def _validate(p: Proposal, registry: Registry, stored: Optional[StoredCheck] = None) -> Validated:
    warnings: List[str] = []
    urn, entity_type = _urn_and_type(p, registry)
    entity = registry.entities.get(entity_type)
    if entity is None:
        raise UnknownEntityError(f"unknown entity type {entity_type!r} (not in DataHub's registry)")

    name = p.aspect_name
    if not name:
        raise UnknownAspectError("aspect name is required (aspectName is missing or empty)")
    spec = registry.aspects.get(name)
    if spec is None:
        raise UnknownAspectError(f"unknown aspect {name!r} (not in DataHub's registry)")
    if not entity.has_aspect(name):
        raise UnknownAspectError(f"aspect {name!r} is not registered for entity type {entity_type!r}")

    change = p.change_type or UPSERT
    _check_change_type(change, spec)
    if p.system_metadata is not None:
        check_system_metadata(p.system_metadata)
    drop = False
    text: Optional[str] = None
    if spec.is_key and change != DELETE:
        # R1.22: the server removes client key aspects and regenerates the key from the urn. A key
        # equal to the urn's (what DataHub's own sources and transformers write) is dropped
        # silently; a different one is worth a warning, since its values are lost.
        drop = True
        if not _key_matches_urn(p.aspect, urn, registry):
            warnings.append(
                f"key aspect {name!r} written with {change} is dropped and generated from the urn "
                f"instead; the given value {p.aspect!r} does not match the urn (R1.22)"
            )
    elif change == DELETE:
        if p.aspect is not None:
            warnings.append("the aspect value of a DELETE is ignored")
    elif change == PATCH:
        _check_patch(p.aspect)
    elif stored is None or spec.timeseries or not stored(urn, name, p.aspect):
        text = check_value(p.aspect, spec, change)

    if urn != p.entity_urn or entity_type != p.entity_type or change != p.change_type:
        p = p.with_(entity_urn=urn, entity_type=entity_type, change_type=change)
    return Validated(p, spec, tuple(warnings), drop, text)


def _key_matches_urn(value: Any, urn: str, registry: Registry) -> bool:
    if not isinstance(value, dict):
        return False
    try:
        _, derived = key_aspect_from_urn(urn, registry)
    except ValidationError:
        return False
    return {k: str(v) for k, v in value.items()} == {k: str(v) for k, v in derived.items()}


# -------------------------------------------------------------------------------------- urns
_valid_urns: Dict[Tuple[int, str], str] = {}


def _urn_and_type(p: Proposal, registry: Registry) -> Tuple[str, str]:
    urn = p.entity_urn
    if not urn:
        return _urn_from_key(p, registry)
    cached = _valid_urns.get((id(registry), urn))
    if cached is None:
        u = parse_urn(urn)
        if u.entity_type not in registry.entities:
            raise UnknownEntityError(
                f"unknown entity type {u.entity_type!r} of urn {urn!r} (not in DataHub's registry)"
            )
        validate_urn(urn, registry)
        if len(_valid_urns) >= _VALID_URNS_MAX:
            _valid_urns.clear()
        cached = _valid_urns[(id(registry), urn)] = u.entity_type
    if p.entity_type is not None and p.entity_type != cached:
        if p.entity_type not in registry.entities:
            raise UnknownEntityError(f"unknown entity type {p.entity_type!r} (not in DataHub's registry)")
        raise InvalidUrnError(f"entityType {p.entity_type!r} does not match the urn's entity type {cached!r} (R6.6)")
    return urn, cached


def _urn_from_key(p: Proposal, registry: Registry) -> Tuple[str, str]:
    """R6.5: an MCP without entityUrn gets it from entityKeyAspect."""
    key = p.entity_key_aspect
    if key is None:
        raise InvalidUrnError("One of urn and keyAspect must be set (R6.5)")
    entity_type = p.entity_type
    if not entity_type:
        raise InvalidUrnError("entityType is required to build the urn from entityKeyAspect (R6.5)")
    if entity_type not in registry.entities:
        raise UnknownEntityError(f"unknown entity type {entity_type!r} (not in DataHub's registry)")
    key = _decoded(key)
    key_spec = registry.key_aspect(entity_type)
    try:
        aspect_validator(key_spec.schema)(key)
    except SchemaError as e:
        raise SchemaError(f"entityKeyAspect: {e.message}", aspect=key_spec.name, path=e.path) from None
    urn = urn_from_key(entity_type, key, registry)
    validate_urn(urn, registry)
    return urn, entity_type


def _decoded(key: Any) -> Any:
    """A key aspect given as GenericAspect ``{value: "<json>", contentType}`` is decoded."""
    if isinstance(key, Mapping) and isinstance(key.get("value"), (str, bytes)) and "contentType" in key:
        try:
            return loads(key["value"])
        except ValueError as e:
            raise SchemaError(f"entityKeyAspect value is not JSON: {e}") from None
    return key


# ------------------------------------------------------------------------------ change types
def _check_change_type(change: str, spec: AspectSpec) -> None:
    if change not in CHANGE_TYPES:
        raise ChangeTypeError(f"unknown change type {change!r}; expected one of {', '.join(CHANGE_TYPES)}")
    if change == RESTATE:
        raise ChangeTypeError("change type RESTATE is emitted by the server, not accepted as input (R1.33)")
    if spec.timeseries:
        if change not in TIMESERIES_CHANGE_TYPES:
            raise ChangeTypeError(
                f"change type {change} is not supported for timeseries aspect {spec.name!r}; "
                f"expected UPSERT or DELETE (R1.38)"
            )
    elif change not in VERSIONED_CHANGE_TYPES:  # pragma: no cover - every other type is listed
        raise ChangeTypeError(f"change type {change} is not supported for aspect {spec.name!r}")


# ------------------------------------------------------------------------------------ values
def check_value(value: Any, spec: AspectSpec, change: str) -> str:
    """Check an aspect value against its schema and that it is storable text; return its compact JSON text."""
    if value is None:
        raise SchemaError(f"a {change} proposal needs an aspect value (aspect is missing or null)")
    if not isinstance(value, dict):
        raise SchemaError(
            f"expected the aspect value to be a JSON object (record {spec.record_name}), got {type(value).__name__}",
            path="",
        )
    if spec.timeseries and value.get("timestampMillis") is None:
        raise SchemaError(f"timeseries aspect {spec.name!r} needs timestampMillis (R1.40)", path="/timestampMillis")
    aspect_validator(spec.schema)(value)
    return value_text(value)


def value_text(value: Any, base: str = "") -> str:
    """The compact JSON text of a value the store will keep; :class:`SchemaError` (with the path)
    for a string holding a lone surrogate, which no UTF-8 store can hold (DataHub's Jackson
    refuses to write one too)."""
    try:
        return dumps_utf8(value)
    except LoneSurrogateError as e:
        raise SchemaError(
            "the string holds a lone surrogate (an unpaired \\ud800-\\udfff escape): not valid Unicode text",
            path=base + e.path,
        ) from None
    except NestingError as e:
        raise SchemaError(f"the value cannot be stored: {e}", path=base or None) from None


# --------------------------------------------------------------------------- systemMetadata
_SM_SCHEMA = "SystemMetadata"


def check_system_metadata(sm: Any) -> None:
    """``systemMetadata`` against DataHub's SystemMetadata schema (its known fields), with
    ``lastObserved`` from 0 to :data:`MAX_LAST_OBSERVED`; :class:`SchemaError` at ``systemMetadata/...``."""
    if type(sm) is dict and _plain_system_metadata(sm):
        return
    if not isinstance(sm, Mapping):
        raise SchemaError(f"systemMetadata must be an object, got {show(sm)}", path="systemMetadata")
    fields = _sm_fields()
    known = {k: v for k, v in sm.items() if k in fields}
    try:
        PV.aspect_validator(_SM_SCHEMA)(known)
    except SchemaError as e:
        raise SchemaError(f"systemMetadata: {e.message}", path="systemMetadata" + (e.path or "")) from None
    observed = sm.get("lastObserved")
    if observed is not None and not 0 <= observed <= MAX_LAST_OBSERVED:
        raise SchemaError(
            f"systemMetadata.lastObserved must be epoch milliseconds from 0 to {MAX_LAST_OBSERVED} "
            f"(9999-12-31T23:59:59.999Z), got {show(observed)}",
            path="systemMetadata/lastObserved",
        )
    value_text(dict(sm), "systemMetadata")


_SM_STRINGS = frozenset(("runId", "lastRunId", "pipelineName", "registryName", "registryVersion", "version"))


def _plain_system_metadata(sm: Dict[str, Any]) -> bool:
    """The usual systemMetadata (an int lastObserved in range, ASCII strings): valid without the
    schema validator (2.6 µs each on the 20k corpus, a third of all validation)."""
    for k, v in sm.items():
        if k == "lastObserved":
            if type(v) is not int or not 0 <= v <= MAX_LAST_OBSERVED:
                return False
        elif k in _SM_STRINGS:
            if type(v) is not str or not v.isascii():
                return False
        elif k == "properties":
            if type(v) is not dict or not all(
                type(x) is str and x.isascii() and type(y) is str and y.isascii() for x, y in v.items()
            ):
                return False
        elif k in _sm_fields():
            return False
    return True


_sm_field_names: List[frozenset] = []


def _sm_fields() -> frozenset:
    if not _sm_field_names:
        from litemeta.model.pegasus import resolved_schema

        _sm_field_names.append(frozenset(f.name for f in resolved_schema(_SM_SCHEMA).fields))
    return _sm_field_names[0]


def _check_patch(payload: Any) -> None:
    """R1.32 / R8.17: a list of RFC 6902 operations, or ``{patch, arrayPrimaryKeys?, forceGenericPatch?}``."""
    if payload is None:
        raise PatchError("a PATCH proposal needs a patch (aspect is missing or null)")
    if isinstance(payload, list):
        _check_ops(payload, "")
        return
    if not isinstance(payload, dict):
        raise PatchError(
            f"expected a list of JSON Patch operations or an object with 'patch', got {type(payload).__name__}", path=""
        )
    unknown = [k for k in payload if k not in _GENERIC_PATCH_KEYS]
    if unknown:
        raise PatchError(
            f"unrecognized key {unknown[0]!r} in a generic patch; expected patch, arrayPrimaryKeys, forceGenericPatch",
            path=f"/{unknown[0]}",
        )
    ops = payload.get("patch")
    if not isinstance(ops, list):
        raise PatchError(f"generic patch needs 'patch': a list of operations, got {_kind(ops)}", path="/patch")
    _check_ops(ops, "/patch")
    keys = payload.get("arrayPrimaryKeys")
    if keys is not None:
        if not isinstance(keys, dict):
            raise PatchError(f"arrayPrimaryKeys must be an object, got {_kind(keys)}", path="/arrayPrimaryKeys")
        for array, fields in keys.items():
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise PatchError(
                    f"arrayPrimaryKeys[{array!r}] must be a list of field names, got {_kind(fields)}",
                    path=f"/arrayPrimaryKeys/{_escape(array)}",
                )
    force = payload.get("forceGenericPatch")
    if force is not None and not isinstance(force, bool):
        raise PatchError(f"forceGenericPatch must be a boolean, got {_kind(force)}", path="/forceGenericPatch")


def _check_ops(ops: list, base: str) -> None:
    for i, op in enumerate(ops):
        where = f"{base}/{i}"
        if not isinstance(op, dict):
            raise PatchError(f"a JSON Patch operation must be an object, got {_kind(op)}", path=where)
        name = op.get("op")
        if name not in PATCH_OPS:
            raise PatchError(
                f"unknown JSON Patch op {name!r}; expected one of add, remove, replace, move, copy, test",
                path=f"{where}/op",
            )
        path = op.get("path")
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise PatchError(
                f"JSON Patch path must be a JSON pointer ('' or starting with '/'), got {_kind(path)}",
                path=f"{where}/path",
            )
        if name in _OPS_WITH_VALUE and "value" not in op:
            raise PatchError(f"JSON Patch op {name!r} needs a value", path=f"{where}/value")
        if name in _OPS_WITH_FROM and not isinstance(op.get("from"), str):
            raise PatchError(f"JSON Patch op {name!r} needs 'from' (a JSON pointer)", path=f"{where}/from")


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    return show(v, 60)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
