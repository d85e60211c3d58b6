"""``litemeta check metadata-file`` (DataHub's ``datahub check metadata-file``)."""

from __future__ import annotations

import json
import pathlib
from typing import Callable

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.ingestion.sink.file import write_metadata_file as sdk_write
from datahub.metadata import schema_classes as m

from tests.conftest import Cli
from tests.sdkcorpus import build_records, extra_records

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"


def test_valid_corpus_has_no_errors(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "ok.json"
    sdk_write(path, build_records(800, 2) + extra_records())
    result = cli("check", "metadata-file", str(path), "--json", code=None)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    n = 800 + len(extra_records())
    assert summary == {"records": n, "valid": n, "invalid": 0, "errors": []}


def test_text_output_and_quiet_progress(cli: Cli, corpus_file: Callable[..., pathlib.Path]) -> None:
    result = cli("check", "metadata-file", str(corpus_file(300, 1)), code=None)
    assert result.exit_code == 0
    assert result.output == "300 records: 300 valid, 0 invalid\n"  # no progress bar when not a terminal


def _mixed_file(tmp_path: pathlib.Path) -> pathlib.Path:
    good = MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False))
    wrong_entity = MCPW(
        entityUrn="urn:li:corpuser:bob",
        aspect=m.SchemaMetadataClass(
            schemaName="t",
            platform="urn:li:dataPlatform:hive",
            version=0,
            hash="",
            platformSchema=m.OtherSchemaClass(rawSchema=""),
            fields=[],
        ),
    )
    bad_value = m.MetadataChangeProposalClass(
        entityType="dataset",
        entityUrn=DS,
        changeType="UPSERT",
        aspectName="status",
        aspect=m.GenericAspectClass(value=b'{"removed": "yes"}', contentType="application/json"),
    )
    unknown_aspect = m.MetadataChangeProposalClass(
        entityType="dataset",
        entityUrn=DS,
        changeType="UPSERT",
        aspectName="noSuchAspect",
        aspect=m.GenericAspectClass(value=b"{}", contentType="application/json"),
    )
    path = tmp_path / "mixed.json"
    sdk_write(path, [good, wrong_entity, good, bad_value, unknown_aspect, {"hello": 1}, good])
    return path


def test_invalid_records_exit_1_with_json_report(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = _mixed_file(tmp_path)
    result = cli("check", "metadata-file", str(path), "--json", code=None)
    assert result.exit_code == 1
    summary = json.loads(result.output)  # exactly one JSON object on stdout
    assert set(summary) == {"records", "valid", "invalid", "errors"}
    assert (summary["records"], summary["valid"], summary["invalid"]) == (7, 3, 4)
    errors = summary["errors"]
    assert [e["index"] for e in errors] == [1, 3, 4, 5]
    for e in errors:
        assert set(e) == {"file", "index", "urn", "aspect", "path", "message"}
        assert e["file"] == str(path) and e["message"]
    assert (errors[0]["urn"], errors[0]["aspect"]) == ("urn:li:corpuser:bob", "schemaMetadata")
    assert (errors[1]["urn"], errors[1]["aspect"]) == (DS, "status")
    assert "removed" in (errors[1]["path"] or "") + errors[1]["message"]
    assert errors[2]["aspect"] == "noSuchAspect"
    assert "hello" in errors[3]["message"]


def test_invalid_records_text_lines(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = _mixed_file(tmp_path)
    result = cli("check", "metadata-file", str(path), code=None)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-1] == "7 records: 3 valid, 4 invalid"
    assert [line.split(":")[0] for line in lines[:-1]] == [f"{path}#{i} urn" for i in (1, 3, 4)] + [f"{path}#5"]


def test_unreadable_input_is_reported_not_raised(cli: Cli, tmp_path: pathlib.Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_bytes(
        b'[{"entityUrn": "urn:li:corpuser:a", "changeType": "UPSERT", "aspectName": "status", '
        b'"aspect": {"json": {"removed": false}}}, {"trunc'
    )
    result = cli("check", "metadata-file", str(broken), str(tmp_path / "missing.json"), "--json", code=None)
    assert result.exit_code == 1
    summary = json.loads(result.output)
    # the missing file is an error, not a record (issue 15: counts are of records, so no record is counted twice)
    assert (summary["valid"], summary["invalid"], len(summary["errors"])) == (1, 1, 2)
    assert summary["errors"][0]["file"] == str(broken) and summary["errors"][0]["index"] == 1
    assert "truncated" in summary["errors"][0]["message"]
    assert "no such file" in summary["errors"][1]["message"]


def test_stdin_and_folder(cli: Cli, tmp_path: pathlib.Path, corpus_file: Callable[..., pathlib.Path]) -> None:
    path = corpus_file(200, 5)
    result = cli("check", "metadata-file", "-", "--json", input=path.read_bytes(), code=None)
    assert json.loads(result.output)["valid"] == 200
    result = cli("check", "metadata-file", str(tmp_path), "--json", code=None)
    assert json.loads(result.output)["records"] == 200


def test_help_has_examples(cli: Cli) -> None:
    for args in (["check", "--help"], ["check", "metadata-file", "--help"]):
        assert "Example" in cli(*args).output
    cli("check", "metadata-file", code=2)  # usage error: a path is required


def test_progress_draws_only_on_a_terminal() -> None:
    import io

    from litemeta.cli.common import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        with Progress("checked", stream=stream, interval=0) as p:
            for _ in range(3):
                p.update()
    assert pipe.getvalue() == ""
    drawn = tty.getvalue()  # tqdm's bar: count, elapsed time and rate (issue 19 item 10)
    assert "checked: 1 records [" in drawn and "checked: 3 records [" in drawn and " records/s]" in drawn
    assert drawn.endswith("\n")
