"""Validation of Pegasus JSON against DataHub's Avro schemas, compiled once per schema.

    >>> validate_aspect("status", {"removed": False})
    >>> try:
    ...     validate_aspect("status", {"removed": "no"})
    ... except SchemaError as e:
    ...     print(e.path, e.message)
    /removed expected boolean, got "no"

Validation follows GMS (``RecordTemplateValidator``: required fields may be absent only when
they have a default, unrecognised fields are rejected, fields typed as urns must parse). Each
schema's type graph (:func:`litemeta.model.pegasus.resolved_schema`) is compiled once into
nested closures that check Pegasus JSON directly.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable, Dict, FrozenSet, List, NoReturn, Optional, Set, Tuple

from litemeta.errors import InvalidUrnError, SchemaError
from litemeta.model.jsontext import depth_exceeds
from litemeta.model.pegasus import (
    DISCRIMINATOR,
    ArrayType,
    MapType,
    NamedType,
    UnionType,
    resolved_schema,
    schema_for,
    union_tag,
)
from litemeta.model.urns import java_trim, parse_urn

_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}

Check = Callable[[Any], None]


# --------------------------------------------------------------------------------- validation
class _Bad(Exception):
    """Internal: a mismatch; the path is collected (innermost first) while it propagates."""

    def __init__(self, message: str, part: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.parts: List[str] = [] if part is None else [part]


def show(v: Any, width: int = 80) -> str:
    """A value as short JSON-like text for messages (at most ``width`` characters; never raises)."""
    if v is None:
        return "null"
    if isinstance(v, (dict, list)) and depth_exceeds(v, 32):
        return f"{'an object' if isinstance(v, dict) else 'an array'} nested more than 32 levels"
    try:
        text = json.dumps(v, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):
        text = repr(v)
    return text if len(text) <= width else text[: width - 3] + "..."


def _expected(t: Any) -> str:
    if isinstance(t, str):
        return t
    if isinstance(t, NamedType):
        return f"{t.kind} {t.pname}"
    if isinstance(t, ArrayType):
        return "array"
    if isinstance(t, MapType):
        return "map (object)"
    return "union"


def _check_string(x: Any) -> None:
    if not isinstance(x, str):
        raise _Bad(f"expected string, got {show(x)}")


_good_urns: Set[str] = set()


def _check_urn(x: Any) -> None:
    if type(x) is str:
        if x in _good_urns:
            return
    elif not isinstance(x, str):
        raise _Bad(f"expected urn string, got {show(x)}")
    try:
        parse_urn(x)
        if len(_good_urns) > 200_000:
            _good_urns.clear()
        _good_urns.add(x)
    except InvalidUrnError as e:
        # GMS's UrnValidator only needs Urn.createFromString to succeed; the stricter server-side
        # checks of entity urns (whitespace as Java's trim() sees it, U+241F) do not apply to
        # urn-typed fields.
        stripped = java_trim(x).replace("\u241f", "")
        if stripped == x or not stripped:
            raise _Bad(f"expected urn, got {show(x)}: {e.message}") from None
        try:
            parse_urn(stripped)
        except InvalidUrnError:
            raise _Bad(f"expected urn, got {show(x)}: {e.message}") from None


def _check_boolean(x: Any) -> None:
    if x is not True and x is not False:
        raise _Bad(f"expected boolean, got {show(x)}")


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
        raise _Bad(f"expected {name}, got {show(x)}")

    return check


def _number_check(name: str) -> Check:
    def check(x: Any) -> None:
        cls = type(x)
        if cls is int:
            return
        if cls is not float:
            raise _Bad(f"expected {name}, got {show(x)}")
        if x - x != 0.0:  # NaN or an infinity (inf - inf is NaN)
            raise _Bad(
                f"expected {name}, got {show(x)}: NaN and Infinity are not JSON numbers "
                f"(DataHub's JSON parser rejects them)"
            )

    return check


def _check_null(x: Any) -> None:
    if x is not None:
        raise _Bad(f"expected null, got {show(x)}")


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

    def __init__(self, inline: bool = True) -> None:
        self.records: Dict[str, Check] = {}
        self.inline = inline  # False: every field through its checker (the reference the tests compare with)

    def compile(self, t: Any, urn: bool = False) -> Check:
        if isinstance(t, str):
            return _check_urn if urn and t == "string" else _PRIMITIVE_CHECKS[t]
        if isinstance(t, UnionType):
            return self._union(t, urn)
        if isinstance(t, ArrayType):
            return self._array(t, urn)
        if isinstance(t, MapType):
            return self._map(t)
        if t.kind == "enum":
            return self._enum(t)
        if t.kind == "fixed":
            return _check_string
        return self._record(t)

    def _enum(self, t: NamedType) -> Check:
        symbols = frozenset(t.symbols)
        listed = ", ".join(t.symbols) if len(t.symbols) <= 12 else ", ".join(t.symbols[:12]) + ", ..."

        def check(x: Any) -> None:
            if type(x) is not str or x not in symbols:
                raise _Bad(f"expected enum {t.pname} (one of {listed}), got {show(x)}")

        return check

    def _array(self, t: ArrayType, urn: bool) -> Check:
        item = self.compile(t.items, urn)

        def check(x: Any) -> None:
            if not isinstance(x, list):
                raise _Bad(f"expected array, got {show(x)}")
            for i, v in enumerate(x):
                try:
                    item(v)
                except _Bad as e:
                    e.parts.append(str(i))
                    raise

        return check

    def _map(self, t: MapType) -> Check:
        value = self.compile(t.values)

        def check(x: Any) -> None:
            if not isinstance(x, dict):
                raise _Bad(f"expected map (object), got {show(x)}")
            for k, v in x.items():
                try:
                    value(v)
                except _Bad as e:
                    e.parts.append(k)
                    raise

        return check

    def _union(self, t: UnionType, urn: bool) -> Check:
        if t.optional:
            inner = self.compile(t.members[0], urn)
            if not t.nullable:
                return inner

            def optional(x: Any) -> None:
                if x is not None:
                    inner(x)

            return optional
        members = {union_tag(m, True): self.compile(m, urn) for m in t.members}
        nullable = t.nullable
        listed = ", ".join(members)

        def check(x: Any) -> None:
            if x is None and nullable:
                return
            if not isinstance(x, dict) or len(x) != 1:
                raise _Bad(f"expected a union tagged with one of {listed}, got {show(x)}")
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

    def _record(self, t: NamedType) -> Check:
        done = self.records.get(t.name)
        if done is not None:
            return done
        cell: List[Check] = []
        self.records[t.name] = lambda x: cell[0](x)  # recursion guard while compiling
        check = self._discriminated(t) if t.discriminated else self._plain_record(t)
        cell.append(check)
        self.records[t.name] = check
        return check

    def _plain_record(self, t: NamedType) -> Check:
        checks = {f.name: self.compile(f.type, f.urn) for f in t.fields}
        required = frozenset(
            f.name for f in t.fields if not f.has_default and not (isinstance(f.type, UnionType) and f.type.nullable)
        )
        types = {f.name: f.type for f in t.fields}
        # Values accepted inline, without calling the field's checker (which gives the same answer
        # and, for a bad value, the message): fields whose value is valid whenever its Python type
        # is exactly this one; urn strings already seen valid; enum symbols; ints in range; null
        # in a nullable field.
        fast: Dict[str, type] = {}
        urns: Set[str] = set()
        enums: Dict[str, FrozenSet[str]] = {}
        ints: Dict[str, Tuple[int, int]] = {}
        floats: Set[str] = set()  # finite floats are valid inline; NaN and infinities go to the checker
        nullable = frozenset(f.name for f in t.fields if isinstance(f.type, UnionType) and f.type.nullable)
        for f in t.fields:
            ft = f.type.members[0] if isinstance(f.type, UnionType) and f.type.optional else f.type
            if ft == "string" and not f.urn:
                fast[f.name] = str
            elif ft == "string":
                urns.add(f.name)
            elif ft == "boolean":
                fast[f.name] = bool
            elif ft in ("float", "double"):
                floats.add(f.name)
            elif ft in _INT_RANGE:
                ints[f.name] = _INT_RANGE[ft]
            elif isinstance(ft, NamedType) and ft.kind == "enum":
                enums[f.name] = frozenset(ft.symbols)
        fast_get, enum_get, int_get = fast.get, enums.get, ints.get
        good_urns = _good_urns
        pname = t.pname

        def check(x: Any) -> None:
            if type(x) is not dict and not isinstance(x, dict):
                raise _Bad(f"expected record {pname} (an object), got {show(x)}")
            for k, v in x.items():
                tv = type(v)
                if tv is fast_get(k):
                    continue
                if tv is str:
                    if v in good_urns and k in urns:
                        continue
                    symbols = enum_get(k)
                    if symbols is not None and v in symbols:
                        continue
                elif tv is int:
                    bounds = int_get(k)
                    if bounds is not None and bounds[0] <= v <= bounds[1]:
                        continue
                elif tv is float:
                    if k in floats and v - v == 0.0:
                        continue
                elif v is None and k in nullable:
                    continue
                c = checks.get(k)
                if c is None:
                    unknown_field(k)
                try:
                    c(v)
                except _Bad as e:
                    e.parts.append(k)
                    raise
            if required and not x.keys() >= required:
                missing_field(x)

        def unknown_field(k: str) -> NoReturn:
            raise _Bad(f"unrecognized field {k!r} in record {pname} (fields: {', '.join(checks)})", k)

        def missing_field(x: Dict[str, Any]) -> NoReturn:
            missing = next(f for f in checks if f in required and f not in x)
            raise _Bad(f"missing required field {missing!r} ({_expected(types[missing])}) of record {pname}", missing)

        def reference(x: Any) -> None:
            """Every field through its checker: what ``check`` must agree with (tests compare them)."""
            if not isinstance(x, dict):
                raise _Bad(f"expected record {pname} (an object), got {show(x)}")
            for k, v in x.items():
                _at(k, checks.get(k) or unknown_field(k), v)
            if not x.keys() >= required:
                missing_field(x)

        return check if self.inline else reference

    def _discriminated(self, t: NamedType) -> Check:
        """A PDL union with aliases: ``{"<alias>": value}`` in Pegasus JSON."""
        members: Dict[str, Check] = {}
        for f in t.fields:
            if f.name != DISCRIMINATOR:
                ft = f.type.members[0] if isinstance(f.type, UnionType) and f.type.optional else f.type
                members[f.name] = self.compile(ft, f.urn)
        listed = ", ".join(members)

        def check(x: Any) -> None:
            if not isinstance(x, dict) or len(x) != 1:
                raise _Bad(f"expected a union {t.pname} with exactly one of {listed}, got {show(x)}")
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


def _at(key: str, check: Check, value: Any) -> None:
    """``check(value)``, with ``key`` added to the path of what it finds wrong."""
    try:
        check(value)
    except _Bad as e:
        e.parts.append(key)
        raise


def _pointer(parts: List[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in reversed(parts))


@lru_cache(maxsize=None)
def aspect_validator(aspect_name_or_schema: str) -> Callable[[Any], None]:
    """A prepared validator of Pegasus JSON for an aspect name (``status``) or schema name (``Status``).

    The returned callable raises :class:`SchemaError` with ``path`` (a JSON pointer into the value)
    and a message naming what was expected and what was found.
    """
    schema, aspect = schema_for(aspect_name_or_schema)
    check = _Compiler().compile(resolved_schema(schema))

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
