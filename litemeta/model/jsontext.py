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
from typing import Any, Union

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


def loads_strict(text: Union[str, bytes, bytearray, memoryview]) -> Any:
    """Parse JSON text with orjson alone: raises ValueError for anything orjson refuses."""
    return _orjson_loads(text)
