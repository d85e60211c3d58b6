"""Benchmark ``litemeta serve`` (issue 16): HTTP ingestion by DataHub's own clients, ``datahub ingest``
through the ``datahub-rest`` sink, aspect reads, and start-up.

    python benchmarks/bench_serve.py                  # the 20k corpus, every measure
    python benchmarks/bench_serve.py --only batch --json

Measures (each server is a ``litemeta serve`` process on 127.0.0.1, a fresh store in --workdir):

1. ``batch``: the corpus sent by 4 client processes, each a ``DataHubRestEmitter.emit_mcps`` in
   the Rest.li dialect (``ingestProposalBatch``, 100 MCPs a request; the client's MCE records go
   as their MCPs, as the sink sends them), against ``litemeta ingest`` of the same file measured
   in the same run (alternating). The clients prepare their MCPs first and start together; the
   rate is MCPs / wall time from the start signal to the last response. Targets: >= 3,000 MCPs/s
   and >= 40 % of the ingest rate (MCPs of the file / its wall time).
2. ``sink``: ``datahub ingest`` of the corpus without its DELETE records (DataHub's file source
   cannot read them) with the ``datahub-rest`` sink into the server, against the same recipe with
   DataHub's ``file`` sink. Target: <= 1.5x.
3. ``reads``: ``GET /aspects/{urn}?aspect=&version=0`` from a requests session in the same process
   as the server (a thread) on the store of (1): p50 <= 3 ms, p99 <= 20 ms.
4. ``startup``: from starting ``litemeta serve`` to the first 200 of ``/config``: <= 1 s.

The figures depend on the machine's load (printed): on a shared machine they are provisional.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pathlib
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_ingest import compile_bytecode, corpus, litemeta_cmd, load  # noqa: E402  (a sibling script)

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLIENTS, PER_REQUEST = 4, 100
TARGETS = {
    "batch_mcps_per_s": 3000.0,
    "batch_vs_ingest": 0.40,
    "sink_ratio": 1.5,
    "read_p50_ms": 3.0,
    "read_p99_ms": 20.0,
    "startup_s": 1.0,
}
ENV = {**os.environ, "DATAHUB_TELEMETRY_ENABLED": "false"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``litemeta serve`` in a process of its own."""

    def __init__(self, db: pathlib.Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [*litemeta_cmd(), "serve", "--db", str(db), "--port", str(self.port), "--log-level", "warning"],
            env=ENV,
            stderr=subprocess.DEVNULL,
        )
        self.ready_after = self._wait()

    def _wait(self, timeout: float = 60.0) -> float:
        import requests

        while time.perf_counter() - self.t0 < timeout:
            try:
                if requests.get(self.url + "/config", timeout=1).status_code == 200:
                    return time.perf_counter() - self.t0
            except requests.ConnectionError:
                time.sleep(0.005)
        raise RuntimeError(f"litemeta serve did not answer on {self.url}")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


# ------------------------------------------------------------------------------ 1. batch ingestion
def client_mcps(records: List[Dict[str, Any]]) -> List[Any]:
    """The file's records as the SDK's MetadataChangeProposalClass objects (an MCE as its MCPs)."""
    from datahub.emitter.mcp_builder import mcps_from_mce
    from datahub.metadata import schema_classes as m

    out: List[Any] = []
    for rec in records:
        if "proposedSnapshot" in rec:
            out.extend(mcps_from_mce(m.MetadataChangeEventClass.from_obj(rec)))
            continue
        aspect = rec.get("aspect")
        generic = None
        if aspect is not None:
            ct = "application/json-patch+json" if rec["changeType"] == "PATCH" else "application/json"
            generic = m.GenericAspectClass(value=json.dumps(aspect["json"]).encode(), contentType=ct)
        sm = rec.get("systemMetadata")
        out.append(
            m.MetadataChangeProposalClass(
                entityType=rec["entityType"],
                entityUrn=rec["entityUrn"],
                changeType=rec["changeType"],
                aspectName=rec.get("aspectName"),
                aspect=generic,
                systemMetadata=m.SystemMetadataClass.from_obj(sm) if sm else None,
            )
        )
    return out


def _client(url: str, corpus_path: str, index: int, ready: Any, go: Any, result: Any) -> None:
    from datahub.emitter.rest_emitter import DataHubRestEmitter

    with open(corpus_path, encoding="utf-8") as f:
        records = json.load(f)
    mine = client_mcps(records[index::CLIENTS])
    emitter = DataHubRestEmitter(url)
    emitter.test_connection()
    ready.put(len(mine))
    go.wait()
    for i in range(0, len(mine), PER_REQUEST):
        emitter.emit_mcps(mine[i : i + PER_REQUEST])
    result.put(time.perf_counter())


def batch_http(corpus_path: pathlib.Path, workdir: pathlib.Path) -> Dict[str, Any]:
    db = workdir / "serve.db"
    _remove(db)
    server = Server(db)
    ctx = mp.get_context("spawn")
    ready, result, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=_client, args=(server.url, str(corpus_path), i, ready, go, result)) for i in range(CLIENTS)
    ]
    try:
        for p in procs:
            p.start()
        mcps = sum(ready.get(timeout=600) for _ in procs)
        t0 = time.perf_counter()
        go.set()
        ends = [result.get(timeout=1800) for _ in procs]
        wall = max(ends) - t0
    finally:
        for p in procs:
            p.join(60)
        server.stop()
    stats = _store_stats(db)
    return {"mcps": mcps, "wall_s": round(wall, 3), "mcps_per_s": round(mcps / wall), **stats}


def ingest_cli(corpus_path: pathlib.Path, workdir: pathlib.Path) -> Dict[str, Any]:
    db = workdir / "ingest.db"
    _remove(db)
    t0 = time.perf_counter()
    out = subprocess.run(
        [*litemeta_cmd(), "ingest", "--db", str(db), str(corpus_path), "--json"],
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    report = json.loads(out.stdout)
    return {
        "proposals": report["proposals"],
        "wall_s": round(wall, 3),
        "mcps_per_s": round(report["proposals"] / wall),
        **_store_stats(db),
    }


def _store_stats(db: pathlib.Path) -> Dict[str, Any]:
    import litemeta

    with litemeta.open_store(str(db), read_only=True) as store:
        sizes = store.topic_sizes()
    return {
        "mcl": sizes.get("MetadataChangeLog_Versioned_v1", 0) + sizes.get("MetadataChangeLog_Timeseries_v1", 0),
        "platform_events": sizes.get("PlatformEvent_v1", 0),
        "failed": sizes.get("FailedMetadataChangeProposal_v1", 0),
    }


# ------------------------------------------------------------------------------ 2. datahub ingest
def readable(corpus_path: pathlib.Path, workdir: pathlib.Path) -> pathlib.Path:
    """The corpus without DELETE records (DataHub's file source fails on an MCP without an aspect)."""
    out = workdir / (corpus_path.stem + "-no-deletes.json")
    if not out.exists():
        with open(corpus_path, encoding="utf-8") as f:
            records = [r for r in json.load(f) if r.get("changeType") != "DELETE"]
        with open(out, "w", encoding="utf-8") as f:
            f.write("[\n" + ",\n".join(json.dumps(r, indent=4) for r in records) + "\n]")
    return out


def run_recipe(recipe: Dict[str, Any], workdir: pathlib.Path) -> float:
    import yaml

    path = workdir / "recipe.yml"
    path.write_text(yaml.safe_dump(recipe))
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "datahub", "ingest", "-c", str(path), "--no-default-report"],
        env={**ENV, "HOME": str(home)},
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"datahub ingest failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return wall


def sink_compare(corpus_path: pathlib.Path, workdir: pathlib.Path) -> Dict[str, Any]:
    src = readable(corpus_path, workdir)
    source = {"type": "file", "config": {"path": str(src)}}
    file_out = workdir / "file-sink.json"
    file_s = run_recipe({"source": source, "sink": {"type": "file", "config": {"filename": str(file_out)}}}, workdir)
    db = workdir / "sink.db"
    _remove(db)
    server = Server(db)
    try:
        rest_s = run_recipe(
            {"source": source, "sink": {"type": "datahub-rest", "config": {"server": server.url}}}, workdir
        )
    finally:
        server.stop()
    return {
        "file_sink_s": round(file_s, 2),
        "rest_sink_s": round(rest_s, 2),
        "ratio": round(rest_s / file_s, 3),
        **_store_stats(db),
    }


# ------------------------------------------------------------------------------ 3. reads
def reads(db: pathlib.Path, n: int = 3000) -> Dict[str, Any]:
    import requests

    import litemeta
    from litemeta.serve import ServerThread, create_app

    with litemeta.open_store(str(db), read_only=True) as ro:
        pairs = [
            (r.urn, r.aspect)
            for r in ro.scan(
                ["datasetProperties", "status", "ownership", "globalTags", "schemaMetadata", "corpUserInfo"]
            )
        ]
    rng = random.Random(1)
    sample = [rng.choice(pairs) for _ in range(n)]
    from datahub.utilities.urns.urn import Urn

    with ServerThread(create_app(str(db))) as server:  # the store opened as `litemeta serve` opens it
        session = requests.Session()
        session.trust_env = False  # no ~/.netrc or proxy lookups per request: the client's cost, not the server's
        times: List[float] = []
        for urn, aspect in sample:
            url = f"{server.url}/aspects/{Urn.url_encode(urn)}?aspect={aspect}&version=0"
            t0 = time.perf_counter()
            r = session.get(url)
            times.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise RuntimeError(f"GET {url}: {r.status_code} {r.text[:200]}")
    times = times[100:]  # warm-up
    times.sort()
    return {
        "requests": len(times),
        "p50_ms": round(times[len(times) // 2] * 1000, 2),
        "p99_ms": round(times[int(len(times) * 0.99)] * 1000, 2),
        "max_ms": round(times[-1] * 1000, 2),
    }


def startup(db: pathlib.Path, runs: int = 5) -> Dict[str, Any]:
    seconds = []
    for _ in range(runs):
        server = Server(db)
        seconds.append(server.ready_after)
        server.stop()
    return {"runs": [round(s, 3) for s in seconds], "median_s": round(statistics.median(seconds), 3)}


def _remove(db: pathlib.Path) -> None:
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    shutil.rmtree(db.with_name(db.name + ".index"), ignore_errors=True)


# ------------------------------------------------------------------------------ main
def bench(
    corpus_path: pathlib.Path, workdir: pathlib.Path, only: Optional[Sequence[str]], repeat: int
) -> Dict[str, Any]:
    res: Dict[str, Any] = {"corpus": str(corpus_path), "load_before": load(), "cpus": os.cpu_count()}
    want = set(only or ("batch", "sink", "reads", "startup"))
    if "batch" in want or "reads" in want:
        http, ingest = [], []
        for _ in range(repeat if "batch" in want else 1):
            ingest.append(ingest_cli(corpus_path, workdir))
            http.append(batch_http(corpus_path, workdir))
        best_http = sorted(http, key=lambda r: r["mcps_per_s"])[len(http) // 2]
        best_ingest = sorted(ingest, key=lambda r: r["mcps_per_s"])[len(ingest) // 2]
        res["batch"] = {
            "http_runs": http,
            "ingest_runs": ingest,
            "http_mcps_per_s": best_http["mcps_per_s"],
            "ingest_mcps_per_s": best_ingest["mcps_per_s"],
            "ratio": round(best_http["mcps_per_s"] / best_ingest["mcps_per_s"], 3),
        }
    if "sink" in want:
        res["sink"] = sink_compare(corpus_path, workdir)
    if "reads" in want:
        res["reads"] = reads(workdir / "serve.db")
    if "startup" in want:
        db = workdir / "serve.db"
        if not db.exists():
            db = workdir / "empty.db"
        res["startup"] = startup(db)
    res["load_after"] = load()
    res["targets"] = _verdicts(res)
    return res


def _verdicts(res: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    if "batch" in res:
        out["batch >= 3000 MCPs/s"] = res["batch"]["http_mcps_per_s"] >= TARGETS["batch_mcps_per_s"]
        out["batch >= 40% of ingest"] = res["batch"]["ratio"] >= TARGETS["batch_vs_ingest"]
    if "sink" in res:
        out["rest sink <= 1.5x file sink"] = res["sink"]["ratio"] <= TARGETS["sink_ratio"]
    if "reads" in res:
        out["GET /aspects p50 <= 3 ms"] = res["reads"]["p50_ms"] <= TARGETS["read_p50_ms"]
        out["GET /aspects p99 <= 20 ms"] = res["reads"]["p99_ms"] <= TARGETS["read_p99_ms"]
    if "startup" in res:
        out["start to /config <= 1 s"] = res["startup"]["median_s"] <= TARGETS["startup_s"]
    return out


def print_table(res: Dict[str, Any]) -> None:
    print(f"corpus {res['corpus']}; load {res['load_before']} -> {res['load_after']}; {res['cpus']} CPUs")
    if "batch" in res:
        b = res["batch"]
        print(f"\nbatch ingestion ({CLIENTS} client processes, emit_mcps, {PER_REQUEST} MCPs a request)")
        for h, i in zip(b["http_runs"], b["ingest_runs"]):
            print(
                f"  serve  {h['mcps']:>7} MCPs {h['wall_s']:>7.2f} s {h['mcps_per_s']:>7} MCPs/s   "
                f"ingest {i['proposals']:>7} MCPs {i['wall_s']:>7.2f} s {i['mcps_per_s']:>7} MCPs/s"
            )
        print(
            f"  median: serve {b['http_mcps_per_s']} MCPs/s, ingest {b['ingest_mcps_per_s']} MCPs/s, "
            f"ratio {b['ratio']:.0%}"
        )
    if "sink" in res:
        s = res["sink"]
        print(
            f"\ndatahub ingest (file source): file sink {s['file_sink_s']} s, datahub-rest sink into serve "
            f"{s['rest_sink_s']} s, ratio {s['ratio']}x"
        )
    if "reads" in res:
        r = res["reads"]
        print(
            f"\nGET /aspects ({r['requests']} requests, in-process client): p50 {r['p50_ms']} ms, "
            f"p99 {r['p99_ms']} ms, max {r['max_ms']} ms"
        )
    if "startup" in res:
        print(f"\nstart to first /config: median {res['startup']['median_s']} s (runs {res['startup']['runs']})")
    print("\ntargets:")
    for name, ok in res["targets"].items():
        print(f"  {'ok  ' if ok else 'MISS'} {name}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", type=pathlib.Path, default=None)
    ap.add_argument("--cache", type=pathlib.Path, default=pathlib.Path("/tmp/litemeta-bench"))
    ap.add_argument("--workdir", type=pathlib.Path, default=None)
    ap.add_argument("--only", action="append", choices=["batch", "sink", "reads", "startup"])
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of serve and ingest (median)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    corpus_path = args.corpus or corpus(args.cache, args.size, args.seed)
    workdir = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="litemeta-bench-serve-"))
    workdir.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    res = bench(corpus_path, workdir, args.only, args.repeat)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print_table(res)
    return 0 if all(res["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
