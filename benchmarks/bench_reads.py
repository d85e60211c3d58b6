"""Whole-process time of every read command but search, on a small and on the 200k store (issue 19).

    python benchmarks/bench_reads.py                       # sample store + the cached 200k store
    python benchmarks/bench_reads.py --runs 5 --json
    python benchmarks/bench_reads.py --large PATH/litemeta.db --workdir /tmp/me/reads

Stores: "small" is ``examples/sample.json`` ingested into a fresh store in --workdir (34 records);
"200k" is a copy, in --workdir, of the store bench_ingest.py builds from the 200,000-record SDK
corpus (default ``/tmp/litemeta-bench/store-200k/litemeta.db``; it is never written: read
commands may keep caches beside a store, e.g. the lineage graph). Each command is a fresh process
(``litemeta ...``, the installed entry point); the package is byte-compiled first; one untimed
warm-up run, then ``--runs`` timed runs: the median (and min, max) of the wall time, and the median
CPU time (user + system) of the process, which a busy machine inflates much less than the wall
time. The load average is printed beside each row: figures measured on a busy machine are
provisional. Targets (wall): <= 0.2 s on the small store, <= 0.3 s on the 200k store.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import pathlib
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import bench_ingest as bi  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample.json"
DEFAULT_LARGE = pathlib.Path("/tmp/litemeta-bench/store-200k/litemeta.db")
TARGETS = {"small": 0.2, "200k": 0.3}


def time_cmd(cmd: Sequence[str], env: Dict[str, str], runs: int, warmup: int = 1) -> Dict[str, Any]:
    """Wall and CPU seconds of ``runs`` runs of ``cmd`` (after ``warmup`` untimed runs)."""
    walls: List[float] = []
    cpus: List[float] = []
    rc = 0
    for i in range(warmup + runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        rc = subprocess.run(list(cmd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i >= warmup:
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {
        "median_s": round(statistics.median(walls), 3),
        "min_s": round(min(walls), 3),
        "max_s": round(max(walls), 3),
        "cpu_s": round(statistics.median(cpus), 3),
        "runs": runs,
        "rc": rc,
    }


def small_store(workdir: pathlib.Path) -> pathlib.Path:
    """A fresh store of the shipped sample."""
    db = workdir / "small" / "litemeta.db"
    if db.parent.exists():
        shutil.rmtree(db.parent)
    db.parent.mkdir(parents=True)
    subprocess.run(
        bi.litemeta_cmd() + ["ingest", str(SAMPLE), "--db", str(db)],
        env=bi.litemeta_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return db


def large_store(source: pathlib.Path, workdir: pathlib.Path) -> pathlib.Path:
    """A copy of the 200k store (made once; the source is only read)."""
    db = workdir / "200k" / "litemeta.db"
    if not db.exists() or db.stat().st_size != source.stat().st_size:
        db.parent.mkdir(parents=True, exist_ok=True)
        for f in db.parent.iterdir():
            f.unlink() if f.is_file() else shutil.rmtree(f)
        print(f"copying {source} to {db} ...", file=sys.stderr)
        shutil.copy2(source, db)
    return db


def pick(db: pathlib.Path) -> Dict[str, str]:
    """Deterministic subjects: a dataset with upstream lineage (the middle one by urn), its
    platform, its run id, a dataset with many versions of one aspect."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ups = [
            u
            for (u,) in con.execute(
                "SELECT urn FROM metadata_aspect_v2 WHERE aspect = 'upstreamLineage' AND version = 0 ORDER BY urn"
            )
        ]
        urn = (
            ups[len(ups) // 2]
            if ups
            else con.execute("SELECT urn FROM metadata_aspect_v2 WHERE aspect = 'datasetKey' ORDER BY urn").fetchone()[
                0
            ]
        )
        (sm,) = con.execute(
            "SELECT systemmetadata FROM metadata_aspect_v2 WHERE urn = ? AND version = 0 "
            "AND systemmetadata IS NOT NULL LIMIT 1",
            (urn,),
        ).fetchone()
        aspect = con.execute(
            "SELECT aspect FROM metadata_aspect_v2 WHERE urn = ? GROUP BY aspect "
            "ORDER BY count(*) DESC, aspect LIMIT 1",
            (urn,),
        ).fetchone()[0]
    finally:
        con.close()
    platform = urn.split("urn:li:dataPlatform:", 1)[1].split(",", 1)[0] if "dataPlatform:" in urn else "hive"
    return {"urn": urn, "platform": platform, "run": json.loads(sm).get("runId", "x"), "aspect": aspect}


def commands(s: Dict[str, str]) -> List[Tuple[str, List[str]]]:
    """(label, arguments) of every read command timed."""
    u = s["urn"]
    return [
        ("get", ["get", u]),
        ("get -a", ["get", u, "-a", "datasetProperties"]),
        ("exists", ["exists", u]),
        ("history", ["history", u, "-a", s["aspect"]]),
        ("timeline", ["timeline", u]),
        ("lineage up", ["lineage", "--urn", u]),
        ("lineage down", ["lineage", "--urn", u, "--direction", "downstream"]),
        ("log mcl", ["log", "mcl", "--limit", "20"]),
        ("log pe --urn", ["log", "pe", "--urn", u]),
        ("list-urns", ["list-urns"]),
        ("ls /", ["ls"]),
        ("ls /dataset", ["ls", "/dataset"]),
        ("ls platform", ["ls", f"/dataset/{s['platform']}"]),
        ("runs list", ["runs", "list"]),
        ("runs show", ["runs", "show", "--run-id", s["run"], "--count", "20"]),
        ("stats", ["stats"]),
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--large", default=str(DEFAULT_LARGE), help=f"the 200k store to copy [{DEFAULT_LARGE}]")
    ap.add_argument("--workdir", default="/tmp/litemeta-bench-reads", help="where the stores go")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command [5]")
    ap.add_argument("--only", default=None, help="comma-separated labels to time [all]")
    ap.add_argument("--skip-large", action="store_true", help="time the small store only")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    a = ap.parse_args(argv)
    import litemeta

    compileall.compile_dir(os.path.dirname(litemeta.__file__), quiet=1)  # a byte-compiled install
    workdir = pathlib.Path(a.workdir)
    stores = {"small": small_store(workdir)}
    if not a.skip_large:
        stores["200k"] = large_store(pathlib.Path(a.large), workdir)
    only = set(a.only.split(",")) if a.only else None
    lm, env = bi.litemeta_cmd(), bi.litemeta_env()
    res: Dict[str, Any] = {
        "machine": bi.machine(),
        "runs": a.runs,
        "load_before": bi.load(),
        "stores": {k: str(v) for k, v in stores.items()},
        "subjects": {},
        "commands": {},
    }
    for name, db in stores.items():
        subjects = pick(db)
        res["subjects"][name] = subjects
        for label, args in commands(subjects):
            if only and label not in only:
                continue
            t = time_cmd(lm + args + ["--db", str(db)], env, a.runs)
            t["load"] = bi.load()
            t["target_s"] = TARGETS[name]
            t["pass"] = t["median_s"] <= TARGETS[name] and t["rc"] in (0,)
            res["commands"].setdefault(label, {})[name] = t
            print(
                f"{name:6} {label:14} {t['median_s']:.3f} s, cpu {t['cpu_s']:.3f} s (rc {t['rc']}, load {t['load']})",
                file=sys.stderr,
            )
    res["load_after"] = bi.load()
    if a.json:
        print(json.dumps(res))
    else:
        print_table(res)
    return 0 if all(t["pass"] for row in res["commands"].values() for t in row.values()) else 1


def print_table(res: Dict[str, Any]) -> None:
    """The result as a readable table."""
    m = res["machine"]
    print(
        f"machine: {m['cpus']} CPUs, {m['platform']}; {m['date']}; median of {res['runs']} runs after 1 warm-up; "
        f"load average before {res['load_before']}, after {res['load_after']}"
    )
    for name, s in res["subjects"].items():
        print(f"{name}: {res['stores'][name]}; urn {s['urn']}")
    names = list(res["stores"])
    print(f"{'command':16}" + "".join(f"{n + ' median':>14}{'min':>8}{'max':>8}{'cpu':>8}" for n in names) + "  load")
    for label, row in res["commands"].items():
        cells = f"{label:16}"
        for n in names:
            t = row.get(n)
            if t is None:
                cells += f"{'-':>14}{'-':>8}{'-':>8}{'-':>8}"
                continue
            flag = "" if t["pass"] else ("!" if t["rc"] == 0 else "E")
            cells += f"{t['median_s']:>13.3f}{flag or ' '}{t['min_s']:>8.3f}{t['max_s']:>8.3f}{t['cpu_s']:>8.3f}"
        cells += "  " + " / ".join(str(row[n]["load"]) for n in names if n in row)
        print(cells)
    print("targets: small <= 0.2 s, 200k <= 0.3 s; ! = over the target, E = non-zero exit code")


if __name__ == "__main__":
    sys.exit(main())
