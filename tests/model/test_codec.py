"""The file-sink and MCP codecs against the SDK's own writer and reader (formats.md §1)."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any, List

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.ingestion.sink.file import _to_obj_for_file
from datahub.ingestion.sink.file import write_metadata_file as sdk_write
from datahub.ingestion.source.file import _from_obj_for_file, read_metadata_file
from datahub.metadata import schema_classes as m
from datahub.specific.dataset import DatasetPatchBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from litemeta.errors import ChangeTypeError, UnknownAspectError, ValidationError
from litemeta.model.codec import (
    LegacyMCE,
    proposal_from_mcp_value,
    proposal_to_mcp_value,
    proposal_to_obj,
    proposals_of,
    record_from_obj,
    record_to_obj,
    write_metadata_file,
)
from litemeta.model.proposal import DELETE, JSON, JSON_PATCH, PATCH, Origin, Proposal
from tests.sdkcorpus import build_records, extra_records

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"
ORIGIN = Origin("f.json", 7)


def _sdk_bytes(tmp_path: pathlib.Path, records: List[Any]) -> bytes:
    path = tmp_path / "sdk.json"
    sdk_write(path, records)
    return path.read_bytes()


def _litemeta_bytes(objs: List[Any]) -> bytes:
    buf = io.StringIO()
    write_metadata_file(buf, [record_from_obj(o, Origin("x", i)) for i, o in enumerate(objs)])
    return buf.getvalue().encode("utf-8")


@pytest.mark.parametrize("size,seed", [(400, 1), (900, 7), (1500, 42)])
def test_sdk_corpus_round_trips_byte_identically(tmp_path: pathlib.Path, size: int, seed: int) -> None:
    """formats.md §1: what the SDK's write_metadata_file writes, litemeta parses and writes back unchanged."""
    original = _sdk_bytes(tmp_path, build_records(size, seed))
    assert _litemeta_bytes(json.loads(original)) == original


def test_rare_shapes_round_trip_byte_identically(tmp_path: pathlib.Path) -> None:
    """entityKeyAspect, headers, empty aspect, unions in MCEs, floats, non-ASCII: still byte-identical."""
    original = _sdk_bytes(tmp_path, extra_records())
    assert _litemeta_bytes(json.loads(original)) == original


def test_empty_file_matches_sdk(tmp_path: pathlib.Path) -> None:
    buf = io.BytesIO()
    assert write_metadata_file(buf, []) == 0
    assert buf.getvalue() == _sdk_bytes(tmp_path, [])


def test_writer_accepts_path_and_binary_stream(tmp_path: pathlib.Path) -> None:
    objs = json.loads(_sdk_bytes(tmp_path, extra_records()))
    recs = [record_from_obj(o) for o in objs]
    write_metadata_file(tmp_path / "out.json", recs)
    buf = io.BytesIO()
    write_metadata_file(buf, recs)
    assert (tmp_path / "out.json").read_bytes() == buf.getvalue() == (tmp_path / "sdk.json").read_bytes()


def test_sdk_reads_what_litemeta_writes(tmp_path: pathlib.Path) -> None:
    """The SDK's reader gives back the SDK records litemeta re-wrote.

    Excluded: what the SDK's reader cannot read even from the SDK's own writer, DELETEs (no aspect
    key, next test) and an empty aspect (``{"json": {}}`` is not rewritten to the nested form).
    """
    sdk_records = [
        r
        for r in build_records(300, 5) + extra_records()
        if getattr(r, "changeType", None) != DELETE
        and _to_obj_for_file(r).get("aspect", {}).get("json", True) not in ({}, [])
    ]
    objs = json.loads(_sdk_bytes(tmp_path, sdk_records))
    out = tmp_path / "litemeta.json"
    write_metadata_file(out, [record_from_obj(o) for o in objs])
    read_back = list(read_metadata_file(out))
    assert len(read_back) == len(sdk_records)
    for a, b in zip(read_back, sdk_records):
        assert _to_obj_for_file(a) == _to_obj_for_file(b)


def test_delete_written_without_aspect_key_like_the_sdk(tmp_path: pathlib.Path) -> None:
    """formats.md §1 DELETE: the SDK writes no aspect key (and its own reader rejects that); litemeta matches the writer."""
    w = MCPW(entityUrn=DS, changeType=m.ChangeTypeClass.DELETE, aspectName="status")
    obj = json.loads(_sdk_bytes(tmp_path, [w]))[0]
    assert "aspect" not in obj
    p = record_from_obj(obj, ORIGIN)
    assert p.change_type == DELETE and p.aspect is None and p.aspect_name == "status"
    assert proposal_to_obj(p) == obj
    with pytest.raises(ValueError):
        _from_obj_for_file(dict(obj))  # upstream's reader: "Unknown object type"


def test_empty_aspect_is_read_although_the_sdk_reader_fails(tmp_path: pathlib.Path) -> None:
    """formats.md §1 upstream quirk: the SDK's reader skips the json->value rewrite for an empty aspect."""
    mcpc = m.MetadataChangeProposalClass(
        entityType="dataset",
        entityUrn=DS,
        changeType="UPSERT",
        aspectName="status",
        aspect=m.GenericAspectClass(value=b"{}", contentType="application/json"),
    )
    obj = json.loads(_sdk_bytes(tmp_path, [mcpc]))[0]
    assert obj["aspect"] == {"json": {}}
    with pytest.raises(Exception):  # noqa: B017 - acryl-datahub's own reader: whatever it raises
        _from_obj_for_file(json.loads(json.dumps(obj)))
    p = record_from_obj(obj, ORIGIN)
    assert p.aspect == {} and proposal_to_obj(p) == obj


@pytest.mark.parametrize("aspect_form", ["absent", "null"])
def test_delete_forms(aspect_form: str) -> None:
    obj = {"entityType": "dataset", "entityUrn": DS, "changeType": "DELETE", "aspectName": "datasetKey"}
    if aspect_form == "null":
        obj["aspect"] = None
    p = record_from_obj(obj, ORIGIN)
    assert isinstance(p, Proposal)
    assert (p.change_type, p.aspect_name, p.aspect, p.entity_type) == ("DELETE", "datasetKey", None, "dataset")


def test_nested_dialect_equals_simplified(tmp_path: pathlib.Path) -> None:
    """Both MCP dialects (aspect.json / aspect.value + contentType) give the same proposals."""
    sdk_records = [r for r in build_records(400, 3) if not isinstance(r, m.MetadataChangeEventClass)]
    simplified = [_to_obj_for_file(r) for r in sdk_records]
    nested = [_to_obj_for_file(r, simplified_structure=False) for r in sdk_records]
    assert any("value" in (o.get("aspect") or {}) for o in nested)
    for s, n in zip(simplified, nested):
        ps, pn = record_from_obj(s, ORIGIN), record_from_obj(n, ORIGIN)
        assert ps == pn
        if ps.change_type == PATCH:
            assert ps.content_type == JSON_PATCH


def test_patch_shapes_kept_as_written() -> None:
    """formats.md §1 PATCH: a list of operations, or {patch, arrayPrimaryKeys}; recognised by changeType."""
    tags = DatasetPatchBuilder(DS).add_tag(m.TagAssociationClass(tag="urn:li:tag:pii")).build()[0]
    props = DatasetPatchBuilder(DS).set_description("d").build()[0]
    pt = record_from_obj(_to_obj_for_file(tags), ORIGIN)
    pp = record_from_obj(_to_obj_for_file(props), ORIGIN)
    assert pt.change_type == pp.change_type == PATCH
    assert set(pt.aspect) == {"patch", "arrayPrimaryKeys"}
    assert pt.aspect["patch"][0]["path"] == "/tags//urn:li:tag:pii"
    assert pp.aspect == [{"op": "add", "path": "/description", "value": "d"}]
    assert pt.is_patch and pt.content_type == JSON_PATCH


def test_entity_key_aspect_without_urn(tmp_path: pathlib.Path) -> None:
    w = MCPW(
        entityType="dataset",
        entityKeyAspect=m.DatasetKeyClass(platform="urn:li:dataPlatform:hive", name="db.k", origin="PROD"),
        aspect=m.StatusClass(removed=False),
    )
    obj = json.loads(_sdk_bytes(tmp_path, [w]))[0]
    p = record_from_obj(obj, ORIGIN)
    assert p.entity_urn == "" and p.entity_type == "dataset"
    assert p.entity_key_aspect == {"platform": "urn:li:dataPlatform:hive", "name": "db.k", "origin": "PROD"}


def test_mce_expands_into_one_upsert_per_aspect_with_pegasus_json(registry: Any) -> None:
    """formats.md §1 legacy MCE: each aspect becomes the UPSERT an MCPW of it would be, in Pegasus JSON."""
    for rec in [r for r in extra_records() + build_records(800, 2) if isinstance(r, m.MetadataChangeEventClass)]:
        snap = rec.proposedSnapshot
        mce = record_from_obj(_to_obj_for_file(rec), ORIGIN)
        assert isinstance(mce, LegacyMCE) and mce.urn == snap.urn
        proposals = proposals_of(mce, registry)
        assert len(proposals) == len(snap.aspects)
        for p, aspect in zip(proposals, snap.aspects):
            expected = MCPW(entityUrn=snap.urn, aspect=aspect, systemMetadata=rec.systemMetadata).to_obj(
                simplified_structure=True
            )
            assert p.change_type == "UPSERT" and p.aspect_name == aspect.get_aspect_name()
            assert p.aspect == expected["aspect"]["json"]
            assert p.system_metadata == expected.get("systemMetadata")
            assert p.origin == ORIGIN


def test_mce_with_unknown_record_name_names_it(registry: Any) -> None:
    obj = {
        "proposedSnapshot": {
            "com.linkedin.pegasus2avro.metadata.snapshot.DatasetSnapshot": {
                "urn": DS,
                "aspects": [{"com.linkedin.pegasus2avro.common.Nope": {}}],
            }
        }
    }
    with pytest.raises(UnknownAspectError) as e:
        proposals_of(record_from_obj(obj, ORIGIN), registry)
    assert (e.value.file, e.value.index, e.value.urn) == ("f.json", 7, DS)
    assert "com.linkedin.pegasus2avro.common.Nope" in str(e.value)


def test_usage_aggregation_is_rejected_clearly() -> None:
    with pytest.raises(ValidationError, match="UsageAggregation records are not supported") as e:
        record_from_obj({"bucket": 1, "duration": "DAY", "resource": DS, "metrics": {}}, ORIGIN)
    assert (e.value.file, e.value.index) == ("f.json", 7)


@pytest.mark.parametrize(
    "obj,expected",
    [
        ({"foo": 1, "bar": 2}, "keys found: bar, foo; expected an MCP"),
        ([1, 2], "record is a JSON array"),
        ({"entityUrn": DS, "changeType": "UPSERT", "aspectName": "status"}, "UPSERT proposal needs an aspect"),
        ({"entityUrn": DS, "changeType": "UPSERT", "aspect": {"json": {}}}, "aspectName is missing"),
        ({"entityUrn": DS, "aspectName": "status", "aspect": {"json": {}}}, "changeType is missing"),
        ({"changeType": "UPSERT", "aspectName": "status", "aspect": {"json": {}}}, "entityUrn is missing"),
        (
            {"entityUrn": DS, "changeType": "UPSERT", "aspectName": "status", "aspect": {"value": "{bad"}},
            "not valid JSON text",
        ),
        (
            {"entityUrn": DS, "changeType": "UPSERT", "aspectName": "status", "aspect": {"x": 1}},
            "expected 'json' or 'value'",
        ),
        (
            {"entityUrn": 5, "changeType": "UPSERT", "aspectName": "status", "aspect": {"json": {}}},
            "entityUrn must be a string",
        ),
        ({"proposedSnapshot": {"A": {"urn": DS}}}, "has no aspects list"),
    ],
)
def test_malformed_records_name_the_problem(obj: Any, expected: str) -> None:
    with pytest.raises(ValidationError) as e:
        record_from_obj(obj, ORIGIN)
    assert expected in e.value.message
    assert "f.json#7" in str(e.value)


def test_unknown_change_type() -> None:
    with pytest.raises(ChangeTypeError, match="unknown changeType 'MERGE'"):
        record_from_obj(
            {"entityUrn": DS, "changeType": "MERGE", "aspectName": "status", "aspect": {"json": {}}}, ORIGIN
        )


def test_mcp_value_matches_the_sdk_mcp() -> None:
    """design.md choice 8: the topic value is the SDK's MetadataChangeProposal JSON, aspect text included."""
    sdk_records = [r for r in build_records(500, 9) + extra_records() if not isinstance(r, m.MetadataChangeEventClass)]
    for r in sdk_records:
        mcp = r.make_mcp() if isinstance(r, MCPW) else r
        expected = json.loads(json.dumps(mcp.to_obj()))
        p = record_from_obj(_to_obj_for_file(r), ORIGIN)
        assert proposal_to_mcp_value(p) == expected
        assert proposal_from_mcp_value(expected, ORIGIN) == p


def test_opaque_content_type_kept() -> None:
    obj = {
        "entityType": "dataset",
        "entityUrn": DS,
        "changeType": "UPSERT",
        "aspectName": "status",
        "aspect": {"value": "<xml/>", "contentType": "application/xml"},
    }
    p = record_from_obj(obj, ORIGIN)
    assert (p.aspect, p.content_type) == ("<xml/>", "application/xml")
    assert proposal_to_obj(p) == obj


_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_json = st.recursive(
    _json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=10
)


@settings(max_examples=150, deadline=None)
@given(
    aspect_name=st.sampled_from(["status", "datasetProperties", "globalTags", "ownership"]),
    change=st.sampled_from(["UPSERT", "CREATE", "PATCH", "DELETE", "CREATE_ENTITY"]),
    value=st.dictionaries(st.text(max_size=8), _json, max_size=4),
    sm=st.none() | st.dictionaries(st.sampled_from(["runId", "lastObserved", "properties"]), _json, max_size=3),
    headers=st.none() | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
def test_codecs_round_trip(aspect_name: str, change: str, value: Any, sm: Any, headers: Any) -> None:
    aspect = None if change == DELETE else value
    p = Proposal(
        DS,
        aspect_name,
        change,
        aspect,
        content_type=JSON_PATCH if change == PATCH else JSON,
        system_metadata=sm,
        headers=headers,
    )
    assert record_from_obj(json.loads(json.dumps(record_to_obj(p)))) == p
    assert proposal_from_mcp_value(json.loads(json.dumps(proposal_to_mcp_value(p)))) == p
