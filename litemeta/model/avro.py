"""DataHub's Avro schemas: topic values as Avro (binary and container files), Confluent framing.

    >>> decode_event("mcp", encode_event("mcp", {"entityType": "dataset", "changeType": "DELETE",
    ...     "entityUrn": "urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)", "aspectName": "status"}))["changeType"]
    'DELETE'
    >>> frame(7, b"body")
    b'\\x00\\x00\\x00\\x00\\x07body'

This is the only module that imports fastavro; it does so inside the functions that need it.
The pure parts live beside it and are importable from here too (their historical path):
:mod:`litemeta.model.pegasus` (schemas, the Pegasus JSON / Avro JSON / datum mapping) and
:mod:`litemeta.model.pegasus_validation` (:func:`validate_aspect`, :func:`aspect_validator`).
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import IO, Any, Dict, Iterable, Iterator, Optional, Tuple

from litemeta.errors import ExportError
from litemeta.model.events import TOPIC_SCHEMAS, resolve_topic
from litemeta.model.pegasus import (
    AVRO_PREFIX,
    DISCRIMINATOR,
    PEGASUS_PREFIX,
    avro_to_pegasus,
    datum_to_event,
    datum_to_value,
    event_to_datum,
    pegasus_name,
    pegasus_to_avro,
    schema_json,
    schema_text,
    topic_schema,
)
from litemeta.model.pegasus_validation import aspect_validator, validate_aspect

__all__ = [
    "AVRO_PREFIX",
    "DISCRIMINATOR",
    "PEGASUS_PREFIX",
    "TOPIC_METADATA_KEY",
    "aspect_validator",
    "avro_to_pegasus",
    "datum_to_event",
    "decode_event",
    "encode_event",
    "event_to_datum",
    "frame",
    "parsed_schema",
    "pegasus_name",
    "pegasus_to_avro",
    "read_container",
    "schema_json",
    "schema_text",
    "unframe",
    "validate_aspect",
    "write_container",
]

TOPIC_METADATA_KEY = "litemeta.topic"


@lru_cache(maxsize=None)
def parsed_schema(schema_name: str) -> Any:
    """The schema parsed by fastavro (cached; named types are defined inside each file)."""
    import fastavro

    return fastavro.parse_schema(schema_json(schema_name))


def encode_event(topic: str, value: Any) -> bytes:
    """Schemaless Avro binary of a topic value (the body of a Kafka message, without framing)."""
    import io

    import fastavro

    out = io.BytesIO()
    try:
        fastavro.schemaless_writer(out, parsed_schema(topic_schema(topic)), event_to_datum(topic, value))
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise ExportError(f"cannot encode a {topic} value as Avro: {e}") from e
    return out.getvalue()


def decode_event(topic: str, body: bytes) -> Dict[str, Any]:
    """Inverse of :func:`encode_event`."""
    import io

    import fastavro

    schema = parsed_schema(topic_schema(topic))
    try:
        datum = fastavro.schemaless_reader(
            io.BytesIO(body), schema, return_record_name=True, return_record_name_override=True
        )
    except (EOFError, ValueError, TypeError, IndexError) as e:
        raise ExportError(f"cannot decode a {topic} value from Avro: {e}") from e
    return datum_to_event(topic, datum)


def frame(schema_id: int, body: bytes) -> bytes:
    """Confluent wire format: byte 0x00, the schema id as 4 bytes big-endian, the Avro body."""
    try:
        return b"\x00" + struct.pack(">I", schema_id) + body
    except struct.error:
        raise ExportError(f"schema id must fit 4 unsigned bytes, got {schema_id!r}") from None


def unframe(data: bytes) -> Tuple[int, bytes]:
    """(schema id, Avro body) of a Confluent-framed value; :class:`ExportError` on a bad header."""
    if len(data) < 5:
        raise ExportError(f"Confluent-framed value too short: {len(data)} bytes (need at least 5)")
    if data[0] != 0:
        raise ExportError(f"bad magic byte {data[0]:#04x} in Confluent-framed value (expected 0x00)")
    (schema_id,) = struct.unpack(">I", data[1:5])
    return schema_id, bytes(data[5:])


def write_container(fileobj: IO[bytes], topic: str, values: Iterable[Any], codec: str = "null") -> int:
    """Write topic values as an Avro object container file (topic name in the file metadata).

    Returns the number of records written.
    """
    import fastavro

    topic = resolve_topic(topic)
    count = 0

    def datums() -> Iterator[Dict[str, Any]]:
        nonlocal count
        for v in values:
            count += 1
            yield event_to_datum(topic, v)

    try:
        fastavro.writer(
            fileobj, parsed_schema(topic_schema(topic)), datums(), codec=codec, metadata={TOPIC_METADATA_KEY: topic}
        )
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise ExportError(f"cannot write {topic} record {count - 1} to an Avro container: {e}") from e
    return count


def read_container(fileobj: IO[bytes]) -> Iterator[Tuple[Optional[str], Dict[str, Any]]]:
    """(topic or None, value) for each record of an Avro container file written by any writer.

    The schema is the file's writer schema; its record name selects the conversion.
    """
    import fastavro

    try:
        reader = fastavro.reader(fileobj, return_record_name=True, return_record_name_override=True)
    except (ValueError, EOFError) as e:
        raise ExportError(f"not an Avro container file: {e}") from e
    topic = reader.metadata.get(TOPIC_METADATA_KEY)
    if topic is not None:
        schema = topic_schema(topic)
    else:
        name = reader.writer_schema.get("name", "") if isinstance(reader.writer_schema, dict) else ""
        schema = name.rsplit(".", 1)[-1]
        if schema not in TOPIC_SCHEMAS.values():
            raise ExportError(f"Avro container holds {name or 'unknown'} records, not a topic's values")
    for datum in reader:
        yield topic, datum_to_value(schema, datum)
