"""Whole-process latency of litemeta's read commands, side by side with DataHub Lite's (issue 7).

    python benchmarks/bench_cli.py --size 200000     # the issue's store (built by bench_ingest.py)
    python benchmarks/bench_cli.py --size 20000      # quick run
    python benchmarks/bench_cli.py --workdir DIR --runs 20 --json

Commands compared, each as a fresh process on the same data:

    litemeta --help                     datahub lite --help
    litemeta get URN                    datahub lite get --urn URN
    litemeta exists URN                 (no Lite equivalent)
    litemeta search QUERY               datahub lite search QUERY
    litemeta list-urns                  datahub lite list-urns

The stores are the ones ``bench_ingest.py`` keeps in --workdir (``litemeta.db`` and
``lite/datahub.db`` with its ``lite-home/.datahubenv``); missing ones are built here by one ingest
of the SDK corpus. The first ``litemeta search`` on a fresh store builds its search index; that run
is reported apart (``search (first run)``) and the timed runs follow a warm-up run.

Timing uses hyperfine when installed (``hyperfine -N --warmup 1``) else a loop of
``subprocess.run`` timed with ``time.perf_counter``; median, min and max are reported, with the
load average. Target (issue 7): ``get`` and ``exists`` <= 0.3 s on the 200,000-record store.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import bench_ingest as bi  # noqa: E402

TARGET_S = 0.3
TARGETS = ("help", "get", "exists")
Cmd = Optional[Tuple[List[str], Dict[str, str]]]


def time_python(cmd: Sequence[str], env: Dict[str, str], runs: int, warmup: int = 1) -> Dict[str, Any]:
    """Median/min/max wall seconds of ``runs`` runs of ``cmd`` (after ``warmup`` untimed runs)."""
    times: List[float] = []
    rc = 0
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        rc = subprocess.run(list(cmd), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "runs": runs,
        "rc": rc,
        "runner": "python",
    }


def time_hyperfine(cmd: Sequence[str], env: Dict[str, str], runs: int, warmup: int = 1) -> Dict[str, Any]:
    """The same measured by hyperfine (no shell; output discarded)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "h.json")
        subprocess.run(
            [
                "hyperfine",
                "-N",
                "-i",
                "--style",
                "none",
                "--warmup",
                str(warmup),
                "--runs",
                str(runs),
                "--export-json",
                out,
                shlex.join(cmd),
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with open(out) as f:
            r = json.load(f)["results"][0]
    codes = r.get("exit_codes") or [0]
    return {
        "median_s": round(r["median"], 3),
        "min_s": round(r["min"], 3),
        "max_s": round(r["max"], 3),
        "runs": len(r["times"]),
        "rc": max(codes),
        "runner": "hyperfine",
    }


def pick_urn(db: pathlib.Path) -> str:
    """A dataset urn that exists in the litemeta store (the middle one of ``list-urns``, deterministic)."""
    out = subprocess.run(
        bi.litemeta_cmd() + ["list-urns", "--db", str(db), "--entity-type", "dataset"],
        capture_output=True,
        text=True,
        check=True,
        env=bi.litemeta_env(),
    ).stdout.split()
    urns = sorted(u for u in out if u.startswith("urn:li:dataset:"))
    if not urns:
        raise RuntimeError(f"no dataset in {db}")
    return urns[len(urns) // 2]


def lite_has(db: pathlib.Path, urn: str) -> bool:
    """Whether DataHub Lite's database holds ``urn``."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT 1 FROM metadata_aspect_v2 WHERE urn = ? LIMIT 1", (urn,)).fetchone() is not None
    finally:
        conn.close()


def query_from(urn: str) -> str:
    """A word of the dataset's name, to search for."""
    name = urn.split(",")[1].split(".")[-1]
    words = [w for w in name.split("_") if w.isalpha() and len(w) > 3]
    return words[0] if words else name


def ensure_stores(corpus_path: pathlib.Path, workdir: pathlib.Path, with_lite: bool) -> None:
    """Build the stores bench_ingest.py would have left in ``workdir`` when they are missing."""
    if not bi.litemeta_db(workdir).exists():
        print(f"building {bi.litemeta_db(workdir)} ...", file=sys.stderr)
        bi.run_litemeta(corpus_path, workdir)
    if with_lite and not bi.lite_db(workdir).exists():
        print(f"building {bi.lite_db(workdir)} with datahub lite import (slow) ...", file=sys.stderr)
        bi.run_lite(corpus_path, workdir)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=200000, help="corpus size whose stores to use [200000]")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed [1]")
    ap.add_argument("--corpus", default=None, help="a metadata file instead of a generated corpus")
    ap.add_argument("--cache", default=str(bi.DEFAULT_CACHE), help="folder of generated corpora")
    ap.add_argument("--workdir", default=None, help="folder of the stores [<cache>/work-<size>]")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per command [10]")
    ap.add_argument("--urn", default=None, help="urn for get/exists [a dataset of the store]")
    ap.add_argument("--query", default=None, help="search query [a word of that dataset's name]")
    ap.add_argument("--no-lite", action="store_true", help="skip DataHub Lite")
    ap.add_argument("--runner", choices=("auto", "hyperfine", "python"), default="auto")
    ap.add_argument(
        "--only", default=None, help="comma-separated commands to time [all]: help,get,exists,search,list-urns"
    )
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    a = ap.parse_args(argv)
    only = set(a.only.split(",")) if a.only else set()

    cache = pathlib.Path(a.cache)
    workdir = pathlib.Path(a.workdir) if a.workdir else None
    corpus_path = pathlib.Path(a.corpus) if a.corpus else None
    if workdir is None:
        workdir = cache / f"work-{corpus_path.stem if corpus_path else a.size}"
    dh = bi.datahub_cmd()
    with_lite = not a.no_lite and dh is not None
    need = not bi.litemeta_db(workdir).exists() or (with_lite and not bi.lite_db(workdir).exists())
    if need:
        ensure_stores(corpus_path or bi.corpus(cache, a.size, a.seed), workdir, with_lite)
    runner = a.runner if a.runner != "auto" else ("hyperfine" if shutil.which("hyperfine") else "python")
    timer = time_hyperfine if runner == "hyperfine" else time_python

    db = bi.litemeta_db(workdir)
    urn = a.urn or pick_urn(db)
    query = a.query or query_from(urn)
    lm, lm_env = bi.litemeta_cmd(), bi.litemeta_env()
    lite_env = bi.lite_env(workdir) if with_lite else {}
    if with_lite and not lite_has(bi.lite_db(workdir), urn):
        print(f"note: {urn} is not in Lite's store", file=sys.stderr)
    d = ["--db", str(db)]
    lite = (dh or []) + ["lite"]
    cases: List[Tuple[str, Cmd, Cmd]] = [
        ("help", (lm + ["--help"], lm_env), (lite + ["--help"], lite_env)),
        ("get", (lm + ["get"] + d + [urn], lm_env), (lite + ["get", "--urn", urn], lite_env)),
        ("exists", (lm + ["exists"] + d + [urn], lm_env), None),
        ("search", (lm + ["search"] + d + [query], lm_env), (lite + ["search", query], lite_env)),
        ("list-urns", (lm + ["list-urns"] + d, lm_env), (lite + ["list-urns"], lite_env)),
    ]
    has_search = subprocess.run(lm + ["search", "--help"], env=lm_env, capture_output=True).returncode == 0
    res: Dict[str, Any] = {
        "machine": bi.machine(),
        "load_before": bi.load(),
        "workdir": str(workdir),
        "store_mb": round(bi.files_size(bi.litemeta_files(db)[:4]) / 1e6, 1),
        "urn": urn,
        "query": query,
        "runner": runner,
        "commands": {},
    }
    if has_search and not pathlib.Path(str(db) + ".index").exists():
        t0 = time.perf_counter()
        first = subprocess.run(
            cases[3][1][0],
            env=lm_env,
            stdout=subprocess.DEVNULL,  # type: ignore[index]
            stderr=subprocess.PIPE,
            text=True,
        )
        res["search_first_run_s"] = round(time.perf_counter() - t0, 2)
        res["search_first_run_rc"] = first.returncode
        if first.returncode:
            res["search_first_run_error"] = first.stderr.strip()[-500:]
    for name, mine, theirs in cases:
        if only and name not in only:
            continue
        if name == "search" and not has_search:
            mine = None
        row: Dict[str, Any] = {}
        if mine:
            row["litemeta"] = timer(mine[0], mine[1], a.runs)
        if theirs and with_lite:
            row["lite"] = timer(theirs[0], theirs[1], a.runs)
        row["load"] = bi.load()
        res["commands"][name] = row
        print(
            f"{name}: "
            + ", ".join(f"{t} {v['median_s']:.3f} s" for t, v in row.items() if t != "load")
            + f" (load {row['load']})",
            file=sys.stderr,
        )
    res["load_after"] = bi.load()
    res["targets"] = {
        f"{n}_s<={TARGET_S}": {
            "value": res["commands"][n]["litemeta"]["median_s"],
            "pass": res["commands"][n]["litemeta"]["median_s"] <= TARGET_S
            and res["commands"][n]["litemeta"]["rc"] == 0,
        }
        for n in TARGETS
        if "litemeta" in res["commands"].get(n, {})
    }
    if a.json:
        print(json.dumps(res))
    else:
        print_table(res)
    return 0 if all(t["pass"] for t in res["targets"].values()) else 1


def print_table(res: Dict[str, Any]) -> None:
    """The result as a readable table."""
    m = res["machine"]
    print(f"store: {res['workdir']} (litemeta {res['store_mb']} MB); urn {res['urn']}; query {res['query']!r}")
    print(
        f"machine: {m['cpus']} CPUs, {m['platform']}; {m['date']}; runner {res['runner']}; "
        f"load average before {res['load_before']}, after {res['load_after']}"
    )
    if "search_first_run_s" in res:
        print(
            f"litemeta search (first run, builds the index): {res['search_first_run_s']} s, exit code "
            f"{res['search_first_run_rc']} {res.get('search_first_run_error', '')}"
        )
    print(f"{'command':12}{'litemeta median':>17}{'min':>8}{'Lite median':>14}{'min':>8}{'Lite/litemeta':>15}")
    for name, row in res["commands"].items():
        mine, theirs = row.get("litemeta"), row.get("lite")
        cells = f"{name:12}"
        cells += f"{mine['median_s']:>17.3f}{mine['min_s']:>8.3f}" if mine else f"{'-':>17}{'-':>8}"
        cells += f"{theirs['median_s']:>14.3f}{theirs['min_s']:>8.3f}" if theirs else f"{'-':>14}{'-':>8}"
        cells += f"{theirs['median_s'] / mine['median_s']:>14.1f}x" if mine and theirs else f"{'-':>15}"
        bad = [f"{t} exit code {v['rc']}" for t, v in (("litemeta", mine), ("Lite", theirs)) if v and v["rc"]]
        print(cells + (f"  FAILED: {', '.join(bad)}" if bad else ""))
    for name, t in res["targets"].items():
        print(f"target {name}: {t['value']} {'PASS' if t['pass'] else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
