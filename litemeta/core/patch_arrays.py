"""DataHub's array-merging machinery of the PATCH templates: keyed arrays <-> (nested) maps (R8.14,
R8.15) and fineGrainedLineages <-> its tree (R8.16).

A keyed array field becomes an object keyed by each element's key fields (nested, one level per
key field), so that RFC 6902 paths such as ``/owners/<owner>/<type>/<typeUrn>`` address one
element; after the patch the maps are merged back into arrays. Pure functions of JSON values; the
per-aspect templates that say which fields are keyed by what are in
:mod:`litemeta.core.patch_templates`, and :mod:`litemeta.core.patch` applies the operations.

Sources read (datahub-project/datahub, ``entity-registry/src/main/java/com/linkedin/metadata/aspect/
patch/template/``; commit where the index pinned one):

- ``ArrayMergingTemplate.java@359cd25e``: ``arrayFieldToMap`` / ``transformedMapToArray`` /
  ``mergeToArray`` / ``reinjectKey`` (nested key objects, ``␟`` sub-paths, ``""`` for a missing
  key, string lists keyed by value, key written back only for scalar/enum key fields).
- ``FineGrainedLineageTemplateHelper.java@4818f711`` and ``datajob/DataJobInputOutputTemplate.java
  @0673d1b4`` (same logic inline): R8.16.

Deliberate deviations (DataHub would build an invalid aspect and reject the write): an object with
a non-object member found at a key prefix of a keyed array is taken as one whole element; a
non-string value in a string list is replaced by its (non-empty) key. Both make patches from the
SDK's builders work: field-level ``add_term`` (one path segment for two key fields) and
``add_input_dataset_field`` (value ``{}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Sequence, Tuple

from litemeta.errors import PatchError

UNIT_SEPARATOR = "\u241f"

_DEFAULT_SCORE = 1.0
_NONE = "NONE"

KeySpec = Tuple[str, ...]


def as_text(value: Any) -> str:
    """Jackson's ``JsonNode.asText()``: text as is, numbers and booleans printed, containers ``""``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    return ""


@lru_cache(maxsize=256)
def _parts(key_field: str) -> Tuple[str, ...]:
    return tuple(key_field.split(UNIT_SEPARATOR))


def key_of(element: Any, key_field: str) -> str:
    """An element's key for one key field (``␟`` walks a sub-path) as Jackson's ``asText()``, ``""`` when missing."""
    if UNIT_SEPARATOR in key_field:
        node = element
        for part in _parts(key_field):
            if not isinstance(node, dict) or part not in node:
                return ""
            node = node[part]
        return as_text(node)
    if isinstance(element, dict) and key_field in element:
        return as_text(element[key_field])
    return ""


def array_to_map(value: Any, keys: KeySpec, where: str) -> Dict[str, Any]:
    """``arrayFieldToMap`` for one array value (R8.14). Returns a new nested dict."""
    result: Dict[str, Any] = {}
    if not isinstance(value, list):
        return result
    for index, element in enumerate(value):
        if not keys:
            result[element if isinstance(element, str) else ""] = element
            continue
        if not isinstance(element, dict):
            raise PatchError(f"{where}[{index}] is not an object, cannot key it by {list(keys)}", path=where)
        node = result
        for key_field in keys:
            key = key_of(element, key_field)
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node.update(element)
    return result


def _merge_to_array(node: Any, keys: KeySpec, scalar: FrozenSet[str], top: bool = False) -> List[Any]:
    if not keys:
        return list(node) if isinstance(node, list) else [node]
    key_field, rest = keys[0], keys[1:]
    out: List[Any] = []
    if not top and isinstance(node, dict) and any(not isinstance(v, dict) for v in node.values()):
        # A whole element placed at a key prefix (e.g. ``add /terms/<urn>`` under the keys
        # urn, attribution␟source). Key maps only hold objects, so a scalar member marks an
        # element. DataHub would emit its members as array items and fail validation; litemeta
        # keeps the element (deviation, see the module docstring).
        return [node]
    if isinstance(node, dict):
        for key, child in node.items():
            merged = _merge_to_array(child, rest, scalar)
            if key and UNIT_SEPARATOR not in key_field and key_field in scalar:
                merged = [
                    {**el, key_field: key} if isinstance(el, dict) and key_field not in el else el for el in merged
                ]
            out.extend(merged)
    elif isinstance(node, list):
        for child in node:
            out.extend(_merge_to_array(child, rest, scalar))
    return out


def map_to_array(value: Any, keys: KeySpec, scalar: FrozenSet[str]) -> Any:
    """``transformedMapToArray`` for one field value (R8.14): a list is kept, missing gives ``[]``."""
    if isinstance(value, list):
        return value
    if value is None:
        return []
    if not isinstance(value, dict):
        return [value]
    if not keys:
        # A string list: the key is the string. The SDK adds some entries with value ``{}``
        # (DataJobPatchBuilder.add_input_dataset_field); DataHub would store ``{}`` and fail
        # validation, litemeta keeps the key (deviation, see the module docstring).
        return [v if isinstance(v, str) or not k else k for k, v in value.items()]
    return _merge_to_array(value, keys, scalar, top=True)


# ---------------------------------------------------------------------------------------------
# fineGrainedLineages (R8.16)


def fine_grained_to_map(value: Any) -> Dict[str, Any]:
    """``combineAndTransformFineGrainedLineages``: op -> downstream -> query -> upstream -> leaf."""
    result: Dict[str, Any] = {}
    if not isinstance(value, list):
        return result
    for entry in value:
        if not isinstance(entry, dict):
            continue
        operation = as_text(entry["transformOperation"]) if "transformOperation" in entry else _NONE
        op_node = result.setdefault(operation, {})
        downstreams = entry.get("downstreams")
        if not isinstance(downstreams, list) or len(downstreams) != 1:
            raise PatchError(
                "Patching not supported on fine grained lineages with not exactly one downstream. "
                "Current fine grained lineage implementation is downstream derived and patches are "
                "keyed on the root of this derivation.",
                path="/fineGrainedLineages",
            )
        score = _score(entry["confidenceScore"]) if "confidenceScore" in entry else _DEFAULT_SCORE
        upstreams = entry.get("upstreams") if isinstance(entry.get("upstreams"), list) else None
        up_type = as_text(entry["upstreamType"]) if "upstreamType" in entry else None
        if up_type is None:
            first = as_text(upstreams[0]) if upstreams else ""
            up_type = "DATASET" if first.startswith("urn:li:dataset:") else "FIELD_SET"
        down_type = as_text(entry["downstreamType"]) if "downstreamType" in entry else "FIELD"
        query = as_text(entry["query"]) if "query" in entry else _NONE
        query_node = op_node.setdefault(as_text(downstreams[0]), {}).setdefault(query, {})
        for upstream in upstreams or ():
            query_node[as_text(upstream)] = {
                "confidenceScore": score,
                "upstreamType": up_type,
                "downstreamType": down_type,
            }
    return result


def _score(value: Any) -> float:
    # Jackson's floatValue(): a null or non-number node reads as 0.0.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value)


def fine_grained_to_array(value: Any) -> Any:
    """``reconstructFineGrainedLineages``: one entry per (op, downstream, query) with upstreams."""
    if isinstance(value, list):
        return value
    if value is None:
        raise PatchError("fineGrainedLineages was removed by the patch", path="/fineGrainedLineages")
    out: List[Dict[str, Any]] = []
    for operation, op_node in _object_items(value, "/fineGrainedLineages"):
        for downstream, down_node in _object_items(op_node, f"/fineGrainedLineages/{operation}"):
            for query, query_node in _object_items(down_node, f"/fineGrainedLineages/{operation}/{downstream}"):
                where = f"/fineGrainedLineages/{operation}/{downstream}/{query}"
                if not isinstance(query_node, dict):
                    raise PatchError(f"{where} must be an object of upstreams", path=where)
                if not query_node:
                    continue
                minimum, up_type, down_type = _DEFAULT_SCORE, "FIELD_SET", "FIELD"
                upstreams = []
                for upstream, leaf in _object_items(query_node, where):
                    if not isinstance(leaf, dict):
                        raise PatchError(f"{where}/{upstream} must be an object", path=where)
                    if "confidenceScore" in leaf:
                        score = _score(leaf["confidenceScore"])
                        if score <= minimum:
                            minimum = score
                    if "upstreamType" in leaf:
                        up_type = as_text(leaf["upstreamType"])
                    if "downstreamType" in leaf:
                        down_type = as_text(leaf["downstreamType"])
                    upstreams.append(upstream)
                entry: Dict[str, Any] = {"downstreams": [downstream], "upstreams": upstreams}
                if query.strip() and query != _NONE:
                    entry["query"] = query
                entry.update(
                    upstreamType=up_type,
                    downstreamType=down_type,
                    confidenceScore=minimum,
                    transformOperation=operation,
                )
                out.append(entry)
    return out


def _object_items(node: Any, where: str) -> List[Tuple[str, Any]]:
    if not isinstance(node, dict):
        raise PatchError(f"{where} must be an object in the patched fineGrainedLineages", path=where)
    return list(node.items())


# ---------------------------------------------------------------------------------------------
# Keyed array fields


@dataclass(frozen=True)
class KeyedArray:
    """One top-level array field turned into a map: its key fields, and which may be written back."""

    name: str
    keys: KeySpec = ()
    scalar: FrozenSet[str] = frozenset()
    only_if_present: bool = False


def transform_arrays(value: Dict[str, Any], arrays: Sequence[KeyedArray]) -> None:
    """Replace each keyed array field of ``value`` (a fresh dict) by its map form, in place."""
    for arr in arrays:
        if arr.only_if_present and value.get(arr.name) is None:
            continue
        value[arr.name] = array_to_map(value.get(arr.name), arr.keys, "/" + arr.name)


def rebase_arrays(value: Dict[str, Any], arrays: Sequence[KeyedArray]) -> None:
    """Turn each keyed field of ``value`` (a fresh dict) back into an array, in place."""
    for arr in arrays:
        if arr.only_if_present and value.get(arr.name) is None:
            continue
        value[arr.name] = map_to_array(value.get(arr.name), arr.keys, arr.scalar)
