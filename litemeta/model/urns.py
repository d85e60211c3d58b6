"""DataHub urns (R6.1-R6.6): parse, print, entity type, tuple keys, key aspects.

    >>> u = parse_urn("urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)")
    >>> u.entity_type, u.parts
    ('dataset', ('urn:li:dataPlatform:hive', 'db.t', 'PROD'))
    >>> str(parse_urn("urn:li:corpuser:(alice)"))   # one part re-prints bare (R6.2)
    'urn:li:corpuser:alice'

There is no escaping: parts are taken verbatim, as DataHub does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional, Tuple

from litemeta.errors import InvalidUrnError
from litemeta.model.registry import Registry

_NAMESPACE = re.compile(r"[a-z][a-z0-9-]{0,31}\Z")
_ENTITY_TYPE = re.compile(r"[a-z][A-Za-z0-9_]*\Z")
MAX_ENCODED_LENGTH = 512  # R6.3: URLEncoder.encode(urn).length() > 512 is rejected (not schemaField)
UNIT_SEPARATOR = "\u241f"  # R6.3: rejected anywhere in a urn


@dataclass(frozen=True)
class Urn:
    """A parsed urn: ``urn:<namespace>:<entity_type>:<key>``."""

    namespace: str
    entity_type: str
    parts: Tuple[str, ...]

    def __str__(self) -> str:
        key = self.parts[0] if len(self.parts) == 1 else "(" + ",".join(self.parts) + ")"
        return f"urn:{self.namespace}:{self.entity_type}:{key}"


def _bad(urn: str, why: str) -> InvalidUrnError:
    return InvalidUrnError(f"invalid urn {urn!r}: {why}", urn=urn)


_DELIMITER = re.compile(r"[(),]")


def split_tuple_key(key: str, urn: str = "") -> Tuple[str, ...]:
    """Split a tuple key ``(a,b(c,d))`` on commas at depth 1 (R6.2); a bare key is one part."""
    if "(" not in key and ")" not in key:
        return (key,)  # the common bare key: nothing to balance
    if key.startswith("(") and key.endswith(")") and key.count("(") == 1 and key.count(")") == 1:
        flat = tuple(key[1:-1].split(","))  # a flat tuple: every comma is at depth 1
        if "" in flat:
            raise _bad(urn or key, "empty part in tuple key")
        return flat
    if not key.startswith("("):
        depth = 0
        for ch in key:
            depth += (ch == "(") - (ch == ")")
            if depth < 0:
                raise _bad(urn or key, "unbalanced ')' in key")
        if depth:
            raise _bad(urn or key, "unbalanced '(' in key")
        return (key,)
    if not key.endswith(")"):
        raise _bad(urn or key, "tuple key starts with '(' but does not end with ')'")
    parts: List[str] = []
    depth = 0
    start = 1
    for m in _DELIMITER.finditer(key):  # only the parentheses and commas, not every character
        ch, i = m.group(), m.start()
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0 or (depth == 0 and i != len(key) - 1):
                raise _bad(urn or key, f"unbalanced ')' at position {i} of the key")
        elif depth == 1:
            parts.append(key[start:i])
            start = i + 1
    if depth != 0:
        raise _bad(urn or key, "unbalanced '(' in key")
    parts.append(key[start:-1])
    if any(p == "" for p in parts):
        raise _bad(urn or key, "empty part in tuple key")
    return tuple(parts)


@lru_cache(maxsize=65536)
def parse_urn(urn: str) -> Urn:
    """Parse a urn string; :class:`InvalidUrnError` names what is wrong (R6.1, R6.2)."""
    if not isinstance(urn, str):
        raise InvalidUrnError(f"urn must be a string, got {type(urn).__name__} {urn!r}")
    if urn != urn.strip():
        raise _bad(urn, "leading or trailing whitespace")
    pieces = urn.split(":", 3)
    if len(pieces) != 4 or pieces[0] != "urn":
        raise _bad(urn, "expected 'urn:<namespace>:<entityType>:<key>'")
    _, ns, etype, key = pieces
    if not _NAMESPACE.match(ns):
        raise _bad(urn, f"namespace {ns!r} must match [a-z][a-z0-9-]{{0,31}}")
    if not _ENTITY_TYPE.match(etype):
        raise _bad(urn, f"entity type {etype!r} must match [a-z][A-Za-z0-9_]*")
    if not key:
        raise _bad(urn, "empty key")
    if UNIT_SEPARATOR in urn:
        raise _bad(urn, "contains the reserved character U+241F")
    return Urn(ns, etype, split_tuple_key(key, urn))


def entity_type_of(urn: str) -> str:
    """The entity type of a urn string (R6.6)."""
    return parse_urn(urn).entity_type


def make_urn(entity_type: str, parts: Tuple[str, ...] | List[str], namespace: str = "li") -> str:
    """``Urn.createFromTuple``: a urn string from its parts (one part is printed bare)."""
    if not parts or any(p is None or p == "" for p in parts):
        raise InvalidUrnError(f"cannot build a {entity_type} urn from empty key parts {list(parts)!r}")
    return str(Urn(namespace, entity_type, tuple(str(p) for p in parts)))


# Bytes that Java's ``URLEncoder.encode`` leaves as one character: letters, digits, ``.-*_``, and
# the space (which becomes '+'); every other byte of the UTF-8 text becomes ``%XY``.
_ONE_CHAR = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-*_ "


def url_encoded_length(urn: str) -> int:
    """``URLEncoder.encode(urn).length()`` (R6.3), without building the encoded text. A lone
    surrogate is one '?' byte, as Java's UTF-8 encoder replaces it."""
    raw = urn.encode("utf-8", "replace")
    return len(raw) + 2 * len(raw.translate(None, _ONE_CHAR))


def validate_urn(urn: str, registry: Registry) -> Urn:
    """Server-side checks (R6.3): registered entity type, part count, length, re-parse."""
    u = parse_urn(urn)
    key = registry.key_aspect(u.entity_type) if u.entity_type in registry.entities else None
    if key is None:
        raise InvalidUrnError(f"invalid urn {urn!r}: unknown entity type {u.entity_type!r}", urn=urn)
    if len(u.parts) != len(key.key_fields):
        raise InvalidUrnError(
            f"invalid urn {urn!r}: entity {u.entity_type!r} has {len(key.key_fields)} key part(s) "
            f"({', '.join(f.name for f in key.key_fields)}), got {len(u.parts)}",
            urn=urn,
        )
    if u.entity_type != "schemaField" and url_encoded_length(urn) > MAX_ENCODED_LENGTH:
        raise InvalidUrnError(
            f"invalid urn {urn!r}: URL-encoded length {url_encoded_length(urn)} exceeds {MAX_ENCODED_LENGTH}",
            urn=urn
        )
    for f, part in zip(key.key_fields, u.parts):
        if f.symbols and part not in f.symbols:
            raise InvalidUrnError(
                f"invalid urn {urn!r}: key field {f.name!r} expects one of {', '.join(f.symbols)}, got {part!r}",
                urn=urn,
            )
    return u


def key_aspect_from_urn(urn: str, registry: Registry) -> Tuple[str, Dict[str, Any]]:
    """(key aspect name, key value) built from the urn's parts by position (R6.4)."""
    u = validate_urn(urn, registry)
    spec = registry.key_aspect(u.entity_type)
    value: Dict[str, Any] = {}
    for f, part in zip(spec.key_fields, u.parts):
        value[f.name] = _coerce(part, f.type, urn, f.name)
    return spec.name, value


def _coerce(part: str, type_: str, urn: str, field: str) -> Any:
    if type_ in ("int", "long"):
        try:
            return int(part)
        except ValueError:
            raise InvalidUrnError(f"invalid urn {urn!r}: key field {field!r} expects {type_}, got {part!r}",
                                  urn=urn) from None
    return part


def urn_from_key(entity_type: str, key: Mapping[str, Any], registry: Registry) -> str:
    """``convertEntityKeyToUrn``: field values in key order; a missing field is an error (R6.4, R6.5)."""
    spec = registry.key_aspect(entity_type)
    parts: List[str] = []
    for f in spec.key_fields:
        v: Optional[Any] = key.get(f.name)
        if v is None or v == "":
            raise InvalidUrnError(
                f"key aspect {spec.name} lacks field {f.name!r}; cannot build a {entity_type} urn", aspect=spec.name
            )
        parts.append(str(v))
    return make_urn(entity_type, parts)
