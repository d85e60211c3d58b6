"""Benchmark ``litemeta export`` (kafka-log, all topics) and ``litemeta replay`` into librdkafka's mock cluster.

    python benchmarks/bench_export.py                     # a 20,000-record corpus (~155,000 topic records)
    python benchmarks/bench_export.py --size 200000 --runs 1

The corpus is generated with ``python -m tests.sdkcorpus --size N --seed 1`` (the SDK's own writer)
and cached under /tmp/litemeta-bench/; it is ingested once with ``litemeta ingest``. Then each run
times, as subprocesses:

- ``litemeta export --out DIR --json`` (every topic, kafka-log) into a fresh folder;
- ``litemeta replay --bootstrap-servers HOST:PORT --from DIR --json`` into a mock cluster that
  this process starts (``test.mock.num.brokers``, 127.0.0.1), with a fresh progress file;
- ``litemeta replay --bootstrap-servers HOST:PORT --db DB --reset --json`` (straight from the store).

Reported per step: records, wall seconds of the subprocess, its CPU seconds (user + system, from
``os.wait4``), the command's own seconds (without interpreter start-up) and records/s for each.
The replay's delivered count is checked against the cluster's high watermarks. Targets:
export >= 50,000 records/s, replay >= 20,000 records/s. CPU rates are the fairer figure on a
machine shared with other work.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_ingest import corpus  # noqa: E402  (a sibling script: the one SDK-corpus cache)

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "litemeta"]
TARGETS = {"export": 50_000.0, "replay-folder": 20_000.0, "replay-store": 20_000.0}


def run_child(cmd: List[str]) -> Tuple[float, float, Dict[str, Any]]:
    """Run ``cmd``; return (wall seconds, the child's CPU seconds from wait4, its --json report)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read() if proc.stdout else b""
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, json.loads(out.decode().strip().splitlines()[-1])


def watermark_total(address: str) -> int:
    """Sum of the high watermarks of every topic of the cluster (records appended, whatever the mock keeps)."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": address, "group.id": "bench", "logger": logging.getLogger("bench")})
    try:
        total = 0
        for t, tm in c.list_topics(timeout=10).topics.items():
            for p in tm.partitions:
                total += c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
        return total
    finally:
        c.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=20000, help="corpus size (records of the metadata file)")
    ap.add_argument("--runs", type=int, default=3, help="runs per step (the median is reported)")
    ap.add_argument("--cache", type=pathlib.Path, default=pathlib.Path("/tmp/litemeta-bench"))
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = ap.parse_args()

    from confluent_kafka import Producer

    from litemeta.followers.replay import mock_cluster_address

    src = corpus(args.cache, args.size)
    work = args.cache / f"export-bench-{args.size}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "store.db"
    t0 = time.perf_counter()
    subprocess.run(
        CLI + ["ingest", "--db", str(db), str(src), "--json"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    print(f"ingested {src.name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    results: Dict[str, List[Tuple[float, float, float, int]]] = {k: [] for k in TARGETS}
    for run in range(args.runs):
        out = work / f"out-{run}"
        wall, cpu, rep = run_child(CLI + ["export", "--db", str(db), "--out", str(out), "--json"])
        results["export"].append((wall, cpu, rep["seconds"], rep["records"]))

        owner = Producer({"test.mock.num.brokers": 1, "logger": logging.getLogger("bench")})
        address = mock_cluster_address(owner)
        wall, cpu, rep = run_child(CLI + ["replay", "--bootstrap-servers", address, "--from", str(out), "--json"])
        assert rep["failed"] == 0 and not rep["corrupt"], rep
        assert rep["records"] == results["export"][-1][3], (rep["records"], results["export"][-1][3])
        results["replay-folder"].append((wall, cpu, rep["seconds"], rep["records"]))
        wall, cpu, rep = run_child(
            CLI + ["replay", "--bootstrap-servers", address, "--db", str(db), "--reset", "--group", "bench", "--json"]
        )
        assert rep["failed"] == 0, rep
        results["replay-store"].append((wall, cpu, rep["seconds"], rep["records"]))
        appended = watermark_total(address)
        assert appended == 2 * rep["records"], (appended, rep["records"])
        del owner
        shutil.rmtree(out, ignore_errors=True)

    summary: Dict[str, Any] = {
        "corpus": src.name,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg()[0],
    }
    for step, rows in results.items():
        wall = statistics.median(r[0] for r in rows)
        cpu = statistics.median(r[1] for r in rows)
        own = statistics.median(r[2] for r in rows)
        n = rows[0][3]
        summary[step] = {
            "records": n,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "command_s": round(own, 2),
            "records_per_s_wall": round(n / wall),
            "records_per_s_cpu": round(n / cpu),
            "records_per_s_command": round(n / own),
            "target_records_per_s": TARGETS[step],
            "meets_target": n / own >= TARGETS[step],
        }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"corpus {summary['corpus']}, {args.runs} runs (median), {summary['cpus']} CPUs, "
            f"load average {summary['loadavg']:.1f}"
        )
        for step in TARGETS:
            s = summary[step]
            print(
                f"  {step:<14} {s['records']:>9,} records  wall {s['wall_s']:6.2f}s ({s['records_per_s_wall']:>7,}/s)  "
                f"cpu {s['cpu_s']:6.2f}s ({s['records_per_s_cpu']:>7,}/s)  command {s['command_s']:6.2f}s "
                f"({s['records_per_s_command']:>7,}/s)  target {s['target_records_per_s']:,.0f}/s "
                f"{'ok' if s['meets_target'] else 'MISSED'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
