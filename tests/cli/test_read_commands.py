"""CLI: lineage, dump, timeline and check metadata-diff (CliRunner, catch_exceptions=False)."""

from __future__ import annotations

import json
import pathlib
from typing import Any, List

import datahub.metadata.schema_classes as S
import pytest
from click.testing import CliRunner
from datahub.emitter.mce_builder import make_schema_field_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.source.file import read_metadata_file

from litemeta.cli.diff import metadata_diff
from litemeta.store import open_store
from tests.conftest import Cli
from tests.lineage_fixture import CHART, DASH, JOB, LONELY, A, B, C, D, lineage_records


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "store.db")
    with open_store(path) as store:
        assert store.ingest(lineage_records()).failed == 0
        store.ingest(
            [
                W(
                    entityUrn=A,
                    aspect=S.GlobalTagsClass(tags=[S.TagAssociationClass("urn:li:tag:pii")]),
                    systemMetadata=S.SystemMetadataClass(lastObserved=5_000, runId="tags"),
                )
            ]
        )
    return path


MISSING = "urn:li:dataset:(urn:li:dataPlatform:hive,nope,PROD)"


def test_help_has_examples(cli: Cli) -> None:
    for cmd in (["lineage"], ["lineage", "path"], ["dump"], ["timeline"]):
        out = cli(*cmd, "--help").output
        assert "Example" in out and "--db" in out and "--json" in out
    assert "Example" in CliRunner().invoke(metadata_diff, ["--help"]).output
    listing = cli("--help").output
    assert all(name in listing for name in ("lineage", "dump", "timeline"))


def test_lineage_table_and_json(cli: Cli, db: str) -> None:
    out = cli("lineage", "--urn", DASH, "--db", db).output
    assert out.startswith("Upstream lineage: 6 entities, up to 5 hops")
    assert "raw.b (removed)" in out and "sales_chart" in out
    data = json.loads(cli("lineage", "--urn", DASH, "--hops", "2", "--json", "--db", db).output)
    assert {r["urn"]: r["hops"] for r in data["results"]} == {A: 1, CHART: 1, D: 2}
    data = json.loads(
        cli("lineage", "--urn", A, "--direction", "downstream", "--format", "json", "--count", "2", "--db", db).output
    )
    assert data["metadata"]["capped"] is True and len(data["results"]) == 2


def test_lineage_hops_three_means_unlimited(cli: Cli, db: str) -> None:
    """datahub lineage: --hops 1 and 2 are exact, 3 or more is the whole graph."""
    data = json.loads(cli("lineage", "--urn", DASH, "--hops", "3", "--json", "--db", db).output)
    assert max(r["hops"] for r in data["results"]) == 5


def test_lineage_column_dot_and_mermaid(cli: Cli, db: str) -> None:
    data = json.loads(
        cli("lineage", "--urn", A, "--column", "id", "--direction", "downstream", "--json", "--db", db).output
    )
    assert [r["urn"] for r in data["results"]] == [
        make_schema_field_urn(C, "id"),
        make_schema_field_urn(D, "customer_id"),
        make_schema_field_urn(CHART, "cust"),
    ]
    dot = cli("lineage", "--urn", C, "--format", "dot", "--db", db).output
    assert dot.startswith("digraph lineage {") and dot.count(" -> ") == 2
    mermaid = cli("lineage", "--urn", C, "--format", "mermaid", "--db", db).output
    assert mermaid.startswith("graph LR") and "removed" in mermaid


def test_lineage_path(cli: Cli, db: str) -> None:
    out = cli("lineage", "path", "--from", A, "--to", CHART, "--db", db).output
    assert out.startswith("Path found (4 hops, downstream)")
    data = json.loads(cli("lineage", "path", "--from", CHART, "--to", A, "--json", "--db", db).output)
    assert data["direction"] == "upstream" and [n["urn"] for n in data["nodes"]] == [CHART, D, JOB, C, A]
    # the group's --db is used by the subcommand too
    assert cli("lineage", "--db", db, "path", "--from", A, "--to", DASH).output.startswith("Path found (1 hops")
    out = cli("lineage", "path", "--from", B, "--to", LONELY, "--db", db, code=1).output
    assert "No path found" in out


def test_lineage_errors(cli: Cli, db: str, tmp_path: pathlib.Path) -> None:
    out = cli("lineage", "--urn", MISSING, "--db", db, code=1).output
    assert f"urn {MISSING} not found" in out
    out = cli("lineage", "path", "--from", A, "--to", MISSING, "--db", db, code=1).output
    assert "not found" in out
    out = cli("lineage", "--urn", LONELY, "--db", db).output
    assert "No upstream lineage found." in out
    out = cli("lineage", "--urn", A, "--db", str(tmp_path / "missing.db"), code=1).output
    assert "Error" in out
    cli("lineage", "--urn", A, "--hops", "0", "--db", db, code=2)


def test_dump_file_stdout_and_json(cli: Cli, db: str, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "out.json"
    out = cli("dump", str(target), "--json", "--db", db).output
    summary = json.loads(out)
    records = list(read_metadata_file(target))
    assert summary["records"] == len(records) > 0
    stdout = cli("dump", "-", "--entity-type", "chart", "--db", db, code=None)
    assert stdout.exit_code == 0
    body = stdout.stdout if hasattr(stdout, "stdout") else stdout.output
    objs = json.loads(body[: body.rindex("]") + 1])
    assert {o["entityUrn"] for o in objs} == {CHART}
    history = tmp_path / "h.json"
    cli("dump", str(history), "--all-versions", "--no-timeseries", "--db", db)
    assert len(list(read_metadata_file(history))) == len(records)  # one version of each aspect here
    assert (
        "unknown entity type"
        in cli("dump", str(tmp_path / "x.json"), "--entity-type", "nope", "--db", db, code=1).output
    )


def test_timeline_text_json_and_errors(cli: Cli, db: str) -> None:
    out = cli("timeline", A, "--db", db).output
    assert "0.0.0-computed" in out and "TAG" in out and "urn:li:tag:pii" in out
    data = json.loads(cli("timeline", "--urn", A, "-c", "TAG", "--json", "--db", db).output)
    assert [t["timestamp"] for t in data] == [5_000] and data[0]["semVer"] == "0.0.0-computed"
    assert data[0]["changeEvents"][0]["category"] == "TAG" and data[0]["runId"] == "tags"
    assert json.loads(cli("timeline", A, "-c", "TAG", "--start", "6000", "--json", "--db", db).output) == []
    assert (
        json.loads(cli("timeline", A, "-c", "TAG", "--end", "1970-01-01T00:00:05Z", "--json", "--db", db).output)[0][
            "timestamp"
        ]
        == 5_000
    )
    cli("timeline", A, "-c", "NOPE", "--db", db, code=2)
    assert "not found" in cli("timeline", MISSING, "--db", db, code=1).output
    cli("timeline", "--db", db, code=2)


def _mcps(path: pathlib.Path, records: List[Any]) -> str:
    from datahub.ingestion.sink.file import write_metadata_file

    write_metadata_file(path, records)
    return str(path)


def test_metadata_diff_exit_codes(tmp_path: pathlib.Path) -> None:
    """datahub check metadata-diff ACTUAL EXPECTED; litemeta exits 0 equal, 1 different, 2 unreadable."""
    recs = lineage_records()
    same_a = _mcps(tmp_path / "a.json", recs)
    same_b = _mcps(tmp_path / "b.json", recs[::-1])
    runner = CliRunner()
    r = runner.invoke(metadata_diff, [same_a, same_b], catch_exceptions=False)
    assert r.exit_code == 0 and "No differences" in r.output
    changed = _mcps(tmp_path / "c.json", recs[:-1] + [W(entityUrn=LONELY, aspect=S.StatusClass(removed=True))])
    r = runner.invoke(metadata_diff, [changed, same_a, "--json"], catch_exceptions=False)
    assert r.exit_code == 1
    data = json.loads(r.output)
    assert data["aspectsChanged"] == [[LONELY, "status"]] and data["urnsAdded"] == []
    r = runner.invoke(metadata_diff, [changed, same_a, "-v"], catch_exceptions=False)
    assert r.exit_code == 1 and "Urn changed" in r.output and "['removed']" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text('[{"foo": 1}]')
    r = runner.invoke(metadata_diff, [str(bad), same_a], catch_exceptions=False)
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_metadata_diff_is_a_check_subcommand(cli: Cli, tmp_path: pathlib.Path) -> None:
    """Reached as `litemeta check metadata-diff`, DataHub's spelling."""
    a = _mcps(tmp_path / "a.json", lineage_records())
    assert cli("check", "metadata-diff", a, a).output.startswith("No differences")
