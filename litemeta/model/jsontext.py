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
- :func:`loads` takes ``str`` or UTF-8 ``bytes``. Text orjson refuses (``NaN``, lone
  surrogates, numbers out of double range, nesting deeper than 1024) goes to ``json.loads``,
  which accepts it or raises its usual :class:`json.JSONDecodeError`. One difference remains:
  an integer literal beyond 64 bits is read as the nearest float (what DataHub's Jackson does
  for a ``double`` field); Pegasus ``int``/``long`` fields never hold one.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Tuple, Union

import orjson

_STD = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_orjson_dumps = orjson.dumps
_orjson_loads = orjson.loads


def _refuse(obj: Any) -> Any:
    raise TypeError(type(obj).__name__)


def dumps(value: Any) -> str:
    """Compact JSON text of ``value`` (the stored form)."""
    try:
        return _orjson_dumps(value, _refuse, _OPTIONS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _STD.encode(value)


def loads(text: Union[str, bytes, bytearray, memoryview]) -> Any:
    """Parse JSON text (``str`` or UTF-8 bytes)."""
    try:
        return _orjson_loads(text)
    except orjson.JSONDecodeError:
        if not isinstance(text, str):
            text = bytes(text).decode("utf-8")  # a UnicodeDecodeError is a ValueError, as json's
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
    c = text[i:i + 1]
    if c == "{":
        out: Dict[str, Any] = {}
        i = _skip(text, i + 1)
        if text[i:i + 1] == "}":
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
        if text[i:i + 1] == "]":
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
