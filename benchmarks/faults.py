"""Fault injection for the ``litemeta`` command (issue 15): full disk, read-only store, SIGKILL.

    python benchmarks/faults.py                      # default trials (~3-5 minutes on 2 vCPUs)
    python benchmarks/faults.py --kills 40 --json    # more SIGKILLs per command; one JSON object

Every trial runs the real command in a process of its own on an SDK-built corpus
(``tests/sdkcorpus.py``, cached in --cache) and counts **violations** of what issue 15 demands:

- **full disk** (a small tmpfs mounted at several sizes; needs root, skipped otherwise): ingest,
  export (kafka-log, jsonl, avro), dump, reindex and ``watch --once`` onto the full file system.
  Violations: a traceback; an error that is not one line naming the file; an exit code of 0
  although the output is incomplete; a store that no longer opens, or that does not reach the
  reference state once space is freed and the command runs again.
- **read-only store** (a read-only bind mount when root, file permissions otherwise): ingest,
  put, delete, reindex and watch. Violations: a traceback, not one line, an exit code of 0, or
  the store's bytes changed.
- **SIGKILL** of ``export``, ``reindex`` and ``watch`` at a random moment (kill -9 of the
  command's process), then what a user does next. Violations: the store no longer matches the
  reference; for export, a re-run into a fresh folder that differs from the reference export, a
  re-run into the killed export's folder that holds other records than the reference (duplicates),
  or a helper process still alive after its parent died; for reindex, a search that fails or
  differs from the reference after the next command; for watch, a file lost or moved twice, or
  a store that differs from ingesting every file once (after ``watch --once`` finishes the job).

Figures depend on the machine: record the load average printed with them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from bench_ingest import corpus  # noqa: E402  (a sibling script: the one SDK-corpus cache)

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "litemeta"]
ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
QUERIES = ("orders", "customer revenue", "pii", "daily")


@dataclass
class Trial:
    """One kind of fault: how many runs, and each violation found (with what was seen)."""

    name: str
    runs: int = 0
    violations: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def violation(self, what: str) -> None:
        self.violations.append(what)
        print(f"  VIOLATION {self.name}: {what}", file=sys.stderr)


def cli(*args: str, timeout: float = 600, cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd or str(ROOT))


def one_line_error(proc: subprocess.CompletedProcess) -> Optional[str]:
    """None when the command failed as issue 15 wants (one ``Error:`` line, no traceback), else why not."""
    if "Traceback" in proc.stderr or "Traceback" in proc.stdout:
        return "traceback: " + proc.stderr.strip().splitlines()[-1][:200]
    lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
    if len(lines) != 1 or not lines[0].startswith("Error: "):
        return f"not one error line ({len(lines)} lines): {proc.stderr.strip()[:200]!r}"
    return None


def digest(paths: Sequence[pathlib.Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()


STARTED_MS = int(time.time() * 1000) - 86_400_000


def _timeless(value: Any) -> Any:
    """``value`` with every time stamped while this script runs made equal: a record without
    ``lastObserved`` is applied at the clock's time, which a PATCH writes into the aspect too
    (``lastModified.time`` of ownership...), so two correct stores differ there."""
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value >= STARTED_MS:
        return "<now>"
    return value


def state(db: str) -> str:
    """A digest of a store's current state: its dump (every entity's current aspects, in urn order),
    without systemMetadata and with the times of this run made equal (:func:`_timeless`)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "dump.json")
        proc = cli("dump", out, "--db", db)
        if proc.returncode != 0:
            return "unreadable: " + proc.stderr.strip()[:200]
        records = [
            _timeless({k: v for k, v in r.items() if k != "systemMetadata"})
            for r in json.loads(pathlib.Path(out).read_text())
        ]
        return hashlib.sha256(json.dumps(records, sort_keys=True).encode()).hexdigest()


def export_records(folder: str) -> Dict[str, List[str]]:
    """Per topic, the exported records as comparable text (read back with litemeta's own reader)."""
    from litemeta.formats.export_layout import read_export

    out: Dict[str, List[str]] = {}
    for item in read_export(folder):
        rec = getattr(item, "record", item)
        topic = getattr(rec, "topic", "?")
        out.setdefault(topic, []).append(
            json.dumps(
                [getattr(rec, "offset", None), getattr(rec, "key", None), getattr(rec, "value", None)],
                sort_keys=True,
                default=str,
            )
        )
    return out


def searches(db: str) -> Tuple[bool, List[Any]]:
    results = []
    for q in QUERIES:
        proc = cli("search", q, "--json", "--db", db)
        if proc.returncode != 0:
            return False, [proc.stderr.strip()[:200]]
        results.append([r.get("urn") for r in json.loads(proc.stdout).get("results", [])])
    return True, results


def helpers_alive(before: set) -> List[int]:
    """litemeta export helper processes started since ``before`` that are still running."""
    alive = []
    for pid_dir in pathlib.Path("/proc").glob("[0-9]*"):
        try:
            cmd = (pid_dir / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "litemeta.cli.export" in cmd and int(pid_dir.name) not in before:
            alive.append(int(pid_dir.name))
    return alive


# ------------------------------------------------------------------------------------ set-up
class Bench:
    def __init__(self, work: pathlib.Path, corpus_path: pathlib.Path, rng: random.Random) -> None:
        self.work, self.corpus, self.rng = work, corpus_path, rng
        self.db = str(work / "base.db")
        proc = cli("ingest", str(corpus_path), "--db", self.db, "--json")
        if proc.returncode not in (0, 1):
            raise SystemExit(f"cannot build the reference store: {proc.stderr}")
        self.state = state(self.db)
        ok, self.search_results = searches(self.db)
        assert ok, self.search_results
        ref = work / "ref-export"
        t0 = time.perf_counter()
        assert cli("export", "--out", str(ref), "--db", self.db).returncode == 0
        self.export_seconds = time.perf_counter() - t0
        self.export = export_records(str(ref))
        t0 = time.perf_counter()
        assert cli("reindex", "--db", self.db).returncode == 0
        self.reindex_seconds = time.perf_counter() - t0
        self.files = self._split(work / "parts", 12)
        self.db_size = sum(p.stat().st_size for p in work.glob("base.db*") if p.is_file())

    def _split(self, folder: pathlib.Path, n: int) -> List[pathlib.Path]:
        """The corpus cut into ``n`` files (each a file-sink JSON array), for the watcher."""
        from litemeta.model.codec import record_to_obj
        from litemeta.sources.files import read_records

        folder.mkdir()
        records = [record_to_obj(r) for r in read_records([str(self.corpus)]) if not isinstance(r, Exception)]
        size = (len(records) + n - 1) // n
        files = []
        for i in range(n):
            path = folder / f"part-{i:02d}.json"
            path.write_text(
                "[\n" + ",\n".join(json.dumps(r, indent=4) for r in records[i * size : (i + 1) * size]) + "\n]"
            )
            files.append(path)
        return files

    def copy_store(self, dest: pathlib.Path) -> str:
        dest.mkdir(parents=True, exist_ok=True)
        for p in self.work.glob("base.db*"):
            (shutil.copytree if p.is_dir() else shutil.copy2)(p, dest / p.name)
        return str(dest / "base.db")


def mount_tmpfs(where: pathlib.Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
        ).returncode
        == 0
    )


def umount(where: pathlib.Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


# ------------------------------------------------------------------------------------ trials
def full_disk(b: Bench, sizes: Sequence[str]) -> Trial:
    t = Trial("full disk")
    if not ROOT_USER or not shutil.which("mount"):
        t.notes.append("skipped: a tmpfs needs root")
        return t
    full = b.work / "full"
    for size in sizes:
        commands = {
            "ingest": lambda d: ("ingest", str(b.corpus), "--db", str(d / "s.db")),
            "export kafka-log": lambda d: ("export", "--out", str(d / "exp"), "--db", b.db),
            "export jsonl": lambda d: ("export", "--out", str(d / "exp"), "--format", "jsonl", "--db", b.db),
            "export avro": lambda d: ("export", "--out", str(d / "exp"), "--format", "avro", "--db", b.db),
            "dump": lambda d: ("dump", str(d / "d.json"), "--db", b.db),
            "reindex": lambda d: ("reindex", "--db", b.copy_store(d)),
            "watch --once": lambda d, size=size: (
                "watch",
                str(_inbox(b, d)),
                "--once",
                "--settle",
                "0.05",
                "--db",
                str(b.work / f"w-{size}.db"),
            ),
        }
        for name, args in commands.items():
            if not mount_tmpfs(full, size):
                t.notes.append(f"cannot mount a {size} tmpfs")
                return t
            try:
                try:
                    argv = args(full)
                except OSError:
                    continue  # the set-up itself does not fit (a store copy for reindex): not a trial
                t.runs += 1
                proc = cli(*argv)
                where = f"{name} on a {size} disk"
                if proc.returncode == 0:
                    if name.startswith("watch") and "error" in proc.stdout:
                        t.violation(f"{where}: exit 0 with a file in error: {proc.stdout.strip()[:200]}")
                    continue  # it fitted
                if name.startswith("watch"):
                    if "Traceback" in proc.stderr:
                        t.violation(f"{where}: traceback")
                    continue  # per-file errors are reported per line; the next run retries them
                why = one_line_error(proc)
                if why:
                    t.violation(f"{where}: {why}")
                if name == "ingest" and (full / "s.db").exists():
                    s = cli("stats", "--json", "--db", str(full / "s.db"))
                    if s.returncode != 0 and one_line_error(s):
                        t.violation(f"{where}: the store afterwards: {one_line_error(s)}")
            finally:
                umount(full)
    # once space is freed, the same ingest into the interrupted store reaches the reference state
    t.runs += 1
    if mount_tmpfs(full, sizes[0]):
        try:
            cli("ingest", str(b.corpus), "--db", str(full / "s.db"))
            keep = b.work / "after-full"
            keep.mkdir(exist_ok=True)
            for p in full.glob("s.db*"):
                (shutil.copytree if p.is_dir() else shutil.copy2)(p, keep / p.name)
        finally:
            umount(full)
        again = cli("ingest", str(b.corpus), "--db", str(b.work / "after-full" / "s.db"))
        if again.returncode not in (0, 1) or state(str(b.work / "after-full" / "s.db")) != b.state:
            t.violation(
                f"an ingest interrupted by a full disk does not complete to the reference state once re-run "
                f"with space (exit {again.returncode}): {again.stderr.strip()[:200]}"
            )
    return t


def _inbox(b: Bench, d: pathlib.Path) -> pathlib.Path:
    inbox = d / "inbox"
    inbox.mkdir()
    for f in b.files[:3]:
        shutil.copy2(f, inbox / f.name)
    old = time.time() - 60
    for f in inbox.iterdir():
        os.utime(f, (old, old))
    return inbox


def read_only_store(b: Bench) -> Trial:
    t = Trial("read-only store")
    folder = b.work / "ro"
    db = b.copy_store(folder)
    inbox = b.work / "ro-inbox"
    inbox.mkdir()
    shutil.copy2(b.files[0], inbox / "a.json")
    put = b.work / "put.json"
    put.write_text(json.dumps({"removed": True}))
    urn = cli("list-urns", "--db", db).stdout.split()[0]
    commands = [
        ("ingest", str(b.files[0]), "--db", db),
        ("put", "--urn", urn, "-a", "status", "-d", str(put), "--db", db),
        ("delete", "--urn", urn, "--hard", "-f", "--db", db),
        ("reindex", "--db", db),
        ("watch", str(inbox), "--once", "--settle", "0.05", "--db", db),
    ]
    before = digest(list(folder.glob("base.db*")))
    if ROOT_USER:
        if (
            subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True).returncode != 0
            or subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], capture_output=True).returncode != 0
        ):
            t.notes.append("skipped: no read-only bind mount")
            return t
    else:
        for p in folder.glob("base.db*"):
            if p.is_file():
                p.chmod(0o444)
    try:
        for argv in commands:
            t.runs += 1
            proc = cli(*argv)
            if argv[0] == "watch":
                if "Traceback" in proc.stderr or proc.returncode == 0:
                    t.violation(f"watch: exit {proc.returncode}: {proc.stderr.strip()[:200]}")
                continue
            if proc.returncode == 0 and argv[0] != "reindex":
                t.violation(f"{argv[0]}: exit 0 on a read-only store")
                continue
            if proc.returncode != 0:
                why = one_line_error(proc)
                if why:
                    t.violation(f"{argv[0]}: {why}")
    finally:
        if ROOT_USER:
            umount(folder)
    if digest(list(folder.glob("base.db*"))) != before:
        t.violation("the read-only store's bytes changed")
    t.notes.append(
        "reindex may succeed: the index folder is a cache beside the store, writable here"
        if not ROOT_USER
        else "the whole folder is read-only: reindex must fail in one line"
    )
    return t


def _kill_after(args: Sequence[str], delay: float) -> Tuple[bool, subprocess.Popen]:
    """Start ``litemeta ARGS``, SIGKILL it after ``delay`` seconds; True when it was killed running."""
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(ROOT))
    try:
        proc.wait(timeout=delay)
        return False, proc
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True, proc


def kill_export(b: Bench, kills: int) -> Trial:
    t = Trial("SIGKILL export")
    killed = 0
    for i in range(kills):
        fmt = b.rng.choice(["kafka-log", "kafka-log", "jsonl", "avro"])
        out = b.work / f"kill-exp-{i}"
        before = {int(p.name) for p in pathlib.Path("/proc").glob("[0-9]*")}
        was_killed, _ = _kill_after(
            ("export", "--out", str(out), "--format", fmt, "--db", b.db), b.rng.uniform(0.2, max(0.3, b.export_seconds))
        )
        killed += was_killed
        t.runs += 1
        time.sleep(0.2)
        orphans = helpers_alive(before)
        if orphans:
            t.violation(f"{fmt}: export helper process(es) {orphans} alive after the export was killed")
            for pid in orphans:
                with_suppress(lambda pid=pid: os.kill(pid, signal.SIGKILL))
        again = cli("export", "--out", str(out), "--format", fmt, "--db", b.db)  # what a user does next
        fresh = b.work / f"kill-exp-{i}-fresh"
        cli("export", "--out", str(fresh), "--format", fmt, "--db", b.db)
        if export_records(str(fresh)) != _as_format(b, fmt, fresh):
            t.violation(f"{fmt}: an export after the kill differs from the reference export")
        if again.returncode != 0:
            t.violation(f"{fmt}: re-running the killed export into its folder fails: {again.stderr.strip()[:200]}")
        elif export_records(str(out)) != export_records(str(fresh)):
            got, want = export_records(str(out)), export_records(str(fresh))
            extra = sum(len(v) for v in got.values()) - sum(len(v) for v in want.values())
            t.violation(
                f"{fmt}: the killed export's folder, exported again, holds {extra:+d} records against a "
                f"clean export (duplicates or gaps)"
            )
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(fresh, ignore_errors=True)
    if state(b.db) != b.state:
        t.violation("the store changed")
    t.notes.append(f"{killed} of {kills} killed while running")
    return t


def _as_format(b: Bench, fmt: str, folder: pathlib.Path) -> Dict[str, List[str]]:
    """The reference export in ``fmt`` (kafka-log: the one made at set-up)."""
    if fmt == "kafka-log":
        return b.export
    ref = b.work / f"ref-export-{fmt}"
    if not ref.exists():
        cli("export", "--out", str(ref), "--format", fmt, "--db", b.db)
    return export_records(str(ref))


def with_suppress(fn: Any) -> None:
    try:
        fn()
    except OSError:
        pass


def kill_reindex(b: Bench, kills: int) -> Trial:
    t = Trial("SIGKILL reindex")
    killed = 0
    for i in range(kills):
        db = b.copy_store(b.work / f"kill-ix-{i}")
        was_killed, _ = _kill_after(("reindex", "--db", db), b.rng.uniform(0.2, max(0.3, b.reindex_seconds)))
        killed += was_killed
        t.runs += 1
        ok, results = searches(db)  # what a user does next: search, which brings the index up to date
        if not ok:
            t.violation(f"search after a killed reindex fails: {results[0]}")
        elif results != b.search_results:
            again = cli("reindex", "--db", db)
            ok2, results2 = searches(db)
            got = [len(r) for r in results]
            want = [len(r) for r in b.search_results]
            t.violation(
                f"search after a killed reindex differs from the reference (hits per query {got}, "
                f"reference {want})"
                + ("" if ok2 and results2 == b.search_results else "; and a new reindex does not repair it")
                + ("" if again.returncode == 0 else f"; reindex fails: {again.stderr.strip()[:120]}")
            )
        shutil.rmtree(b.work / f"kill-ix-{i}", ignore_errors=True)
    t.notes.append(f"{killed} of {kills} killed while running")
    return t


def kill_watch(b: Bench, kills: int) -> Trial:
    t = Trial("SIGKILL watch")
    killed = 0
    for i in range(kills):
        base = b.work / f"kill-watch-{i}"
        inbox = base / "inbox"
        inbox.mkdir(parents=True)
        for f in b.files:
            shutil.copy2(f, inbox / f.name)
        db = str(base / "w.db")
        was_killed, _ = _kill_after(("watch", str(inbox), "--settle", "0.05", "--db", db), b.rng.uniform(0.5, 8.0))
        killed += was_killed
        t.runs += 1
        done = cli("watch", str(inbox), "--once", "--settle", "0.05", "--json", "--db", db)
        if "Traceback" in done.stderr:
            t.violation(f"watch --once after the kill: traceback {done.stderr.strip()[-200:]}")
        names = sorted(f.name for f in b.files)
        processed = sorted(p.name for p in (inbox / "processed").glob("*.json") if not p.name.endswith(".error.json"))
        left = sorted(p.name for p in inbox.glob("*.json"))
        if processed != names or left:
            t.violation(f"files: processed {len(processed)} of {len(names)}, left in the inbox {left}")
        if state(db) != b.state:
            t.violation("the store differs from ingesting every file once")
        shutil.rmtree(base, ignore_errors=True)
    t.notes.append(f"{killed} of {kills} killed while running")
    return t


# ------------------------------------------------------------------------------------ main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=3000, help="records of the SDK corpus [default: 3000]")
    ap.add_argument("--kills", type=int, default=10, help="SIGKILLs per command [default: 10]")
    ap.add_argument("--disk-sizes", default="64k,512k,2m,8m", help="tmpfs sizes for the full-disk trials")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--cache", default="/tmp/litemeta-bench", help="corpus cache folder")
    ap.add_argument("--workdir", default=None, help="scratch folder [default: a new temporary one, removed]")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()
    work = pathlib.Path(args.workdir or tempfile.mkdtemp(prefix="litemeta-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    t0 = time.perf_counter()
    try:
        b = Bench(work, corpus(pathlib.Path(args.cache), args.size), random.Random(args.seed))
        trials = [
            full_disk(b, args.disk_sizes.split(",")),
            read_only_store(b),
            kill_export(b, args.kills),
            kill_reindex(b, args.kills),
            kill_watch(b, args.kills),
        ]
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - t0
    result = {
        "corpus": args.size,
        "kills": args.kills,
        "seconds": round(seconds, 1),
        "loadBefore": [round(x, 2) for x in load],
        "loadAfter": [round(x, 2) for x in os.getloadavg()],
        "trials": [
            {
                "trial": t.name,
                "runs": t.runs,
                "violations": len(t.violations),
                "violationList": t.violations,
                "notes": t.notes,
            }
            for t in trials
        ],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{'trial':<18} {'runs':>5} {'violations':>10}  notes")
        for t in trials:
            print(f"{t.name:<18} {t.runs:>5} {len(t.violations):>10}  {'; '.join(t.notes)}")
            for v in t.violations[:10]:
                print(f"    - {v}")
        print(
            f"{sum(t.runs for t in trials)} runs, {sum(len(t.violations) for t in trials)} violations, "
            f"{seconds:.0f} s, load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
        )
    return 1 if any(t.violations for t in trials) else 0


if __name__ == "__main__":
    sys.exit(main())
