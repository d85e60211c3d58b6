"""``from_obj`` for acryl-datahub's generated (avrogen) classes, compiled once per schema: the same objects, faster.

    >>> from litemeta.integrations.avro_classes import from_obj
    >>> from_obj(MetadataChangeLogClass, value) == MetadataChangeLogClass.from_obj(value)   # doctest: +SKIP
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
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

Converter = Callable[[Any], Any]
_compiled: Dict[str, Converter] = {}
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
                (key, inner), = v.items()
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
            fields.append((f.name, self.type(f.type), f.has_default, f.default if f.has_default else None, nullable,
                           f.name in restored and restored[f.name] is None))

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


__all__ = ["from_obj"]
