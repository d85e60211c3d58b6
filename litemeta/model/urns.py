"""DataHub urns (R6.1-R6.6): parse, print, entity type, tuple keys, key aspects.

    >>> u = parse_urn("urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)")
    >>> u.entity_type, u.parts
    ('dataset', ('urn:li:dataPlatform:hive', 'db.t', 'PROD'))
    >>> str(parse_urn("urn:li:corpuser:(alice)"))   # one part re-prints bare (R6.2)
    'urn:li:corpuser:alice'

There is no escaping: parts are taken verbatim, as DataHub does.

:func:`validate_urn` adds the server's checks of an entity urn (R6.3, ``UrnValidationUtil``):
leading or trailing whitespace as Java's ``String.trim()`` sees it (every character up to U+0020,
so every ASCII control character too), U+241F, the URL-encoded length, the key's part count and
enum symbols, and each key field typed as an urn (``DatasetKey.platform``...) as the server's
``EntityRegistryUrnValidator`` checks it: it parses, names a registered entity type with the
right number of key parts, and one the field's relationship allows. Two checks go further than
the server, on purpose: a lone surrogate (not Unicode text: Java would store ``?`` in its place,
a different urn) and an ASCII control character inside the urn (a newline or a NUL in a primary
key breaks every line-oriented tool, and PostgreSQL, one of DataHub's stores, refuses NUL) are
rejected too.
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


def java_trim(text: str) -> str:
    """``String.trim()`` of Java: strips every character up to U+0020 (not Unicode spaces)."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    if urn and (urn[0] <= " " or urn[-1] <= " "):  # Java's trim() (R6.3)
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
    """Server-side checks (R6.3): registered entity type, part count, length, key fields, re-parse
    (see the module doc)."""
    u = parse_urn(urn)
    if not urn.isascii():
        try:
            urn.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidUrnError(
                f"invalid urn {urn!r}: a lone surrogate ({urn[e.start]!r} at position {e.start}) "
                f"is not valid Unicode text",
                urn=urn,
            ) from None
    control = _CONTROL.search(urn)
    if control is not None:
        raise InvalidUrnError(
            f"invalid urn {urn!r}: control character {control.group()!r} at position {control.start()}", urn=urn
        )
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
            f"invalid urn {urn!r}: URL-encoded length {url_encoded_length(urn)} exceeds {MAX_ENCODED_LENGTH}", urn=urn
        )
    for f, part in zip(key.key_fields, u.parts):
        if f.symbols and part not in f.symbols:
            raise InvalidUrnError(
                f"invalid urn {urn!r}: key field {f.name!r} expects one of {', '.join(f.symbols)}, got {part!r}",
                urn=urn,
            )
    for i, name, entity_types in _urn_key_fields(key.name):
        why = _key_urn_problem(u.parts[i], entity_types, registry)
        if why:
            raise InvalidUrnError(f"invalid urn {urn!r}: key field {name!r} must be an urn: {why}", urn=urn)
    return u


@lru_cache(maxsize=None)
def _urn_key_fields(key_aspect: str) -> Tuple[Tuple[int, str, Optional[Tuple[str, ...]]], ...]:
    """The key fields typed as an urn: (position, name, entity types its relationship allows or None)."""
    from litemeta.model.pegasus import resolved_schema
    from litemeta.model.registry import load_registry

    spec = load_registry().aspects[key_aspect]
    out = []
    for i, f in enumerate(resolved_schema(spec.schema).fields):
        if f.urn:
            rel = spec.relationships.get("/" + f.name)
            types = tuple(rel["entityTypes"]) if rel and rel.get("entityTypes") else None
            out.append((i, f.name, types))
    return tuple(out)


def _key_urn_problem(part: str, entity_types: Optional[Tuple[str, ...]], registry: Registry) -> Optional[str]:
    """What ``EntityRegistryUrnValidator`` finds wrong with an urn-typed key part (None: nothing)."""
    try:
        inner = parse_urn(part)
    except InvalidUrnError as e:
        return e.message.replace(f"invalid urn {part!r}: ", "") + f" (got {part!r})"
    key = registry.key_aspect(inner.entity_type) if inner.entity_type in registry.entities else None
    if key is None:
        return f"{part!r} has the unknown entity type {inner.entity_type!r}"
    if len(inner.parts) != len(key.key_fields):
        return f"{part!r}: entity {inner.entity_type!r} has {len(key.key_fields)} key part(s), got {len(inner.parts)}"
    if entity_types is not None and inner.entity_type not in entity_types:
        return f"{part!r} is a {inner.entity_type} urn; expected one of {', '.join(entity_types)}"
    return None


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
            raise InvalidUrnError(
                f"invalid urn {urn!r}: key field {field!r} expects {type_}, got {part!r}", urn=urn
            ) from None
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
