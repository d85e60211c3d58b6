"""DataHub's Avro schemas: Pegasus JSON validation and mapping, topic values as Avro, framing.

    >>> validate_aspect("status", {"removed": False})
    >>> try:
    ...     validate_aspect("status", {"removed": "no"})
    ... except SchemaError as e:
    ...     print(e.path, e.message)
    /removed expected boolean, got "no"
    >>> avro_to_pegasus("DataJobInfo", {"name": "j", "type": {"string": "SQL"}, "customProperties": {}})
    {'name': 'j', 'type': {'string': 'SQL'}, 'customProperties': {}}
    >>> frame(7, b"body")
    b'\\x00\\x00\\x00\\x00\\x07body'

Aspects in files and in the store are **Pegasus JSON** (formats.md §1): an optional field (Avro
``["null", T]``) is untagged and omitted when null; a real union is a one-key object tagged by
its member, a primitive by its type name and a named type by its full Pegasus name
(``com.linkedin.*``); a PDL union with aliases (Avro record with a ``fieldDiscriminator``) is a
one-key object named by the alias. The **Avro JSON** form is what DataHub's Python classes
produce with ``to_obj()``: the same, with Avro names (``com.linkedin.pegasus2avro.*``), bytes as
text, and a union with aliases carrying its ``fieldDiscriminator``. A **datum** is what fastavro
writes: bytes as ``bytes`` and real unions in fastavro's tuple notation.

Validation follows GMS (``RecordTemplateValidator``: required fields may be absent only when
they have a default, unrecognised fields are rejected, fields typed as urns must parse). Each
schema is compiled once into nested closures that check Pegasus JSON directly.

This is the only module that imports fastavro; it does so inside the functions that need it.
"""
from __future__ import annotations

import json
import struct
from functools import lru_cache
from typing import IO, Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from litemeta.errors import ExportError, InvalidUrnError, SchemaError
from litemeta.model.events import TOPIC_SCHEMAS, resolve_topic
from litemeta.model.registry import data_dir, load_registry
from litemeta.model.urns import parse_urn

AVRO_PREFIX = "com.linkedin.pegasus2avro."
PEGASUS_PREFIX = "com.linkedin."
DISCRIMINATOR = "fieldDiscriminator"
TOPIC_METADATA_KEY = "litemeta.topic"
_PRIMITIVES = frozenset(("null", "boolean", "int", "long", "float", "double", "bytes", "string"))
_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}

Check = Callable[[Any], None]


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
def parsed_schema(schema_name: str) -> Any:
    """The schema parsed by fastavro (cached; named types are defined inside each file)."""
    import fastavro

    return fastavro.parse_schema(schema_json(schema_name))


@lru_cache(maxsize=None)
def schema_text(schema_name: str) -> str:
    """Canonical JSON text of the whole schema (compact, keys sorted), for registry registration."""
    return json.dumps(schema_json(schema_name), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def pegasus_name(avro_name: str) -> str:
    """``com.linkedin.pegasus2avro.x.Y`` -> ``com.linkedin.x.Y`` (other names unchanged)."""
    return PEGASUS_PREFIX + avro_name[len(AVRO_PREFIX):] if avro_name.startswith(AVRO_PREFIX) else avro_name


# A resolved type is a primitive name (str) or a _Named/_Array/_Map/_Union node; named types are
# shared objects, so recursive schemas become cyclic graphs.
class _Field:
    __slots__ = ("name", "type", "has_default", "default", "urn")

    def __init__(self, name: str, type_: Any, has_default: bool, default: Any, urn: bool) -> None:
        self.name, self.type, self.has_default, self.default, self.urn = name, type_, has_default, default, urn


class _Named:
    __slots__ = ("kind", "name", "pname", "fields", "symbols", "size", "discriminated")

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name, self.pname = kind, name, pegasus_name(name)
        self.fields: List[_Field] = []
        self.symbols: Tuple[str, ...] = ()
        self.size = 0
        self.discriminated = False


class _Array:
    __slots__ = ("items",)

    def __init__(self, items: Any) -> None:
        self.items = items


class _Map:
    __slots__ = ("values",)

    def __init__(self, values: Any) -> None:
        self.values = values


class _Union:
    __slots__ = ("members", "nullable", "optional")

    def __init__(self, members: List[Any], nullable: bool) -> None:
        self.members = members  # non-null members
        self.nullable = nullable
        # ["null", T] is untagged in every JSON form; a one-member union without null is tagged
        self.optional = nullable and len(members) == 1


def _resolve(schema: Any) -> Any:
    names: Dict[str, _Named] = {}

    def ref(name: str, ns: str) -> _Named:
        for candidate in (name, f"{ns}.{name}" if ns and "." not in name else name):
            if candidate in names:
                return names[candidate]
        raise SchemaError(f"schema refers to undefined type {name!r}")

    def walk(t: Any, ns: str) -> Any:
        if isinstance(t, str):
            return t if t in _PRIMITIVES else ref(t, ns)
        if isinstance(t, list):
            members = [walk(x, ns) for x in t]
            return _Union([m for m in members if m != "null"], "null" in members)
        kind = t["type"]
        if kind in ("record", "error", "enum", "fixed"):
            name = t["name"]
            if "." in name:
                full, nns = name, name.rsplit(".", 1)[0]
            else:
                nns = t.get("namespace", ns)
                full = f"{nns}.{name}" if nns else name
            node = _Named("record" if kind == "error" else kind, full)
            names[full] = node
            names.setdefault(name, node)
            if kind == "enum":
                node.symbols = tuple(t["symbols"])
            elif kind == "fixed":
                node.size = int(t["size"])
            else:
                for f in t["fields"]:
                    node.fields.append(_Field(f["name"], walk(f["type"], nns), "default" in f, f.get("default"),
                                              "Urn" in f))
                disc = next((f for f in node.fields if f.name == DISCRIMINATOR), None)
                node.discriminated = isinstance(disc, _Field) and isinstance(disc.type, _Named) and set(
                    disc.type.symbols) == {f.name for f in node.fields} - {DISCRIMINATOR}
            return node
        if kind == "array":
            return _Array(walk(t["items"], ns))
        if kind == "map":
            return _Map(walk(t["values"], ns))
        return walk(kind, ns)  # {"type": "string", ...} or {"type": <named or union>}

    return walk(schema, "")


@lru_cache(maxsize=None)
def _resolved(schema_name: str) -> Any:
    return _resolve(schema_json(schema_name))


def _tag(t: Any, pegasus: bool) -> str:
    """The union tag of a member type: primitive name, array, map, or full (Pegasus or Avro) name."""
    if isinstance(t, str):
        return t
    if isinstance(t, _Named):
        return t.pname if pegasus else t.name
    return "array" if isinstance(t, _Array) else "map"


# --------------------------------------------------------------------------------- validation
class _Bad(Exception):
    """Internal: a mismatch; the path is collected (innermost first) while it propagates."""

    def __init__(self, message: str, part: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.parts: List[str] = [] if part is None else [part]


def _show(v: Any) -> str:
    if v is None:
        return "null"
    try:
        text = json.dumps(v, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _expected(t: Any) -> str:
    if isinstance(t, str):
        return t
    if isinstance(t, _Named):
        return f"{t.kind} {t.pname}"
    if isinstance(t, _Array):
        return "array"
    if isinstance(t, _Map):
        return "map (object)"
    return "union"


def _check_string(x: Any) -> None:
    if not isinstance(x, str):
        raise _Bad(f"expected string, got {_show(x)}")


_good_urns: set = set()


def _check_urn(x: Any) -> None:
    if type(x) is str:
        if x in _good_urns:
            return
    elif not isinstance(x, str):
        raise _Bad(f"expected urn string, got {_show(x)}")
    try:
        parse_urn(x)
        if len(_good_urns) > 200_000:
            _good_urns.clear()
        _good_urns.add(x)
    except InvalidUrnError as e:
        # GMS's UrnValidator only needs Urn.createFromString to succeed; the stricter server-side
        # checks of entity urns (whitespace, U+241F) do not apply to urn-typed fields.
        stripped = x.strip().replace("\u241f", "")
        if stripped == x or not stripped:
            raise _Bad(f"expected urn, got {_show(x)}: {e.message}") from None
        try:
            parse_urn(stripped)
        except InvalidUrnError:
            raise _Bad(f"expected urn, got {_show(x)}: {e.message}") from None


def _check_boolean(x: Any) -> None:
    if x is not True and x is not False:
        raise _Bad(f"expected boolean, got {_show(x)}")


def _int_check(name: str) -> Check:
    lo, hi = _INT_RANGE[name]

    def check(x: Any) -> None:
        cls = type(x)
        if cls is int:
            if lo <= x <= hi:
                return
            raise _Bad(f"expected {name}, got {x} (out of range)")
        # Pegasus coerces numbers (CoercionMode.NORMAL); litemeta accepts integral floats only.
        if cls is float and x.is_integer() and lo <= x <= hi:
            return
        raise _Bad(f"expected {name}, got {_show(x)}")

    return check


def _number_check(name: str) -> Check:
    def check(x: Any) -> None:
        cls = type(x)
        if cls is not float and cls is not int:
            raise _Bad(f"expected {name}, got {_show(x)}")

    return check


def _check_null(x: Any) -> None:
    if x is not None:
        raise _Bad(f"expected null, got {_show(x)}")


_PRIMITIVE_CHECKS: Dict[str, Check] = {
    "string": _check_string,
    "bytes": _check_string,  # Pegasus JSON carries bytes as a string
    "boolean": _check_boolean,
    "int": _int_check("int"),
    "long": _int_check("long"),
    "float": _number_check("float"),
    "double": _number_check("double"),
    "null": _check_null,
}


class _Compiler:
    """Compiles resolved types into Pegasus-JSON checkers; records are compiled once per schema."""

    def __init__(self) -> None:
        self.records: Dict[str, Check] = {}

    def compile(self, t: Any, urn: bool = False) -> Check:
        if isinstance(t, str):
            return _check_urn if urn and t == "string" else _PRIMITIVE_CHECKS[t]
        if isinstance(t, _Union):
            return self._union(t, urn)
        if isinstance(t, _Array):
            return self._array(t, urn)
        if isinstance(t, _Map):
            return self._map(t)
        if t.kind == "enum":
            return self._enum(t)
        if t.kind == "fixed":
            return _check_string
        return self._record(t)

    def _enum(self, t: _Named) -> Check:
        symbols = frozenset(t.symbols)
        listed = ", ".join(t.symbols) if len(t.symbols) <= 12 else ", ".join(t.symbols[:12]) + ", ..."

        def check(x: Any) -> None:
            if type(x) is not str or x not in symbols:
                raise _Bad(f"expected enum {t.pname} (one of {listed}), got {_show(x)}")

        return check

    def _array(self, t: _Array, urn: bool) -> Check:
        item = self.compile(t.items, urn)

        def check(x: Any) -> None:
            if not isinstance(x, list):
                raise _Bad(f"expected array, got {_show(x)}")
            for i, v in enumerate(x):
                try:
                    item(v)
                except _Bad as e:
                    e.parts.append(str(i))
                    raise

        return check

    def _map(self, t: _Map) -> Check:
        value = self.compile(t.values)

        def check(x: Any) -> None:
            if not isinstance(x, dict):
                raise _Bad(f"expected map (object), got {_show(x)}")
            for k, v in x.items():
                try:
                    value(v)
                except _Bad as e:
                    e.parts.append(k)
                    raise

        return check

    def _union(self, t: _Union, urn: bool) -> Check:
        if t.optional:
            inner = self.compile(t.members[0], urn)
            if not t.nullable:
                return inner

            def optional(x: Any) -> None:
                if x is not None:
                    inner(x)

            return optional
        members = {_tag(m, True): self.compile(m, urn) for m in t.members}
        nullable = t.nullable
        listed = ", ".join(members)

        def check(x: Any) -> None:
            if x is None and nullable:
                return
            if not isinstance(x, dict) or len(x) != 1:
                raise _Bad(f"expected a union tagged with one of {listed}, got {_show(x)}")
            ((tag, v),) = x.items()
            member = members.get(tag)
            if member is None:
                raise _Bad(f"unknown union member {tag!r}; expected one of {listed}")
            try:
                member(v)
            except _Bad as e:
                e.parts.append(tag)
                raise

        return check

    def _record(self, t: _Named) -> Check:
        done = self.records.get(t.name)
        if done is not None:
            return done
        cell: List[Check] = []
        self.records[t.name] = lambda x: cell[0](x)  # recursion guard while compiling
        check = self._discriminated(t) if t.discriminated else self._plain_record(t)
        cell.append(check)
        self.records[t.name] = check
        return check

    def _plain_record(self, t: _Named) -> Check:
        checks = {f.name: self.compile(f.type, f.urn) for f in t.fields}
        required = frozenset(
            f.name for f in t.fields if not f.has_default and not (isinstance(f.type, _Union) and f.type.nullable)
        )
        types = {f.name: f.type for f in t.fields}
        # Fields whose value is valid whenever its Python type is exactly this one: checked inline.
        fast: Dict[str, type] = {}
        for f in t.fields:
            ft = f.type.members[0] if isinstance(f.type, _Union) and f.type.optional else f.type
            if ft == "string" and not f.urn:
                fast[f.name] = str
            elif ft == "boolean":
                fast[f.name] = bool
            elif ft in ("float", "double"):
                fast[f.name] = float
        fast_get = fast.get
        pname = t.pname

        def check(x: Any) -> None:
            if type(x) is not dict and not isinstance(x, dict):
                raise _Bad(f"expected record {pname} (an object), got {_show(x)}")
            for k, v in x.items():
                if type(v) is fast_get(k):
                    continue
                c = checks.get(k)
                if c is None:
                    raise _Bad(f"unrecognized field {k!r} in record {pname} "
                               f"(fields: {', '.join(checks)})", k)
                try:
                    c(v)
                except _Bad as e:
                    e.parts.append(k)
                    raise
            if required and not x.keys() >= required:
                missing = next(f for f in checks if f in required and f not in x)
                raise _Bad(f"missing required field {missing!r} ({_expected(types[missing])}) "
                           f"of record {pname}", missing)

        return check

    def _discriminated(self, t: _Named) -> Check:
        """A PDL union with aliases: ``{"<alias>": value}`` in Pegasus JSON."""
        members: Dict[str, Check] = {}
        for f in t.fields:
            if f.name != DISCRIMINATOR:
                ft = f.type.members[0] if isinstance(f.type, _Union) and f.type.optional else f.type
                members[f.name] = self.compile(ft, f.urn)
        listed = ", ".join(members)

        def check(x: Any) -> None:
            if not isinstance(x, dict) or len(x) != 1:
                raise _Bad(f"expected a union {t.pname} with exactly one of {listed}, got {_show(x)}")
            ((alias, v),) = x.items()
            member = members.get(alias)
            if member is None:
                raise _Bad(f"unknown member {alias!r} of union {t.pname}; expected one of {listed}")
            try:
                member(v)
            except _Bad as e:
                e.parts.append(alias)
                raise

        return check


def _pointer(parts: List[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in reversed(parts))


def _schema_for(name: str) -> Tuple[str, Optional[str]]:
    """(schema name, aspect name or None) for an aspect name or a schema name."""
    spec = load_registry().aspects.get(name)
    if spec is not None:
        return spec.schema, spec.name
    return name, None


@lru_cache(maxsize=None)
def aspect_validator(aspect_name_or_schema: str) -> Callable[[Any], None]:
    """A prepared validator of Pegasus JSON for an aspect name (``status``) or schema name (``Status``).

    The returned callable raises :class:`SchemaError` with ``path`` (a JSON pointer into the value)
    and a message naming what was expected and what was found.
    """
    schema, aspect = _schema_for(aspect_name_or_schema)
    check = _Compiler().compile(_resolved(schema))

    def validate(value: Any) -> None:
        try:
            check(value)
        except _Bad as e:
            raise SchemaError(e.message, aspect=aspect, path=_pointer(e.parts)) from None

    return validate


def validate_aspect(aspect_name_or_schema: str, value: Any) -> None:
    """Check an aspect value (Pegasus JSON) against its Avro schema; :class:`SchemaError` if it does not fit.

    Required fields may be absent only when they have a default; unknown fields, wrong types, enum
    symbols not in the list, wrong union tags and unparseable urns in urn-typed fields are errors.
    Null is accepted for optional fields.
    """
    aspect_validator(aspect_name_or_schema)(value)


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
    if isinstance(t, _Array):
        return [_convert(t.items, x, mode) for x in v] if isinstance(v, list) else v
    if isinstance(t, _Map):
        return {k: _convert(t.values, x, mode) for k, x in v.items()} if isinstance(v, dict) else v
    if isinstance(t, _Union):
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


def _convert_union(t: _Union, v: Any, mode: str) -> Any:
    if t.optional:
        if mode == "d2p" and isinstance(v, tuple) and len(v) == 2:
            v = v[1]
        return _convert(t.members[0], v, mode)
    if mode == "d2p":
        if isinstance(v, tuple) and len(v) == 2:
            name, inner = v
            member = next((m for m in t.members if _tag(m, False) == name or _tag(m, True) == name), None)
        else:
            inner = v
            member = _guess_member(t, v)
        if member is None:
            return v
        return {_tag(member, True): _convert(member, inner, mode)}
    if not isinstance(v, dict) or len(v) != 1:
        return v
    ((tag, inner),) = v.items()
    from_pegasus = mode in ("p2a", "p2d")
    member = next((m for m in t.members if _tag(m, from_pegasus) == tag), None)
    if member is None:
        return v
    converted = _convert(member, inner, mode)
    if mode == "p2d":
        return (_tag(member, False), converted) if isinstance(member, _Named) else converted
    return {_tag(member, not from_pegasus): converted}


def _guess_member(t: _Union, v: Any) -> Any:
    py = {"string": str, "bytes": bytes, "boolean": bool, "int": int, "long": int, "float": float,
          "double": float}
    for m in t.members:
        if isinstance(m, str) and type(v) is py.get(m):
            return m
        if isinstance(m, _Array) and isinstance(v, list):
            return m
        if isinstance(m, (_Map, _Named)) and isinstance(v, dict):
            return m
    return None


def _convert_record(t: _Named, v: Dict[str, Any], mode: str) -> Dict[str, Any]:
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
    return _convert(_resolved(_schema_for(schema_name)[0]), value, "p2a")


def avro_to_pegasus(schema_name: str, datum: Any) -> Any:
    """Avro JSON (or a fastavro datum) -> Pegasus JSON, nulls omitted (``pre_json_transform``)."""
    return _convert(_resolved(_schema_for(schema_name)[0]), datum, "a2p")


# ------------------------------------------------------------------------------------- events
def _topic_schema(topic: str) -> str:
    try:
        return TOPIC_SCHEMAS[resolve_topic(topic)]
    except Exception:
        raise ExportError(f"no Avro schema for topic {topic!r}; known: {', '.join(TOPIC_SCHEMAS)}") from None


def _check_fields(t: Any, v: Any, path: str) -> None:
    """Reject keys a topic value must not carry (they would be lost silently by Avro)."""
    if isinstance(t, _Union) and t.optional:
        t = t.members[0]
    if isinstance(t, _Named) and t.kind == "record" and isinstance(v, dict) and not t.discriminated:
        fields = {f.name: f for f in t.fields}
        for k, x in v.items():
            if k not in fields:
                raise ExportError(f"{path or '/'}: field {k!r} is not in Avro record {t.pname}")
            _check_fields(fields[k].type, x, f"{path}/{k}")


def event_to_datum(topic: str, value: Any) -> Dict[str, Any]:
    """A topic value (design.md choice 8) -> the fastavro datum of the topic's schema."""
    schema = _topic_schema(topic)
    t = _resolved(schema)
    _check_fields(t, value, "")
    datum: Dict[str, Any] = _convert(t, value, "p2d")
    return datum


def datum_to_event(topic: str, datum: Any) -> Dict[str, Any]:
    """A fastavro datum of the topic's schema -> its topic value (nulls omitted, bytes as text)."""
    return _datum_to_value(_topic_schema(topic), datum)


def _datum_to_value(schema: str, datum: Any) -> Dict[str, Any]:
    value: Dict[str, Any] = _convert(_resolved(schema), datum, "d2p")
    return value


def encode_event(topic: str, value: Any) -> bytes:
    """Schemaless Avro binary of a topic value (the body of a Kafka message, without framing)."""
    import io

    import fastavro

    out = io.BytesIO()
    try:
        fastavro.schemaless_writer(out, parsed_schema(_topic_schema(topic)), event_to_datum(topic, value))
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise ExportError(f"cannot encode a {topic} value as Avro: {e}") from e
    return out.getvalue()


def decode_event(topic: str, body: bytes) -> Dict[str, Any]:
    """Inverse of :func:`encode_event`."""
    import io

    import fastavro

    schema = parsed_schema(_topic_schema(topic))
    try:
        datum = fastavro.schemaless_reader(io.BytesIO(body), schema, return_record_name=True,
                                              return_record_name_override=True)
    except (EOFError, ValueError, TypeError, IndexError) as e:
        raise ExportError(f"cannot decode a {topic} value from Avro: {e}") from e
    return datum_to_event(topic, datum)


def frame(schema_id: int, body: bytes) -> bytes:
    """Confluent wire format: byte 0x00, the schema id as 4 bytes big-endian, the Avro body."""
    try:
        return b"\x00" + struct.pack(">I", schema_id) + body
    except struct.error:
        raise ExportError(f"schema id must fit 4 unsigned bytes, got {schema_id!r}") from None


def unframe(data: bytes) -> Tuple[int, bytes]:
    """(schema id, Avro body) of a Confluent-framed value; :class:`ExportError` on a bad header."""
    if len(data) < 5:
        raise ExportError(f"Confluent-framed value too short: {len(data)} bytes (need at least 5)")
    if data[0] != 0:
        raise ExportError(f"bad magic byte {data[0]:#04x} in Confluent-framed value (expected 0x00)")
    (schema_id,) = struct.unpack(">I", data[1:5])
    return schema_id, bytes(data[5:])


def write_container(fileobj: IO[bytes], topic: str, values: Iterable[Any], codec: str = "null") -> int:
    """Write topic values as an Avro object container file (topic name in the file metadata).

    Returns the number of records written.
    """
    import fastavro

    topic = resolve_topic(topic)
    count = 0

    def datums() -> Iterator[Dict[str, Any]]:
        nonlocal count
        for v in values:
            count += 1
            yield event_to_datum(topic, v)

    try:
        fastavro.writer(fileobj, parsed_schema(_topic_schema(topic)), datums(), codec=codec,
                        metadata={TOPIC_METADATA_KEY: topic})
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise ExportError(f"cannot write {topic} record {count - 1} to an Avro container: {e}") from e
    return count


def read_container(fileobj: IO[bytes]) -> Iterator[Tuple[Optional[str], Dict[str, Any]]]:
    """(topic or None, value) for each record of an Avro container file written by any writer.

    The schema is the file's writer schema; its record name selects the conversion.
    """
    import fastavro

    try:
        reader = fastavro.reader(fileobj, return_record_name=True, return_record_name_override=True)
    except (ValueError, EOFError) as e:
        raise ExportError(f"not an Avro container file: {e}") from e
    topic = reader.metadata.get(TOPIC_METADATA_KEY)
    if topic is not None:
        schema = _topic_schema(topic)
    else:
        name = reader.writer_schema.get("name", "") if isinstance(reader.writer_schema, dict) else ""
        schema = name.rsplit(".", 1)[-1]
        if schema not in TOPIC_SCHEMAS.values():
            raise ExportError(f"Avro container holds {name or 'unknown'} records, not a topic's values")
    for datum in reader:
        yield topic, _datum_to_value(schema, datum)

