"""Issue 14 ("search you can trust"): one regression test per defect, with real processes where the
defect is about processes (concurrent first searches, searches during and after a killed
``reindex``, searches under concurrent ingests, the memory of a search).

Every store here is built with the DataHub SDK (``MetadataChangeProposalWrapper``); expected
entities come from the metadata written, never from a search.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

import pytest
from datahub.emitter.mce_builder import make_dataset_urn, make_term_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.ingestion.sink.file import write_metadata_file
from datahub.metadata import schema_classes as m

import litemeta

ROOT = Path(__file__).resolve().parents[2]

COGS = make_dataset_urn("snowflake", "finance.cost_of_goods_sold", "PROD")
CATALOGUE = make_dataset_urn("postgres", "shop.products", "PROD")
MASTER = make_dataset_urn("hive", "crm.customer_master", "PROD")
OIL = make_dataset_urn("bigquery", "markt.oelpreis_taeglich", "PROD")
SPACED = make_dataset_urn("s3", "landing/json/events.json", "PROD")
TERM = make_term_urn("Finance.CostOfGoodsSold")


def _field(path: str) -> m.SchemaFieldClass:
    return m.SchemaFieldClass(
        fieldPath=path, nativeDataType="string", type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass())
    )


def seed_records() -> List[Any]:
    """A few entities shaped like real connector output (dbt, glossary, JSON schema, SQL)."""
    return [
        MCPW(
            entityUrn=COGS,
            aspect=m.DatasetPropertiesClass(
                name="Cost of Goods Sold", description="Direct costs of the products sold in the period."
            ),
        ),
        MCPW(
            entityUrn=CATALOGUE,
            aspect=m.DatasetPropertiesClass(
                name="products", description="A product in the catalogue, with its current list price."
            ),
        ),
        MCPW(
            entityUrn=MASTER,
            aspect=m.DatasetPropertiesClass(
                name="customer_master", description="Customer master record synchronised from the CRM every night."
            ),
        ),
        MCPW(
            entityUrn=OIL,
            aspect=m.DatasetPropertiesClass(name="Ölpreis täglich", description="Täglicher Ölpreis je Barrel."),
        ),
        MCPW(
            entityUrn=SPACED,
            aspect=m.SchemaMetadataClass(
                schemaName="events",
                platform="urn:li:dataPlatform:s3",
                version=0,
                hash="",
                platformSchema=m.OtherSchemaClass(rawSchema=""),
                fields=[_field("Column With Space"), _field("event_id")],
            ),
        ),
        MCPW(
            entityUrn=TERM,
            aspect=m.GlossaryTermInfoClass(
                name="Cost of Goods Sold",
                definition="The direct cost of producing the goods sold.",
                termSource="INTERNAL",
            ),
        ),
    ]


def urns(res: Any) -> List[str]:
    return [h.urn for h in res.results]


@pytest.fixture
def seeded(tmp_path: Path) -> Any:
    s = litemeta.open_store(str(tmp_path / "s.db"))
    s.ingest(seed_records())
    yield s
    s.close()


# ----------------------------------------------------------------------------- query semantics
def test_phrases_with_stopwords_find_the_entity(seeded: Any) -> None:
    """A query word that a field's analyzer drops ("of", "in", "the", "a") is never required: the
    name "Cost of Goods Sold" is found by "Cost of Goods", quoted or not, and a description by its
    first five words (which hold stopwords)."""
    assert COGS in urns(seeded.search("Cost of Goods"))[:3]
    assert COGS in urns(seeded.search('"Cost of Goods"'))[:3]
    assert TERM in urns(seeded.search('"cost of goods sold"'))[:3]
    assert urns(seeded.search("A product in the catalogue"))[:1] == [CATALOGUE]
    assert urns(seeded.search('"A product in the catalogue"')) == [CATALOGUE]
    assert urns(seeded.search("Customer master record synchronised from"))[:1] == [MASTER]
    assert urns(seeded.search("of the")) == [] or seeded.search("of the").total >= 0  # only stopwords: no error


def test_all_meaningful_terms_must_match(seeded: Any) -> None:
    """Every word that carries meaning must match somewhere (stopwords are ignored, not required)."""
    assert urns(seeded.search("cost of goods banana")) == []
    assert set(urns(seeded.search("goods sold"))) == {COGS, TERM}


def test_accent_folding(seeded: Any) -> None:
    """ "olpreis" finds "Ölpreis", and "Ölpreis" finds it too."""
    assert urns(seeded.search("olpreis"))[:1] == [OIL]
    assert urns(seeded.search("Ölpreis"))[:1] == [OIL]
    assert urns(seeded.search("taglich"))[:1] == [OIL]


def test_a_column_with_spaces_is_found_by_its_name(seeded: Any) -> None:
    assert urns(seeded.search('"Column With Space"')) == [SPACED]
    assert urns(seeded.search("Column With Space"))[:1] == [SPACED]


def test_the_last_word_matches_as_a_prefix_while_typing(seeded: Any) -> None:
    assert COGS in urns(seeded.search("Cost of Goo"))[:3]
    assert urns(seeded.search("customer mast"))[:1] == [MASTER]
    assert urns(seeded.search("synchronis"))[:1] == [MASTER]


def test_indexed_text_per_field_is_bounded(tmp_path: Path) -> None:
    """No field indexes more than ~64 KB of text: a word after the first 100 KB of a description is
    not indexed, a word at its start is."""
    urn = make_dataset_urn("hive", "db.long_text", "PROD")
    text = "zebraheadword " + " ".join(f"filler{i}" for i in range(20_000)) + " tailwordyak"
    assert len(text) > 100_000
    with litemeta.open_store(str(tmp_path / "b.db")) as s:
        s.ingest([MCPW(entityUrn=urn, aspect=m.DatasetPropertiesClass(name="long_text", description=text))])
        assert urns(s.search("zebraheadword")) == [urn]
        assert urns(s.search("tailwordyak")) == []


# ----------------------------------------------------------------------------- real processes
def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def cli(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "litemeta", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
        cwd=str(ROOT),
    )


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "litemeta", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=str(ROOT),
    )


def search_json(db: str, query: str, *extra: str) -> Dict[str, Any]:
    p = cli("search", query, "--db", db, "--json", "--limit", "20", *extra)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def result_urns(out: Dict[str, Any]) -> List[str]:
    return [r["urn"] for r in out["results"]]


def bulk_store(tmp_path: Path, size: int, seed: int = 5, name: str = "bulk.db") -> str:
    """A store of an SDK corpus plus the seed entities, written by ``litemeta ingest`` (no index)."""
    from tests.sdkcorpus import write_corpus

    corpus = tmp_path / f"corpus-{size}-{seed}.json"
    write_corpus(corpus, size, seed)
    seeds = tmp_path / "seeds.json"
    write_metadata_file(seeds, seed_records())
    db = str(tmp_path / name)
    p = cli("ingest", "--db", db, str(corpus), str(seeds), timeout=300)
    assert p.returncode == 0, p.stderr
    return db


@pytest.mark.slow
def test_eight_first_searches_at_once(tmp_path: Path) -> None:
    """`ingest` leaves no index; 8 searches started together on the fresh store all exit 0 with the
    same, right answer (one builds the index, the others wait for it or serve it)."""
    db = bulk_store(tmp_path, 3000)
    assert not any(Path(db + ".index").glob("**/*.seg")) if Path(db + ".index").exists() else True
    procs = [start("search", "Cost of Goods Sold", "--db", db, "--json", "--limit", "5") for _ in range(8)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = [p.returncode for p in procs]
    assert codes == [0] * 8, [e for _, e in outs]
    results = [result_urns(json.loads(o)) for o, _ in outs]
    assert all(r[:1] in ([COGS], [TERM]) and {COGS, TERM} <= set(r) for r in results), results
    assert all(r == results[0] for r in results)


def _reindex_seconds(db: str) -> float:
    t = time.monotonic()
    p = cli("reindex", "--db", db, timeout=300)
    assert p.returncode == 0, p.stderr
    return time.monotonic() - t


@pytest.mark.slow
def test_searches_during_reindex_return_the_previous_results(tmp_path: Path) -> None:
    """Every search that runs while `reindex` rebuilds answers from the previous whole index."""
    db = bulk_store(tmp_path, 8000)
    before = search_json(db, "Cost of Goods Sold")
    assert set(result_urns(before)[:2]) == {COGS, TERM}
    star = search_json(db, "*")["total"]
    proc = start("reindex", "--db", db)
    seen = 0
    while proc.poll() is None:
        out = search_json(db, "Cost of Goods Sold")
        assert result_urns(out) == result_urns(before)
        assert search_json(db, "*")["total"] == star
        seen += 1
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert seen >= 1
    assert result_urns(search_json(db, "Cost of Goods Sold")) == result_urns(before)


@pytest.mark.slow
def test_a_reindex_killed_with_sigkill_leaves_the_previous_index(tmp_path: Path) -> None:
    """SIGKILL at any point of `reindex`: the next search answers from the previous index, and the
    next `reindex` completes."""
    db = bulk_store(tmp_path, 8000)
    before = search_json(db, "Cost of Goods Sold")
    total = search_json(db, "*")["total"]
    took = _reindex_seconds(db)
    for fraction in (0.3, 0.6, 0.85):
        proc = start("reindex", "--db", db)
        time.sleep(max(0.05, took * fraction))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        out = search_json(db, "Cost of Goods Sold")
        assert result_urns(out) == result_urns(before), fraction
        assert search_json(db, "*")["total"] == total
    assert _reindex_seconds(db) > 0
    assert result_urns(search_json(db, "Cost of Goods Sold")) == result_urns(before)


@pytest.mark.slow
def test_the_index_follows_its_own_store(tmp_path: Path) -> None:
    """Delete litemeta.db*, keep litemeta.db.index/, ingest another file at the same path: search
    answers for the new store (never the old one's entities) and says once that it rebuilt."""
    db = str(tmp_path / "s.db")
    first = tmp_path / "first.json"
    write_metadata_file(first, seed_records())
    assert cli("ingest", "--db", db, str(first)).returncode == 0
    assert COGS in result_urns(search_json(db, "Cost of Goods Sold"))
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    assert os.path.isdir(db + ".index")
    other = make_dataset_urn("hive", "hr.payroll", "PROD")
    second = tmp_path / "second.json"
    write_metadata_file(second, [MCPW(entityUrn=other, aspect=m.DatasetPropertiesClass(name="payroll"))])
    ingest = cli("ingest", "--db", db, str(second))  # it keeps the existing index current: it notices first
    assert ingest.returncode == 0, ingest.stderr
    p = cli("search", "*", "--db", db, "--json")
    assert p.returncode == 0, p.stderr
    assert result_urns(json.loads(p.stdout)) == [other]
    notices = [line for line in (ingest.stderr + p.stderr).splitlines() if "index" in line.lower()]
    assert len(notices) == 1 and "rebuil" in notices[0].lower(), ingest.stderr + p.stderr
    assert json.loads(cli("exists", COGS, "--db", db, "--json").stdout)["exists"] is False
    assert result_urns(search_json(db, "Cost of Goods Sold")) == []


def _segments(db: str) -> List[Path]:
    return sorted(Path(db + ".index").glob("**/*.seg"))


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["delete", "corrupt", "truncate"])
def test_a_damaged_segment_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    """A deleted, corrupted or truncated segment file is never served: the next search rebuilds the
    index (one line on stderr says so) and answers right; `reindex` repairs it too."""
    db = str(tmp_path / "s.db")
    seeds = tmp_path / "seeds.json"
    write_metadata_file(seeds, seed_records())
    assert cli("ingest", "--db", db, str(seeds)).returncode == 0
    before = search_json(db, "Cost of Goods Sold")
    assert set(result_urns(before)[:2]) == {COGS, TERM}
    for attempt in ("search", "reindex"):
        segs = _segments(db)
        assert segs
        seg = segs[-1]
        if damage == "delete":
            seg.unlink()
        elif damage == "corrupt":
            data = bytearray(seg.read_bytes())
            for i in range(0, len(data), 7):
                data[i] ^= 0x5A
            seg.write_bytes(bytes(data))
        else:
            seg.write_bytes(seg.read_bytes()[: max(1, seg.stat().st_size // 3)])
        if attempt == "reindex":
            p = cli("reindex", "--db", db)
            assert p.returncode == 0, p.stderr
            assert result_urns(search_json(db, "Cost of Goods Sold")) == result_urns(before)
        else:
            p = cli("search", "Cost of Goods Sold", "--db", db, "--json", "--limit", "20")
            assert p.returncode == 0, p.stderr
            assert result_urns(json.loads(p.stdout)) == result_urns(before)
            notices = [line for line in p.stderr.splitlines() if "index" in line.lower()]
            assert len(notices) == 1 and "rebuil" in notices[0].lower(), p.stderr


@pytest.mark.slow
def test_searches_under_four_concurrent_ingests(tmp_path: Path) -> None:
    """With 4 ingests writing, searches answer from the last whole index without catching up
    themselves; `--json` says how far behind it is; once the writers stop, the index catches up
    (in the background) and finds what they wrote."""
    from tests.sdkcorpus import write_corpus

    db = bulk_store(tmp_path, 2000)
    assert COGS in result_urns(search_json(db, "Cost of Goods Sold"))
    files = []
    for k in range(4):
        f = tmp_path / f"w{k}.json"
        write_corpus(f, 3000, 100 + k)
        files.append(f)
    marker = make_dataset_urn("hive", "late.arrival_marker_table", "PROD")
    write_metadata_file(
        tmp_path / "marker.json", [MCPW(entityUrn=marker, aspect=m.DatasetPropertiesClass(name="arrival_marker_table"))]
    )
    writers = [start("ingest", "--db", db, str(f)) for f in files]
    checks = 0
    while any(w.poll() is None for w in writers):
        out = search_json(db, "Cost of Goods Sold")
        assert COGS in result_urns(out)
        stale = out["stale"]
        if stale is not None:  # whether a search meets a lagging index depends on timing
            assert stale["behind"] == stale["logEndOffset"] - stale["indexedOffset"] > 0
        checks += 1
    assert [w.returncode for w in writers] == [0] * 4
    assert checks >= 1
    assert cli("ingest", "--db", db, str(tmp_path / "marker.json")).returncode == 0
    deadline = time.monotonic() + 120
    while True:
        out = search_json(db, "arrival_marker_table")
        if out["stale"] is None:
            break
        assert time.monotonic() < deadline, out["stale"]
        time.sleep(0.5)
    assert result_urns(out)[:1] == [marker]


@pytest.mark.slow
def test_a_search_does_not_wait_for_a_writer_of_the_index(tmp_path: Path) -> None:
    """While another process holds the index's write lock (a long catch-up or rebuild), a search
    answers at once from the last whole index and reports that it lags."""
    from litemeta.followers.search.generations import IndexFolder

    db = str(tmp_path / "s.db")
    seeds = tmp_path / "seeds.json"
    write_metadata_file(seeds, seed_records())
    assert cli("ingest", "--db", db, str(seeds)).returncode == 0
    assert search_json(db, "payroll")["results"] == []
    folder = IndexFolder(db + ".index")
    with folder.write_lock(timeout=10):
        payroll = make_dataset_urn("hive", "hr.payroll", "PROD")
        write_metadata_file(
            tmp_path / "p.json", [MCPW(entityUrn=payroll, aspect=m.DatasetPropertiesClass(name="payroll"))]
        )
        p = cli("ingest", "--db", db, str(tmp_path / "p.json"), timeout=120)
        assert p.returncode == 0, p.stderr
        t = time.monotonic()
        out = search_json(db, "payroll")
        assert time.monotonic() - t < 10
        assert out["results"] == [] and out["stale"]["behind"] > 0
    deadline = time.monotonic() + 60
    while search_json(db, "payroll")["stale"] is not None:
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert result_urns(search_json(db, "payroll")) == [payroll]


def _peak_rss_mb(args: Sequence[str], timeout: float) -> float:
    code = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    p = subprocess.Popen(
        [sys.executable, "-c", code, sys.executable, "-m", "litemeta", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=str(ROOT),
        start_new_session=True,
    )
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # the search too, not only the wrapper
        p.communicate()
        raise
    rc, kb = out.split()
    assert rc == "0", err
    return int(kb) / 1024


@pytest.mark.slow
def test_search_memory_with_one_50_mb_aspect(tmp_path: Path) -> None:
    """A store holding one 50 MB aspect: the first search (which builds the index) and the next one
    stay under 300 MB of peak RSS (1.1 GB before)."""
    import random

    rng = random.Random(4)
    words = "alpha beta gamma delta epsilon zeta theta kappa lambda sigma".split()
    big = make_dataset_urn("hive", "big.wide_table", "PROD")
    text = " ".join(f"{rng.choice(words)}{rng.randint(0, 999_999)}" for _ in range(4_500_000))
    assert len(text) >= 50_000_000
    records = [MCPW(entityUrn=big, aspect=m.DatasetPropertiesClass(name="wide_table", description=text))]
    records += seed_records()
    path = tmp_path / "big.json"
    write_metadata_file(path, records)
    del records, text
    db = str(tmp_path / "big.db")
    assert cli("ingest", "--db", db, str(path), timeout=300).returncode == 0
    first = _peak_rss_mb(["search", "Cost of Goods Sold", "--db", db], timeout=240)
    again = _peak_rss_mb(["search", "wide_table", "--db", db], timeout=120)
    assert first <= 300 and again <= 300, (first, again)
    assert result_urns(search_json(db, "wide_table"))[:1] == [big]
