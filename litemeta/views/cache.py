"""Read-side views kept beside a SQLite store while its change log has not moved.

Some views need every row of a kind (the lineage graph needs every lineage aspect: downstream
edges are declared by the other entities; ``ls`` of a type needs every entity's platform and
browse path). On a large store that is a scan per command. :func:`cached` keeps such a view in
``<db>.cache/<name>.json`` with the change log's position when it was built, and reuses it while
the position is the same.

Every committed aspect change appends a MetadataChangeLog in the same transaction (writes,
patches, deletes, rollbacks), so the log's last batch (its last offset and a digest of its index:
:meth:`litemeta.storage.sqlite_reads.SqliteReader.log_mark`) changes with any change to the
current aspects; a view of aspect values that was built at the same position is current. Like the
search index the folder is a cache a read may write, never required: where it cannot be written
the view is built each time; a damaged file is rebuilt. ``nuke`` deletes it.

A view of ``systemMetadata`` (the runs) also follows the MetadataChangeProposal topic: a no-op
write refreshes a row's run id without an MCL, but every accepted proposal is journaled there
(design.md choice 5).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Sequence, TypeVar

CACHE_SUFFIX = ".cache"  # the folder beside the store file
_FORMAT = 1

T = TypeVar("T")


def same(value: Any) -> Any:
    """The identity: the ``encode``/``decode`` of a view that is JSON already."""
    return value


def cached(
    store: Any,
    name: str,
    build: Callable[[], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
    topics: Sequence[str] = ("mcl",),
) -> T:
    """``build()``, kept as ``encode(value)`` (JSON) in ``<db>.cache/<name>.json`` and read back with
    ``decode`` while the ``topics`` (default: the change log) have not moved. A store without
    ``log_mark`` (another database, the full store) just builds."""
    if not hasattr(store, "log_mark"):
        return build()
    from litemeta.model.jsontext import dumps, loads

    mark = [list(store.log_mark(t)) for t in topics]
    folder = store.location + CACHE_SUFFIX
    path = os.path.join(folder, name + ".json")
    try:
        with open(path, "rb") as f:
            data = loads(f.read())
        if data.get("format") == _FORMAT and data.get("mark") == mark:
            return decode(data["value"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        pass  # no cache, another position's, or unreadable: rebuild it
    value = build()
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(dumps({"format": _FORMAT, "mark": mark, "value": encode(value)}))
        os.replace(tmp, path)  # whole or not at all, for readers running at the same time
    except OSError:
        pass  # a read-only folder: no cache
    return value
