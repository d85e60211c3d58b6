"""Issue 15: one bad record is rejected on its own (dead-letter topic + report naming record and
field), its valid neighbours are written, and ``check metadata-file`` says the same as ``ingest``.

Records are built with the SDK and written with its file sink; a bad record is an SDK record
whose JSON is then changed the way a hostile or broken producer would write it.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any, Callable, Dict, List

import pytest
from click.testing import CliRunner
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.ingestion.sink.file import write_metadata_file as sdk_write
from datahub.metadata import schema_classes as m

import litemeta
from litemeta.cli import main
from litemeta.model.events import FAILED_MCP_TOPIC, MCL_VERSIONED_TOPIC, MCP_TOPIC

T0 = 1_700_000_000_000


def _urn(i: int) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:hive,db.t{i},PROD)"


def _good(i: int) -> Dict[str, Any]:
    mcp = MCPW(
        entityUrn=_urn(i),
        aspect=m.DatasetPropertiesClass(description=f"table {i}"),
        systemMetadata=m.SystemMetadataClass(lastObserved=T0 + i, runId="r"),
    )
    return dict(mcp.to_obj(simplified_structure=True))


def _with(path: str, value: Any) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    """A change to a record: set the value at a '/'-separated path of keys."""

    def change(rec: Dict[str, Any]) -> Dict[str, Any]:
        keys = path.split("/")
        node = rec
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = value
        return rec

    return change


_DEEP = "__nested_10000_levels__"  # replaced in the file's text: json.dumps cannot write it


def _write(path: pathlib.Path, records: List[Dict[str, Any]]) -> pathlib.Path:
    """The file sink's bytes (json.dumps(indent=4) per record; the standard library writes NaN as NaN)."""
    sdk_write(path, records)
    text = path.read_text()
    if _DEEP in text:
        path.write_text(text.replace(f'"{_DEEP}"', "[" * 10_000 + '"x"' + "]" * 10_000))
    return path


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# (id, change to record 1, the field the report names, the words the message has)
BAD_RECORDS = [
    (
        "lastObserved-year-10000",
        _with("systemMetadata/lastObserved", 253_402_300_800_000),
        "systemMetadata/lastObserved",
        "9999-12-31",
    ),
    ("lastObserved-2^70", _with("systemMetadata/lastObserved", 2**70), "systemMetadata/lastObserved", "long"),
    (
        "lastObserved-string",
        _with("systemMetadata/lastObserved", "yesterday"),
        "systemMetadata/lastObserved",
        "expected long",
    ),
    ("lastObserved-negative", _with("systemMetadata/lastObserved", -1), "systemMetadata/lastObserved", "from 0"),
    ("runId-not-a-string", _with("systemMetadata/runId", 7), "systemMetadata/runId", "expected string"),
    (
        "lone-surrogate-urn",
        _with("entityUrn", "urn:li:dataset:(urn:li:dataPlatform:hive,db.\udc80,PROD)"),
        None,
        "lone surrogate",
    ),
    ("lone-surrogate-value", _with("aspect/json/description", "bad \udc80 text"), "/description", "lone surrogate"),
    ("nested-10000-levels", _with("aspect/json/tags", _DEEP), "/tags/0", "got an array nested more than"),
    ("nan", _with("aspect/json/customProperties", {}), None, None),  # replaced below: a profile with NaN
    ("infinity", _with("aspect/json/customProperties", {}), None, None),
    (
        "platform-not-an-urn",
        _with("entityUrn", "urn:li:dataset:(notaplatformurn,db.t1,PROD)"),
        None,
        "key field 'platform' must be an urn",
    ),
    (
        "newline-in-urn",
        _with("entityUrn", "urn:li:dataset:(urn:li:dataPlatform:hive,db\nt1,PROD)"),
        None,
        "control character",
    ),
]


def _profile(value: float) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    def change(rec: Dict[str, Any]) -> Dict[str, Any]:
        prof = MCPW(
            entityUrn=rec["entityUrn"],
            aspect=m.DatasetProfileClass(
                timestampMillis=T0, fieldProfiles=[m.DatasetFieldProfileClass(fieldPath="a", nullProportion=0.5)]
            ),
        )
        out = dict(prof.to_obj(simplified_structure=True))
        out["aspect"]["json"]["fieldProfiles"][0]["nullProportion"] = value
        return out

    return change


CASES = [
    c
    if c[0] not in ("nan", "infinity")
    else (
        c[0],
        _profile(float("nan") if c[0] == "nan" else float("inf")),
        "/fieldProfiles/0/nullProportion",
        "NaN and Infinity are not JSON numbers",
    )
    for c in BAD_RECORDS
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_one_bad_record_is_rejected_alone_and_check_agrees(tmp_path: pathlib.Path, case: Any) -> None:
    """Issue 15 items 1, 4, 14 (R1.14 per-proposal failures, design.md choice 2): [GOOD, BAD, GOOD]
    writes both good records; BAD goes to the dead-letter topic and the report with its index
    and field; check metadata-file rejects exactly the same record."""
    _, change, field, words = case
    path = _write(tmp_path / "in.json", [_good(0), change(_good(1)), _good(2)])
    db = str(tmp_path / "s.db")

    result = _run("ingest", str(path), "--db", db, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert (report["records"], report["failed"], report["written"]) == (3, 1, 2)
    [error] = report["errors"]
    assert error["index"] == 1 and error["file"] == str(path)
    if field is not None:
        assert error["path"] == field
    assert words in error["message"]

    with litemeta.open_store(db) as store:
        assert store.exists(_urn(0)) and store.exists(_urn(2))
        assert store.get(_urn(2), ["datasetProperties"])["datasetProperties"]["description"] == "table 2"
        dead = store.read_topic(FAILED_MCP_TOPIC)
        assert len(dead) == 1 and words in dead[0].value["error"]
        assert {r.key for r in store.read_topic(MCP_TOPIC)} == {_urn(0), _urn(2)}
        assert {r.key for r in store.read_topic(MCL_VERSIONED_TOPIC)} == {_urn(0), _urn(2)}  # nothing of BAD

    checked = _run("check", "metadata-file", str(path), "--json")
    assert checked.exit_code == 1
    summary = json.loads(checked.output)
    assert (summary["records"], summary["valid"], summary["invalid"]) == (3, 2, 1)
    assert [e["index"] for e in summary["errors"]] == [1]
    assert summary["errors"][0]["message"] == error["message"]


def test_a_batch_of_3000_keeps_its_valid_records(tmp_path: pathlib.Path) -> None:
    """Issue 15 item 1: the bad record used to take its whole batch (up to 3,000 proposals) down."""
    records = [_good(i) for i in range(3000)]
    records[1500] = _with("systemMetadata/lastObserved", 2**70)(records[1500])
    path = _write(tmp_path / "big.json", records)
    with litemeta.open_store(str(tmp_path / "s.db")) as store:
        report = store.ingest([str(path)])
        assert (report.written, report.failed) == (2999, 1)
        assert len(store.list_urns("dataset")) == 2999


@pytest.mark.parametrize(
    "text",
    [
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        "[" * 10_000 + "]" * 10_000,
        '{"entityUrn": ' + "[" * 10_000 + "]" * 10_000 + "}",
    ],
    ids=["object", "array", "mcp-shaped"],
)
@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_file_that_is_one_value_nested_10000_levels(tmp_path: pathlib.Path, text: str, suffix: str) -> None:
    """Issue 15 item 2: one clear error naming the record, no RecursionError, in check and in ingest."""
    path = tmp_path / f"deep{suffix}"
    path.write_text(text)
    for args in (["check", "metadata-file", str(path)], ["ingest", str(path), "--db", str(tmp_path / "s.db")]):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 1
        lines = [line for line in result.output.splitlines() if f"{path.name}" in line]
        assert len(lines) == 1 and ("#0" in lines[0] or "line 1" in lines[0]), result.output


def test_nan_is_rejected_once_and_never_stored_as_null(tmp_path: pathlib.Path) -> None:
    """Issue 15 item 4: DataHub's Jackson rejects NaN (JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS is
    off by default); the record was stored with null and reported as failed, counted twice."""
    path = _write(tmp_path / "nan.json", [_good(0), _profile(float("nan"))(_good(1)), _good(2)])
    with litemeta.open_store(str(tmp_path / "s.db")) as store:
        report = store.ingest([str(path)])
        assert (report.records, report.failed, len(report.errors)) == (3, 1, 1)
        assert store.timeseries(_urn(1), "datasetProfile") == []


def _patch_that_fails_on_a_new_dataset() -> Dict[str, Any]:
    return {
        "entityType": "dataset",
        "entityUrn": _urn(1),
        "changeType": "PATCH",
        "aspectName": "datasetProperties",
        "aspect": {"json": [{"op": "test", "path": "/description", "value": "expected"}]},
        "systemMetadata": {"lastObserved": T0, "runId": "r"},
    }


def _assignment_without_definition() -> Dict[str, Any]:
    mcp = MCPW(
        entityUrn=_urn(1),
        aspect=m.StructuredPropertiesClass(
            properties=[
                m.StructuredPropertyValueAssignmentClass(
                    propertyUrn="urn:li:structuredProperty:io.nowhere", values=["x"]
                )
            ]
        ),
    )
    return dict(mcp.to_obj(simplified_structure=True))


@pytest.mark.parametrize(
    "bad",
    [_patch_that_fails_on_a_new_dataset, _assignment_without_definition],
    ids=["patch-test-op", "undefined-structured-property"],
)
def test_a_rejected_proposal_leaves_no_trace(tmp_path: pathlib.Path, bad: Any) -> None:
    """Issue 15 item 5 (R1.23 defaults belong to a write that happens): a rejected proposal on a
    new entity creates no key, no browsePathsV2, no dataPlatformInstance, no MCL; exists is false."""
    path = _write(tmp_path / "p.json", [_good(0), bad(), _good(2)])
    with litemeta.open_store(str(tmp_path / "s.db")) as store:
        report = store.ingest([str(path)])
        assert (report.failed, report.written) == (1, 2)
        assert not store.exists(_urn(1))
        assert store.get(_urn(1)) == {}
        assert [r for r in store.read_topic(MCL_VERSIONED_TOPIC) if r.key == _urn(1)] == []
        assert [r for r in store.read_topic("PlatformEvent_v1") if _urn(1) in str(r.value)] == []


def _definition(**fields: Any) -> Dict[str, Any]:
    base = dict(
        qualifiedName="io.tier",
        valueType="urn:li:dataType:datahub.string",
        entityTypes=["urn:li:entityType:datahub.dataset"],
        cardinality="SINGLE",
        allowedValues=[m.PropertyValueClass(value="gold"), m.PropertyValueClass(value="silver")],
    )
    base.update(fields)
    mcp = MCPW(entityUrn="urn:li:structuredProperty:io.tier", aspect=m.StructuredPropertyDefinitionClass(**base))
    return dict(mcp.to_obj(simplified_structure=True))


def _assign(*values: Any, prop: str = "urn:li:structuredProperty:io.tier") -> Dict[str, Any]:
    mcp = MCPW(
        entityUrn=_urn(0),
        aspect=m.StructuredPropertiesClass(
            properties=[m.StructuredPropertyValueAssignmentClass(propertyUrn=prop, values=list(values))]
        ),
    )
    return dict(mcp.to_obj(simplified_structure=True))


def _removed() -> Dict[str, Any]:
    mcp = MCPW(entityUrn="urn:li:structuredProperty:io.tier", aspect=m.StatusClass(removed=True))
    return dict(mcp.to_obj(simplified_structure=True))


def test_structured_properties_are_validated_as_datahub_does_in_ingest_and_check(tmp_path: pathlib.Path) -> None:
    """Issue 15 item 12: StructuredPropertiesValidator.validateProposedUpserts: a definition must
    exist and not be soft-deleted; cardinality, value type and allowed values are checked."""
    records = [
        _assign("gold"),  # 0: no definition yet
        _definition(),  # 1
        _assign("gold"),  # 2: valid
        _assign("bronze"),  # 3: not an allowed value
        _assign("gold", "silver"),  # 4: cardinality SINGLE
        _assign(1.0),  # 5: not a string
        _assign("x", prop="urn:li:corpuser:io.tier"),  # 6: not a structuredProperty urn
        _removed(),  # 7
        _assign("silver"),
    ]  # 8: soft-deleted definition
    path = _write(tmp_path / "sp.json", records)
    expected = {
        0: "has no propertyDefinition",
        3: "should be one of",
        4: "cardinality SINGLE",
        5: "should be a string",
        6: "expected structuredProperty",
        8: "soft-deleted",
    }
    with litemeta.open_store(str(tmp_path / "s.db")) as store:
        report = store.ingest([str(path)])
        assert {e["index"]: e["message"] for e in report.errors}.keys() == expected.keys()
        for e in report.errors:
            assert expected[e["index"]] in e["message"], e
        assert store.get(_urn(0), ["structuredProperties"])["structuredProperties"]["properties"][0]["values"] == [
            {"string": "gold"}
        ]
    summary = json.loads(_run("check", "metadata-file", str(path), "--json").output)
    assert {e["index"]: e["message"] for e in summary["errors"]} == {e["index"]: e["message"] for e in report.errors}


@pytest.mark.parametrize(
    "value_type,good,bad",
    [
        ("urn:li:dataType:datahub.number", [1.5, "2.5"], ["many"]),
        ("urn:li:dataType:datahub.date", ["2024-02-29"], ["2023-02-29", "2024-W01-1", "24-01-01", 20240101.0]),
        (
            "urn:li:dataType:datahub.urn",
            ["urn:li:corpuser:alice"],
            ["alice", "urn:li:dataset:(urn:li:dataPlatform:a,b,PROD)"],
        ),
    ],
)
def test_structured_property_value_types(
    tmp_path: pathlib.Path, value_type: str, good: List[Any], bad: List[Any]
) -> None:
    """StructuredPropertiesValidator.validateType: number, date (YYYY-MM-DD) and urn (allowedTypes)."""
    qualifier = {"allowedTypes": ["urn:li:entityType:datahub.corpuser"]} if value_type.endswith("urn") else None
    records = [_definition(valueType=value_type, allowedValues=None, typeQualifier=qualifier, cardinality="MULTIPLE")]
    records += [_assign(v) for v in good] + [_assign(v) for v in bad]
    path = _write(tmp_path / "t.json", records)
    with litemeta.open_store(str(tmp_path / "s.db")) as store:
        report = store.ingest([str(path)])
    assert sorted(e["index"] for e in report.errors) == list(range(1 + len(good), len(records)))
