"""The pipeline end to end: file source -> transformers -> store sink; stage -> bulk sink; failures as data."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.sink.file import write_metadata_file as sdk_write
from datahub.metadata import schema_classes as S

from litemeta.errors import ConfigurationError, PipelineError
from litemeta.store import open_store
from litemeta.workflow.run import Pipeline
from tests.workflow.sdk_harness import ds

SM = S.SystemMetadataClass(lastObserved=1700000000000, runId="file-run")


def _input(tmp_path: Path, bad: bool = False) -> Path:
    records: List[Any] = [
        W(entityUrn=ds("a"), aspect=S.DatasetPropertiesClass(name="a", customProperties={"x": "1"}), systemMetadata=SM),
        W(
            entityUrn=ds("a"),
            aspect=S.GlobalTagsClass(tags=[S.TagAssociationClass("urn:li:tag:old")]),
            systemMetadata=SM,
        ),
        W(entityUrn=ds("b"), aspect=S.StatusClass(removed=False), systemMetadata=SM),
        W(entityUrn="urn:li:corpuser:bob", aspect=S.CorpUserInfoClass(active=True), systemMetadata=SM),
    ]
    path = tmp_path / "in.json"
    sdk_write(path, records)
    if bad:  # a record of a known shape with an aspect that does not fit its schema, in the middle
        objs = json.loads(path.read_text())
        objs.insert(
            2,
            {
                "entityType": "dataset",
                "entityUrn": ds("bad"),
                "changeType": "UPSERT",
                "aspectName": "status",
                "aspect": {"json": {"removed": "yes"}},
            },
        )
        path.write_text(json.dumps(objs))
    return path


TRANSFORMERS = [
    {"type": "simple_add_dataset_tags", "config": {"tag_urns": ["urn:li:tag:pii"]}},
    {"type": "simple_add_dataset_ownership", "config": {"owner_urns": ["urn:li:corpuser:alice"]}},
    {"type": "simple_add_dataset_properties", "config": {"properties": {"team": "core"}}},
]


def _check_store(db: Path, run_id: str) -> None:
    with open_store(str(db), read_only=True) as store:
        a = store.get(ds("a"))
        assert a["globalTags"] == {"tags": [{"tag": "urn:li:tag:old"}, {"tag": "urn:li:tag:pii"}]}
        assert a["ownership"]["owners"] == [{"owner": "urn:li:corpuser:alice", "type": "DATAOWNER"}]
        assert a["datasetProperties"]["customProperties"] == {"x": "1", "team": "core"}
        b = store.get(ds("b"))  # seen without the aspects: they were added at the end of the stream
        assert b["globalTags"] == {"tags": [{"tag": "urn:li:tag:pii"}]}
        assert b["datasetProperties"] == {"customProperties": {"team": "core"}, "tags": []}
        assert "globalTags" not in store.get("urn:li:corpuser:bob")
        assert store.exists("urn:li:tag:pii")
        rows = store.history(ds("a"), "globalTags")
        assert rows[-1].system_metadata["runId"] == run_id  # stamped like DataHub's AutoSystemMetadata


def test_file_source_transformers_litemeta_sink(tmp_path: Path) -> None:
    db = tmp_path / "meta.db"
    p = Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(_input(tmp_path))}},
            "transformers": TRANSFORMERS,
            "sink": {"type": "litemeta", "config": {"db": str(db)}},
            "run_id": "recipe-1",
        }
    ).run()
    p.raise_from_status()
    _check_store(db, "recipe-1")
    steps = {s["step"]: s for s in p.summary()["steps"]}
    assert steps["file"]["records"] == 4 and steps["litemeta"]["failures"] == 0


def test_stage_and_bulk_sink_end_to_end(tmp_path: Path) -> None:
    """OpenMetadata's Stage/BulkSink: records staged as JSON lines, ingested into the store at the end."""
    db, staged = tmp_path / "bulk.db", tmp_path / "stage" / "run.jsonl"
    p = Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(_input(tmp_path))}},
            "transformers": TRANSFORMERS,
            "stage": {"type": "file-stage", "config": {"path": str(staged)}},
            "bulk_sink": {"type": "litemeta-bulk", "config": {"db": str(db)}},
            "run_id": "bulk-1",
        }
    ).run()
    p.raise_from_status()
    lines = staged.read_text().splitlines()
    # 4 input records; at the end of the stream: globalTags of b and the tag key, ownership of a and b, properties of b
    assert len(lines) == 4 + 2 + 2 + 1
    _check_store(db, "bulk-1")
    bulk = p.summary()["steps"][-1]
    assert bulk["kind"] == "bulk_sink" and bulk["records"] == len(lines)


def test_aggregating_stage_keeps_last_full_write(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    u = ds("agg")
    objs = [
        {
            "entityUrn": u,
            "changeType": "UPSERT",
            "aspectName": "globalTags",
            "aspect": {"json": {"tags": [{"tag": "urn:li:tag:a"}]}},
        },
        {
            "entityUrn": u,
            "changeType": "PATCH",
            "aspectName": "globalTags",
            "aspect": {"json": [{"op": "add", "path": "/tags/urn:li:tag:x", "value": {"tag": "urn:li:tag:x"}}]},
        },
        {
            "entityUrn": u,
            "changeType": "UPSERT",
            "aspectName": "globalTags",
            "aspect": {"json": {"tags": [{"tag": "urn:li:tag:b"}]}},
        },
        {
            "entityUrn": u,
            "changeType": "PATCH",
            "aspectName": "globalTags",
            "aspect": {"json": [{"op": "add", "path": "/tags/urn:li:tag:c", "value": {"tag": "urn:li:tag:c"}}]},
        },
        {"entityUrn": u, "changeType": "UPSERT", "aspectName": "status", "aspect": {"json": {"removed": False}}},
        {
            "entityUrn": u,
            "changeType": "UPSERT",
            "aspectName": "datasetProfile",
            "aspect": {"json": {"timestampMillis": 1, "rowCount": 1}},
        },
        {
            "entityUrn": u,
            "changeType": "UPSERT",
            "aspectName": "datasetProfile",
            "aspect": {"json": {"timestampMillis": 2, "rowCount": 2}},
        },
    ]
    src.write_text("\n".join(json.dumps(o) for o in objs) + "\n")
    db, staged = tmp_path / "agg.db", tmp_path / "agg.jsonl"
    p = Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(src)}},
            "stage": {"type": "file-stage", "config": {"path": str(staged), "aggregate": True}},
            "bulk_sink": {"type": "litemeta-bulk", "config": {"db": str(db)}},
        }
    ).run()
    p.raise_from_status()
    kept = [json.loads(x) for x in staged.read_text().splitlines()]
    assert [(k["aspectName"], k["changeType"]) for k in kept] == [
        ("globalTags", "UPSERT"),
        ("globalTags", "PATCH"),
        ("status", "UPSERT"),
        ("datasetProfile", "UPSERT"),
        ("datasetProfile", "UPSERT"),
    ]
    assert kept[0]["aspect"]["json"]["tags"] == [{"tag": "urn:li:tag:b"}]
    with open_store(str(db), read_only=True) as store:
        assert store.get(u, ["globalTags"])["globalTags"]["tags"] == [{"tag": "urn:li:tag:b"}, {"tag": "urn:li:tag:c"}]
        assert len(store.timeseries(u, "datasetProfile")) == 2
    assert len(p.summary()["steps"][1]["filteredList"]) == 2


def test_failures_are_data_and_the_rest_proceeds(tmp_path: Path) -> None:
    """design.md choice 2 / R1.14: a bad record is a reported failure (with the record); the others are written."""
    db = tmp_path / "f.db"
    p = Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(_input(tmp_path, bad=True))}},
            "transformers": TRANSFORMERS,
            "sink": {"type": "litemeta", "config": {"db": str(db)}},
            "run_id": "f-1",
        }
    ).run()
    assert p.has_failures() and p.exit_code() == 1
    sink = p.summary()["steps"][-1]
    assert sink["failures"] == 1
    failure = sink["failureList"][0]
    assert ds("bad") in failure["name"] and failure["record"]["entityUrn"] == ds("bad")
    _check_store(db, "f-1")
    with pytest.raises(PipelineError, match="litemeta: 1 failures"):
        p.raise_from_status()


def exploding_records() -> Iterator[Any]:
    yield W(entityUrn=ds("ok1"), aspect=S.StatusClass(removed=False))
    yield {"entityUrn": ds("x"), "changeType": "UPSERT"}  # malformed: no aspectName
    yield 42  # not a record at all
    yield W(entityUrn=ds("ok2"), aspect=S.StatusClass(removed=False))
    raise RuntimeError("source crashed")


def test_python_source_failures_and_crash_are_reported(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    p = Pipeline.create(
        {
            "source": {"type": "python", "config": {"function": f"{__name__}:exploding_records"}},
            "sink": {"type": "litemeta", "config": {"db": str(db)}},
        }
    ).run()
    src = p.summary()["steps"][0]
    assert src["records"] == 2 and src["failures"] == 3
    assert "aspectName is missing" in src["failureList"][0]["error"]
    assert "RuntimeError: source crashed" in src["failureList"][2]["error"]
    with open_store(str(db), read_only=True) as store:
        assert store.exists(ds("ok1")) and store.exists(ds("ok2"))


def test_preview_and_dry_run(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    recipe = {
        "source": {"type": "file", "config": {"path": str(_input(tmp_path))}},
        "sink": {"type": "litemeta", "config": {"db": str(db)}},
    }
    p = Pipeline.create(recipe, preview=2, dry_run=True).run()
    assert p.summary()["steps"][0]["records"] == 2 and p.summary()["dryRun"]
    with open_store(str(db), read_only=True) as store:
        assert store.list_urns() == []


def test_file_sink_writes_datahub_file_sink_bytes(tmp_path: Path) -> None:
    """The file sink's output is byte-identical to the SDK's write_metadata_file of the same records."""
    out = tmp_path / "out.json"
    Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(_input(tmp_path))}},
            "sink": {"type": "file", "config": {"filename": str(out)}},
            "run_id": "r",
        }
    ).run().raise_from_status()
    objs = json.loads(out.read_text())
    assert [o["systemMetadata"]["runId"] for o in objs] == ["r"] * 4
    from datahub.ingestion.source.file import read_metadata_file

    again = tmp_path / "again.json"
    sdk_write(again, list(read_metadata_file(out)))
    assert out.read_bytes() == again.read_bytes()


def test_kafka_export_sink_and_source_round_trip(tmp_path: Path) -> None:
    exp, back = tmp_path / "exp", tmp_path / "back.json"
    Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(_input(tmp_path))}},
            "sink": {"type": "kafka-export", "config": {"path": str(exp)}},
            "run_id": "k",
        }
    ).run().raise_from_status()
    p = Pipeline.create(
        {
            "source": {"type": "kafka-export", "config": {"path": str(exp)}},
            "sink": {"type": "file", "config": {"filename": str(back)}},
            "run_id": "k",
        }
    ).run()
    p.raise_from_status()
    assert [o["aspectName"] for o in json.loads(back.read_text())] == [
        "datasetProperties",
        "globalTags",
        "status",
        "corpUserInfo",
    ]


def test_unknown_step_type_names_the_available_ones(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigurationError, match="unknown transformer type 'nope'; available: .*simple_add_dataset_tags"
    ):
        Pipeline.create(
            {
                "source": {"type": "file", "config": {"path": "x"}},
                "transformers": [{"type": "nope"}],
                "sink": {"type": "litemeta", "config": {"db": str(tmp_path / "u.db")}},
            }
        )


def test_entry_point_discovery_with_a_fake_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user's package adds a transformer through the litemeta.transformers entry-point group."""
    pkg = tmp_path / "lm_plugin_demo.py"
    pkg.write_text(
        textwrap.dedent('''
        from litemeta.workflow.steps import Processor

        class Upper(Processor):
            """Drop corpusers."""
            def process(self, record):
                if record.entity_type != "corpuser":
                    yield record
                else:
                    self.status.filter(record.entity_urn, "corpusers dropped by the plugin")
    ''')
    )
    dist = tmp_path / "lm_plugin_demo-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lm-plugin-demo\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[litemeta.transformers]\ndrop_users = lm_plugin_demo:Upper\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from litemeta.workflow.steps import available

    assert available("transformer")["drop_users"] == "lm_plugin_demo:Upper"
    out = tmp_path / "o.json"
    p = Pipeline.create(
        {
            "source": {"type": "file", "config": {"path": str(_input(tmp_path))}},
            "transformers": [{"type": "drop_users"}],
            "sink": {"type": "file", "config": {"filename": str(out)}},
        }
    ).run()
    assert [s["filtered"] for s in p.summary()["steps"]] == [0, 1, 0]
    assert len(json.loads(out.read_text())) == 3
    sys.modules.pop("lm_plugin_demo", None)


def test_builtins_are_found_through_the_entry_points_pyproject_declares() -> None:
    """One list of built-in step names: pyproject.toml's entry points, which resolve() reads; every
    step class litemeta defines has one, and each resolves to a step of its role."""
    import inspect

    import tomllib

    from litemeta.workflow import builtin, transformers
    from litemeta.workflow.steps import GROUPS, Step, available, resolve

    declared = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    # the pipeline's step groups (pyproject also declares pytest's plugin, entry point group pytest11)
    eps = {g: v for g, v in declared["project"]["entry-points"].items() if g in GROUPS.values()}
    for role, group in GROUPS.items():
        assert {n: v for n, v in available(role).items() if v.startswith("litemeta.")} == eps[group]
    targets = {v for group in eps.values() for v in group.values()}
    defined = {
        f"{m.__name__}:{c.__name__}"
        for m in (builtin, transformers)
        for _n, c in inspect.getmembers(m)
        if inspect.isclass(c)
        and issubclass(c, Step)
        and c.__module__ == m.__name__
        and not inspect.isabstract(c)
        and not c.__name__.startswith("_")
    }
    assert defined <= targets, f"step classes without an entry point: {sorted(defined - targets)}"
    roles = {
        "litemeta.sources": ["source"],
        "litemeta.transformers": ["transformer"],
        "litemeta.sinks": ["sink", "stage", "bulk_sink"],
    }
    for group, names in eps.items():
        for name in names:
            assert any(_resolves(role, name, resolve) for role in roles[group]), f"{group} {name} does not resolve"


def _resolves(role: str, name: str, resolve: Any) -> bool:
    from litemeta.errors import ConfigurationError

    try:
        resolve(role, name)
    except ConfigurationError:
        return False
    return True


def test_sqlalchemy_source_by_name(tmp_path: Path) -> None:
    """The sqlalchemy source is wired by name (lazily imported) and its datasets reach the store."""
    import sqlite3

    src = tmp_path / "src.db"
    with sqlite3.connect(src) as c:
        c.execute("create table orders(id integer primary key, total real)")
    db = tmp_path / "sa.db"
    Pipeline.create(
        {
            "source": {"type": "sqlalchemy", "config": {"connect_uri": f"sqlite:///{src}", "platform": "sqlite"}},
            "sink": {"type": "litemeta", "config": {"db": str(db)}},
        }
    ).run().raise_from_status()
    with open_store(str(db), read_only=True) as store:
        urns = store.list_urns("dataset")
    assert any("orders" in u for u in urns)


def test_step_types_no_group_names_come_from_the_resolver_entry_points(monkeypatch: Any) -> None:
    """resolve() asks each `litemeta.step_resolvers` entry point (how DataHub's own source types reach
    litemeta recipes without the workflow importing the integrations); None means "not mine"."""
    import types

    from litemeta.workflow import steps
    from litemeta.workflow.builtin import FileSource

    asked = []

    def resolver(role: str, type_name: str) -> Any:
        asked.append((role, type_name))
        return FileSource if type_name == "from-a-plugin" else None

    ep = types.SimpleNamespace(value="demo:resolver", load=lambda: resolver)  # what _plugin_step uses of one
    monkeypatch.setattr(steps, "entry_points", lambda group: {"demo": ep} if group == steps.RESOLVERS else {})
    assert steps.resolve("source", "from-a-plugin") is FileSource
    with pytest.raises(ConfigurationError, match="unknown source type 'nobody-has-it'"):
        steps.resolve("source", "nobody-has-it")
    assert asked == [("source", "from-a-plugin"), ("source", "nobody-has-it")]
