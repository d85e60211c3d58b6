"""The README's tour runs end to end, as written (issue 7, item 4; issue 19, items 6 and 7).

The ``litemeta`` commands of the install line run first (the tour starts where they left off),
then every ``$ litemeta ...`` and ``$ python examples/...`` line of the README's Tour section, in a
fresh folder holding ``examples/``. The replay, which needs the outside world, goes to librdkafka's
built-in mock cluster (read back by a separate consumer) with confluent-kafka's mock schema
registry; the recipe reads the ``shop.db`` that ``examples/make_shop_db.py`` writes.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def tour_commands() -> List[str]:
    tour = README.split("## Tour", 1)[1].split("\n## ", 1)[0]
    return [
        line[2:].strip()
        for line in tour.splitlines()
        if line.startswith("$ litemeta ") or line.startswith("$ python examples/")
    ]


def install_commands() -> List[str]:
    """The ``litemeta ...`` steps of the README's install line (``... && litemeta ingest ... && ...``)."""
    first = re.findall(r"```bash\n(.*?)```", README, re.S)[0]
    return [s.strip() for s in first.replace("\n", " ").split("&&") if s.strip().startswith("litemeta ")]


def recipe_yaml() -> str:
    tour = README.split("## Tour", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```yaml\n(.*?)```", tour, re.S).group(1)  # type: ignore[union-attr]


def test_the_readme_opens_with_the_two_commands() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    assert "pip install -e ." in blocks[0] and "litemeta ingest examples/" in blocks[0]
    assert "pip install -e '.[test]'" in blocks[1] and "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1].strip().split("&& ")[-1] in ci  # CI runs the README's test command


@pytest.fixture
def mock_kafka() -> Any:
    ck = pytest.importorskip("confluent_kafka")
    from litemeta.followers.replay import mock_cluster_address

    owner = ck.Producer({"test.mock.num.brokers": 1})
    yield ck, mock_cluster_address(owner)
    owner.flush(5)


@pytest.mark.slow
def test_tour_runs_end_to_end(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mock_kafka: Any) -> None:
    ck, bootstrap = mock_kafka
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LITEMETA_DB", raising=False)
    (tmp_path / "recipe.yml").write_text(recipe_yaml())
    (tmp_path / "incoming").mkdir()
    shutil.copy(tmp_path / "examples" / "sample.json", tmp_path / "incoming" / "again.json")

    commands = install_commands() + tour_commands()
    assert commands[0] == "litemeta ingest examples/sample.json" and len(commands) >= 15
    assert "litemeta ingest examples/sample.json" not in tour_commands()  # item 6: not ingested twice
    outputs: Dict[str, str] = {}
    for line in commands:
        line = line.replace("localhost:9092", bootstrap).replace("http://localhost:8081", "mock://readme")
        if line.startswith("python "):
            done = subprocess.run([sys.executable] + shlex.split(line)[1:], capture_output=True, text=True)
            assert done.returncode == 0, f"{line}\n{done.stderr}"
            continue
        args = shlex.split(line)[1:]
        result = cli(*args, code=None)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        outputs[line] = result.output

    # R1.18: the sample writes datasetProperties twice; once ingested, history shows v1 then the
    # current row, stamped in that order, and the current row as what changed since v1
    history = next(v for k, v in outputs.items() if k.startswith("litemeta history")).splitlines()
    stamps = [ln.split()[:2] for ln in history if ln.split() and ln.split()[0] in ("v1", "v2", "current")]
    assert [s[0] for s in stamps] == ["v1", "current"] and stamps[0][1] < stamps[1][1]
    assert any(ln.strip().startswith("~ /description:") for ln in history)
    timeline = next(v for k, v in outputs.items() if k.startswith("litemeta timeline"))
    owner_adds = [ln for ln in timeline.splitlines() if "ADD OWNERSHIP" in ln]
    assert len(owner_adds) == len(set(owner_adds))  # no owner added twice
    hive = next(v for k, v in outputs.items() if k.startswith('litemeta search "*" -f platform=hive'))
    assert set(hive.split()) == {
        "urn:li:dataset:(urn:li:dataPlatform:hive,shop.customers,PROD)",
        "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)",
    }
    runs = next(v for k, v in outputs.items() if k.startswith("litemeta ingest list-runs"))
    assert "sample-run-1" in runs

    search = next(v for k, v in outputs.items() if k.startswith('litemeta search "daily revenue"'))
    top = "\n".join(search.splitlines()[1:3])
    # the chart titled exactly "Daily revenue" and the table named daily_revenue come first
    assert "urn:li:chart:(looker,revenue_chart)" in top and "analytics.public.daily_revenue" in top
    lineage = next(v for k, v in outputs.items() if k.startswith("litemeta lineage"))
    assert lineage.startswith("graph LR") and "shop.orders" in lineage
    assert (tmp_path / "done" / "again.json").exists()  # watch moved the file it ingested
    assert any(p.name.endswith(".log") for p in (tmp_path / "exported").rglob("*"))

    consumer = ck.Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "readme-check",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe(["MetadataChangeProposal_v1"])
    seen = 0
    for _ in range(60):
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            assert msg.value()[:1] == b"\x00"  # Confluent framing
            seen += 1
        elif seen and msg is None:
            break
    consumer.close()
    assert seen > 0
    stats = json.loads(cli("stats", "--json", code=None).output)
    # the sample's entities, plus the recipe's sqlite table and its containers
    assert stats["entities"]["dataset"] >= 5 and stats["entities"]["corpuser"] == 3
