"""Search straight from the index folder when it is current (a whole-process ``litemeta search``).

The follower (:mod:`litemeta.followers.indexer`) records the next MCL offset it will index in
the index folder. When that equals the log's end, the index is current and a search needs no
catch-up, hence neither SQLAlchemy nor the store: the end offset is read with the standard
library (:mod:`litemeta.storage.sqlite_reads`). Otherwise the caller goes through the store,
which catches up first.
"""
from __future__ import annotations

import json
import os
from typing import Optional

from litemeta.errors import StorageError
from litemeta.followers.search import SearchIndex
from litemeta.model.events import MCL_VERSIONED_TOPIC
from litemeta.model.registry import Registry
from litemeta.storage.sqlite_reads import topic_end

OFFSET_FILE = "litemeta-offset.json"


def read_offset(directory: str) -> int:
    """The follower's committed next offset (0 when the index is new or the file unreadable)."""
    try:
        with open(os.path.join(directory, OFFSET_FILE), encoding="utf-8") as f:
            return int(json.load(f).get(MCL_VERSIONED_TOPIC, 0))
    except (OSError, ValueError, AttributeError):
        return 0


def current_index(db_file: str, directory: str, registry: Registry) -> Optional[SearchIndex]:
    """The index beside a SQLite store if it has indexed the whole log, else None."""
    if not os.path.isdir(directory):
        return None
    done = read_offset(directory)
    if done == 0 or done != topic_end(db_file, MCL_VERSIONED_TOPIC):
        return None
    try:
        ix = SearchIndex.open(directory, registry, create=False)
    except StorageError:
        return None
    if ix.schema_changed:
        ix.close()
        return None
    return ix
