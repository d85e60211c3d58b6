"""Lineage edges: what the stored lineage aspects declare, read from the registry (pure); the graph
and its walks are in :mod:`litemeta.views.graph`.

    >>> from litemeta.model.registry import load_registry
    >>> a, b = "urn:li:dataset:(urn:li:dataPlatform:hive,a,PROD)", "urn:li:dataset:(urn:li:dataPlatform:hive,b,PROD)"
    >>> entity, fields = aspect_edges(b, "upstreamLineage", {"upstreams": [{"dataset": a, "type": "TRANSFORMED"}]},
    ...                               load_registry())
    >>> [(e.upstream == a, e.downstream == b, e.relationship) for e in entity], fields
    ([(True, True, 'DownstreamOf')], [])

What makes an edge (DataHub's ``LineageRegistry``, read from the registry, not hard-coded): every
``@Relationship`` annotation with ``isLineage: true``. The annotated entity consumes the
destination (destination upstream) unless the annotation says ``isUpstream: false`` (destination
downstream, as for ``dataJobInputOutput.outputDatasets`` ``Produces``). That covers
``upstreamLineage``, ``dataJobInputOutput``, ``chartInfo.inputs/inputEdges``,
``dashboardInfo.charts/chartEdges/datasets/datasetEdges/dashboards`` and the other lineage aspects.
Field-level edges (``--column``) come from ``fineGrainedLineages`` of ``upstreamLineage`` and
``dataJobInputOutput`` (schemaField to schemaField, stopping at the first incomplete entry as
DataHub's ``GraphIndexUtils.updateFineGrainedEdgesAndRelationships`` does) and from the
``inputFields`` aspect (upstream field to the chart's own field, as ``GraphIndexUtils`` builds
them; litemeta also adds the entity-level edge from the field's dataset to the chart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from litemeta.errors import InvalidUrnError
from litemeta.model.registry import Registry
from litemeta.model.urns import parse_urn

FINE_GRAINED_ASPECTS = ("upstreamLineage", "dataJobInputOutput")
INPUT_FIELDS = "inputFields"


@dataclass(frozen=True)
class Edge:
    """A lineage edge: data flows from ``upstream`` to ``downstream``, declared by ``aspect``."""

    upstream: str
    downstream: str
    aspect: str
    relationship: str
    via: Optional[str] = None

    def as_dict(self) -> Dict[str, Any]:
        """JSON form."""
        d = {
            "upstream": self.upstream,
            "downstream": self.downstream,
            "aspect": self.aspect,
            "relationship": self.relationship,
        }
        if self.via:
            d["via"] = self.via
        return d


def lineage_aspects(registry: Registry) -> Tuple[str, ...]:
    """Names of the aspects that carry lineage: ``isLineage`` relationships, plus ``inputFields``."""
    names = {n for n, s in registry.aspects.items() if any(a.get("isLineage") for a in s.relationships.values())}
    names.update(FINE_GRAINED_ASPECTS)
    if INPUT_FIELDS in registry.aspects:
        names.add(INPUT_FIELDS)
    return tuple(sorted(names))


def _extract(value: Any, path: str) -> List[Any]:
    """Values at a registry path (``/a/*/b``); a ``/*/string`` step also accepts bare strings
    (a Pegasus union branch such as ``chartInfo.inputs`` may be written either way)."""
    current = [value]
    steps = [s for s in path.strip("/").split("/") if s]
    for i, step in enumerate(steps):
        nxt: List[Any] = []
        for v in current:
            if step == "*":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            elif isinstance(v, dict):
                if step in v:
                    nxt.append(v[step])
            elif isinstance(v, str) and step == "string" and i == len(steps) - 1:
                nxt.append(v)
        current = nxt
    return [v for v in current if isinstance(v, str) and v]


def schema_field_parts(urn: str) -> Optional[Tuple[str, str]]:
    """``(parent urn, field path)`` of a schemaField urn, or None for any other urn."""
    if not urn.startswith("urn:li:schemaField:"):
        return None
    try:
        parts = parse_urn(urn).parts
    except InvalidUrnError:
        return None
    return (parts[0], ",".join(parts[1:])) if len(parts) >= 2 else None


def schema_field_urn(parent: str, field_path: str) -> str:
    """DataHub's schemaField urn of a field of ``parent``."""
    return f"urn:li:schemaField:({parent},{field_path})"


def aspect_edges(urn: str, aspect_name: str, value: Any, registry: Registry) -> Tuple[List[Edge], List[Edge]]:
    """``(entity edges, field edges)`` declared by one aspect value of ``urn`` (pure)."""
    if not isinstance(value, dict):
        return [], []
    entity: List[Edge] = []
    fields: List[Edge] = []
    spec = registry.aspects.get(aspect_name)
    if spec is not None:
        for path, ann in spec.relationships.items():
            if not ann.get("isLineage"):
                continue
            dests = _extract(value, path)
            via_path = ann.get("via")
            vias = _extract(value, "/" + via_path) if via_path else []
            for i, dest in enumerate(dests):
                via = vias[i] if via_path and len(vias) == len(dests) else None
                if ann.get("isUpstream", True):
                    entity.append(Edge(dest, urn, aspect_name, ann["name"], via))
                else:
                    entity.append(Edge(urn, dest, aspect_name, ann["name"], via))
    if aspect_name in FINE_GRAINED_ASPECTS:
        for fgl in value.get("fineGrainedLineages") or []:
            ups, downs = fgl.get("upstreams") or [], fgl.get("downstreams") or []
            if not ups or not downs:
                break  # GraphIndexUtils stops at the first incomplete fine-grained lineage
            via = urn if aspect_name == "dataJobInputOutput" else fgl.get("query")
            fields += [
                Edge(u, d, aspect_name, "DownstreamOf", via)
                for d in downs
                for u in ups
                if schema_field_parts(u) and schema_field_parts(d)
            ]
    elif aspect_name == INPUT_FIELDS:
        for f in value.get("fields") or []:
            up = f.get("schemaFieldUrn")
            fp = (f.get("schemaField") or {}).get("fieldPath")
            parent = schema_field_parts(up) if isinstance(up, str) else None
            if parent is None:
                continue
            entity.append(Edge(parent[0], urn, aspect_name, "consumesField"))
            if fp:
                fields.append(Edge(up, schema_field_urn(urn, fp), aspect_name, "DownstreamOf"))
    return list(dict.fromkeys(entity)), list(dict.fromkeys(fields))
