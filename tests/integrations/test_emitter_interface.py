"""``LitemetaEmitter`` is a DataHub ``Emitter`` (at run time and for mypy) and still works without acryl-datahub."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("datahub")

from datahub.emitter.generic_emitter import Emitter  # noqa: E402
from datahub.emitter.mcp import MetadataChangeProposalWrapper  # noqa: E402
from datahub.metadata.schema_classes import StatusClass  # noqa: E402

from litemeta.emitter import LitemetaEmitter  # noqa: E402
from tests.integrations.conftest import BLOCK_DATAHUB  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
URN = "urn:li:dataset:(urn:li:dataPlatform:hive,db.a,PROD)"


def publish(emitter: Emitter) -> None:
    """Code written against DataHub's emitter interface."""
    emitter.emit(
        MetadataChangeProposalWrapper(entityUrn=URN, aspect=StatusClass(removed=True)), callback=lambda exc, msg: None
    )
    emitter.flush()


def test_the_emitter_is_a_datahub_emitter() -> None:
    """``Emitter`` is a Protocol that is not runtime-checkable, so the MRO is the test."""
    with LitemetaEmitter(":memory:") as emitter:
        assert Emitter in type(emitter).__mro__
        publish(emitter)
        assert emitter.store.get(URN)["status"] == {"removed": True}


def test_mypy_accepts_it_where_datahubs_emitter_is_expected(tmp_path: Path) -> None:
    """mypy (the repository's config) takes a LitemetaEmitter for a DataHub ``Emitter`` and rejects a class
    that is not one (the negative control shows the check can fail)."""
    pytest.importorskip("mypy")
    code = textwrap.dedent(f'''
        from datahub.emitter.generic_emitter import Emitter
        from datahub.emitter.mcp import MetadataChangeProposalWrapper
        from datahub.metadata.schema_classes import StatusClass
        from litemeta.emitter import LitemetaEmitter


        def publish(emitter: Emitter) -> None:
            emitter.emit(MetadataChangeProposalWrapper(entityUrn="{URN}", aspect=StatusClass(removed=True)))
            emitter.flush()


        class NotAnEmitter:
            def flush(self) -> None:
                pass


        publish(LitemetaEmitter(":memory:"))
        publish(NotAnEmitter())  # line 18
    ''').lstrip()
    snippet = tmp_path / "typed_against_datahub.py"
    snippet.write_text(code)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--show-error-codes",
            "--no-error-summary",
            str(snippet),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, proc.stdout + proc.stderr
    assert f"{snippet.name}:18:" in errors[0] and '"NotAnEmitter"' in errors[0] and "[arg-type]" in errors[0]


def test_the_emitter_works_without_acryl_datahub(tmp_path: Path) -> None:
    """With ``datahub`` unimportable, the emitter is a plain class that still writes proposals."""
    code = BLOCK_DATAHUB + textwrap.dedent(f'''
        from litemeta.emitter import LitemetaEmitter
        from litemeta.model.proposal import Proposal
        assert LitemetaEmitter.__mro__[1] is object, LitemetaEmitter.__mro__
        with LitemetaEmitter(":memory:") as e:
            e.emit(Proposal("{URN}", "status", aspect={{"removed": False}}))
            e.emit({{"entityUrn": "{URN}", "changeType": "UPSERT", "aspectName": "datasetProperties",
                    "aspect": {{"json": {{"description": "d"}}}}}})
            print(sorted(e.store.get("{URN}")))
        assert not any(m == "datahub" or m.startswith("datahub.") for m in sys.modules)
    ''')
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "'datasetProperties'" in proc.stdout and "'status'" in proc.stdout
