"""``from_obj`` and ``to_obj`` for acryl-datahub's generated (avrogen) classes, compiled once per schema: the
same objects and the same JSON, faster.

    >>> from litemeta.integrations.avro_classes import from_obj, to_obj
    >>> from_obj(MetadataChangeLogClass, value) == MetadataChangeLogClass.from_obj(value)   # doctest: +SKIP
    True
    >>> to_obj(aspect) == aspect.to_obj()                                                     # doctest: +SKIP
    True

avrogen's ``from_obj`` walks the Avro schema for every value it converts: each field's type is
looked up through the ``avro`` library's property accessors and every union member is validated.
For the Actions event source, that is most of the cost of delivering an event. This module walks
each schema once and keeps, per record, a list of (field, converter, default) and, per union,
its members by name, then builds values with the rules of avrogen's converter
(``AvroJsonConverter._generic_from_json``): bytes from strings, unions from ``{member name: value}``
or by trying the members in order, missing fields from their defaults, records as the registered
class built like ``DictWrapper._construct``. Two shortcuts, both for well-formed input: a union of
``null`` and one other type converts a non-null value to that type without validating it first
(avrogen raises for a value of neither; this converts what it can), and a record whose values
need no default is given its field dict directly. Anything else (logical types, a member chosen
by validation) is handed to avrogen itself. tests/integrations check the result equals avrogen's
on every MCL, entity change and relationship change event of the SDK corpus.

``to_obj`` is the way back (``AvroJsonConverter._generic_to_json``): fields that default to null
and are null left out, bytes as text, a union member wrapped as ``{name: value}`` when the union
is ambiguous or sits directly in an array, the member found by the value's own record schema. It
does not validate the object first (avrogen's ``to_obj`` does, and raises for an invalid one): the
``datahub ingest`` sink hands what it makes to litemeta's write path, which validates every aspect
against DataHub's schema. A union member that only validation can find is left to avrogen. Tested
on every record of the SDK corpus against avrogen's output.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

Converter = Callable[[Any], Any]
ToConverter = Callable[..., Any]  # (value, in_array=False) -> JSON; in_array: the value sits directly in an array
_compiled: Dict[str, Converter] = {}
_compiled_to: Dict[str, ToConverter] = {}
_lock = threading.Lock()


def from_obj(cls: Any, obj: Any) -> Any:
    """``cls.from_obj(obj)`` (avrogen, non-tuple JSON form), through the compiled converter of ``cls``'s schema."""
    schema = cls.RECORD_SCHEMA
    convert = _compiled.get(schema.fullname)
    if convert is None:
        with _lock:
            convert = _Compiler().record(schema)
            _compiled[schema.fullname] = convert
    return convert(obj)


def to_obj(record: Any) -> Any:
    """``record.to_obj()`` (avrogen, non-tuple JSON form) through the compiled converter of its schema."""
    schema = type(record).RECORD_SCHEMA
    to_json = _compiled_to.get(schema.fullname)
    if to_json is None:
        with _lock:
            to_json = _ToJson().record(schema)
            _compiled_to[schema.fullname] = to_json
    return to_json(record)


def _identity(v: Any) -> Any:
    return v


def _none(v: Any) -> Any:
    return None


def _bytes(v: Any) -> Any:
    return v.encode() if isinstance(v, str) else v


class _Compiler:
    def __init__(self) -> None:
        from avrogen.avrojson import get_global_json_converter

        self.conv = get_global_json_converter(False)
        self.records: Dict[str, Converter] = {}

    def type(self, schema: Any) -> Converter:
        t = schema.type
        if self.conv.use_logical_types and schema.props.get("logicalType"):
            return self._avrogen(schema)
        if t == "null":
            return _none
        if t == "bytes":
            return _bytes
        if t in ("string", "boolean", "int", "long", "float", "double", "enum", "fixed"):
            return _identity
        if t == "array":
            item = self.type(schema.items)
            return (lambda v: list(v)) if item is _identity else (lambda v: [item(x) for x in v])
        if t == "map":
            value = self.type(schema.values)
            return (lambda v: dict(v)) if value is _identity else (lambda v: {k: value(x) for k, x in v.items()})
        if t == "union":
            return self.union(schema)
        if t == "record":
            return self.record(schema)
        return self._avrogen(schema)

    def _avrogen(self, schema: Any) -> Converter:
        conv = self.conv
        return lambda v: conv._generic_from_json(v, schema, schema)

    def union(self, schema: Any) -> Converter:
        members: List[Tuple[str, Any, Converter]] = [(self.conv._fullname(s), s, self.type(s)) for s in schema.schemas]
        by_name = {name: convert for name, _, convert in members}
        others = [convert for _, s, convert in members if s.type != "null"]
        only: Optional[Converter] = others[0] if len(others) == 1 else None
        conv = self.conv

        def convert(v: Any) -> Any:
            if v is None:
                return None
            if isinstance(v, dict) and len(v) == 1:
                ((key, inner),) = v.items()
                named = by_name.get(key)
                if named is not None:
                    return named(inner)
            if only is not None:
                return only(v)
            for _, s, member in members:
                if conv.validate(s, v, skip_logical_types=True):
                    return member(v)
            return conv._generic_from_json(v, schema, schema)  # avrogen raises its own error

        return convert

    def record(self, schema: Any) -> Converter:
        name = schema.fullname
        if name in self.records:
            return self.records[name]
        build: List[Converter] = []
        self.records[name] = lambda v: build[0](v)  # recursive schemas refer to the record being compiled
        from avrogen.avrojson import find_type_of_default

        cls = self.conv.schema_types.get(name) or self.conv.schema_types.get(schema.name)
        restored = cls._construct_with_defaults()._inner_dict if cls is not None else {}
        fields = []
        for f in schema.fields:
            _, nullable = find_type_of_default(f.type)
            fields.append(
                (
                    f.name,
                    self.type(f.type),
                    f.has_default,
                    f.default if f.has_default else None,
                    nullable,
                    f.name in restored and restored[f.name] is None,
                )
            )

        def convert(obj: Any) -> Any:
            if not isinstance(obj, dict):
                return self.conv._generic_from_json(obj, schema, schema)  # avrogen's error for a non-object
            d: Dict[str, Any] = {}
            plain = True  # no None where the class's default is something else
            for fname, fconv, has_default, default, nullable, none_default in fields:
                if fname in obj:
                    v = fconv(obj[fname])
                elif has_default:
                    v = fconv(default)
                elif nullable:
                    v = None
                else:
                    raise ValueError(f"{schema.fullname} is missing required field: {fname}")
                if v is None and not none_default:
                    plain = False
                d[fname] = v
            if cls is None:
                return d
            if not plain:
                return cls._construct(d)  # avrogen's own rule: a None keeps the class's default
            instance = cls.__new__(cls)
            instance._inner_dict = d
            return instance

        build.append(convert)
        return self.records[name]


def _text(v: Any, in_array: bool = False) -> Any:
    return v.decode() if isinstance(v, bytes) else v


class _ToJson:
    def __init__(self) -> None:
        from avrogen.avrojson import get_global_json_converter

        self.conv = get_global_json_converter(False)
        self.records: Dict[str, ToConverter] = {}

    def type(self, schema: Any) -> ToConverter:
        t = schema.type
        if self.conv.use_logical_types and schema.props.get("logicalType"):
            conv = self.conv
            return lambda v, in_array=False: conv._generic_to_json(v, schema, in_array)
        if t in ("null", "string", "boolean", "int", "long", "float", "double", "bytes", "enum", "fixed"):
            return _text
        if t == "array":
            item = self.type(schema.items)
            return lambda v, in_array=False: [item(x, True) for x in v]
        if t == "map":
            value = self.type(schema.values)
            return lambda v, in_array=False: {k: value(x, False) for k, x in v.items()}
        if t == "union":
            return self.union(schema)
        if t == "record":
            return self.record(schema)
        conv = self.conv
        return lambda v, in_array=False: conv._generic_to_json(v, schema, in_array)

    def union(self, schema: Any) -> ToConverter:
        conv = self.conv
        members = [(s, conv._fullname(s), self.type(s)) for s in schema.schemas]
        by_record = {s.fullname: (name, convert) for s, name, convert in members if s.type == "record"}
        has_null = any(s.type == "null" for s, _, _ in members)
        others = [(name, convert) for s, name, convert in members if s.type != "null"]
        only = others[0] if len(others) == 1 else None
        unambiguous = conv._is_unambiguous_union(schema)

        def wrap(name: str, out: Any, in_array: bool) -> Any:
            return out if unambiguous and not in_array else {name: out}

        def convert(v: Any, in_array: bool = False) -> Any:
            if v is None and has_null:
                return None
            own = getattr(type(v), "RECORD_SCHEMA", None)
            if own is not None and own.fullname in by_record:
                name, member = by_record[own.fullname]
                return wrap(name, member(v, False), in_array)
            if only is not None and v is not None:
                return wrap(only[0], only[1](v, False), in_array)
            return conv._union_to_json(v, schema, in_array)  # chosen by validation, as avrogen does

        return convert

    def record(self, schema: Any) -> ToConverter:
        name = schema.fullname
        if name in self.records:
            return self.records[name]
        build: List[ToConverter] = []
        self.records[name] = lambda v, in_array=False: build[0](v, in_array)
        fields = []
        for f in schema.fields:
            default = _Compiler().type(f.type)(f.default) if f.has_default else None
            fields.append((f.name, self.type(f.type), f.has_default, default))

        def convert(record: Any, in_array: bool = False) -> Any:
            inner = record._inner_dict
            out: Dict[str, Any] = {}
            for fname, fconv, has_default, default in fields:
                if has_default:
                    v = inner.get(fname, default)
                    if v is None and default is None:
                        continue  # avrogen leaves out a null that is the default
                else:
                    v = inner.get(fname)
                out[fname] = fconv(v, False)
            return out

        build.append(convert)
        return self.records[name]


__all__ = ["from_obj", "to_obj"]
