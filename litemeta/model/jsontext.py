"""Compact JSON text, at C speed both ways: the one home of orjson.

Every JSON text litemeta stores (aspect rows, systemMetadata, topic records, batch indexes) is
written by :func:`dumps` and read back by :func:`loads`; the metadata-file readers parse records
with :func:`loads` too. orjson does the work: it encodes about 3.5x and decodes about 3x faster
than the standard library on DataHub aspects (``benchmarks/README.md``). The standard library
stays the reference for everything orjson does not take, so that no input changes meaning:

- :func:`dumps` output is the standard library's ``separators=(",", ":"), ensure_ascii=False``
  form, except that floats use the shortest form without padding (``1e-5``, not ``1e-05``);
  either parses back to the same float. Values orjson refuses (integers beyond 64 bits, keys
  that are not strings, objects the standard library would also refuse) go to the standard
  library, which encodes them or raises its usual ``TypeError``/``ValueError``. Dataclasses and
  datetimes are refused on purpose (orjson would encode them, the standard library does not).
  NaN and infinities are not JSON: orjson writes ``null``; the standard library wrote ``NaN``.
  Text with a lone surrogate (which no UTF-8 store can hold) is written with ``\\uXXXX``
  escapes, which :func:`loads` reads back to the same string; :func:`dumps_utf8` refuses it
  instead (the write path rejects such values, as DataHub's JSON writer does).
- :func:`loads` takes ``str`` or UTF-8 ``bytes``. Text orjson refuses (``NaN``, lone
  surrogates, numbers out of double range, nesting deeper than 1024) goes to ``json.loads``,
  which accepts it or raises its usual :class:`json.JSONDecodeError`. One difference remains:
  an integer literal beyond 64 bits is read as the nearest float (what DataHub's Jackson does
  for a ``double`` field); Pegasus ``int``/``long`` fields never hold one.
- Nesting: a JSON text may nest at most :data:`MAX_DEPTH` (1,024) levels, orjson's own limit.
  Deeper text raises :class:`NestingError` (a ``ValueError``), whichever parser reads it, never
  a ``RecursionError``. DataHub's Jackson refuses an aspect nested more than 1,000 levels
  (``StreamReadConstraints.DEFAULT_MAX_DEPTH``, jackson-core 2.15+; DataHub's
  ``ObjectMapperFactory`` only raises the string length), and a record adds 3 levels around its
  aspect: every aspect DataHub accepts fits, and no aspect schema nests anywhere near as deep.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import orjson

MAX_DEPTH = 1024  # levels of nesting of one JSON text (orjson's limit; see the module doc)

_STD = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
_STD_ASCII = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, check_circular=False)


class NestingError(ValueError):
    """JSON nested deeper than :data:`MAX_DEPTH` levels (or a value too deep to encode)."""


class LoneSurrogateError(ValueError):
    """A string holds a lone surrogate (``\\udc80``): not Unicode text, so not storable as UTF-8.
    ``path`` is the JSON pointer of the string (or of the object key) that holds it."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"a string at {path or '/'} holds a lone surrogate (not valid Unicode text)")


_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_orjson_dumps = orjson.dumps
_orjson_loads = orjson.loads


def _refuse(obj: Any) -> Any:
    raise TypeError(type(obj).__name__)


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (the stored form), always encodable as UTF-8."""
    try:
        return _orjson_dumps(value, _refuse, _OPTIONS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text = _std_encode(_STD, value)
        if text.isascii():
            return text
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: escaped, so that the text can be stored
            return _std_encode(_STD_ASCII, value)
        return text


def dumps_utf8(value: Any) -> str:
    """:func:`dumps`, refusing a value with a lone surrogate: :class:`LoneSurrogateError` names
    where it is. For values about to be stored as a record's own data (aspects, systemMetadata)."""
    try:
        return _orjson_dumps(value, _refuse, _OPTIONS).decode("utf-8")
    except TypeError:
        path = lone_surrogate_path(value)
        if path is not None:
            raise LoneSurrogateError(path) from None
        return _std_encode(_STD, value)


def _std_encode(encoder: json.JSONEncoder, value: Any) -> str:
    """The standard library's text; a value nested up to :data:`MAX_DEPTH` levels is encoded even
    when that is deeper than the interpreter's recursion limit allows, anything deeper raises
    :class:`NestingError`."""
    try:
        return encoder.encode(value)
    except RecursionError:
        pass
    if _too_deep(value):
        raise NestingError(f"value nested more than {MAX_DEPTH} levels") from None
    with recursion_room():
        return encoder.encode(value)


def loads(text: Union[str, bytes, bytearray, memoryview]) -> Any:
    """Parse JSON text (``str`` or UTF-8 bytes); :class:`NestingError` beyond :data:`MAX_DEPTH` levels."""
    try:
        return _orjson_loads(text)
    except orjson.JSONDecodeError:
        if not isinstance(text, str):
            text = bytes(text).decode("utf-8")  # a UnicodeDecodeError is a ValueError, as json's
        return std_loads(text)


def std_loads(text: Union[str, bytes, bytearray]) -> Any:
    """``json.loads`` (the standard library's meaning: NaN, big integers, lone surrogates), but
    text nested deeper than :data:`MAX_DEPTH` raises :class:`NestingError`, and text within it
    parses even where that is deeper than the interpreter's recursion limit. For any JSON text a
    user hands in: it raises ``ValueError`` (never ``RecursionError``) for text it cannot read."""
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8")  # a UnicodeDecodeError is a ValueError
    if text.count("[") + text.count("{") > MAX_DEPTH:  # (fewer brackets cannot nest deeper: no scan)
        depth = text_depth(text)  # decided on the text, whatever the interpreter's recursion limit is
        if depth > MAX_DEPTH:
            raise NestingError(f"JSON nested {depth} levels deep; at most {MAX_DEPTH} are accepted")
    try:
        return json.loads(text)
    except RecursionError:
        pass
    with recursion_room():
        return json.loads(text)


# The standard library's (C) scanner of one JSON value: (value, end index) from a start index.
_SCAN: Callable[[str, int], Tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_SPACE = " \t\n\r"


def loads_bounded(text: str, max_chars: int, max_items: int) -> Any:
    """Parse JSON text keeping at most ``max_items`` elements of each array and the first
    ``max_chars`` characters of each string: the value a reader that looks no further would see,
    without ever holding the whole of a huge document as objects (a 50 MB aspect of 100,000
    columns). Objects are walked here; scalars and skipped elements go through the standard
    library's C scanner, so the skipped part costs C time and no memory."""
    value, end = _bounded(text, _skip(text, 0), max_chars, max_items)
    if _skip(text, end) != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    return i


def _expect(text: str, i: int, chars: str) -> int:
    i = _skip(text, i)
    if i >= len(text) or text[i] not in chars:
        raise json.JSONDecodeError(f"Expecting one of {chars!r}", text, i)
    return i


def _bounded(text: str, i: int, max_chars: int, max_items: int) -> Tuple[Any, int]:
    c = text[i : i + 1]
    if c == "{":
        out: Dict[str, Any] = {}
        i = _skip(text, i + 1)
        if text[i : i + 1] == "}":
            return out, i + 1
        while True:
            i = _expect(text, i, '"')
            key, i = _SCAN(text, i)
            i = _expect(text, i, ":")
            out[key], i = _bounded(text, _skip(text, i + 1), max_chars, max_items)
            i = _expect(text, i, ",}")
            if text[i] == "}":
                return out, i + 1
            i += 1
    if c == "[":
        items: List[Any] = []
        i = _skip(text, i + 1)
        if text[i : i + 1] == "]":
            return items, i + 1
        while True:
            if len(items) < max_items:
                item, i = _bounded(text, _skip(text, i), max_chars, max_items)
                items.append(item)
            else:
                _, i = _SCAN(text, _skip(text, i))  # parsed in C and dropped
            i = _expect(text, i, ",]")
            if text[i] == "]":
                return items, i + 1
            i += 1
    try:
        value, end = _SCAN(text, i)
    except StopIteration:
        raise json.JSONDecodeError("Expecting value", text, i) from None
    if isinstance(value, str) and len(value) > max_chars:
        value = value[:max_chars]
    return value, end


def loads_strict(text: Union[str, bytes, bytearray, memoryview]) -> Any:
    """Parse JSON text with orjson alone: raises ValueError for anything orjson refuses."""
    return _orjson_loads(text)


# ------------------------------------------------------------------------------ depth, surrogates
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def text_depth(text: str) -> int:
    """How many levels the brackets of JSON text nest (strings skipped; for text that failed to parse)."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif c in "]}":
            depth -= 1
    return deepest


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether a decoded value nests lists and dicts more than ``limit`` levels (iterative: any depth)."""
    stack: List[Tuple[Any, int]] = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            children: Any = v.values()
        elif isinstance(v, list):
            children = v
        else:
            continue
        if d > limit:
            return True
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return False


def _too_deep(value: Any) -> bool:
    return depth_exceeds(value, MAX_DEPTH)


class recursion_room:
    """Raise the recursion limit by enough for :data:`MAX_DEPTH` levels (two frames each), for a
    block: for recursive code walking a value the parsers accepted, whatever the caller's depth."""

    def __enter__(self) -> None:
        self._old = sys.getrecursionlimit()
        sys.setrecursionlimit(self._old + 2 * MAX_DEPTH + 100)

    def __exit__(self, *exc: Any) -> None:
        sys.setrecursionlimit(self._old)


def lone_surrogate_path(value: Any) -> Optional[str]:
    """The JSON pointer of the first string or key holding a lone surrogate, or None."""
    for path, s in _strings(value, ""):
        if not s.isascii():
            try:
                s.encode("utf-8")
            except UnicodeEncodeError:
                return path or "/"
    return None


def _strings(value: Any, path: str) -> Iterator[Tuple[str, str]]:
    stack: List[Tuple[Any, str]] = [(value, path)]
    while stack:
        v, p = stack.pop()
        if isinstance(v, str):
            yield p, v
        elif isinstance(v, dict):
            for k, x in v.items():
                q = p + "/" + str(k).replace("~", "~0").replace("/", "~1")
                if isinstance(k, str):
                    yield q, k
                stack.append((x, q))
        elif isinstance(v, (list, tuple)):
            stack.extend((x, f"{p}/{i}") for i, x in enumerate(v))
