"""``litemeta export``: write the store's topics as Kafka log segments, Avro container files or JSON Lines.

Incremental exports (``--group G``): the group's committed offsets in the store say where the
last export stopped, so the next one writes only what is new, and commits the new end offsets
once the files are written (at-least-once: an export interrupted before the commit is written
again by the next run).

- ``kafka-log`` appends to the existing segments (new segments after the last offset there; a
  record already in the folder is never written twice, with or without a group).
- ``avro`` and ``jsonl`` append too: a topic the group exported before gets its new records
  added to the end of ``OUT/<topic>.avro`` (a new block of the same container) or
  ``OUT/<topic>.jsonl``. A topic exported for the first time, and every topic of an export
  without ``--group``, has its file rewritten. Files are written in a temporary folder inside
  OUT and moved into place, so a failed export leaves the previous files as they were.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import click

from litemeta.cli._store import db_option, open_cli_store
from litemeta.cli.common import Progress, json_option, translate_errors

FORMAT_CHOICES = ("kafka-log", "avro", "jsonl")  # litemeta.formats.export_layout.FORMATS, kept light for --help


# A kafka-log export of at least this many platform events writes that topic in a second process.
PARALLEL_MIN_RECORDS = 20_000


def export_store(store: Any, out: str, fmt: str = "kafka-log", topics: Sequence[str] = (),
                 partitions: int = 1, from_offset: Optional[int] = None, group: Optional[str] = None,
                 progress: Optional[Callable[[int], None]] = None,
                 parallel: Optional[bool] = None) -> Tuple[Any, Dict[str, int], Dict[str, int]]:
    """Export a store's topics to ``out``; return (ExportReport, start offsets, next offsets) by topic.

    Start offsets: ``from_offset`` when given, else the group's committed offsets, else 0. Every
    topic is exported up to its end offset when the export starts (a consistent cut, whatever is
    written meanwhile). With a ``group``, the next offsets are committed after the files are
    complete. A kafka-log export of a SQLite store with many platform events writes that topic in
    a second process, on another core (``parallel=False`` never does, ``True`` always tries).
    """
    from litemeta.errors import ConfigurationError
    from litemeta.followers.export import export
    from litemeta.model.events import PLATFORM_EVENT_TOPIC, TOPICS, resolve_topic

    names = list(dict.fromkeys(resolve_topic(t) for t in topics)) if topics else list(TOPICS)
    if from_offset is not None and from_offset < 0:
        raise ConfigurationError(f"--from-offset must be >= 0, got {from_offset}")
    committed: Dict[str, int] = store.consumers.committed(group) if group else {}
    starts = {t: (from_offset if from_offset is not None else committed.get(t, 0)) for t in names}
    end_of = store.end_offsets()
    ends: Dict[str, int] = {}

    def records(which: Sequence[str]) -> Iterator[Any]:
        return _records(store, which, starts, end_of, ends, progress)

    target = Path(out)
    if fmt == "kafka-log":
        db_path = store.db.sqlite_file
        pe_records = end_of.get(PLATFORM_EVENT_TOPIC, 0) - starts.get(PLATFORM_EVENT_TOPIC, 0)
        if parallel is None:
            from litemeta.config import usable_cpus

            parallel = (store.settings.helper_processes and pe_records >= PARALLEL_MIN_RECORDS
                        and usable_cpus() >= 2)
        split = db_path is not None and PLATFORM_EVENT_TOPIC in names and len(names) > 1 and parallel
        if split:
            assert db_path is not None
            mine = [t for t in names if t != PLATFORM_EVENT_TOPIC]
            report = _export_two_processes(db_path, records, target, partitions, mine, [PLATFORM_EVENT_TOPIC],
                                           starts, end_of, ends, progress)
        else:
            report = export(records(names), target, fmt, partitions)
    else:
        appending = {t for t in names if group and committed.get(t, 0) > 0 and from_offset is None}
        report = _export_files(records(names), target, fmt, partitions, appending)
    if group and ends:
        store.commit(group, ends)
    return report, starts, ends


def _records(store: Any, topics: Sequence[str], starts: Dict[str, int], end_of: Dict[str, int],
             ends: Dict[str, int], progress: Optional[Callable[[int], None]] = None) -> Iterator[Any]:
    """The records of ``topics`` from their start to their end offsets; ``ends`` keeps, per topic,
    the offset after the last record yielded; ``progress`` hears of every 1,000 records."""
    n = 0
    for topic in topics:
        for rec in store.iter_topic(topic, starts[topic], end_of.get(topic, 0)):
            ends[topic] = rec.offset + 1
            yield rec
            n += 1
            if progress is not None and n == 1000:
                progress(n)
                n = 0
    if progress is not None and n:
        progress(n)


def _export_two_processes(db_path: str, records: Callable[[Sequence[str]], Iterator[Any]], out: Path,
                          partitions: int, mine: List[str], theirs: List[str], starts: Dict[str, int],
                          end_of: Dict[str, int], ends: Dict[str, int],
                          progress: Optional[Callable[[int], None]]) -> Any:
    """kafka-log: ``theirs`` written by a child process (``python -m litemeta.cli.export``), ``mine``
    here, at the same time. Topics have their own folders; schemas.json lists every topic before
    either starts. Should the child fail, its topics are written here afterwards, resuming after
    whatever it wrote (an export never writes a record twice)."""
    import subprocess
    import time

    from litemeta.config import helper_command
    from litemeta.followers.export import ExportReport, export, write_schemas

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    write_schemas(out, [t for t in mine + theirs if end_of.get(t, 0) > starts[t]])
    spec = {"db": db_path, "out": str(out), "topics": theirs, "partitions": partitions,
            "starts": {t: starts[t] for t in theirs}, "ends": {t: end_of.get(t, 0) for t in theirs}}
    cmd = helper_command("litemeta.cli.export")
    child: Optional[subprocess.Popen] = None
    if cmd is not None:
        try:
            child = subprocess.Popen(cmd[0] + [json.dumps(spec)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=cmd[1])
        except OSError:
            child = None
    reports = [export(records(mine), out, "kafka-log", partitions)]
    theirs_report: Optional[Dict[str, Any]] = None
    if child is not None:
        stdout, _ = child.communicate()
        if child.returncode == 0:
            try:
                theirs_report = json.loads(stdout.decode("utf-8").strip().splitlines()[-1])
            except (ValueError, IndexError):
                theirs_report = None
    if theirs_report is None:
        reports.append(export(records(theirs), out, "kafka-log", partitions))
    else:
        ends.update(theirs_report["ends"])
        counts = {t: {int(p): n for p, n in parts.items()} for t, parts in theirs_report["counts"].items()}
        reports.append(ExportReport("kafka-log", str(out), counts, theirs_report["skipped"], theirs_report["bytes"],
                                    0.0, tuple(theirs_report["files"])))
        if progress is not None:
            progress(sum(n for parts in counts.values() for n in parts.values()))
    counts_all: Dict[str, Dict[int, int]] = {}
    for r in reports:
        for t, parts in r.counts.items():
            merged = counts_all.setdefault(t, {})
            for p, n in parts.items():
                merged[p] = merged.get(p, 0) + n
    return ExportReport("kafka-log", str(out), counts_all, sum(r.skipped for r in reports),
                        sum(r.bytes for r in reports), time.perf_counter() - t0,
                        tuple(sorted({f for r in reports for f in r.files})))


def _child(spec_json: str) -> int:
    """The second export process: its topics of ``spec`` to kafka-log; prints a JSON report."""
    from litemeta.followers.export import export
    from litemeta.store import open_store

    spec = json.loads(spec_json)
    ends: Dict[str, int] = {}
    with open_store(spec["db"], read_only=True) as store:
        records = _records(store, spec["topics"], spec["starts"], spec["ends"], ends)
        report = export(records, Path(spec["out"]), "kafka-log", spec["partitions"])
    d = report.as_dict()
    print(json.dumps({"counts": d["counts"], "skipped": report.skipped, "bytes": report.bytes,
                      "files": list(report.files), "ends": ends}))
    return 0


def _export_files(records: Iterator[Any], out: Path, fmt: str, partitions: int, appending: set) -> Any:
    """avro/jsonl: export into a temporary folder, then append to or replace the files in ``out``."""
    from dataclasses import replace

    from litemeta.followers.export import export
    from litemeta.model import avro

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".litemeta-export-", dir=out))
    try:
        report = export(records, tmp, fmt, partitions)
        files: List[str] = []
        for produced in sorted(tmp.iterdir()):
            topic = produced.name[: -len(produced.suffix)]
            final = out / produced.name
            if topic in appending and final.exists() and final.stat().st_size > 0:
                if fmt == "jsonl":
                    with open(final, "ab") as dst, open(produced, "rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
                else:  # a new block of the existing Avro container (same schema, same sync marker)
                    with open(produced, "rb") as src, open(final, "a+b") as dst:
                        avro.write_container(dst, topic, (v for _t, v in avro.read_container(src)))
            else:
                os.replace(produced, final)
            files.append(str(final))
        size = sum(os.path.getsize(f) for f in files)
        return replace(report, out_dir=str(out), files=tuple(files), bytes=size)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@click.command("export")
@click.option("-o", "--out", required=True, metavar="DIR", help="Folder to write (created if missing).")
@click.option("-t", "--topic", "topics", multiple=True, metavar="TOPIC",
              help="Only this topic (name or alias: mcp, mcl, mcl-timeseries, pe, failed). Repeatable [default: all].")
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="kafka-log", show_default=True,
              help="kafka-log: <topic>-<partition>/<offset>.log segments + schemas.json; avro: <topic>.avro; "
                   "jsonl: <topic>.jsonl.")
@click.option("--partitions", type=click.IntRange(min=1), default=1, show_default=True,
              help="kafka-log only: spread records over N partitions with Kafka's default partitioner.")
@click.option("--from-offset", type=click.IntRange(min=0), default=None,
              help="Start every topic at this offset [default: 0, or the group's committed offsets].")
@click.option("--group", default=None, metavar="NAME",
              help="Remember the offsets in the store under this consumer group: the next export with the same "
                   "group writes only what is new (kafka-log, avro and jsonl files are appended to).")
@db_option
@json_option
def export(out: str, topics: Tuple[str, ...], fmt: str, partitions: int, from_offset: Optional[int],
           group: Optional[str], db: Optional[str], as_json: bool) -> None:
    """Export the store's topics (proposals, change logs, platform events, failures) to files.

    The kafka-log format is Kafka's own on-disk log (RecordBatch v2 segments) with values in
    Confluent framing (Avro, schema ids listed in schemas.json): `litemeta replay` sends it to a
    real Kafka, and `litemeta ingest DIR` reads the MetadataChangeProposal_v1 topic back into a
    store (any of the three formats).

    \b
    Examples:
        litemeta export --out export/
        litemeta export --out export/ --topic mcl --topic pe --group nightly
        litemeta export --out export/ --format jsonl --topic mcp
    """
    if partitions != 1 and fmt != "kafka-log":
        raise click.UsageError("--partitions applies to --format kafka-log only")
    with translate_errors():
        with open_cli_store(db, read_only=group is None) as store, Progress("export") as bar:
            report, starts, ends = export_store(store, out, fmt, topics, partitions, from_offset, group, bar.update)
    d = report.as_dict()
    d.update({"group": group, "fromOffsets": starts, "nextOffsets": ends})
    if as_json:
        click.echo(json.dumps(d))
        return
    rate = report.records / report.seconds if report.seconds else 0.0
    click.echo(f"Exported {report.records:,} records ({fmt}) to {out} in {report.seconds:.2f}s ({rate:,.0f} records/s)")
    for topic, parts in report.counts.items():
        n = sum(parts.values())
        spread = f" over {len(parts)} partitions" if len(parts) > 1 else ""
        click.echo(f"  {topic}: {n:,}{spread}")
    if report.skipped:
        click.echo(f"  already in the folder (skipped): {report.skipped:,}")
    if group:
        click.echo(f"  group {group} now at " + ", ".join(f"{t}={o}" for t, o in ends.items()) if ends
                   else f"  group {group}: nothing new")


if __name__ == "__main__":  # the second process of a parallel export (see _export_two_processes)
    import sys

    sys.exit(_child(sys.argv[1]))
