"""Topic exports as input: the proposals of an exported ``MetadataChangeProposal_v1`` topic.

    >>> from litemeta.sources.files import input_kind
    >>> input_kind("export/")            # doctest: +SKIP
    'topic-export'

The MCP topic is the journal of every accepted proposal (design.md choice 5), so ingesting it, in
offset order, into a fresh store rebuilds the same aspects and versions. The other topics of an
export (change logs, platform events, failures) are derived data and are not read.

An export in any of the three formats is recognised (:func:`sniff_export`): a folder holding
``<topic>-<partition>/`` segment folders, ``<topic>.avro`` or ``<topic>.jsonl`` files of a DataHub
topic; a ``.log`` segment in a ``<topic>-<partition>`` folder; a ``.avro`` file; a ``.jsonl`` file
named after a topic or whose first line is a topic record (``topic``, ``partition``, ``offset``,
``value``). Proposals carry ``Origin(<path>, <offset in the topic>)``; an unreadable part of the
export comes as :class:`InputError` naming the topic, partition and offset, and reading goes on.

:mod:`litemeta.sources.files` asks :func:`sniff_kind` about every path and reads exports with
:func:`read_export_records`. Sniffing is cheap; the reader of the export layouts
(:mod:`litemeta.formats.export_layout`, with the Avro and Kafka-log codecs) is imported only when
a path is an export, so a plain JSON ingest does not pay for it at start-up (about 50 ms).
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Optional, Union

from litemeta.errors import InputError, LitemetaError, ValidationError
from litemeta.model.codec import Record, proposal_from_mcp_value
from litemeta.model.events import MCP_TOPIC, TOPICS, TopicRecord
from litemeta.model.jsontext import std_loads
from litemeta.model.proposal import Origin

EXPORT_KIND = "topic-export"
Item = Union[Record, InputError, ValidationError]


def sniff_kind(path: str) -> Optional[str]:
    """:data:`EXPORT_KIND` when ``path`` is a topic export, else None (a sniffer of :mod:`litemeta.sources.files`)."""
    return EXPORT_KIND if sniff_export(path) else None


def _topic_of_partition_dir(name: str) -> Optional[str]:
    topic, sep, part = name.rpartition("-")
    return topic if sep and part.isdigit() and topic in TOPICS else None


def sniff_export(path: str) -> bool:
    """True when ``path`` is a topic export (a folder, a segment, an Avro file or a topic JSON Lines file)."""
    if path == "-" or not os.path.exists(path):
        return False
    if os.path.isdir(path):
        if _topic_of_partition_dir(os.path.basename(os.path.normpath(path))):
            return True
        try:
            names = os.listdir(path)
        except OSError:
            return False
        for name in names:
            full = os.path.join(path, name)
            if _topic_of_partition_dir(name) and os.path.isdir(full):
                return True
            stem, ext = os.path.splitext(name)
            if ext in (".avro", ".jsonl") and stem in TOPICS:
                return True
        return False
    name = os.path.basename(path)
    stem, ext = os.path.splitext(name)
    if ext == ".log":
        return _topic_of_partition_dir(os.path.basename(os.path.dirname(os.path.abspath(path)))) is not None
    if ext == ".avro":
        return True
    if ext == ".jsonl":
        return stem in TOPICS or _first_line_is_topic_record(path)
    return False


def _first_line_is_topic_record(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            line = f.readline(1 << 20)
        obj = std_loads(line)
    except (OSError, ValueError):
        return False
    return (
        isinstance(obj, dict) and {"topic", "partition", "offset", "value"} <= obj.keys() and obj.get("topic") in TOPICS
    )


def _has_mcp_topic(path: str) -> bool:
    if os.path.isfile(path):
        return True  # a single file: whatever it holds is filtered by topic below
    base = os.path.basename(os.path.normpath(path))
    if _topic_of_partition_dir(base):
        return _topic_of_partition_dir(base) == MCP_TOPIC
    names = os.listdir(path)
    return any(
        n in (f"{MCP_TOPIC}.avro", f"{MCP_TOPIC}.jsonl") or _topic_of_partition_dir(n) == MCP_TOPIC for n in names
    ) or any(n.endswith(".jsonl") for n in names)


def read_export_records(path: str) -> Iterator[Item]:
    """Proposals of the ``MetadataChangeProposal_v1`` topic of an export, in offset order.

    Unreadable parts (bad CRC, truncated batch, undecodable value, bad JSON line) come as
    :class:`InputError` with ``position="topic T partition P offset O"``; records that are not
    valid proposals as :class:`ValidationError`.
    """
    from litemeta.formats.export_layout import read_export  # the codecs: only for exports

    try:
        if not _has_mcp_topic(path):
            yield InputError(
                f"this export holds no {MCP_TOPIC} topic: ingest reads the proposals of an "
                f"export (export it with --topic mcp)",
                file=path,
            )
            return
        for item in read_export(path, [MCP_TOPIC]):
            if isinstance(item, TopicRecord):
                try:
                    yield proposal_from_mcp_value(dict(item.value), Origin(path, item.offset))
                except ValidationError as e:
                    yield e
            else:  # a CorruptionReport: where and why
                yield InputError(item.reason, file=item.file, position=_where(item))
    except (LitemetaError, OSError) as e:
        yield InputError(f"cannot read the export: {e}", file=path)


def _where(report: Any) -> str:
    parts = []
    if report.topic is not None:
        parts.append(f"topic {report.topic}")
    if report.partition is not None:
        parts.append(f"partition {report.partition}")
    if report.base_offset is not None:
        parts.append(f"offset {report.base_offset}")
    if report.position is not None and report.position >= 0:
        parts.append(f"byte {report.position}")
    return ", ".join(parts)
