"""Urns (datahub-semantics.md §6, R6.1-R6.6), checked against the SDK's own urn classes."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from datahub.metadata.urns import Urn as SdkUrn
from datahub.utilities.urns.error import InvalidUrnError as SdkInvalidUrn
from hypothesis import given
from hypothesis import strategies as st

from litemeta.errors import InvalidUrnError
from litemeta.model.registry import load_registry
from litemeta.model.urns import (
    MAX_ENCODED_LENGTH,
    key_aspect_from_urn,
    make_urn,
    parse_urn,
    split_tuple_key,
    url_encoded_length,
    urn_from_key,
    validate_urn,
)

REG = load_registry()
DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.table,PROD)"


def test_r6_2_tuple_keys_with_nesting() -> None:
    u = parse_urn("urn:li:schemaField:(urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD),a.b)")
    assert u.entity_type == "schemaField"
    assert u.parts == ("urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)", "a.b")
    assert parse_urn("urn:li:y:(a,b(c,d))").parts == ("a", "b(c,d)")


def test_r6_2_one_part_in_parentheses_prints_bare() -> None:
    assert str(parse_urn("urn:li:y:(urn:li:z:1)")) == "urn:li:y:urn:li:z:1"
    assert str(parse_urn(DS)) == DS


@pytest.mark.parametrize(
    "bad,why",
    [
        ("urn:li:dataset", "expected"),
        ("nope:li:x:1", "expected"),
        ("urn:Li:x:1", "namespace"),
        ("urn:li:9x:1", "entity type"),
        ("urn:li:x:", "empty key"),
        ("urn:li:x:(a,,b)", "empty part"),
        ("urn:li:x:(a,b", "does not end"),
        ("urn:li:x:a)b", "unbalanced"),
        (" urn:li:x:1", "whitespace"),
        ("urn:li:x:a\u241fb", "U+241F"),
    ],
)
def test_r6_1_r6_3_malformed_urns_name_the_problem(bad: str, why: str) -> None:
    with pytest.raises(InvalidUrnError) as err:
        parse_urn(bad)
    assert why in str(err.value) and repr(bad) in str(err.value)


def test_r6_3_part_count_and_enum_checked_against_the_key() -> None:
    with pytest.raises(InvalidUrnError, match="3 key part"):
        validate_urn("urn:li:dataset:(urn:li:dataPlatform:hive,db.t)", REG)
    with pytest.raises(InvalidUrnError, match="origin"):
        validate_urn("urn:li:dataset:(urn:li:dataPlatform:hive,db.t,NOPE)", REG)
    with pytest.raises(InvalidUrnError, match="unknown entity type"):
        validate_urn("urn:li:nosuchthing:1", REG)


def test_r6_4_key_aspect_from_urn_and_back() -> None:
    name, key = key_aspect_from_urn(DS, REG)
    assert (name, key) == ("datasetKey", {"platform": "urn:li:dataPlatform:hive", "name": "db.table", "origin": "PROD"})
    assert urn_from_key("dataset", key, REG) == DS
    with pytest.raises(InvalidUrnError, match="lacks field"):
        urn_from_key("dataset", {"platform": "urn:li:dataPlatform:hive"}, REG)


SAFE = st.text(
    alphabet=st.characters(blacklist_characters="(),\u241f", blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s.strip() == s)


@given(parts=st.lists(SAFE, min_size=1, max_size=4))
def test_round_trip_agrees_with_the_sdk(parts: list) -> None:
    """parse(make(parts)) gives the parts back, and the SDK's Urn parser reads the same parts."""
    text = make_urn("thing", parts)
    assert list(parse_urn(text).parts) == parts
    try:
        sdk = SdkUrn.from_string(text)
    except SdkInvalidUrn:
        return
    assert sdk.entity_type == "thing" and list(sdk.entity_ids) == parts


@given(key=st.text(alphabet="ab,()", min_size=1, max_size=14))
def test_r6_2_tuple_keys_split_as_the_sdk_splits_them(key: str) -> None:
    """Every key of commas and parentheses: litemeta's parts are the SDK parser's, whenever both
    accept the key (split_tuple_key's shortcuts for bare and flat keys included)."""
    try:
        ours = list(split_tuple_key(key))
    except InvalidUrnError:
        return
    try:
        sdk = SdkUrn.from_string("urn:li:thing:" + key)
    except SdkInvalidUrn:
        return
    assert ours == list(sdk.entity_ids)


def _java_url_encode(text: str) -> str:
    """java.net.URLEncoder.encode(text, UTF-8): letters, digits and .-*_ kept, space as +, the rest
    %XY per UTF-8 byte (Python keeps ~ and encodes *, so both are adjusted)."""
    return quote_plus(text.encode("utf-8", "replace"), safe="*").replace("~", "%7E")


@given(urn=st.text(max_size=40))
def test_r6_3_url_encoded_length_is_java_urlencoders(urn: str) -> None:
    assert url_encoded_length(urn) == len(_java_url_encode(urn))


def test_r6_3_urn_too_long_when_url_encoded() -> None:
    """The limit is on the URL-encoded length: the dataset urn's frame encodes to 67 characters
    (':', '(' and ',' are 3 each), a '/' to 3."""

    def urn(name: str) -> str:
        return f"urn:li:dataset:(urn:li:dataPlatform:hive,{name},PROD)"

    validate_urn(urn("x" * 400 + "/" * 15), REG)  # 67 + 400 + 45 = 512: accepted
    with pytest.raises(InvalidUrnError, match=f"URL-encoded length 513 exceeds {MAX_ENCODED_LENGTH}"):
        validate_urn(urn("x" * 401 + "/" * 15), REG)
    assert len(urn("x" * 401 + "/" * 15)) == 463  # below 512 before encoding
    assert url_encoded_length("\ud800") == 3  # a lone surrogate is one '?' byte, as Java encodes it
