"""Benchmark ``litemeta ingest`` against DataHub Lite's ``datahub lite import --file`` (issue 3).

    python benchmarks/bench_ingest.py                         # 20,000 records, both tools, 3 runs each
    python benchmarks/bench_ingest.py --size 200000           # RSS check: litemeta only
    python benchmarks/bench_ingest.py --size 200000 --with-lite --repeat 1
    python benchmarks/bench_ingest.py --corpus my.json --json # any DataHub file-sink JSON

Both tools read the same DataHub file-sink JSON, built with acryl-datahub's own writer by
``tests/sdkcorpus.py`` (deterministic for --size/--seed, cached as <cache>/corpus-<N>-<seed>.json;
20,000 records take ~10 s to generate, 200,000 (~375 MB) about 6 minutes).

Both tools' packages are byte-compiled first (:func:`compile_bytecode`), as ``pip install``
leaves them. Each run is a fresh store and a separate process (the two tools' runs alternate, so that both
see the same machine conditions), started through a tiny wrapper process that
measures the child's wall time, CPU time and peak RSS (``ru_maxrss`` of RUSAGE_CHILDREN, so the
maximum is that run's only). The median of --repeat runs is reported, with the machine's load
average before and after (the numbers are only comparable on an idle machine).

DataHub Lite gets a private HOME (``<workdir>/lite-home``) holding a ``.datahubenv`` with the
``gms.server`` entry Lite insists on (it never contacts it) and ``lite.config.file`` pointing at
``<workdir>/lite/datahub.db``; telemetry is off. The last run's stores are kept in --workdir for
``bench_cli.py``.

Targets (issue 3): litemeta records/s >= 20x Lite's; 200,000 records with peak RSS <= 400 MB.
Needs acryl-datahub with the ``datahub-lite`` extra (only to generate corpora and run Lite).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Sequence

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_CACHE = pathlib.Path("/tmp/litemeta-bench")
TARGET_RATIO = 20.0
TARGET_RSS_MB_200K = 400.0

# Runs argv[2:] as a child, then writes its wall/CPU seconds, peak RSS and exit code to argv[1].
# Being its own small process, the wrapper keeps the benchmark's memory out of ru_maxrss.
_WRAPPER = r"""
import json, os, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
kb = ru.ru_maxrss / (1024.0 if sys.platform == "darwin" else 1.0)
with open(sys.argv[1], "w") as f:
    json.dump({"rc": rc, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": kb}, f)
"""

# Counts a corpus's records by kind and change type without loading it (run in a child process).
_COUNTER = r"""
import collections, json, sys, ijson
c = collections.Counter()
with open(sys.argv[1], "rb") as f:
    for rec in ijson.items(f, "item"):
        c["records"] += 1
        if "proposedSnapshot" in rec:
            c["MCE"] += 1
        else:
            c[rec.get("changeType") or "UPSERT"] += 1
print(json.dumps(dict(c)))
"""


@dataclass(frozen=True)
class Run:
    """One measured process run."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    rc: int
    stdout: str
    stderr: str


def load() -> List[float]:
    """The 1-, 5- and 15-minute load averages (empty where unsupported)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return []


def machine() -> Dict[str, Any]:
    """Where the numbers were taken."""
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def find_tool(name: str) -> Optional[str]:
    """The console script ``name`` next to this Python, else on PATH."""
    beside = pathlib.Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def litemeta_cmd() -> List[str]:
    """How to start the litemeta CLI."""
    exe = find_tool("litemeta")
    return [exe] if exe else [sys.executable, "-m", "litemeta"]


def datahub_cmd() -> Optional[List[str]]:
    """How to start acryl-datahub's CLI (None when it is not installed)."""
    exe = find_tool("datahub")
    return [exe] if exe else None


def corpus(cache: pathlib.Path, size: int, seed: int = 1) -> pathlib.Path:
    """The cached SDK corpus of ``size`` records, generated (with its stats) when missing."""
    path = cache / f"corpus-{size}-{seed}.json"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        t0 = time.perf_counter()
        print(f"generating {path} with the SDK (tests/sdkcorpus.py) ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "tests.sdkcorpus", "--size", str(size), "--seed", str(seed), "--out", str(tmp)],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tmp.rename(path)
        print(
            f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.0f} s",
            file=sys.stderr,
        )
    return path


def corpus_counts(path: pathlib.Path) -> Dict[str, int]:
    """Records by kind (UPSERT, PATCH, DELETE, CREATE, ..., MCE), cached beside the corpus."""
    cache = path.with_name(path.name + ".counts.json")
    if cache.exists() and cache.stat().st_mtime >= path.stat().st_mtime:
        return json.loads(cache.read_text())  # type: ignore[no-any-return]
    out = subprocess.run([sys.executable, "-c", _COUNTER, str(path)], check=True, capture_output=True, text=True)
    counts: Dict[str, int] = json.loads(out.stdout)
    try:
        cache.write_text(json.dumps(counts))
    except OSError:
        pass
    return counts


def measure(cmd: Sequence[str], env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None) -> Run:
    """Run ``cmd`` in its own wrapper; return its wall/CPU time, peak RSS, exit code and output."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "rusage.json")
        out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            subprocess.run(
                [sys.executable, "-c", _WRAPPER, stats, *cmd], stdout=out, stderr=err, env=env, cwd=cwd, check=False
            )
        with open(stats) as f:
            s = json.load(f)
        with open(out_path, "rb") as f:
            stdout = f.read().decode("utf-8", "replace")
        with open(err_path, "rb") as f:
            stderr = f.read().decode("utf-8", "replace")
    return Run(s["wall"], s["cpu"], s["rss_kb"] / 1024.0, s["rc"], stdout, stderr)


def files_size(paths: Sequence[pathlib.Path]) -> int:
    """Total bytes of the files and folders that exist among ``paths``."""
    total = 0
    for p in paths:
        if p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        elif p.exists():
            total += p.stat().st_size
    return total


def remove(paths: Sequence[pathlib.Path]) -> None:
    """Delete files and folders (a fresh store for each run)."""
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


# ------------------------------------------------------------------ litemeta
def litemeta_db(workdir: pathlib.Path) -> pathlib.Path:
    """The litemeta store the benchmarks keep in ``workdir``."""
    return workdir / "litemeta.db"


def litemeta_files(db: pathlib.Path) -> List[pathlib.Path]:
    """A litemeta SQLite store's files: database, WAL, shared memory, rollback journal, index folder."""
    return [pathlib.Path(str(db) + s) for s in ("", "-wal", "-shm", "-journal", ".index")]


def litemeta_env() -> Dict[str, str]:
    """The environment of litemeta runs (no inherited LITEMETA_* settings)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LITEMETA_")}


def run_litemeta(corpus_path: pathlib.Path, workdir: pathlib.Path) -> Dict[str, Any]:
    """One fresh ``litemeta ingest --json``; its measurements, report and store size."""
    db = litemeta_db(workdir)
    remove(litemeta_files(db))
    run = measure(litemeta_cmd() + ["ingest", "--db", str(db), str(corpus_path), "--json"], env=litemeta_env())
    if run.rc not in (0, 1):  # 1 = some records failed (they are in the report)
        raise RuntimeError(f"litemeta ingest exited {run.rc}: {run.stderr[-2000:]}")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    report.pop("errors", None)
    files = litemeta_files(db)
    return {"run": run, "report": report, "store_bytes": files_size(files[:4]), "index_bytes": files_size(files[4:])}


def litemeta_contents(db: pathlib.Path) -> Dict[str, Any]:
    """What litemeta holds after ingest, from ``litemeta stats --json``."""
    out = subprocess.run(
        litemeta_cmd() + ["stats", "--db", str(db), "--json"], capture_output=True, text=True, env=litemeta_env()
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-500:]}
    s = json.loads(out.stdout)
    return {
        k: s.get(k) for k in ("entitiesTotal", "currentAspects", "versions", "timeseriesRows", "softDeleted", "topics")
    }


# ------------------------------------------------------------------ DataHub Lite
def lite_db(workdir: pathlib.Path) -> pathlib.Path:
    """The DataHub Lite database the benchmarks keep in ``workdir``."""
    return workdir / "lite" / "datahub.db"


def lite_env(workdir: pathlib.Path) -> Dict[str, str]:
    """Environment for ``datahub lite``: a private HOME whose ``.datahubenv`` points Lite at ``lite_db``.

    ``datahub.cli.config_utils`` reads ``~/.datahubenv`` (YAML); ``lite_cli.get_lite_config``
    validates it as ``{gms: {server}, lite: {type, config: {file}}}`` and refuses to start without
    ``gms``.
    """
    home = workdir / "lite-home"
    home.mkdir(parents=True, exist_ok=True)
    db = lite_db(workdir)
    db.parent.mkdir(parents=True, exist_ok=True)
    (home / ".datahubenv").write_text(
        f"gms:\n  server: http://localhost:8080\nlite:\n  type: sqlite\n  config:\n    file: {json.dumps(str(db))}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAHUB_")}
    env.update({"HOME": str(home), "DATAHUB_TELEMETRY_ENABLED": "false"})
    return env


def lite_files(db: pathlib.Path) -> List[pathlib.Path]:
    """DataHub Lite's SQLite files."""
    return [pathlib.Path(str(db) + s) for s in ("", "-wal", "-shm", "-journal")]


def run_lite(corpus_path: pathlib.Path, workdir: pathlib.Path) -> Dict[str, Any]:
    """One fresh ``datahub lite import --file``; its measurements, what it stored and what it rejected."""
    dh = datahub_cmd()
    if dh is None:
        raise RuntimeError(
            "acryl-datahub's `datahub` command is not installed (pip install 'acryl-datahub[datahub-lite]')"
        )
    db = lite_db(workdir)
    env = lite_env(workdir)
    remove(lite_files(db))
    run = measure(dh + ["lite", "import", "--file", str(corpus_path)], env=env)
    if run.rc != 0:
        raise RuntimeError(f"datahub lite import exited {run.rc}: {run.stderr[-2000:]}")
    # DELETE records fail in the file source ("Failed to deserialize metadata ... Unknown object type")
    # and are logged; PATCH records reach the Lite sink, which skips them with a report warning only.
    rejected = sum(1 for line in run.stderr.splitlines() if "ERROR" in line and "Failed to deserialize" in line)
    return {"run": run, "report": {"deserialize_errors_logged": rejected}, "store_bytes": files_size(lite_files(db))}


def lite_contents(db: pathlib.Path) -> Dict[str, Any]:
    """Rows of Lite's ``metadata_aspect_v2`` (all versions, latest = version 0) and distinct urns."""
    if not db.exists():
        return {"error": f"no {db}"}
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows, latest, urns = conn.execute(
            "SELECT count(*), sum(version = 0), count(DISTINCT urn) FROM metadata_aspect_v2"
        ).fetchone()
        edges = conn.execute("SELECT count(*) FROM metadata_edge_v2").fetchone()[0]
    finally:
        conn.close()
    return {"urns": urns, "currentAspects": latest, "rows": rows, "edges": edges}


# ------------------------------------------------------------------ driver
def summarize(runs: List[Dict[str, Any]], size: int) -> Dict[str, Any]:
    """Median wall/CPU/RSS of several runs of one tool."""
    walls = [r["run"].wall_s for r in runs]
    wall = statistics.median(walls)
    return {
        "runs": len(runs),
        "wall_s": round(wall, 3),
        "wall_s_all": [round(w, 3) for w in walls],
        "cpu_s": round(statistics.median(r["run"].cpu_s for r in runs), 3),
        "records_per_s": round(size / wall),
        "peak_rss_mb": round(statistics.median(r["run"].peak_rss_mb for r in runs), 1),
        "peak_rss_mb_max": round(max(r["run"].peak_rss_mb for r in runs), 1),
        "store_mb": round(runs[-1]["store_bytes"] / 1e6, 1),
        "report": runs[-1]["report"],
    }


def compile_bytecode(packages: Sequence[str] = ("litemeta", "datahub")) -> None:
    """Byte-compile the tools' packages, as ``pip install`` leaves a package, so that no run pays
    for compiling sources at start-up: an editable install of litemeta, under
    ``PYTHONDONTWRITEBYTECODE=1``, would compile its 80-odd modules in every run (0.2 s of a 20k
    ingest, and again in its event helper process). Packages not installed are skipped."""
    for name in packages:
        code = (
            f"import compileall, importlib.util, os; s = importlib.util.find_spec({name!r}); "
            f"s and [compileall.compile_dir(p, quiet=2) for p in s.submodule_search_locations or []]"
        )
        subprocess.run([sys.executable, "-c", code], check=False, capture_output=True)


def bench(
    corpus_path: pathlib.Path,
    workdir: pathlib.Path,
    repeat: int,
    with_lite: bool,
    with_litemeta: bool = True,
    log: Any = None,
) -> Dict[str, Any]:
    """Ingest ``corpus_path`` ``repeat`` times with each tool; return the result document."""
    workdir.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    counts = corpus_counts(corpus_path)
    size = counts["records"]
    res: Dict[str, Any] = {
        "machine": machine(),
        "load_before": load(),
        "corpus": {"path": str(corpus_path), "mb": round(corpus_path.stat().st_size / 1e6, 1), **counts},
        "workdir": str(workdir),
    }
    # The two tools' runs alternate, so that both sample the same stretch of machine conditions
    # (on a shared VM the speed drifts by 10-20 % within minutes; Lite's runs take minutes).
    lm_runs: List[Dict[str, Any]] = []
    lite_runs: List[Dict[str, Any]] = []
    for i in range(repeat):
        for tool, runs, runner in (("litemeta", lm_runs, run_litemeta), ("lite", lite_runs, run_lite)):
            if not (with_litemeta if tool == "litemeta" else with_lite):
                continue
            runs.append(runner(corpus_path, workdir))
            if log:
                r = runs[-1]["run"]
                log(f"{tool} run {i + 1}/{repeat}: {r.wall_s:.2f} s, peak RSS {r.peak_rss_mb:.0f} MB, load {load()}")
    if with_litemeta:
        res["litemeta"] = summarize(lm_runs, size)
        res["litemeta"]["internal_seconds"] = lm_runs[-1]["report"].get("seconds")
        res["litemeta"]["store_index_mb"] = round(lm_runs[-1]["index_bytes"] / 1e6, 1)
        res["litemeta"]["stored"] = litemeta_contents(litemeta_db(workdir))
    if with_lite:
        res["lite"] = summarize(lite_runs, size)
        res["lite"]["stored"] = lite_contents(lite_db(workdir))
    res["load_after"] = load()
    targets: Dict[str, Any] = {}
    if "litemeta" in res and "lite" in res:
        ratio = res["litemeta"]["records_per_s"] / max(res["lite"]["records_per_s"], 1)
        res["ratio"] = round(ratio, 1)
        targets["records_per_s_ratio>=20"] = {"value": res["ratio"], "pass": ratio >= TARGET_RATIO}
    if "litemeta" in res and size >= 200_000:
        rss = res["litemeta"]["peak_rss_mb_max"]
        targets["peak_rss_mb<=400"] = {"value": rss, "pass": rss <= TARGET_RSS_MB_200K}
    res["targets"] = targets
    return res


def print_table(res: Dict[str, Any]) -> None:
    """The result as a readable table."""
    c = res["corpus"]
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(c.items()) if k not in ("path", "mb", "records"))
    print(f"corpus: {c['path']} ({c['records']:,} records, {c['mb']} MB: {kinds})")
    print(
        f"machine: {res['machine']['cpus']} CPUs, {res['machine']['platform']}; {res['machine']['date']}; "
        f"load average before {res['load_before']}, after {res['load_after']}"
    )
    tools = [t for t in ("litemeta", "lite") if t in res]
    names = {"litemeta": "litemeta ingest", "lite": "datahub lite import"}
    print(f"{'':24}" + "".join(f"{names[t]:>22}" for t in tools))
    rows = [
        ("wall s (median)", "wall_s", "{:.2f}"),
        ("CPU s (median)", "cpu_s", "{:.2f}"),
        ("records/s", "records_per_s", "{:,}"),
        ("peak RSS MB (median)", "peak_rss_mb", "{:.0f}"),
        ("peak RSS MB (max)", "peak_rss_mb_max", "{:.0f}"),
        ("store MB", "store_mb", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        print(f"{label:24}" + "".join(f"{fmt.format(res[t][key]):>22}" for t in tools))
    for t in tools:  # every run's wall time, in order (a line each: five runs do not fit a column)
        print(f"{'runs, ' + names[t]:24}  " + " ".join(f"{w:.2f}" for w in res[t]["wall_s_all"]))
    if "litemeta" in res:
        r = res["litemeta"]["report"]
        print(
            f"litemeta report: written {r['written']:,}, unchanged {r['unchanged']:,}, failed {r['failed']:,}, "
            f"proposals {r['proposals']:,}, MCLs {r['mcl']:,}, platform events {r['platformEvents']:,} "
            f"(ingest itself {r['seconds']} s)"
        )
        s = res["litemeta"]["stored"]
        print(
            f"litemeta stored: {s.get('entitiesTotal')} entities, {s.get('currentAspects')} current aspects, "
            f"{s.get('versions')} versions, {s.get('timeseriesRows')} timeseries rows, soft-deleted "
            f"{s.get('softDeleted')}"
        )
    if "lite" in res:
        s = res["lite"]["stored"]
        print(
            f"Lite stored: {s.get('urns')} urns, {s.get('currentAspects')} current aspects, {s.get('rows')} rows "
            f"(all versions), {s.get('edges')} edges; DELETE records rejected with a logged error: "
            f"{res['lite']['report']['deserialize_errors_logged']:,}; PATCH records dropped by the Lite sink "
            f"without output: {c.get('PATCH', 0):,}; exit code 0"
        )
    if "ratio" in res:
        print(f"ratio litemeta/Lite records/s: {res['ratio']}x")
    for name, t in res["targets"].items():
        print(f"target {name}: {t['value']} {'PASS' if t['pass'] else 'FAIL'}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=20000, help="corpus size in records [20000]")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed [1]")
    ap.add_argument("--corpus", default=None, help="use this metadata file instead of a generated corpus")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE), help="folder of generated corpora [/tmp/litemeta-bench]")
    ap.add_argument("--workdir", default=None, help="where stores are written and kept [<cache>/work-<size>]")
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; the median is reported [3]")
    lite = ap.add_mutually_exclusive_group()
    lite.add_argument("--with-lite", action="store_true", help="run DataHub Lite (default below 100,000 records)")
    lite.add_argument("--no-lite", action="store_true", help="do not run DataHub Lite")
    ap.add_argument("--lite-only", action="store_true", help="run only DataHub Lite")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    a = ap.parse_args(argv)

    cache = pathlib.Path(a.cache)
    path = pathlib.Path(a.corpus) if a.corpus else corpus(cache, a.size, a.seed)
    workdir = pathlib.Path(a.workdir) if a.workdir else cache / f"work-{a.size if not a.corpus else path.stem}"
    with_lite = a.with_lite or a.lite_only or (not a.no_lite and (a.corpus is not None or a.size < 100_000))
    res = bench(
        path, workdir, a.repeat, with_lite, with_litemeta=not a.lite_only, log=lambda m: print(m, file=sys.stderr)
    )
    if a.json:
        print(json.dumps(res, default=lambda o: asdict(o) if isinstance(o, Run) else str(o)))
    else:
        print_table(res)
    return 0 if all(t["pass"] for t in res["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
