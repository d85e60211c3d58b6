"""Recipe parsing: DataHub's recipe shape, environment-variable expansion as DataHub's EnvResolver, strict keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict

import pytest
from datahub.configuration.config_loader import EnvResolver

from litemeta.errors import ConfigurationError
from litemeta.workflow.recipe import load_recipe, parse_recipe

SOURCE = {"type": "file", "config": {"path": "in.json"}}


@pytest.mark.parametrize(
    "value",
    [
        "${A}",
        "$A",
        "pre-${A}-post",
        "${A:-d}",
        "${UNSET:-d}",
        "${EMPTY:-d}",
        "${A}$A",
        "$UNSET",
        "plain $A",
        "a${A}b${A}",
        "no vars",
        "\\$A and ${A}",
        "${UNSET:-${A}}",
    ],
)
def test_env_expansion_matches_datahub(value: str) -> None:
    """${VAR} and $VAR expand in string values exactly as DataHub's EnvResolver does."""
    env = {"A": "x", "EMPTY": ""}
    raw = {"source": {"type": "file", "config": {"path": value, "nested": [value, {"k": value}]}}}
    expected = EnvResolver(env, register_secrets=False).resolve(raw)["source"]["config"]
    assert dict(parse_recipe(raw, environ=env).source.config) == expected


def test_unset_braced_variable_is_an_error_naming_it() -> None:
    raw = {"source": {"type": "file", "config": {"path": "${NOPE}/x"}}}
    with pytest.raises(ConfigurationError, match=r"source\.config\.path: environment variable NOPE is not set"):
        parse_recipe(raw, environ={})


def test_yaml_file_with_env_and_datahub_shape(tmp_path: Path) -> None:
    p = tmp_path / "r.yml"
    p.write_text(
        "pipeline_name: nightly\nrun_id: ${RUN}\nsource:\n  type: file\n  config:\n    path: $DIR/in.json\n"
        "transformers:\n  - type: simple_add_dataset_tags\n    config:\n      tag_urns: [urn:li:tag:a]\n"
        "sink:\n  type: file\n  config:\n    filename: out.json\n"
    )
    r = load_recipe(p, environ={"RUN": "r-7", "DIR": "/data"})
    assert (r.pipeline_name, r.run_id, r.source.type, dict(r.source.config)) == (
        "nightly",
        "r-7",
        "file",
        {"path": "/data/in.json"},
    )
    assert [t.type for t in r.transformers] == ["simple_add_dataset_tags"]
    assert (r.sink.type, dict(r.sink.config)) == ("file", {"filename": "out.json"})


@pytest.mark.parametrize(
    "raw,message",
    [
        (
            {"source": SOURCE, "sinks": {}},
            "unknown key 'sinks' in recipe; allowed keys: source, transformers, sink, stage, "
            "bulk_sink, pipeline_name, run_id",
        ),
        ({"source": {**SOURCE, "extra": 1}}, "unknown key 'extra' in source; allowed keys: type, config"),
        (
            {"source": SOURCE, "transformers": [{"type": "x", "conf": {}}]},
            "unknown key 'conf' in transformers[0]; allowed keys: type, config",
        ),
        ({"transformers": []}, "no 'source' section"),
        ({"source": {"config": {}}}, "source.type is missing"),
        ({"source": SOURCE, "transformers": {"type": "x"}}, "transformers must be a list"),
        ({"source": {"type": "file", "config": ["a"]}}, "source.config must be a mapping, found a list"),
        ({"source": SOURCE, "bulk_sink": {"type": "litemeta-bulk"}}, "bulk_sink needs a stage"),
        ({"source": SOURCE, "run_id": 5}, "run_id must be a string"),
    ],
)
def test_recipe_errors(raw: Dict[str, Any], message: str) -> None:
    """Unknown keys are errors naming the key and the allowed ones; missing sections are named."""
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        parse_recipe(raw, environ={})


def test_defaults_sink_litemeta_and_datahub_style_run_id() -> None:
    r = parse_recipe({"source": SOURCE}, environ={})
    assert r.sink is not None and r.sink.type == "litemeta"
    assert re.fullmatch(r"file-\d{4}_\d\d_\d\d-\d\d_\d\d_\d\d-[a-z0-9]{6}", r.run_id)
    staged = parse_recipe(
        {"source": SOURCE, "stage": {"type": "file-stage"}, "bulk_sink": {"type": "litemeta-bulk"}}, environ={}
    )
    assert staged.sink is None and staged.stage is not None and staged.bulk_sink is not None


def test_overrides_dotted_and_nested() -> None:
    r = load_recipe(
        {"source": SOURCE, "sink": {"type": "litemeta", "config": {"db": "a.db"}}},
        overrides={"sink.config.db": "b.db", "run_id": "r9", "source": {"config": {"aspect": "status"}}},
        environ={},
    )
    assert dict(r.sink.config) == {"db": "b.db"} and r.run_id == "r9"
    assert dict(r.source.config) == {"path": "in.json", "aspect": "status"}


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.yml"
    p.write_text("source:\n  type: file\n  config: {path: [\n")
    with pytest.raises(ConfigurationError, match=r"bad\.yml: line \d+, column \d+: not valid YAML"):
        load_recipe(p, environ={})


def test_missing_file() -> None:
    with pytest.raises(ConfigurationError, match="cannot read the recipe"):
        load_recipe("/nonexistent/recipe.yml", environ={})
