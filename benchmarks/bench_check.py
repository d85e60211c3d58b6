"""Benchmark ``litemeta check metadata-file`` on SDK-generated corpora, and ``litemeta --help``.

    python benchmarks/bench_check.py                      # 20,000 and 200,000 records
    python benchmarks/bench_check.py --sizes 20000 --runs 3

Needs acryl-datahub (the test extra) to generate the corpora, which are written with the SDK's
``write_metadata_file`` (tests/sdkcorpus.py) and cached under /tmp/litemeta-bench/ (the
200,000-record corpus is ~375 MB and takes a couple of minutes to generate once).

Each command runs as a subprocess; the report gives wall seconds, records/s and the child's peak
RSS (``ru_maxrss`` of that child, from ``os.wait4``). Targets: 20k records in <= 3 s, peak RSS
on 200k <= 300 MB, ``--help`` <= 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_ingest import corpus  # noqa: E402  (a sibling script: the one SDK-corpus cache)

CLI = [sys.executable, "-m", "litemeta"]
TARGETS = {"check_20000_s": 3.0, "check_200000_peak_rss_mb": 300.0, "help_s": 0.3}


def timed(cmd: List[str]) -> Tuple[float, float, int, bytes]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB, exit code, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="20000,200000", help="comma-separated corpus sizes (records)")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (the median is reported)")
    ap.add_argument("--cache", default="/tmp/litemeta-bench", help="folder of cached corpora")
    a = ap.parse_args()
    cache = pathlib.Path(a.cache)
    results: Dict[str, Any] = {}

    help_times = [timed(CLI + ["--help"])[0] for _ in range(max(a.runs, 5))]
    results["help_s"] = round(statistics.median(help_times), 3)
    print(f"litemeta --help: {results['help_s']:.3f} s (median of {len(help_times)})")

    for size in (int(s) for s in a.sizes.split(",") if s):
        path = corpus(cache, size)
        runs = [timed(CLI + ["check", "metadata-file", str(path), "--json"]) for _ in range(a.runs)]
        wall = statistics.median(r[0] for r in runs)
        rss = max(r[1] for r in runs)
        summary = json.loads(runs[0][3])
        assert summary["records"] == size, summary
        results[f"check_{size}_s"] = round(wall, 2)
        results[f"check_{size}_records_per_s"] = round(size / wall)
        results[f"check_{size}_peak_rss_mb"] = round(rss, 1)
        results[f"check_{size}_invalid"] = summary["invalid"]
        print(
            f"check {size:>7,} records ({path.stat().st_size / 1e6:.0f} MB): {wall:.2f} s, "
            f"{size / wall:,.0f} records/s, peak RSS {rss:.0f} MB, {summary['invalid']} invalid (exit {runs[0][2]})"
        )

    ok = True
    for key, limit in TARGETS.items():
        if key in results:
            passed = results[key] <= limit
            ok &= passed
            print(f"target {key} <= {limit}: {results[key]} {'PASS' if passed else 'FAIL'}")
    print(json.dumps(results))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
