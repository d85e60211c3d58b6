"""The tables of a store (SQLAlchemy Core): DataHub's ``metadata_aspect_v2`` (R1.1), the timeseries
rows, the topic log as record batches, consumer offsets, settings and the schema version.

    >>> from litemeta.storage.tables import aspects
    >>> aspects.name
    'metadata_aspect_v2'

Definitions only: :mod:`litemeta.storage.db` creates them, :mod:`litemeta.storage.migrations`
upgrades an older store, the other storage modules read and write them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = 2  # 1: one topic_log row per record; 2: record batches

metadata = MetaData()

# DataHub's own table (R1.1): version 0 is the latest value, 1..N the archive.
aspects = Table(
    "metadata_aspect_v2",
    metadata,
    Column("urn", String(500), nullable=False),
    Column("aspect", String(200), nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("metadata", Text, nullable=False),
    Column("systemmetadata", Text),
    Column("createdon", DateTime, nullable=False),
    Column("createdby", String(255), nullable=False),
    Column("createdfor", String(255)),
    PrimaryKeyConstraint("urn", "aspect", "version", name="pk_metadata_aspect_v2"),
)
Index("timeIndex", aspects.c.createdon)

# Timeseries aspects, keyed like DataHub's Elasticsearch document id (R1.40).
timeseries = Table(
    "metadata_timeseries",
    metadata,
    Column("aspect", String(200), nullable=False),
    Column("docid", String(64), nullable=False),
    Column("urn", String(500), nullable=False),
    Column("timestampmillis", BigInteger, nullable=False),
    Column("eventgranularity", Text),
    Column("partitionspec", Text),
    Column("messageid", Text),
    Column("metadata", Text, nullable=False),
    Column("systemmetadata", Text),
    Column("createdon", DateTime, nullable=False),
    PrimaryKeyConstraint("aspect", "docid", name="pk_metadata_timeseries"),
)
Index("ix_timeseries_urn", timeseries.c.urn, timeseries.c.aspect, timeseries.c.timestampmillis)

# The topic log, stored as record batches (as Kafka does): one row holds the records
# ``offset .. last_offset`` of a topic-partition (offsets contiguous per topic-partition).
# ``records`` is the batch's index, a JSON array of ``[timestamp, key, value length, headers]``
# per record; ``value`` is the records' stored values, concatenated, in UTF-8, compressed when
# ``codec`` says so (0: none, 1: zlib), as Kafka's batch attributes do (see storage/log.py).
topic_log = Table(
    "topic_log",
    metadata,
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    Column("last_offset", BigInteger, nullable=False),
    Column("records", Text, nullable=False),
    Column("codec", Integer, nullable=False),
    Column("value", LargeBinary, nullable=False),
    PrimaryKeyConstraint("topic", "partition", "offset", name="pk_topic_log"),
)

# Committed offsets of consumer groups (followers, subscriptions, exports).
consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("group_id", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("partition", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    PrimaryKeyConstraint("group_id", "topic", "partition", name="pk_consumer_offsets"),
)

# Store-level settings (retention...) and the schema version, for future migrations.
# ``store_id`` (a random id written when the store is created, or first opened for writing by a
# litemeta that has ids) names the store: the search index records it (followers/search/).
STORE_ID = "store_id"
store_settings = Table(
    "litemeta_settings", metadata, Column("name", String(100), primary_key=True), Column("value", Text, nullable=False)
)
schema_version = Table(
    "litemeta_schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", BigInteger, nullable=False),
)
