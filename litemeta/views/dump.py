"""Dump a store as DataHub file-sink JSON: ``datahub ingest`` (``file`` source) or ``litemeta ingest`` reads it back.

    >>> from litemeta.store import open_store                                # doctest: +SKIP
    >>> with open_store("litemeta.db", read_only=True) as store:             # doctest: +SKIP
    ...     dump_file(store, "backup.json", all_versions=True)

What is written (litemeta's choices, documented in the README):

- **Current state** (default): for every entity, one UPSERT per stored aspect with its stored
  ``systemMetadata`` (run id, ``lastObserved``), entities in urn order, aspects by name.
  Soft-deleted entities are included (their ``status`` says ``removed``).
- **All versions** (``all_versions=True``): every stored version of every aspect as an UPSERT,
  oldest first, in the order they were written (``createdon``; ties: urn, aspect, then archived
  versions 1..N before the current row 0). Re-ingesting the file into an empty store rebuilds the
  same versions, and, as litemeta takes a proposal's ``systemMetadata.lastObserved`` as its audit
  time (design.md choice 6), the same ``createdon`` times. The history is sorted in memory.
  Retention (20 versions by default) and aspect deletes bound what history there is.
- **Key aspects** are left out (DataHub drops a client's key aspect and rebuilds it from the urn,
  R1.22) unless an entity has nothing else, so that it still exists after re-ingestion.
- **Timeseries aspects** are included in both modes: every stored value, oldest timestamp first,
  as an UPSERT, after the versioned aspects (their stored systemMetadata is not kept: re-ingestion
  stamps them anew). ``timeseries=False`` leaves them out.

The file is written by :func:`litemeta.model.codec.write_metadata_file`, streaming, byte for byte as
the SDK's ``write_metadata_file`` would write the same records.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from itertools import groupby
from typing import IO, Any, Generator, Iterator, List, Optional, Tuple, Union

from litemeta.model.codec import write_metadata_file
from litemeta.model.proposal import UPSERT, Proposal
from litemeta.model.registry import Registry
from litemeta.model.urns import entity_type_of


@dataclass(frozen=True)
class DumpReport:
    """What a dump wrote."""

    records: int
    entities: int
    versioned: int
    timeseries: int


def _versioned_names(registry: Registry, entity_type: Optional[str]) -> List[str]:
    names = registry.entity(entity_type).aspects if entity_type else tuple(registry.aspects)
    return sorted(n for n in names if n in registry.aspects and not registry.aspects[n].timeseries)


def _timeseries_names(registry: Registry, entity_type: str) -> List[str]:
    if entity_type not in registry.entities:
        return []
    return [n for n in registry.entity(entity_type).aspects if n in registry.aspects and registry.aspects[n].timeseries]


def _key_aspect(registry: Registry, urn: str) -> Optional[str]:
    et = entity_type_of(urn)
    return registry.entities[et].key_aspect if et in registry.entities else None


def _proposal(urn: str, aspect: str, value: Any, system_metadata: Any = None) -> Proposal:
    return Proposal(
        entity_urn=urn,
        aspect_name=aspect,
        change_type=UPSERT,
        aspect=value,
        system_metadata=dict(system_metadata) if system_metadata else None,
    )


class _Counter:
    def __init__(self) -> None:
        self.entities = self.versioned = self.timeseries = 0


def _current(
    store: Any, registry: Registry, entity_type: Optional[str], urns: List[str], counter: _Counter
) -> Iterator[Proposal]:
    rows = store.scan(_versioned_names(registry, entity_type))
    for urn, group in groupby(rows, key=lambda r: r.urn):
        if entity_type and entity_type_of(urn) != entity_type:
            continue
        items = list(group)
        key = _key_aspect(registry, urn)
        keep = [r for r in items if r.aspect != key] or items
        urns.append(urn)
        counter.entities += 1
        for r in keep:
            counter.versioned += 1
            yield _proposal(r.urn, r.aspect, r.value, r.system_metadata)


def _history(
    store: Any, registry: Registry, entity_type: Optional[str], urns: List[str], counter: _Counter
) -> Iterator[Proposal]:
    pairs: List[Tuple[str, str]] = []
    for urn, group in groupby(store.scan(_versioned_names(registry, entity_type)), key=lambda r: r.urn):
        if entity_type and entity_type_of(urn) != entity_type:
            continue
        names = [r.aspect for r in group]
        key = _key_aspect(registry, urn)
        keep = [n for n in names if n != key] or names
        urns.append(urn)
        counter.entities += 1
        pairs.extend((urn, n) for n in keep)
    rows: List[Tuple[int, str, str, int, Any]] = []
    for urn, name in pairs:
        history = store.history(urn, name)
        rows.extend((r.created_on, urn, name, i, r) for i, r in enumerate(history))
    rows.sort(key=lambda t: t[:4])
    for *_, r in rows:
        counter.versioned += 1
        yield _proposal(r.urn, r.aspect, r.value, r.system_metadata)


def dump_proposals(
    store: Any,
    *,
    all_versions: bool = False,
    entity_type: Optional[str] = None,
    timeseries: bool = True,
    report: Optional[List[DumpReport]] = None,
) -> Generator[Proposal, None, None]:
    """The UPSERT proposals of a dump (see the module docstring), streamed.

    ``entity_type`` keeps one entity type (unknown types raise ``UnknownEntityError``). When
    ``report`` is a list, a :class:`DumpReport` is appended to it once the stream is exhausted.
    """
    registry: Registry = store.registry
    if entity_type:
        registry.entity(entity_type)  # raises UnknownEntityError naming the known types
    urns: List[str] = []
    counter = _Counter()
    source = _history if all_versions else _current
    yield from source(store, registry, entity_type, urns, counter)
    if timeseries:
        for urn in urns:
            for name in _timeseries_names(registry, entity_type_of(urn)):
                for value in reversed(store.timeseries(urn, name)):
                    counter.timeseries += 1
                    yield _proposal(urn, name, value)
    if report is not None:
        report.append(
            DumpReport(counter.versioned + counter.timeseries, counter.entities, counter.versioned, counter.timeseries)
        )


def dump_file(
    store: Any,
    path_or_stream: Union[str, "os.PathLike[str]", IO[Any]],
    *,
    all_versions: bool = False,
    entity_type: Optional[str] = None,
    timeseries: bool = True,
) -> DumpReport:
    """Write a dump to a path or an open stream; return what was written."""
    out: List[DumpReport] = []
    proposals = dump_proposals(
        store, all_versions=all_versions, entity_type=entity_type, timeseries=timeseries, report=out
    )
    try:
        write_metadata_file(path_or_stream, proposals)
    finally:
        proposals.close()  # a failed write (a full disk) ends the store's reads now, while it is open
    return out[0]


__all__ = ["DumpReport", "dump_file", "dump_proposals"]
