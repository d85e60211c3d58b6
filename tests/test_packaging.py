"""The package's extras bring what the code they enable imports (issue 15 item 15)."""

from __future__ import annotations

import importlib.metadata
import pathlib
import subprocess
import venv

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _extra(name: str) -> list:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the package supports 3.10
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(r) for r in pyproject["project"]["optional-dependencies"][name]]


def test_the_kafka_extra_installs_the_schema_registry_client_s_own_dependencies() -> None:
    """`pip install 'litemeta[kafka]'` then `replay --schema-registry` failed on No module named
    'certifi': confluent_kafka.schema_registry needs confluent-kafka's `schemaregistry` extra."""
    [kafka] = [r for r in _extra("kafka") if canonicalize_name(r.name) == "confluent-kafka"]
    assert "schemaregistry" in kafka.extras
    # and the extra is what this environment (installed from the test extras) runs the replay tests with
    [tested] = [r for r in _extra("test-tools") if canonicalize_name(r.name) == "confluent-kafka"]
    assert "schemaregistry" in tested.extras
    needed = [Requirement(r) for r in importlib.metadata.requires("confluent-kafka") or []]
    for req in needed:
        if (
            req.marker is not None
            and req.marker.evaluate({"extra": "schemaregistry"})
            and not req.marker.evaluate({"extra": ""})
        ):
            importlib.metadata.version(req.name)  # installed: raises PackageNotFoundError otherwise


@pytest.mark.slow
def test_a_fresh_environment_with_the_kafka_extra_imports_the_schema_registry_client(
    tmp_path: pathlib.Path, slow_only: None
) -> None:
    """The real thing: a new virtual environment, `pip install '.[kafka]'`, then what replay imports."""
    venv.create(tmp_path / "env", with_pip=True)
    py = str(tmp_path / "env" / "bin" / "python")
    subprocess.run([py, "-m", "pip", "install", "-q", f"{ROOT}[kafka]"], check=True, timeout=900)
    subprocess.run(
        [py, "-c", "import confluent_kafka.schema_registry.avro, litemeta.followers.replay"], check=True, timeout=120
    )
