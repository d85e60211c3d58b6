"""What platform events add to ingest time (issue 4): `litemeta ingest` with events on and off.

    python benchmarks/bench_events.py                 # 20,000-record SDK corpus, 5 runs each
    python benchmarks/bench_events.py --repeat 9 --json

Each run is a fresh store and a fresh process (``litemeta ingest --db ... --json``), alternating
on/off so that drifts in machine load hit both alike; ``LITEMETA_PLATFORM_EVENTS=0`` turns
derivation off (the setting exists only for this measurement). Reported per mode: the median of
the ingest's own time (the report's ``seconds``) and of the whole process's wall and CPU time
(CPU includes the event helper process), the overhead of events on the medians, and the
median of the per-pair differences (each repeat runs one on/off pair back to back).
Target (issue 4): events add at most 15 % to ingest time.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
from typing import Any, Dict, List, Optional, Sequence

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_ingest import (  # noqa: E402  (a sibling script)
    DEFAULT_CACHE,
    compile_bytecode,
    corpus,
    files_size,
    litemeta_cmd,
    litemeta_env,
    litemeta_files,
    load,
    machine,
    measure,
    remove,
)

TARGET_OVERHEAD = 0.15


def one_run(corpus_path: pathlib.Path, workdir: pathlib.Path, events: bool) -> Dict[str, Any]:
    db = workdir / "events.db"
    remove(litemeta_files(db))
    env = litemeta_env()
    env["LITEMETA_PLATFORM_EVENTS"] = "1" if events else "0"
    run = measure(litemeta_cmd() + ["ingest", "--db", str(db), str(corpus_path), "--json"], env=env)
    if run.rc not in (0, 1):
        raise RuntimeError(f"litemeta ingest exited {run.rc}: {run.stderr[-2000:]}")
    report = json.loads(run.stdout.strip().splitlines()[-1])
    size = files_size(litemeta_files(db)[:4])
    remove(litemeta_files(db))
    return {
        "events": events,
        "seconds": report["seconds"],
        "wall_s": round(run.wall_s, 3),
        "cpu_s": round(run.cpu_s, 3),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "platform_events": report["platformEvents"],
        "mcl": report["mcl"],
        "store_mb": round(size / 1e6, 1),
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=pathlib.Path, help="any DataHub file-sink JSON instead of the SDK corpus")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cache", type=pathlib.Path, default=DEFAULT_CACHE)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    path = args.corpus or corpus(args.cache, args.size, args.seed)
    workdir = args.cache / "work-events"
    workdir.mkdir(parents=True, exist_ok=True)
    compile_bytecode(("litemeta",))
    before = load()
    runs: List[Dict[str, Any]] = []
    for i in range(args.repeat):
        for events in (True, False) if i % 2 == 0 else (False, True):
            runs.append(one_run(path, workdir, events))
            if not args.json:
                r = runs[-1]
                print(
                    f"  events {'on ' if events else 'off'}: ingest {r['seconds']:.2f} s, wall {r['wall_s']:.2f} s, "
                    f"CPU {r['cpu_s']:.2f} s, {r['platform_events']:,} events",
                    file=sys.stderr,
                )
    after = load()

    def med(events: bool, key: str) -> float:
        return statistics.median(r[key] for r in runs if r["events"] == events)

    res: Dict[str, Any] = {
        "machine": machine(),
        "load_before": before,
        "load_after": after,
        "corpus": str(path),
        "runs": runs,
    }
    for key in ("seconds", "wall_s", "cpu_s", "peak_rss_mb", "store_mb"):
        res[key] = {"on": med(True, key), "off": med(False, key)}
    res["overhead"] = {k: round(res[k]["on"] / res[k]["off"] - 1, 4) for k in ("seconds", "wall_s", "cpu_s")}
    # Each repeat is one on/off pair run back to back: the median of the pairs' differences is
    # less sensitive to the machine's drift than the ratio of the two medians.
    pairs = [(runs[i], runs[i + 1]) for i in range(0, len(runs) - 1, 2)]
    diffs = [(a["seconds"] - b["seconds"]) if a["events"] else (b["seconds"] - a["seconds"]) for a, b in pairs]
    res["paired_difference_s"] = round(statistics.median(diffs), 3)
    res["paired_overhead"] = round(res["paired_difference_s"] / res["seconds"]["off"], 4)
    res["platform_events"] = runs[0]["platform_events"] if runs[0]["events"] else runs[1]["platform_events"]
    res["target_met"] = res["overhead"]["seconds"] <= TARGET_OVERHEAD
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        m = res["machine"]
        print(f"machine: {m['cpus']} CPUs, {m['platform']}; {m['date']}; load {before} -> {after}")
        print(f"corpus: {path}; {res['platform_events']:,} platform events; {args.repeat} runs per mode (median)")
        print(f"{'':22}{'events on':>12}{'events off':>12}{'overhead':>10}")
        for key, label in (("seconds", "ingest s"), ("wall_s", "process wall s"), ("cpu_s", "process CPU s")):
            print(f"{label:22}{res[key]['on']:>12.2f}{res[key]['off']:>12.2f}{res['overhead'][key]:>+10.1%}")
        print(f"{'paired difference':22}{res['paired_difference_s']:>12.2f} s{'':10}{res['paired_overhead']:>+10.1%}")
        print(f"{'peak RSS MB':22}{res['peak_rss_mb']['on']:>12.0f}{res['peak_rss_mb']['off']:>12.0f}")
        print(f"{'store MB':22}{res['store_mb']['on']:>12.0f}{res['store_mb']['off']:>12.0f}")
        print(
            f"target: events add <= {TARGET_OVERHEAD:.0%} to ingest time: "
            f"{'met' if res['target_met'] else 'NOT met'} ({res['overhead']['seconds']:+.1%})"
        )
    return 0 if res["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
