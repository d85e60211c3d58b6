"""Benchmark: litemeta's ``sqlalchemy`` source against DataHub's, on one SQLite database.

    python benchmarks/bench_database_source.py [--tables 500] [--columns 20] [--views 0]
        [--profile] [--skip-datahub] [--datahub /path/to/datahub] [--workdir DIR]

Builds a SQLite database of N tables x M columns (every table has a primary key and, after the
first, a named foreign key to the previous one), then times

1. litemeta: ``litemeta ingest -c recipe.json`` (its ``sqlalchemy`` source into the store, with the
   full write path: versions, MCLs, platform events) run as a subprocess; with ``--sink file`` the
   source's proposals are written to a file-sink JSON file in-process instead, and ``--sink
   module:function`` names another callable taking an iterable of proposals;
2. DataHub: ``datahub ingest -c recipe.yml`` (the generic ``sqlalchemy`` source into the ``file``
   sink) run as a subprocess with telemetry off and a throw-away HOME,

and prints both wall-clock times side by side.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable

from litemeta.model.proposal import Proposal
from litemeta.sources.database import SqlAlchemySource, SqlAlchemySourceConfig

TYPES = ["INTEGER", "TEXT", "VARCHAR(64)", "BIGINT", "DECIMAL(12,2)", "TIMESTAMP", "BOOLEAN", "REAL"]


def make_db(path: Path, tables: int, columns: int, views: int) -> None:
    """A SQLite database of ``tables`` tables with ``columns`` columns each, plus ``views`` views."""
    if path.exists():
        path.unlink()
    con = sqlite3.connect(str(path))
    for t in range(tables):
        cols = ["id INTEGER PRIMARY KEY"]
        cols += [
            f"c{c} {TYPES[c % len(TYPES)]}{' NOT NULL DEFAULT 0' if c % 5 == 0 else ''}" for c in range(1, columns)
        ]
        if t > 0:
            cols.append(f"CONSTRAINT fk_t{t}_prev FOREIGN KEY (c1) REFERENCES t{t - 1:04d}(id)")
        con.execute(f"CREATE TABLE t{t:04d} ({', '.join(cols)})")
        con.execute(f"INSERT INTO t{t:04d} (id, c1) VALUES (1, 1), (2, 1)")
    for v in range(views):
        con.execute(f"CREATE VIEW v{v:04d} AS SELECT a.id, b.c2 FROM t{v:04d} a JOIN t{v + 1:04d} b ON b.c1 = a.id")
    con.commit()
    con.close()


def file_sink(path: Path) -> Callable[[Iterable[Proposal]], int]:
    """A sink writing DataHub's file-sink JSON (MCPs, simplified form) with json.dump."""

    def write(proposals: Iterable[Proposal]) -> int:
        records = []
        for p in proposals:
            rec: Dict[str, Any] = {
                "entityType": p.entity_type,
                "entityUrn": p.entity_urn,
                "changeType": p.change_type,
                "aspectName": p.aspect_name,
                "aspect": {"json": p.aspect},
            }
            if p.system_metadata:
                rec["systemMetadata"] = dict(p.system_metadata)
            records.append(rec)
        with open(path, "w") as f:
            json.dump(records, f, indent=4)
        return len(records)

    return write


def run_litemeta(config: Dict[str, Any], sink: Callable[[Iterable[Proposal]], int]) -> Dict[str, Any]:
    start = time.perf_counter()
    source = SqlAlchemySource(SqlAlchemySourceConfig.from_dict(config))
    count = sink(source.proposals())
    return {
        "seconds": time.perf_counter() - start,
        "records": count,
        "tables": source.report.tables,
        "failures": len(source.report.failures),
    }


def run_litemeta_cli(config: Dict[str, Any], workdir: Path) -> Dict[str, Any]:
    """``litemeta ingest -c`` with the store sink, as a whole process (like ``datahub ingest -c``)."""
    store = workdir / "litemeta.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(store) + suffix).unlink(missing_ok=True)
    recipe = workdir / "litemeta-recipe.json"
    recipe.write_text(
        json.dumps(
            {
                "source": {"type": "sqlalchemy", "config": config},
                "sink": {"type": "litemeta", "config": {"db": str(store)}},
            }
        )
    )
    exe = shutil.which("litemeta") or str(Path(sys.executable).with_name("litemeta"))
    start = time.perf_counter()
    proc = subprocess.run([exe, "ingest", "-c", str(recipe), "--json"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
    summary = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    records = sum(st.get("records", 0) for st in summary.get("steps", []) if st.get("kind") == "sink")
    return {"seconds": seconds, "records": records, "tables": "-", "failures": summary.get("failures", "?")}


def run_datahub(config: Dict[str, Any], out: Path, workdir: Path, datahub: str) -> Dict[str, Any]:
    recipe = workdir / "recipe.json"  # JSON is YAML, and the CLI reads .json recipes too
    recipe.write_text(
        json.dumps(
            {
                "source": {"type": "sqlalchemy", "config": config},
                "sink": {"type": "file", "config": {"filename": str(out)}},
            }
        )
    )
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), DATAHUB_TELEMETRY_ENABLED="false")
    start = time.perf_counter()
    proc = subprocess.run([datahub, "ingest", "-c", str(recipe)], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
    records = len(json.loads(out.read_text())) if out.exists() else 0
    return {"seconds": seconds, "records": records, "returncode": proc.returncode}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=500)
    ap.add_argument("--columns", type=int, default=20)
    ap.add_argument("--views", type=int, default=0)
    ap.add_argument("--profile", action="store_true", help="enable profiling in both sources")
    ap.add_argument("--skip-datahub", action="store_true")
    ap.add_argument("--datahub", default=shutil.which("datahub") or str(Path(sys.executable).with_name("datahub")))
    ap.add_argument(
        "--sink", default="store", help="store (default: `litemeta ingest -c` into a store), file, or module:function"
    )
    ap.add_argument("--workdir")
    args = ap.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-db-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "bench.db"
    t0 = time.perf_counter()
    make_db(db, args.tables, args.columns, args.views)
    print(
        f"database: {db} ({args.tables} tables x {args.columns} columns, {args.views} views) "
        f"built in {time.perf_counter() - t0:.2f} s"
    )
    config = {"platform": "sqlite", "connect_uri": f"sqlite:///{db}", "profiling": {"enabled": args.profile}}
    if args.sink == "store":
        lm = run_litemeta_cli(config, workdir)
    else:
        if args.sink == "file":
            sink = file_sink(workdir / "litemeta.json")
        else:
            module, _, attr = args.sink.partition(":")
            sink = getattr(importlib.import_module(module), attr)
        lm = run_litemeta(config, sink)
    print(
        f"litemeta : {lm['seconds']:7.2f} s  {lm['records']:6} records  "
        f"({lm['tables']} tables, {lm['failures']} failures)"
    )
    if not args.skip_datahub:
        dh = run_datahub(config, workdir / "datahub.json", workdir, args.datahub)
        print(f"datahub  : {dh['seconds']:7.2f} s  {dh['records']:6d} records  (exit {dh['returncode']})")
        print(f"speed-up : {dh['seconds'] / lm['seconds']:.1f}x")


if __name__ == "__main__":
    main()
