"""model/jsontext.py: orjson for speed, the standard library as the reference for meaning."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litemeta.model import jsontext

_STD = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

# JSON values as DataHub aspects hold them (no NaN: not JSON), nested a few levels.
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_dumps_parses_back_to_the_same_value_as_the_standard_library_text(value: Any) -> None:
    text = jsontext.dumps(value)
    assert json.loads(text) == json.loads(_STD.encode(value))
    assert jsontext.loads(text) == value
    assert jsontext.loads(text.encode("utf-8")) == value


def test_dumps_is_the_compact_stored_form() -> None:
    value = {"b": [1, 2.5, None, True], "a": {"x": 'é"\\\n'}, "c": "\u2028"}
    assert jsontext.dumps(value) == _STD.encode(value)  # key order kept, no spaces, no ASCII escapes


def test_values_orjson_refuses_go_to_the_standard_library() -> None:
    big = 2**70
    assert jsontext.dumps({"n": big}) == '{"n":%d}' % big
    assert jsontext.dumps({1: "a", None: "b"}) == '{"1":"a","null":"b"}'  # json's key coercion


@pytest.mark.parametrize(
    "value", [dataclasses.make_dataclass("D", ["x"])(1), datetime.datetime(2024, 1, 1), {1, 2}, object()]
)
def test_what_the_standard_library_refuses_is_still_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        json.dumps(value)
    with pytest.raises(TypeError):
        jsontext.dumps({"v": value})


def test_loads_keeps_the_standard_library_meaning_for_text_orjson_refuses() -> None:
    assert math.isnan(jsontext.loads('{"x": NaN}')["x"])
    assert jsontext.loads('{"x": 1e400}')["x"] == math.inf
    assert jsontext.loads('"\\ud800"') == "\ud800"  # a lone surrogate escape, as json.loads reads it


@pytest.mark.parametrize("text", ['{"a": 1', "", "[1,]", '{"a" 1}', b'{"a": "\xff"}'])
def test_invalid_text_raises_a_value_error(text: Any) -> None:
    with pytest.raises(ValueError):
        jsontext.loads(text)
    with pytest.raises(ValueError):
        jsontext.loads_strict(text)


def test_loads_strict_refuses_what_orjson_refuses() -> None:
    with pytest.raises(ValueError):
        jsontext.loads_strict('{"x": NaN}')
    assert jsontext.loads_strict(memoryview(b'{"x": [1, 2]}')[0:13]) == {"x": [1, 2]}
