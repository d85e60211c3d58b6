"""Shared pieces of the entity change event generators (see :mod:`litemeta.core.changes`).

An event here is a *raw* change event, DataHub's ``timeline.data.ChangeEvent``: a dict with
``entityUrn, category, operation, modifier, parameters`` plus the internal key ``_semver`` (the
generator's ``SemanticChangeType``, kept only for :func:`litemeta.core.changes.semantic_change`
and stripped when the EntityChangeEvent payload is built).

The tag and glossary-term differs are DataHub's ``GlobalTagsChangeEventGenerator.computeDiffs``
and ``GlossaryTermsChangeEventGenerator.computeDiffs``: both sides sorted by urn string (a
stable sort, null treated as empty), then a sorted merge; a tag only on the old side is a REMOVE,
only on the new side an ADD, in merge order. Attribution or context changes alone give nothing.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

Event = Dict[str, Any]

# SemanticChangeType, in DataHub's enum order (NONE < PATCH < MINOR < MAJOR < EXCEPTIONAL).
SEMVER_ORDER = ("NONE", "PATCH", "MINOR", "MAJOR", "EXCEPTIONAL")


def raw_event(
    entity_urn: str,
    category: str,
    operation: str,
    modifier: Optional[str] = None,
    parameters: Optional[Dict[str, Any]] = None,
    semver: Optional[str] = None,
) -> Event:
    """A raw change event (DataHub's ``ChangeEvent`` builder, without the description text)."""
    return {
        "entityUrn": entity_urn,
        "category": category,
        "operation": operation,
        "modifier": modifier,
        "parameters": parameters,
        "_semver": semver,
    }


def schema_field_urn(parent_urn: str, field_path: str) -> str:
    """``SchemaFieldUtils.generateSchemaFieldUrn``: ``(``, ``)`` and ``,`` in the path are %-encoded."""
    encoded = field_path.replace("(", "%28").replace(")", "%29").replace(",", "%2C")
    return f"urn:li:schemaField:({parent_urn},{encoded})"


def event_stamp(audit_stamp: Mapping[str, Any]) -> Dict[str, Any]:
    """The ``auditStamp`` a change event carries: the MCL's ``created`` (actor, time, impersonator when set)."""
    out = {"actor": audit_stamp["actor"], "time": audit_stamp["time"]}
    if audit_stamp.get("impersonator") is not None:
        out["impersonator"] = audit_stamp["impersonator"]
    return out


def _items(aspect: Optional[Mapping[str, Any]], field: str) -> List[Mapping[str, Any]]:
    if not aspect:
        return []
    return aspect.get(field) or []


def _source_details(association: Mapping[str, Any]) -> str:
    # ChangeEventParameterUtils.serializeSourceDetail: "{}" without attribution, else the
    # attribution's sourceDetail map as compact JSON.
    attribution = association.get("attribution")
    if not attribution:
        return "{}"
    return json.dumps(attribution.get("sourceDetail") or {}, separators=(",", ":"), sort_keys=True)


def _merge(base: List[Mapping[str, Any]], target: List[Mapping[str, Any]], key: str) -> List[tuple]:
    """Sorted merge of two association lists by ``key``: [(op, association)] in DataHub's order."""
    base = sorted(base, key=lambda a: a[key])
    target = sorted(target, key=lambda a: a[key])
    out: List[tuple] = []
    i = j = 0
    while i < len(base) and j < len(target):
        b, t = base[i][key], target[j][key]
        if b == t:
            i += 1
            j += 1
        elif b < t:
            out.append(("REMOVE", base[i]))
            i += 1
        else:
            out.append(("ADD", target[j]))
            j += 1
    out.extend(("REMOVE", a) for a in base[i:])
    out.extend(("ADD", a) for a in target[j:])
    return out


def tag_diffs(base: Optional[Mapping[str, Any]], target: Optional[Mapping[str, Any]], entity_urn: str) -> List[Event]:
    """``GlobalTagsChangeEventGenerator.computeDiffs`` (TAG ADD/REMOVE, MINOR).

    Parameters follow ``TagChangeEvent.buildParameters``: ``tagUrn``, ``context`` ("{}" when
    absent) and ``sourceDetails`` (attribution source details as JSON, "{}" when absent).
    """
    base_tags, target_tags = _items(base, "tags"), _items(target, "tags")
    if not base_tags and not target_tags:
        return []
    return [
        raw_event(
            entity_urn,
            "TAG",
            op,
            assoc["tag"],
            {
                "tagUrn": assoc["tag"],
                "context": assoc.get("context") if assoc.get("context") is not None else "{}",
                "sourceDetails": _source_details(assoc),
            },
            "MINOR",
        )
        for op, assoc in _merge(base_tags, target_tags, "tag")
    ]


def term_diffs(base: Optional[Mapping[str, Any]], target: Optional[Mapping[str, Any]], entity_urn: str) -> List[Event]:
    """``GlossaryTermsChangeEventGenerator.computeDiffs`` (GLOSSARY_TERM ADD/REMOVE, MINOR).

    Parameters: ``termUrn`` and ``context`` ("{}" when absent).
    """
    base_terms, target_terms = _items(base, "terms"), _items(target, "terms")
    if not base_terms and not target_terms:
        return []
    return [
        raw_event(
            entity_urn,
            "GLOSSARY_TERM",
            op,
            assoc["urn"],
            {"termUrn": assoc["urn"], "context": assoc.get("context") if assoc.get("context") is not None else "{}"},
            "MINOR",
        )
        for op, assoc in _merge(base_terms, target_terms, "urn")
    ]


def field_tag_events(events: List[Event], field_path: str, parent_urn: str) -> List[Event]:
    """``ChangeEventGeneratorUtils.convertEntityTagChangeEvents``: re-parameterise for a schema field."""
    for e in events:
        p = e["parameters"]
        e["parameters"] = {
            "fieldPath": field_path,
            "parentUrn": parent_urn,
            "tagUrn": p["tagUrn"],
            "context": p["context"],
        }
    return events


def field_term_events(events: List[Event], field_path: str, parent_urn: str) -> List[Event]:
    """``ChangeEventGeneratorUtils.convertEntityGlossaryTermChangeEvents``."""
    for e in events:
        p = e["parameters"]
        e["parameters"] = {
            "fieldPath": field_path,
            "parentUrn": parent_urn,
            "termUrn": p["termUrn"],
            "context": p["context"],
        }
    return events


def description_diff(
    base: Optional[str],
    target: Optional[str],
    entity_urn: str,
    modify_semver: str = "MINOR",
    modifier_add: Optional[str] = None,
    modifier_remove: Optional[str] = None,
) -> Optional[Event]:
    """The DOCUMENTATION ADD/REMOVE/MODIFY rule shared by the description generators.

    Null → value is ADD (``description`` = new), value → null is REMOVE (``description`` = old),
    a different value is MODIFY (``description`` = new). ADD/REMOVE are MINOR; MODIFY uses
    ``modify_semver`` (MINOR for dataset properties, PATCH for field documentation).
    """
    if base is None and target is not None:
        return raw_event(entity_urn, "DOCUMENTATION", "ADD", modifier_add, {"description": target}, "MINOR")
    if base is not None and target is None:
        return raw_event(entity_urn, "DOCUMENTATION", "REMOVE", modifier_remove, {"description": base}, "MINOR")
    if base is not None and base != target:
        return raw_event(entity_urn, "DOCUMENTATION", "MODIFY", modifier_add, {"description": target}, modify_semver)
    return None
