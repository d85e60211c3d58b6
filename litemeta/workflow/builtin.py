"""Built-in sources, sinks, the ``file-stage`` stage and the ``litemeta-bulk`` bulk sink.

Sources: ``file`` (every format :func:`litemeta.sources.files.read_records` reads),
``kafka-export`` (an exported topic folder), ``sqlalchemy`` (a database), ``datahub-lite`` (a
DataHub Lite database), ``python`` (a callable ``module:function`` yielding proposals, dicts or
acryl-datahub objects). Sinks: ``litemeta`` (the store, the default), ``file`` (DataHub file-sink
JSON), ``kafka-export`` (topic export formats), ``console`` (one JSON object per line on stdout).

The staged pair follows OpenMetadata's Stage/BulkSink pattern: ``file-stage`` writes each record
as one JSON line (DataHub file-sink form) to ``path``; with ``aggregate: true`` it then keeps, for
each (urn, versioned aspect), only the last full write (UPSERT, UPDATE or DELETE) and the PATCHes
and CREATEs after it, dropping what that write supersedes; timeseries aspects are kept whole and
legacy MCEs are expanded into one proposal per aspect. ``litemeta-bulk`` ingests the staged file
into the store at the end of the run, in large transactions (``batch_size``, default 10,000).

Heavy or optional modules (SQLAlchemy sources, the topic exporter) are imported only when used.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import IO, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Set, Tuple

from litemeta.errors import ConfigurationError, LitemetaError
from litemeta.model.codec import proposal_to_mcp_value, proposals_of, record_to_obj
from litemeta.model.jsontext import std_loads
from litemeta.model.proposal import Origin, Proposal
from litemeta.workflow.steps import (
    REQUIRED,
    AspectReader,
    BulkSink,
    PipelineContext,
    Record,
    Sink,
    Source,
    Stage,
    import_object,
    read_config,
)


# ------------------------------------------------------------------------------------ sources
class FileSource(Source):
    """``file``: DataHub file-sink JSON, JSON Lines, folders, ``-``, legacy MCEs (DataHub's keys)."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        c = read_config(
            self.config,
            {
                "path": ((str, list), None),
                "filename": (str, None),
                "aspect": (str, None),
                "file_extension": (str, ".json"),
                "read_mode": (str, "AUTO"),
                "count_all_before_starting": (bool, True),
            },
            self.name,
        )
        path = c["path"] if c["path"] is not None else c["filename"]
        if path is None:
            raise ConfigurationError("config key 'path' is required (a file, a folder, - or a list of them)")
        self.paths = [str(p) for p in (path if isinstance(path, list) else [path])]
        self.aspect = c["aspect"]
        if c["file_extension"] not in (".json", ".jsonl"):
            self.status.warning(
                "file_extension", f"{c['file_extension']!r}: litemeta reads *.json and *.jsonl files in folders"
            )

    def records(self) -> Iterator[Any]:
        """Every record of every path, with errors in place of unreadable parts."""
        from litemeta.sources.files import read_records  # exported topic folders/files are file inputs too

        for item in read_records(self.paths):
            if self.aspect is not None and isinstance(item, Proposal) and item.aspect_name != self.aspect:
                self.status.filter(f"{item.origin}", f"aspect {item.aspect_name} is not {self.aspect}")
                continue
            yield item


class KafkaExportSource(Source):
    """``kafka-export``: the MCP (and optionally MCL) records of an exported topic folder, as proposals."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        from litemeta.model.events import MCL_TIMESERIES_TOPIC, MCL_VERSIONED_TOPIC, MCP_TOPIC, resolve_topic

        c = read_config(self.config, {"path": (str, REQUIRED), "topics": (list, lambda: [MCP_TOPIC])}, self.name)
        self.path = c["path"]
        try:
            self.topics = [resolve_topic(t) for t in c["topics"]]
        except LitemetaError as e:
            raise ConfigurationError(f"topics: {e}") from None
        allowed = {MCP_TOPIC, MCL_VERSIONED_TOPIC, MCL_TIMESERIES_TOPIC}
        bad = [t for t in self.topics if t not in allowed]
        if bad:
            raise ConfigurationError(f"topics {bad} do not carry proposals; allowed: {sorted(allowed)}")

    def records(self) -> Iterator[Any]:
        """Proposals from the MCP/MCL values; corrupt parts as failures."""
        from litemeta.formats.export_layout import read_export
        from litemeta.formats.kafka_log import CorruptionReport
        from litemeta.model.codec import proposal_from_mcp_value

        for item in read_export(self.path, self.topics):
            if isinstance(item, CorruptionReport):
                yield item  # a CorruptionReport: reported by the pipeline as a source failure
                continue
            origin = Origin(f"{item.topic}-{item.partition}", item.offset)
            try:
                yield proposal_from_mcp_value(item.value, origin)
            except LitemetaError as e:
                yield e


class SqlAlchemySource(Source):
    """``sqlalchemy``: tables, views, lineage and profiles of a database (litemeta.sources.database)."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        from litemeta.sources import database

        self._source = database.SqlAlchemySource(
            database.SqlAlchemySourceConfig.from_dict(self.config), run_id=ctx.run_id
        )

    def records(self) -> Iterator[Any]:
        """The source's proposals; its own warnings and failures are copied into the status at the end."""
        yield from self._source.proposals()
        report = self._source.report
        for w in report.warnings:
            self.status.warning(w.get("context", ""), w.get("message", ""))
        for f in report.failures:
            self.status.failed(f.get("context", ""), f.get("message", ""))
        for name in report.filtered:
            self.status.filter(name, "filtered by the source's patterns")


class DataHubLiteSource(Source):
    """``datahub-lite``: the latest aspects of a DataHub Lite database (litemeta.sources.lite.LiteSource).

    Config: ``path`` (the Lite database file, required) and ``strip_sys_version`` (default true).
    """

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        from litemeta.sources.lite import LiteSource

        c = read_config(self.config, {"path": (str, REQUIRED), "strip_sys_version": (bool, True)}, self.name)
        self._source = LiteSource(c["path"], strip_sys_version=c["strip_sys_version"])

    def records(self) -> Iterator[Any]:
        """The Lite database's proposals; rows it could not read are copied into the status as failures."""
        yield from self._source.proposals()
        for f in self._source.report.failures:
            self.status.failed(
                f"{f.get('file')} row {f.get('row')} {f.get('urn')} {f.get('aspect')}", str(f.get("message", ""))
            )


class PythonSource(Source):
    """``python``: ``function: package.module:function`` called with ``kwargs``; yields proposals,
    file-sink dicts or acryl-datahub MCPs/MCEs."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        c = read_config(self.config, {"function": (str, REQUIRED), "kwargs": (dict, lambda: {})}, self.name)
        self.function = import_object(c["function"], "source", c["function"])
        if not callable(self.function):
            raise ConfigurationError(f"function {c['function']!r} is not callable")
        self.kwargs = c["kwargs"]

    def records(self) -> Iterable[Any]:
        """Whatever the function yields."""
        return self.function(**self.kwargs)  # type: ignore[no-any-return]


# -------------------------------------------------------------------------------------- sinks
def _store_reader(store: Any) -> AspectReader:
    def read(urn: str, aspect: str) -> Optional[Dict[str, Any]]:
        value = store.get(urn, [aspect]).get(aspect)
        return value if isinstance(value, dict) else None

    return read


def _report_into(status: Any, report: Any, failed_records: Mapping[Tuple[Any, Any], Any]) -> None:
    """Copy an :class:`~litemeta.core.ingest.IngestReport` into a step status, records attached."""
    status.updated += report.written
    status.unchanged += report.unchanged
    for e in report.errors:
        where = f"{e.get('file') or '<input>'}#{e.get('index')}"
        record = failed_records.get((e.get("file"), e.get("index")))
        status.failed(
            " ".join(x for x in (where, e.get("urn"), e.get("aspect")) if x),
            e.get("message", ""),
            record=record,
            details={"reason": e.get("reason"), "path": e.get("path")},
        )
    for w in report.warnings:
        where = f"{w.get('file') or '<input>'}#{w.get('index')}"
        status.warning(" ".join(x for x in (where, w.get("urn"), w.get("aspect")) if x), w.get("message", ""))


def _origin_of(r: Record) -> Tuple[Any, Any]:
    return (r.origin.file, r.origin.index)


class LitemetaSink(Sink):
    """``litemeta``: write into the store (``db``: path or URL; default ``$LITEMETA_DB`` or ./litemeta.db)."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        from litemeta.store import open_store

        c = read_config(self.config, {"db": (str, None), "batch_size": (int, 1000), "actor": (str, None)}, self.name)
        self.batch_size, self.actor = c["batch_size"], c["actor"]
        self.store = open_store(c["db"])
        self._buffer: List[Record] = []

    def graph(self) -> Optional[AspectReader]:
        """Current values in the store."""
        return _store_reader(self.store)

    def write(self, record: Record) -> None:
        """Buffer; write a transaction every ``batch_size`` records."""
        self._buffer.append(record)
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered."""
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        self.status.scanned(len(batch))
        report = self.store.ingest(batch, dry_run=self.ctx.dry_run, batch_size=self.batch_size, actor=self.actor)
        index = {_origin_of(r): record_to_obj(r) for r in batch}
        _report_into(self.status, report, index)

    def close(self) -> None:
        """Flush, bring the followers (search index) up to date, close the store."""
        try:
            self.flush()
            if not self.ctx.dry_run:
                self.store.sync_followers()
        finally:
            self.store.close()


def _nested_obj(r: Record) -> Dict[str, Any]:
    return proposal_to_mcp_value(r) if isinstance(r, Proposal) else record_to_obj(r)


class FileSink(Sink):
    """``file``: DataHub's file sink (``filename``; ``legacy_nested_json_string``), the same bytes as
    ``write_metadata_file``. Nothing is written in a dry run."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        c = read_config(
            self.config, {"filename": (str, REQUIRED), "legacy_nested_json_string": (bool, False)}, self.name
        )
        self.filename = c["filename"]
        self.to_obj = _nested_obj if c["legacy_nested_json_string"] else record_to_obj
        self._f: Optional[IO[str]] = None
        if not ctx.dry_run:
            try:
                self._f = open(self.filename, "w", encoding="utf-8", newline="")
            except OSError as e:
                raise ConfigurationError(f"cannot write {self.filename}: {e.strerror or e}") from None
            self._f.write("[\n")
        self._n = 0

    def write(self, record: Record) -> None:
        """Append one record to the JSON array."""
        self.status.scanned()
        if self._f is None:
            return
        text = json.dumps(self.to_obj(record), indent=4)
        self._f.write((",\n" if self._n else "") + text)
        self._n += 1
        self.status.updated += 1

    def close(self) -> None:
        """Close the array."""
        if self._f is not None:
            self._f.write("\n]")
            self._f.close()
            self._f = None


class KafkaExportSink(Sink):
    """``kafka-export``: the records as MetadataChangeProposal_v1 topic records in an export folder
    (``path``; ``format`` kafka-log, avro or jsonl; ``partitions``). Offsets start at 0: export into
    a new folder. Records are spooled to a temporary file and exported at the end."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        c = read_config(
            self.config, {"path": (str, REQUIRED), "format": (str, "kafka-log"), "partitions": (int, 1)}, self.name
        )
        if c["format"] not in ("kafka-log", "avro", "jsonl"):
            raise ConfigurationError(f"format must be kafka-log, avro or jsonl, found {c['format']!r}")
        self.path, self.format, self.partitions = c["path"], c["format"], c["partitions"]
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._n = 0

    def write(self, record: Record) -> None:
        """Spool the record's proposals as MCP topic values."""
        self.status.scanned()
        for p in proposals_of(record, self.ctx.registry):
            self._spool.write(json.dumps(proposal_to_mcp_value(p)) + "\n")
            self._n += 1

    def _topic_records(self) -> Iterator[Any]:
        from litemeta.formats.export_layout import key_for, timestamp_for
        from litemeta.model.events import MCP_TOPIC, TopicRecord

        self._spool.seek(0)
        for offset, line in enumerate(self._spool):
            value = std_loads(line)
            yield TopicRecord(MCP_TOPIC, 0, offset, timestamp_for(MCP_TOPIC, value), key_for(MCP_TOPIC, value), value)

    def close(self) -> None:
        """Export the spooled records (not in a dry run)."""
        try:
            if not self.ctx.dry_run and self._n:
                from litemeta.followers.export import export

                report = export(self._topic_records(), self.path, self.format, self.partitions)
                self.status.updated += report.records
        finally:
            self._spool.close()


class ConsoleSink(Sink):
    """``console``: each record as one JSON object (file-sink form) per line on stdout."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        read_config(self.config, {}, self.name)

    def write(self, record: Record) -> None:
        """Print the record."""
        self.status.scanned()
        sys.stdout.write(json.dumps(record_to_obj(record)) + "\n")


# ------------------------------------------------------------------------------ stage + bulk
class FileStage(Stage):
    """``file-stage``: records as JSON Lines at ``path`` (default: a file in the temp folder named
    after the run id); ``aggregate: true`` keeps only what the last full write of each
    (urn, aspect) does not supersede (see the module doc)."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        c = read_config(self.config, {"path": (str, None), "aggregate": (bool, False)}, self.name)
        self.path = c["path"] or os.path.join(tempfile.gettempdir(), f"litemeta-stage-{ctx.run_id}.jsonl")
        self.aggregate = c["aggregate"]
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        try:
            self._f: Optional[IO[str]] = open(self.path, "w", encoding="utf-8", newline="\n")
        except OSError as e:
            raise ConfigurationError(f"cannot write the staging file {self.path}: {e.strerror or e}") from None

    @property
    def location(self) -> str:
        """The staging file."""
        return self.path

    def stage(self, record: Record) -> None:
        """Append the record (its proposals, when aggregating) as JSON lines."""
        assert self._f is not None
        self.status.scanned()
        items: Iterable[Record] = proposals_of(record, self.ctx.registry) if self.aggregate else [record]
        for r in items:
            self._f.write(json.dumps(record_to_obj(r), separators=(",", ":")) + "\n")

    def close(self) -> None:
        """Finish the file; aggregate it when asked."""
        if self._f is None:
            return
        self._f.close()
        self._f = None
        if self.aggregate:
            kept, dropped = aggregate_file(self.path, self.ctx)
            self.status.updated = kept
            for key in dropped[:1000]:
                self.status.filter(key, "superseded by a later write of the same aspect (aggregate)")
            if len(dropped) > 1000:
                self.status.filter("...", f"and {len(dropped) - 1000} more superseded records")


_SUPERSEDING = ("UPSERT", "UPDATE", "DELETE")


def aggregate_file(path: str, ctx: PipelineContext) -> Tuple[int, List[str]]:
    """Rewrite a staging file keeping, per (urn, versioned aspect), the last full write and what follows it.

    Returns (records kept, descriptions of the records dropped). Lines that are not proposals
    (unreadable, MCEs) are kept as they are.
    """
    last: Dict[Tuple[str, str], int] = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            key, change, ts = _line_key(line, ctx)
            if key is not None and not ts and change in _SUPERSEDING:
                last[key] = i
    tmp = path + ".tmp"
    kept, dropped = 0, []
    with open(path, encoding="utf-8") as src, open(tmp, "w", encoding="utf-8", newline="\n") as dst:
        for i, line in enumerate(src):
            key, change, ts = _line_key(line, ctx)
            if key is not None and not ts and i < last.get(key, -1):
                dropped.append(f"{path}#{i} {key[0]} {key[1]} {change}")
                continue
            dst.write(line)
            kept += 1
    os.replace(tmp, path)
    return kept, dropped


def _line_key(line: str, ctx: PipelineContext) -> Tuple[Optional[Tuple[str, str]], str, bool]:
    try:
        obj = std_loads(line)
    except ValueError:
        return None, "", False
    urn, aspect = obj.get("entityUrn"), obj.get("aspectName")
    if not isinstance(urn, str) or not isinstance(aspect, str):
        return None, "", False
    spec = ctx.registry.aspects.get(aspect)
    return (urn, aspect), str(obj.get("changeType")), bool(spec is not None and spec.timeseries)


class LitemetaBulkSink(BulkSink):
    """``litemeta-bulk``: ingest the staged file into the store in large transactions at the end."""

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        from litemeta.store import open_store

        c = read_config(self.config, {"db": (str, None), "batch_size": (int, 10000), "actor": (str, None)}, self.name)
        self.batch_size, self.actor = c["batch_size"], c["actor"]
        self.store = open_store(c["db"])

    def graph(self) -> Optional[AspectReader]:
        """Current values in the store."""
        return _store_reader(self.store)

    def run(self, staged: str) -> None:
        """Ingest the staged file; failures carry the staged record."""
        report = self.store.ingest([staged], dry_run=self.ctx.dry_run, batch_size=self.batch_size, actor=self.actor)
        self.status.scanned(report.records)
        wanted: Set[Any] = {e.get("index") for e in report.errors if e.get("file") == staged}
        records: Dict[Tuple[Any, Any], Any] = {}
        if wanted:
            with open(staged, encoding="utf-8") as f:
                for i, line in enumerate(f):
                    if i in wanted:
                        try:
                            records[(staged, i)] = std_loads(line)
                        except ValueError:
                            records[(staged, i)] = line.rstrip("\n")
        _report_into(self.status, report, records)
        if not self.ctx.dry_run:
            self.store.sync_followers()

    def close(self) -> None:
        """Close the store."""
        self.store.close()


__all__ = [
    "FileSource",
    "KafkaExportSource",
    "SqlAlchemySource",
    "DataHubLiteSource",
    "PythonSource",
    "LitemetaSink",
    "FileSink",
    "KafkaExportSink",
    "ConsoleSink",
    "FileStage",
    "LitemetaBulkSink",
    "aggregate_file",
]
