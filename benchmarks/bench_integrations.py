"""litemeta inside DataHub's tools (issue 17): the ``datahub ingest`` sink, the Actions event source, ``push``.

    python benchmarks/bench_integrations.py                  # all three on the 20k SDK corpus
    python benchmarks/bench_integrations.py --only ingest --repeat 5 --json

``ingest``: ``datahub ingest`` of the corpus (DataHub's ``file`` source) with ``sink: litemeta``
against the same recipe with ``sink: file``, fresh processes, alternating; per sink the medians of
DataHub's own pipeline time ("produced N events in X seconds") and of the process's wall time, and
the sink's overhead on each. Target: at most +30 %.

``actions``: an Actions pipeline (the framework's own ``Pipeline``, the ``hello_world`` action
printing to /dev/null) over every MCL and platform event of the corpus's store, fed by the
``litemeta`` source (a new consumer group each run: read, envelope, ack, commit) against the same
pipeline fed by an in-memory source holding the same envelopes ready-made; alternating, in one
process. Target: the litemeta source delivers at least 70 % of the in-memory events/s.

``push``: ``litemeta push`` of the corpus's store into ``litemeta serve`` over an empty store
(a subprocess on a free 127.0.0.1 port): records/s (the command's own report, one run each time).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any, Dict, Iterable, List, Optional, Sequence

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_ingest import DEFAULT_CACHE, ROOT, corpus, load, machine, measure  # noqa: E402  (a sibling script)

TARGET_SINK_OVERHEAD = 0.30
TARGET_ACTIONS_RATIO = 0.70
_FINISHED = re.compile(r"produced (\d+) events in (?:(\d+) minutes? and )?([\d.]+) seconds")


def _env(home: pathlib.Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATAHUB_", "LITEMETA_"))}
    env.update({"HOME": str(home), "DATAHUB_TELEMETRY_ENABLED": "false", "DATAHUB_SKIP_UPGRADE_CHECK": "true"})
    return env


def _datahub() -> List[str]:
    return [sys.executable, "-m", "datahub"]


# ------------------------------------------------------------------------------------------ ingest
def ingest_run(corpus_path: pathlib.Path, work: pathlib.Path, sink: str) -> Dict[str, Any]:
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    sink_cfg = (
        {"type": "file", "config": {"filename": str(out / "out.json")}}
        if sink == "file"
        else {"type": "litemeta", "config": {"db": str(out / "meta.db")}}
    )
    recipe = out / "recipe.json"
    recipe.write_text(json.dumps({"source": {"type": "file", "config": {"path": str(corpus_path)}}, "sink": sink_cfg}))
    run = measure(_datahub() + ["ingest", "-c", str(recipe), "--no-default-report"], env=_env(work), cwd=str(out))
    found = list(_FINISHED.finditer(run.stdout + run.stderr))  # the last one: the progress lines say it too
    m = found[-1] if found else None
    if m is None:
        raise RuntimeError(f"datahub ingest (sink {sink}) did not finish: {run.stderr[-3000:]}{run.stdout[-3000:]}")
    shutil.rmtree(out, ignore_errors=True)
    pipeline_s = 60 * int(m.group(2) or 0) + float(m.group(3))
    return {
        "sink": sink,
        "events": int(m.group(1)),
        "pipeline_s": pipeline_s,
        "wall_s": round(run.wall_s, 2),
        "cpu_s": round(run.cpu_s, 2),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
    }


def bench_ingest(corpus_path: pathlib.Path, work: pathlib.Path, repeat: int, log: bool) -> Dict[str, Any]:
    runs: List[Dict[str, Any]] = []
    for i in range(repeat):
        for sink in ("file", "litemeta") if i % 2 == 0 else ("litemeta", "file"):
            runs.append(ingest_run(corpus_path, work, sink))
            if log:
                r = runs[-1]
                print(
                    f"  ingest sink {sink:8s}: pipeline {r['pipeline_s']:.2f} s, wall {r['wall_s']:.2f} s, "
                    f"{r['events']:,} records",
                    file=sys.stderr,
                )
    med = {
        s: {k: statistics.median(r[k] for r in runs if r["sink"] == s) for k in ("pipeline_s", "wall_s", "cpu_s")}
        for s in ("file", "litemeta")
    }
    over = {k: med["litemeta"][k] / med["file"][k] - 1 for k in ("pipeline_s", "wall_s")}
    return {
        "runs": runs,
        "median": med,
        "overhead": {k: round(v, 3) for k, v in over.items()},
        "target": TARGET_SINK_OVERHEAD,
        "ok": over["pipeline_s"] <= TARGET_SINK_OVERHEAD,
    }


# ----------------------------------------------------------------------------------------- actions
def corpus_store(corpus_path: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    """The corpus ingested into a store of its own (made once, kept in the work folder)."""
    db = work / f"store-{corpus_path.stem}" / "meta.db"
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "litemeta", "ingest", str(corpus_path), "--db", str(db), "--json"],
            check=False,
            stdout=subprocess.DEVNULL,
            cwd=ROOT,
        )
    return db


def bench_actions(db: pathlib.Path, work: pathlib.Path, repeat: int, log: bool) -> Dict[str, Any]:
    from datahub_actions.pipeline.pipeline import Pipeline
    from datahub_actions.pipeline.pipeline_context import PipelineContext
    from datahub_actions.plugin.action.hello_world.hello_world import HelloWorldAction, HelloWorldConfig
    from datahub_actions.source.event_source import EventSource

    from litemeta.integrations.actions_source import LitemetaEventSource

    class MemorySource(EventSource):
        """The same envelopes, ready-made: what the pipeline does when reading costs nothing."""

        def __init__(self, envelopes: List[Any]) -> None:
            self.envelopes = envelopes

        @classmethod
        def create(cls, config_dict: dict, ctx: PipelineContext) -> "MemorySource":
            raise NotImplementedError

        def events(self) -> Iterable[Any]:
            return iter(self.envelopes)

        def ack(self, event: Any, processed: bool = True) -> None:
            pass

        def close(self) -> None:
            pass

    def litemeta_source(group: str) -> Any:
        ctx = PipelineContext(pipeline_name=group, graph=None)
        return LitemetaEventSource.create(
            {"db": str(db), "kill_after_idle_timeout": True, "idle_timeout_duration_seconds": 0}, ctx
        )

    warmup = litemeta_source("bench-warmup")
    envelopes = list(warmup.events())  # built once, outside any timing
    warmup.close()
    failed = str(work / "failed")

    def timed(source: Any, name: str) -> Dict[str, Any]:
        action = HelloWorldAction(HelloWorldConfig(), PipelineContext(pipeline_name=name, graph=None))
        pipeline = Pipeline(name, source, [], [], action, None, None, failed)
        with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
            t0 = time.perf_counter()
            pipeline.run()
            seconds = time.perf_counter() - t0
        pipeline.close()
        n = pipeline.stats().success_count
        return {"seconds": round(seconds, 3), "events": n, "events_per_s": round(n / seconds, 1)}

    runs: List[Dict[str, Any]] = []
    for i in range(repeat):
        for kind in ("memory", "litemeta") if i % 2 == 0 else ("litemeta", "memory"):
            group = f"bench-{os.getpid()}-{i}"
            r = timed(MemorySource(envelopes) if kind == "memory" else litemeta_source(group), group)
            runs.append({"source": kind, **r})
            if log:
                print(
                    f"  actions {kind:8s}: {r['events']:,} events in {r['seconds']:.2f} s ({r['events_per_s']:,.0f}/s)",
                    file=sys.stderr,
                )
    med = {k: statistics.median(r["events_per_s"] for r in runs if r["source"] == k) for k in ("memory", "litemeta")}
    ratio = med["litemeta"] / med["memory"]
    return {
        "runs": runs,
        "events": len(envelopes),
        "median_events_per_s": med,
        "ratio": round(ratio, 3),
        "target": TARGET_ACTIONS_RATIO,
        "ok": ratio >= TARGET_ACTIONS_RATIO,
    }


# -------------------------------------------------------------------------------------------- push
def bench_push(db: pathlib.Path, work: pathlib.Path, repeat: int, log: bool) -> Dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.integrations.conftest import serve_subprocess  # the tests' `litemeta serve` process

    runs: List[Dict[str, Any]] = []
    for i in range(repeat):
        target = work / f"push-target-{i}"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with serve_subprocess(target / "meta.db") as url:
            run = measure(
                [
                    sys.executable,
                    "-m",
                    "litemeta",
                    "push",
                    "--db",
                    str(db),
                    "--server",
                    url,
                    "--group",
                    f"bench-{i}",
                    "--reset",
                    "--json",
                ],
                env=_env(work),
                cwd=str(ROOT),
            )
        shutil.rmtree(target, ignore_errors=True)
        if run.rc != 0:
            raise RuntimeError(f"litemeta push exited {run.rc}: {run.stderr[-3000:]}")
        report = json.loads(run.stdout.strip().splitlines()[-1])
        runs.append(
            {
                "records": report["records"],
                "seconds": report["seconds"],
                "records_per_s": round(report["records"] / report["seconds"], 1),
                "wall_s": round(run.wall_s, 2),
            }
        )
        if log:
            r = runs[-1]
            print(
                f"  push: {r['records']:,} records in {r['seconds']:.2f} s ({r['records_per_s']:,.0f}/s)",
                file=sys.stderr,
            )
    return {"runs": runs, "median_records_per_s": statistics.median(r["records_per_s"] for r in runs)}


# -------------------------------------------------------------------------------------------- main
def print_table(res: Dict[str, Any]) -> None:
    print(
        f"litemeta inside DataHub's tools, corpus {res['corpus']} (load before {res['load_before']}, "
        f"after {res['load_after']})"
    )
    if "ingest" in res:
        i = res["ingest"]
        print("\ndatahub ingest (file source)   pipeline s   wall s   (medians)")
        for s in ("file", "litemeta"):
            print(f"  sink: {s:22s} {i['median'][s]['pipeline_s']:10.2f} {i['median'][s]['wall_s']:8.2f}")
        print(
            f"  litemeta sink overhead: pipeline {i['overhead']['pipeline_s']:+.1%}, wall "
            f"{i['overhead']['wall_s']:+.1%} (target <= +{i['target']:.0%}: {'ok' if i['ok'] else 'MISSED'})"
        )
    if "actions" in res:
        a = res["actions"]
        print(f"\nActions pipeline to hello_world, {a['events']:,} events   events/s (median)")
        for s in ("memory", "litemeta"):
            print(f"  {s + ' source':40s} {a['median_events_per_s'][s]:10,.0f}")
        print(
            f"  litemeta / in-memory: {a['ratio']:.0%} (target >= {a['target']:.0%}: {'ok' if a['ok'] else 'MISSED'})"
        )
    if "push" in res:
        p = res["push"]
        print(
            f"\nlitemeta push into litemeta serve: {p['median_records_per_s']:,.0f} records/s (median of "
            f"{len(p['runs'])}; {p['runs'][0]['records']:,} records)"
        )


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=pathlib.Path, help="any DataHub file-sink JSON instead of the SDK corpus")
    ap.add_argument("--only", choices=("ingest", "actions", "push"), action="append")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", type=pathlib.Path, default=DEFAULT_CACHE)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    os.environ.setdefault("DATAHUB_TELEMETRY_ENABLED", "false")
    path = args.corpus or corpus(args.cache, args.size, args.seed)
    work = args.cache / "work-integrations"
    work.mkdir(parents=True, exist_ok=True)
    parts = args.only or ["ingest", "actions", "push"]
    res: Dict[str, Any] = {"machine": machine(), "corpus": str(path), "load_before": load()}
    log = not args.json
    if "ingest" in parts:
        res["ingest"] = bench_ingest(path, work, args.repeat, log)
    if "actions" in parts or "push" in parts:
        db = corpus_store(path, work)
        if "actions" in parts:
            res["actions"] = bench_actions(db, work, args.repeat, log)
        if "push" in parts:
            res["push"] = bench_push(db, work, args.repeat, log)
    res["load_after"] = load()
    if args.json:
        print(json.dumps(res))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
