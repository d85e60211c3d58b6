"""A schema-compiled Avro binary encoder for topic values (the export hot path).

fastavro spends most of its time choosing union branches for untagged dicts; topic envelopes only
have ``["null", T]`` unions, so an encoder compiled from the schema is several times faster.
PlatformEvent values (most of a store's topic records) are a header, a name and the payload's
JSON text as bytes: they get a dedicated encoder. Anything the compiled encoders do not handle
plainly (unknown fields, real unions, wrong types) goes to :func:`litemeta.model.avro.encode_event`,
which either encodes it or raises a precise ExportError. Tests check that both give the same bytes.

    >>> value = {"header": {"timestampMillis": 1}, "name": "entityChangeEvent",
    ...          "payload": {"value": "{}", "contentType": "application/json"}}
    >>> encode_value("PlatformEvent_v1", value) == avro.encode_event("PlatformEvent_v1", value)
    True
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from litemeta.errors import ExportError, LitemetaError
from litemeta.formats.kafka_log import encode_varint
from litemeta.model import avro
from litemeta.model.events import PLATFORM_EVENT_TOPIC, TOPIC_SCHEMAS, TOPICS


def schema_of(topic: str) -> str:
    """The Avro schema name of a topic's values; ExportError for a topic without one."""
    try:
        return TOPIC_SCHEMAS[topic]
    except KeyError:
        raise ExportError(f"no Avro schema for topic {topic!r}; known topics: {', '.join(TOPICS)}") from None


class Unhandled(Exception):
    """A value the compiled encoder leaves to ``avro.encode_event`` (which encodes it or says why not)."""


Enc = Callable[[Any, List[bytes]], None]
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def compile_encoder(schema: Any) -> Enc:
    """An encoder ``enc(value, out)`` appending the Avro binary of ``value`` to ``out``; raises
    :class:`Unhandled` for anything it does not encode plainly (the caller falls back)."""
    names: Dict[str, Enc] = {}

    def walk(t: Any, ns: str) -> Enc:
        if isinstance(t, str):
            return primitive(t) or named_ref(t, ns)
        if isinstance(t, list):
            return union(t, ns)
        kind = t["type"]
        if kind in ("record", "error"):
            return record(t, ns)
        if kind == "enum":
            return enum(t, ns)
        if kind == "array":
            items = walk(t["items"], ns)

            def enc_array(v: Any, out: List[bytes]) -> None:
                if type(v) is not list:
                    raise Unhandled
                if v:
                    out.append(encode_varint(len(v)))
                    for x in v:
                        items(x, out)
                out.append(b"\x00")

            return enc_array
        if kind == "map":
            values = walk(t["values"], ns)

            def enc_map(v: Any, out: List[bytes]) -> None:
                if type(v) is not dict:
                    raise Unhandled
                if v:
                    out.append(encode_varint(len(v)))
                    for k, x in v.items():
                        kb = k.encode("utf-8")
                        out.append(encode_varint(len(kb)))
                        out.append(kb)
                        values(x, out)
                out.append(b"\x00")

            return enc_map
        if kind == "fixed":
            return fixed(t, ns)
        return walk(kind, ns)

    def full_name(t: Dict[str, Any], ns: str) -> Tuple[str, str]:
        name = t["name"]
        if "." in name:
            return name, name.rsplit(".", 1)[0]
        nns = t.get("namespace", ns)
        return (f"{nns}.{name}" if nns else name), nns

    def named_ref(name: str, ns: str) -> Enc:
        for candidate in (f"{ns}.{name}" if ns and "." not in name else name, name):
            if candidate in names:
                return names[candidate]
        raise Unhandled

    def primitive(t: str) -> Optional[Enc]:
        if t == "null":

            def enc_null(v: Any, out: List[bytes]) -> None:
                if v is not None:
                    raise Unhandled

            return enc_null
        if t in ("int", "long"):

            def enc_long(v: Any, out: List[bytes]) -> None:
                if type(v) is not int or not _LONG_MIN <= v <= _LONG_MAX:
                    raise Unhandled
                out.append(encode_varint(v))

            return enc_long
        if t == "string":
            # short strings repeat (entity types, aspect names, run ids, actors, urns): keep their
            # encodings in a small cache, cleared when it fills
            cache: Dict[str, bytes] = {}

            def enc_string(v: Any, out: List[bytes]) -> None:
                b = cache.get(v)
                if b is None:
                    if type(v) is not str:
                        raise Unhandled
                    e = v.encode("utf-8")
                    b = encode_varint(len(e)) + e
                    if len(e) <= 200:
                        if len(cache) >= 8192:
                            cache.clear()
                        cache[v] = b
                out.append(b)

            return enc_string
        if t == "bytes":

            def enc_bytes(v: Any, out: List[bytes]) -> None:
                b = v.encode("utf-8") if type(v) is str else v  # JSON text in GenericAspect.value
                if type(b) is not bytes:
                    raise Unhandled
                out.append(encode_varint(len(b)))
                out.append(b)

            return enc_bytes
        if t == "boolean":

            def enc_bool(v: Any, out: List[bytes]) -> None:
                if type(v) is not bool:
                    raise Unhandled
                out.append(b"\x01" if v else b"\x00")

            return enc_bool
        if t in ("float", "double"):
            packer = struct.Struct("<f" if t == "float" else "<d").pack

            def enc_float(v: Any, out: List[bytes]) -> None:
                if type(v) not in (int, float):
                    raise Unhandled
                out.append(packer(v))

            return enc_float
        return None

    def union(members: List[Any], ns: str) -> Enc:
        opt = optional(members, ns)
        if opt is None:

            def enc_other(v: Any, out: List[bytes]) -> None:
                raise Unhandled

            return enc_other
        null_tag, value_tag, inner = opt

        def enc_optional(v: Any, out: List[bytes]) -> None:
            if v is None:
                out.append(null_tag)
            else:
                out.append(value_tag)
                inner(v, out)

        return enc_optional

    def optional_members(members: Any) -> bool:
        return isinstance(members, list) and len(members) == 2 and "null" in members

    def optional(members: Any, ns: str) -> Optional[Tuple[bytes, bytes, Enc]]:
        """(null tag, value tag, value encoder) of a ["null", T] union; None for anything else."""
        if not optional_members(members):
            return None
        i = 1 - members.index("null")
        return encode_varint(1 - i), encode_varint(i), walk(members[i], ns)

    def fixed(t: Dict[str, Any], ns: str) -> Enc:
        full, _ = full_name(t, ns)
        size = int(t["size"])

        def enc_fixed(v: Any, out: List[bytes]) -> None:
            b = v.encode("latin-1") if type(v) is str else v  # Avro JSON: one char per byte
            if type(b) is not bytes or len(b) != size:
                raise Unhandled
            out.append(b)

        names[full] = enc_fixed
        names.setdefault(t["name"], enc_fixed)
        return enc_fixed

    def enum(t: Dict[str, Any], ns: str) -> Enc:
        full, _ = full_name(t, ns)
        index = {s: encode_varint(i) for i, s in enumerate(t["symbols"])}

        def enc_enum(v: Any, out: List[bytes]) -> None:
            try:
                out.append(index[v])
            except (KeyError, TypeError):
                raise Unhandled from None

        names[full] = enc_enum
        names.setdefault(t["name"], enc_enum)
        return enc_enum

    def record(t: Dict[str, Any], ns: str) -> Enc:
        # A record's encoder is generated Python: one straight block per field, no per-field loop
        # or tuple unpacking. ["null", T] fields are encoded inline (most of them are absent).
        # The field encoders are globals of the generated function, filled in after it is
        # registered, so that recursive references resolve.
        full, nns = full_name(t, ns)
        env: Dict[str, Any] = {"Unhandled": Unhandled, "known": frozenset(f["name"] for f in t["fields"])}
        lines = [
            "def enc_record(v, out):",
            "    if type(v) is not dict or not known.issuperset(v):",
            "        raise Unhandled",
            "    get = v.get",
            "    append = out.append",
        ]
        for i, f in enumerate(t["fields"]):
            fetch = f"get({f['name']!r}, d{i})" if "default" in f else f"get({f['name']!r})"
            env[f"d{i}"] = f.get("default")
            if optional_members(f["type"]):
                lines += [
                    f"    x = {fetch}",
                    "    if x is None:",
                    f"        append(n{i})",
                    "    else:",
                    f"        append(t{i})",
                    f"        e{i}(x, out)",
                ]
            else:
                lines.append(f"    e{i}({fetch}, out)")
        exec("\n".join(lines), env)  # noqa: S102 - code generated from the schema's field list only
        enc_record: Enc = env["enc_record"]
        names[full] = enc_record
        names.setdefault(t["name"], enc_record)
        for i, f in enumerate(t["fields"]):
            opt = optional(f["type"], nns)
            if opt is not None:
                env[f"n{i}"], env[f"t{i}"], env[f"e{i}"] = opt
            else:
                env[f"e{i}"] = walk(f["type"], nns)
        return enc_record

    return walk(schema, "")


_ENCODERS: Dict[str, Optional[Enc]] = {}


def _encoder(schema: str) -> Optional[Enc]:
    if schema in _ENCODERS:
        return _ENCODERS[schema]
    try:
        enc: Optional[Enc] = compile_encoder(avro.schema_json(schema))
    except (Unhandled, LitemetaError, KeyError, TypeError):
        enc = None
    _ENCODERS[schema] = enc
    return enc


_TEXT_CACHE: Dict[str, bytes] = {}  # event names and content types: a handful of strings


def _text(s: str) -> bytes:
    b = _TEXT_CACHE.get(s)
    if b is None:
        e = s.encode("utf-8")
        b = encode_varint(len(e)) + e
        if len(_TEXT_CACHE) < 256:
            _TEXT_CACHE[s] = b
    return b


def encode_platform_event(value: Any) -> Optional[bytes]:
    """Avro binary of a PlatformEvent ``{header: {timestampMillis}, name, payload: {value,
    contentType}}``; None for anything of another shape (left to the general encoders)."""
    if type(value) is not dict or len(value) != 3:
        return None
    header, name, payload = value.get("header"), value.get("name"), value.get("payload")
    if (
        type(header) is not dict
        or type(payload) is not dict
        or type(name) is not str
        or len(header) != 1
        or len(payload) != 2
    ):
        return None
    ts, body, content_type = header.get("timestampMillis"), payload.get("value"), payload.get("contentType")
    if type(ts) is not int or not _LONG_MIN <= ts <= _LONG_MAX or type(content_type) is not str:
        return None
    if type(body) is str:
        try:
            body = body.encode("utf-8")
        except UnicodeEncodeError:
            return None
    elif type(body) is not bytes:
        return None
    try:
        return b"".join((encode_varint(ts), _text(name), encode_varint(len(body)), body, _text(content_type)))
    except UnicodeEncodeError:
        return None


def encode_value(topic: str, value: Mapping[str, Any]) -> bytes:
    """Schemaless Avro binary of a topic value; the same bytes as ``avro.encode_event``, faster."""
    if topic == PLATFORM_EVENT_TOPIC:
        fast = encode_platform_event(value)
        if fast is not None:
            return fast
    enc = _encoder(schema_of(topic))
    if enc is not None:
        out: List[bytes] = []
        try:
            enc(value, out)
            return b"".join(out)
        except (Unhandled, AttributeError, TypeError, UnicodeEncodeError):
            pass
    return avro.encode_event(topic, value)
