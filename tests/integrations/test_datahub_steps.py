"""DataHub's own source types and transformers in litemeta's recipe runner (through DataHub's plugin registry)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict

import pytest
from click.testing import CliRunner

pytest.importorskip("datahub")

from datahub.emitter.mcp import MetadataChangeProposalWrapper  # noqa: E402
from datahub.ingestion.sink.file import write_metadata_file  # noqa: E402
from datahub.metadata import schema_classes as m  # noqa: E402

from litemeta.cli import main  # noqa: E402
from litemeta.errors import ConfigurationError  # noqa: E402
from litemeta.store import open_store  # noqa: E402
from litemeta.workflow.run import Pipeline  # noqa: E402
from tests.integrations.conftest import BLOCK_DATAHUB  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.{},PROD)"
GLOSSARY = """\
version: "1"
source: DataHub
owners: {users: [ann]}
nodes:
  - name: Classification
    description: Data classes
    terms:
      - {name: Sensitive, description: Sensitive data}
      - {name: Public, description: Public data}
"""


def _run(recipe: Dict[str, Any], db: Path) -> Pipeline:
    return Pipeline.create(recipe, db=str(db)).run()


def test_a_datahub_source_type_runs_in_litemetas_pipeline(tmp_path: Path) -> None:
    (tmp_path / "glossary.yml").write_text(GLOSSARY)
    p = _run(
        {
            "source": {"type": "datahub-business-glossary", "config": {"file": str(tmp_path / "glossary.yml")}},
            "run_id": "glossary-1",
        },
        tmp_path / "m.db",
    )
    s = p.summary()
    assert s["failures"] == 0
    source = s["steps"][0]
    assert source["step"] == "datahub-business-glossary" and source["records"] > 0
    with open_store(str(tmp_path / "m.db"), read_only=True) as store:
        term = store.get("urn:li:glossaryTerm:Classification.Sensitive")
        assert term["glossaryTermInfo"]["definition"] == "Sensitive data"
        assert term["glossaryTermInfo"]["parentNode"] == "urn:li:glossaryNode:Classification"
        assert term["ownership"]["owners"][0]["owner"] == "urn:li:corpuser:ann"
        assert {r["runId"] for r in store.runs()} == {"glossary-1"}


def test_a_datahub_sources_failures_are_litemeta_failures(tmp_path: Path) -> None:
    """What DataHub's source reports (or raises) lands in the step's status, so ``litemeta ingest`` reports it."""
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "bad.json").write_text("{not json")
    p = _run(
        {"source": {"type": "json-schema", "config": {"path": str(tmp_path / "s"), "platform": "schemareg"}}},
        tmp_path / "m.db",
    )
    [failure] = p.status()[0].failures
    assert "bad.json" in failure["name"] and "JSONDecodeError" in failure["name"]
    assert failure["error"] == "Failed to process file"
    assert p.exit_code() == 1
    p = _run(
        {"source": {"type": "datahub-business-glossary", "config": {"file": str(tmp_path / "missing.yml")}}},
        tmp_path / "m.db",
    )
    [failure] = p.status()[0].failures
    assert "Cannot open config file" in failure["error"] and "missing.yml" in failure["error"]


def test_datahub_transformers_see_envelopes_and_end_of_stream(tmp_path: Path) -> None:
    path = tmp_path / "in.json"
    write_metadata_file(
        path,
        [
            MetadataChangeProposalWrapper(
                entityUrn=DS.format(n),
                aspect=m.DatasetPropertiesClass(description=n, externalUrl=f"https://old.example/{n}"),
            )
            for n in "ab"
        ],
    )
    p = _run(
        {
            "source": {"type": "file", "config": {"path": str(path)}},
            "transformers": [
                {
                    "type": "replace_external_url",
                    "config": {"input_pattern": "https://old.example", "replacement": "https://new.example"},
                },
                {
                    "type": "simple_add_dataset_dataproduct",
                    "config": {"dataset_to_data_product_urns": {DS.format("a"): "urn:li:dataProduct:p1"}},
                },
            ],
        },
        tmp_path / "m.db",
    )
    assert p.summary()["failures"] == 0
    with open_store(str(tmp_path / "m.db"), read_only=True) as store:
        assert store.get(DS.format("b"))["datasetProperties"]["externalUrl"] == "https://new.example/b"
        # emitted by DataHub's transformer on EndOfStream, after every dataset went by
        assets = store.get("urn:li:dataProduct:p1")["dataProductProperties"]["assets"]
    assert [a["destinationUrn"] for a in assets] == [DS.format("a")]


def _schema(field_tags: Dict[str, Any]) -> m.SchemaMetadataClass:
    return m.SchemaMetadataClass(
        schemaName="t",
        platform="urn:li:dataPlatform:hive",
        version=0,
        hash="",
        platformSchema=m.OtherSchemaClass(""),
        fields=[
            m.SchemaFieldClass(
                fieldPath="id",
                type=m.SchemaFieldDataTypeClass(m.NumberTypeClass()),
                nativeDataType="int",
                globalTags=field_tags.get("id"),
            )
        ],
    )


def test_a_patch_semantics_transformer_reads_the_stores_current_value(tmp_path: Path) -> None:
    """DataHub's ``semantics: PATCH`` merges with "the server's" value: here the target store's."""
    db = tmp_path / "m.db"
    with open_store(str(db)) as store:
        store.ingest(
            [
                MetadataChangeProposalWrapper(
                    entityUrn=DS.format("a"),
                    aspect=_schema({"id": m.GlobalTagsClass([m.TagAssociationClass("urn:li:tag:old")])}),
                )
            ]
        )
    path = tmp_path / "in.json"
    write_metadata_file(path, [MetadataChangeProposalWrapper(entityUrn=DS.format("a"), aspect=_schema({}))])
    p = _run(
        {
            "source": {"type": "file", "config": {"path": str(path)}},
            "transformers": [
                {
                    "type": "pattern_add_dataset_schema_tags",
                    "config": {"semantics": "PATCH", "tag_pattern": {"rules": {".*": ["urn:li:tag:new"]}}},
                }
            ],
        },
        db,
    )
    assert p.summary()["failures"] == 0
    with open_store(str(db), read_only=True) as store:
        field = store.get(DS.format("a"))["schemaMetadata"]["fields"][0]
    assert sorted(t["tag"] for t in field["globalTags"]["tags"]) == ["urn:li:tag:new", "urn:li:tag:old"]


def test_stateful_ingestion_of_a_datahub_source_keeps_its_checkpoints_in_the_store(tmp_path: Path) -> None:
    """A DataHub source's stale-entity removal across two ``litemeta ingest -c`` runs: the second run
    soft-deletes the schema that is gone, from the checkpoint the first run committed into the store."""
    folder = tmp_path / "schemas"
    folder.mkdir()
    for name in ("orders", "customers"):
        (folder / f"{name}.json").write_text(
            json.dumps(
                {
                    "$id": f"http://example.com/{name}.json",
                    "title": name,
                    "type": "object",
                    "properties": {"id": {"type": "integer"}},
                }
            )
        )
    recipe = tmp_path / "recipe.yml"
    recipe.write_text(
        textwrap.dedent(f"""\
        pipeline_name: schemas
        source:
          type: json-schema
          config:
            path: {folder}
            platform: schemaregistry
            stateful_ingestion: {{enabled: true, remove_stale_metadata: true}}
        """)
    )
    runner = CliRunner()
    first = runner.invoke(
        main, ["ingest", "-c", str(recipe), "--db", str(tmp_path / "m.db"), "--json"], catch_exceptions=False
    )
    assert first.exit_code == 0, first.output
    with open_store(str(tmp_path / "m.db"), read_only=True) as store:
        datasets = [u for u in store.list_urns("dataset")]
    customers = next(u for u in datasets if "customers" in u)
    (folder / "customers.json").unlink()
    second = runner.invoke(
        main, ["ingest", "-c", str(recipe), "--db", str(tmp_path / "m.db"), "--json"], catch_exceptions=False
    )
    assert second.exit_code == 0, second.output
    with open_store(str(tmp_path / "m.db"), read_only=True) as store:
        assert store.get(customers)["status"] == {"removed": True}
        assert all(store.get(u)["status"] == {"removed": False} for u in datasets if u != customers)
        job = "urn:li:dataJob:(urn:li:dataFlow:(datahub,schemas,prod),schemaregistry_stale_entity_removal)"
        assert len(store.timeseries(job, "datahubIngestionCheckpoint")) == 2


def test_an_unknown_type_names_litemetas_and_datahubs(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown source type 'nosuch'; available: .*file.*DataHub's own"):
        Pipeline.create({"source": {"type": "nosuch"}}, db=str(tmp_path / "m.db"))


def test_without_acryl_datahub_the_error_names_the_package(tmp_path: Path) -> None:
    (tmp_path / "recipe.yml").write_text("source: {type: postgres, config: {host_port: 'localhost:5432'}}\n")
    code = BLOCK_DATAHUB + textwrap.dedent("""
        from litemeta.cli import main
        main(["ingest", "-c", "recipe.yml", "--db", "m.db"], prog_name="litemeta")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "unknown source type 'postgres'" in proc.stderr
    assert "need acryl-datahub: pip install 'litemeta[datahub]'" in proc.stderr
