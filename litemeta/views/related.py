"""Related entities: one hop of DataHub's relationship graph, read from the current aspects (what
GMS's ``GraphService.findRelatedEntities`` answers for ``GET /openapi/relationships/v1/``).

    >>> from litemeta.store import open_store
    >>> import tempfile, os
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "doc.db"))
    >>> ds = "urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)"
    >>> _ = store.ingest([{"entityUrn": ds, "entityType": "dataset", "changeType": "UPSERT", "aspectName": "globalTags",
    ...                    "aspect": {"json": {"tags": [{"tag": "urn:li:tag:pii"}]}}}])
    >>> [r.as_dict() for r in related_entities(store, "urn:li:tag:pii", ["TaggedWith"], INCOMING)]
    [{'urn': 'urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)', 'relationshipType': 'TaggedWith'}]
    >>> store.close()

An edge is what DataHub's graph index holds (R8.12): the registry's ``Relationship`` annotations
plus the hand-made fine-grained lineage and ``inputFields`` edges of ``GraphIndexUtils``, built by
:func:`litemeta.core.changes_relationships.graph_edges`, so the graph and the relationship change
events cannot disagree. OUTGOING edges of an entity come from its own aspects (a schemaField's come
from whichever entity declares them, so those are scanned); INCOMING edges come from one scan of
the aspects that can declare the asked-for types. As GMS's graph does by default
(``ESGraphQueryDAO.applyExcludeSoftDelete``), an edge whose source, destination or via entity is
soft-deleted (``status.removed``, R4.4) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from litemeta.core.changes_relationships import aspects_with_relationships, graph_edges

INCOMING = "INCOMING"
OUTGOING = "OUTGOING"
DIRECTIONS = (INCOMING, OUTGOING)

_SCHEMA_FIELD = "urn:li:schemaField:"


@dataclass(frozen=True)
class Related:
    """An entity one edge away: ``urn`` (the destination of an OUTGOING edge, the source of an
    INCOMING one), the edge's type and its ``via`` (a query or dataJob urn), if any."""

    urn: str
    relationship_type: str
    via: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        """GMS's ``RelatedEntity`` JSON: ``{urn, relationshipType, via?}``."""
        out: Dict[str, Any] = {"urn": self.urn, "relationshipType": self.relationship_type}
        if self.via:
            out["via"] = self.via
        return out


def related_entities(
    store: Any, urn: str, relationship_types: Sequence[str], direction: str, registry: Any = None
) -> List[Related]:
    """Entities one edge of these types away from ``urn`` in ``direction``, sorted by (type, urn,
    via) so that pages are stable; an unknown type matches nothing."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be INCOMING or OUTGOING, found {direction!r}")
    reg = registry or store.registry
    wanted = set(relationship_types)
    names = list(aspects_with_relationships(reg, wanted))
    if not names:
        return []
    rows: Iterable[Tuple[str, str, Any]]
    if direction == OUTGOING and not urn.startswith(_SCHEMA_FIELD):
        rows = ((urn, name, value) for name, value in store.get(urn, names).items())
    else:
        rows = ((r.urn, r.aspect, r.value) for r in store.scan(names))
    out = direction == OUTGOING
    edges = list(
        dict.fromkeys(
            e
            for u, a, v in rows
            for e in graph_edges(u, a, v, reg)
            if e[2] in wanted and (e[0] if out else e[1]) == urn
        )
    )
    removed = _removed(store, {x for e in edges for x in (e[0], e[1], e[3]) if x})
    found = {Related(e[1] if out else e[0], e[2], e[3]) for e in edges if not ({e[0], e[1], e[3]} & removed)}
    return sorted(found, key=lambda r: (r.relationship_type, r.urn, r.via or ""))


def _removed(store: Any, urns: Iterable[str]) -> Set[Optional[str]]:
    """The soft-deleted ones among these urns (one read of their ``status``)."""
    statuses = store.latest_many(sorted(urns), ["status"])
    return {
        u
        for u, aspects in statuses.items()
        if isinstance(aspects.get("status"), dict) and aspects["status"].get("removed")
    }
