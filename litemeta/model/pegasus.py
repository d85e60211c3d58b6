"""DataHub's Avro schemas as a type graph, and the three JSON forms of a value that it maps between.

    >>> avro_to_pegasus("DataJobInfo", {"name": "j", "type": {"string": "SQL"}, "customProperties": {}})
    {'name': 'j', 'type': {'string': 'SQL'}, 'customProperties': {}}
    >>> pegasus_name("com.linkedin.pegasus2avro.common.Status")
    'com.linkedin.common.Status'

Aspects in files and in the store are **Pegasus JSON** (formats.md §1): an optional field (Avro
``["null", T]``) is untagged and omitted when null; a real union is a one-key object tagged by
its member, a primitive by its type name and a named type by its full Pegasus name
(``com.linkedin.*``); a PDL union with aliases (Avro record with a ``fieldDiscriminator``) is a
one-key object named by the alias. The **Avro JSON** form is what DataHub's Python classes
produce with ``to_obj()``: the same, with Avro names (``com.linkedin.pegasus2avro.*``), bytes as
text, and a union with aliases carrying its ``fieldDiscriminator``. A **datum** is what fastavro
writes: bytes as ``bytes`` and real unions in fastavro's tuple notation.

Schemas are read from ``data/schemas/<Name>.avsc`` and resolved once into a graph of
:class:`NamedType`, :class:`ArrayType`, :class:`MapType` and :class:`UnionType` nodes (primitive
types are their names); :mod:`litemeta.model.pegasus_validation` compiles validators from it and
:mod:`litemeta.model.avro` (the only module that imports fastavro) encodes the datums made here.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from litemeta.errors import ExportError, SchemaError
from litemeta.model.events import TOPIC_SCHEMAS, resolve_topic
from litemeta.model.registry import data_dir, load_registry

AVRO_PREFIX = "com.linkedin.pegasus2avro."
PEGASUS_PREFIX = "com.linkedin."
DISCRIMINATOR = "fieldDiscriminator"
PRIMITIVES = frozenset(("null", "boolean", "int", "long", "float", "double", "bytes", "string"))


# ------------------------------------------------------------------------------------ schemas
@lru_cache(maxsize=None)
def schema_json(schema_name: str) -> Dict[str, Any]:
    """The schema file ``schemas/<schema_name>.avsc`` as JSON (cached). :class:`SchemaError` if absent."""
    path = data_dir() / "schemas" / f"{schema_name}.avsc"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"no Avro schema named {schema_name!r} (looked for {path})") from None
    result: Dict[str, Any] = json.loads(raw)
    return result


@lru_cache(maxsize=None)
def schema_text(schema_name: str) -> str:
    """Canonical JSON text of the whole schema (compact, keys sorted), for registry registration."""
    return json.dumps(schema_json(schema_name), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def pegasus_name(avro_name: str) -> str:
    """``com.linkedin.pegasus2avro.x.Y`` -> ``com.linkedin.x.Y`` (other names unchanged)."""
    return PEGASUS_PREFIX + avro_name[len(AVRO_PREFIX) :] if avro_name.startswith(AVRO_PREFIX) else avro_name


# A resolved type is a primitive name (str) or a NamedType/ArrayType/MapType/UnionType node;
# named types are shared objects, so recursive schemas become cyclic graphs.
class RecordField:
    """A record field: name, resolved type, default, and whether it is typed as a urn (``"Urn"`` key)."""

    __slots__ = ("name", "type", "has_default", "default", "urn")

    def __init__(self, name: str, type_: Any, has_default: bool, default: Any, urn: bool) -> None:
        self.name, self.type, self.has_default, self.default, self.urn = name, type_, has_default, default, urn


class NamedType:
    """A record, enum or fixed type (``error`` is read as record); shared, so recursion makes cycles."""

    __slots__ = ("kind", "name", "pname", "fields", "symbols", "size", "discriminated")

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name, self.pname = kind, name, pegasus_name(name)
        self.fields: List[RecordField] = []
        self.symbols: Tuple[str, ...] = ()
        self.size = 0
        self.discriminated = False


class ArrayType:
    """An array of ``items``."""

    __slots__ = ("items",)

    def __init__(self, items: Any) -> None:
        self.items = items


class MapType:
    """A map (string keys) of ``values``."""

    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values


class UnionType:
    """A union: its non-null members, whether null is one, and whether it is ``["null", T]``."""

    __slots__ = ("members", "nullable", "optional")

    def __init__(self, members: List[Any], nullable: bool) -> None:
        self.members = members  # non-null members
        self.nullable = nullable
        # ["null", T] is untagged in every JSON form; a one-member union without null is tagged
        self.optional = nullable and len(members) == 1


def _resolve(schema: Any) -> Any:
    names: Dict[str, NamedType] = {}

    def ref(name: str, ns: str) -> NamedType:
        for candidate in (name, f"{ns}.{name}" if ns and "." not in name else name):
            if candidate in names:
                return names[candidate]
        raise SchemaError(f"schema refers to undefined type {name!r}")

    def walk(t: Any, ns: str) -> Any:
        if isinstance(t, str):
            return t if t in PRIMITIVES else ref(t, ns)
        if isinstance(t, list):
            members = [walk(x, ns) for x in t]
            return UnionType([m for m in members if m != "null"], "null" in members)
        kind = t["type"]
        if kind in ("record", "error", "enum", "fixed"):
            name = t["name"]
            if "." in name:
                full, nns = name, name.rsplit(".", 1)[0]
            else:
                nns = t.get("namespace", ns)
                full = f"{nns}.{name}" if nns else name
            node = NamedType("record" if kind == "error" else kind, full)
            names[full] = node
            names.setdefault(name, node)
            if kind == "enum":
                node.symbols = tuple(t["symbols"])
            elif kind == "fixed":
                node.size = int(t["size"])
            else:
                for f in t["fields"]:
                    node.fields.append(
                        RecordField(f["name"], walk(f["type"], nns), "default" in f, f.get("default"), "Urn" in f)
                    )
                disc = next((f for f in node.fields if f.name == DISCRIMINATOR), None)
                node.discriminated = (
                    isinstance(disc, RecordField)
                    and isinstance(disc.type, NamedType)
                    and set(disc.type.symbols) == {f.name for f in node.fields} - {DISCRIMINATOR}
                )
            return node
        if kind == "array":
            return ArrayType(walk(t["items"], ns))
        if kind == "map":
            return MapType(walk(t["values"], ns))
        return walk(kind, ns)  # {"type": "string", ...} or {"type": <named or union>}

    return walk(schema, "")


@lru_cache(maxsize=None)
def resolved_schema(schema_name: str) -> Any:
    """The resolved type graph of ``schemas/<schema_name>.avsc`` (cached)."""
    return _resolve(schema_json(schema_name))


def union_tag(t: Any, pegasus: bool) -> str:
    """The union tag of a member type: primitive name, array, map, or full (Pegasus or Avro) name."""
    if isinstance(t, str):
        return t
    if isinstance(t, NamedType):
        return t.pname if pegasus else t.name
    return "array" if isinstance(t, ArrayType) else "map"


def schema_for(name: str) -> Tuple[str, Optional[str]]:
    """(schema name, aspect name or None) for an aspect name or a schema name."""
    spec = load_registry().aspects.get(name)
    if spec is not None:
        return spec.schema, spec.name
    return name, None


# ------------------------------------------------------------------------------------ mapping
def _convert(t: Any, v: Any, mode: str) -> Any:
    """Schema-driven conversion. Modes: p2a, a2p (Pegasus <-> Avro JSON), p2d, d2p (<-> datum)."""
    if v is None:
        return None
    if isinstance(t, str):
        if t == "bytes":
            if mode in ("p2d",) and isinstance(v, str):
                return v.encode("utf-8")
            if mode in ("a2p", "d2p") and isinstance(v, (bytes, bytearray)):
                return bytes(v).decode("utf-8")
        return v
    if isinstance(t, ArrayType):
        return [_convert(t.items, x, mode) for x in v] if isinstance(v, list) else v
    if isinstance(t, MapType):
        return {k: _convert(t.values, x, mode) for k, x in v.items()} if isinstance(v, dict) else v
    if isinstance(t, UnionType):
        return _convert_union(t, v, mode)
    if t.kind == "fixed":
        if mode == "p2d" and isinstance(v, str):
            return v.encode("latin-1")
        if mode in ("a2p", "d2p") and isinstance(v, (bytes, bytearray)):
            return bytes(v).decode("latin-1")
        return v
    if t.kind == "enum" or not isinstance(v, dict):
        return v
    return _convert_record(t, v, mode)


def _convert_union(t: UnionType, v: Any, mode: str) -> Any:
    if t.optional:
        if mode == "d2p" and isinstance(v, tuple) and len(v) == 2:
            v = v[1]
        return _convert(t.members[0], v, mode)
    if mode == "d2p":
        if isinstance(v, tuple) and len(v) == 2:
            name, inner = v
            member = next((m for m in t.members if union_tag(m, False) == name or union_tag(m, True) == name), None)
        else:
            inner = v
            member = _guess_member(t, v)
        if member is None:
            return v
        return {union_tag(member, True): _convert(member, inner, mode)}
    if not isinstance(v, dict) or len(v) != 1:
        return v
    ((tag, inner),) = v.items()
    from_pegasus = mode in ("p2a", "p2d")
    member = next((m for m in t.members if union_tag(m, from_pegasus) == tag), None)
    if member is None:
        return v
    converted = _convert(member, inner, mode)
    if mode == "p2d":
        return (union_tag(member, False), converted) if isinstance(member, NamedType) else converted
    return {union_tag(member, not from_pegasus): converted}


def _guess_member(t: UnionType, v: Any) -> Any:
    py = {"string": str, "bytes": bytes, "boolean": bool, "int": int, "long": int, "float": float, "double": float}
    for m in t.members:
        if isinstance(m, str) and type(v) is py.get(m):
            return m
        if isinstance(m, ArrayType) and isinstance(v, list):
            return m
        if isinstance(m, (MapType, NamedType)) and isinstance(v, dict):
            return m
    return None


def _convert_record(t: NamedType, v: Dict[str, Any], mode: str) -> Dict[str, Any]:
    if t.discriminated:
        if mode in ("p2a", "p2d") and len(v) == 1:
            ((alias, inner),) = v.items()
            f = next((f for f in t.fields if f.name == alias), None)
            if f is not None:
                return {alias: _convert(f.type, inner, mode), DISCRIMINATOR: alias}
        if mode in ("a2p", "d2p") and DISCRIMINATOR in v:
            alias = v[DISCRIMINATOR]
            f = next((f for f in t.fields if f.name == alias), None)
            if f is not None:
                return {alias: _convert(f.type, v.get(alias), mode)}
    types = {f.name: f.type for f in t.fields}
    out: Dict[str, Any] = {}
    for k, x in v.items():
        if x is None:
            continue
        ft = types.get(k)
        out[k] = x if ft is None else _convert(ft, x, mode)
    return out


def pegasus_to_avro(schema_name: str, value: Any) -> Any:
    """Pegasus JSON -> Avro JSON (the form of DataHub's Python classes' ``to_obj()``)."""
    return _convert(resolved_schema(schema_for(schema_name)[0]), value, "p2a")


def avro_to_pegasus(schema_name: str, datum: Any) -> Any:
    """Avro JSON (or a fastavro datum) -> Pegasus JSON, nulls omitted (``pre_json_transform``)."""
    return _convert(resolved_schema(schema_for(schema_name)[0]), datum, "a2p")


# ------------------------------------------------------------------------------------- events
def topic_schema(topic: str) -> str:
    """The schema name of a topic (name or alias); :class:`ExportError` for an unknown topic."""
    try:
        return TOPIC_SCHEMAS[resolve_topic(topic)]
    except Exception:
        raise ExportError(f"no Avro schema for topic {topic!r}; known: {', '.join(TOPIC_SCHEMAS)}") from None


def _check_fields(t: Any, v: Any, path: str) -> None:
    """Reject keys a topic value must not carry (they would be lost silently by Avro)."""
    if isinstance(t, UnionType) and t.optional:
        t = t.members[0]
    if isinstance(t, NamedType) and t.kind == "record" and isinstance(v, dict) and not t.discriminated:
        fields = {f.name: f for f in t.fields}
        for k, x in v.items():
            if k not in fields:
                raise ExportError(f"{path or '/'}: field {k!r} is not in Avro record {t.pname}")
            _check_fields(fields[k].type, x, f"{path}/{k}")


def event_to_datum(topic: str, value: Any) -> Dict[str, Any]:
    """A topic value (design.md choice 8) -> the fastavro datum of the topic's schema."""
    schema = topic_schema(topic)
    t = resolved_schema(schema)
    _check_fields(t, value, "")
    datum: Dict[str, Any] = _convert(t, value, "p2d")
    return datum


def datum_to_event(topic: str, datum: Any) -> Dict[str, Any]:
    """A fastavro datum of the topic's schema -> its topic value (nulls omitted, bytes as text)."""
    return datum_to_value(topic_schema(topic), datum)


def datum_to_value(schema: str, datum: Any) -> Dict[str, Any]:
    """A fastavro datum of schema ``schema`` -> its Pegasus JSON value (nulls omitted, bytes as text)."""
    value: Dict[str, Any] = _convert(resolved_schema(schema), datum, "d2p")
    return value
