#!/usr/bin/env python3
"""Regenerate litemeta's copy of DataHub's model from an installed ``acryl-datahub``.

    python tools/generate_data.py      # writes data/registry.json and data/schemas/

(It lives outside ``data/`` so that the wheel, which ships ``data/`` as ``litemeta._data``, does
not carry a script that needs the SDK.)

The entity registry is derived from the annotations inside the Avro schemas that ship with the
SDK (``datahub/metadata/schemas/*.avsc``): record-level ``Aspect`` (name, timeseries type,
``keyForEntity``, ``entityAspects``) and field-level ``Searchable``, ``Relationship``,
``TimeseriesField`` and ``TimeseriesFieldCollection``, either on the field or keyed by a sub-path.
Nothing here is hand-written; ``tests/model/test_registry.py`` cross-checks the result with the
SDK's own ``ASPECT_CLASSES``, ``KEY_ASPECTS`` and ``ENTITY_TYPE_TO_ASPECT_NAMES``.

This script is the only place in the repository (tests aside) that imports ``datahub``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

HERE = Path(__file__).resolve().parents[1] / "data"
ANNOTATIONS = ("Searchable", "Relationship", "TimeseriesField", "TimeseriesFieldCollection")
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}

# litemeta's own schema for the dead-letter topic, after DataHub's
# metadata-models/src/main/pegasus/com/linkedin/mxe/FailedMetadataChangeProposal.pdl
# (the original proposal plus an error string).
FAILED_MCP_DOC = "Proposal that failed to be ingested, with the reason (litemeta, after DataHub's PDL)."


def _named(schema: Any, names: Dict[str, Any], namespace: str = "") -> None:
    """Collect every named type of a schema by full name (types are defined once)."""
    if isinstance(schema, list):
        for s in schema:
            _named(s, names, namespace)
    elif isinstance(schema, dict):
        t = schema.get("type")
        if t in ("record", "enum", "fixed", "error"):
            ns = schema.get("namespace", namespace)
            full = schema["name"] if "." in schema["name"] else f"{ns}.{schema['name']}"
            names.setdefault(full, schema)
            names.setdefault(schema["name"], schema)
            for f in schema.get("fields", []):
                _named(f["type"], names, ns)
        elif t == "array":
            _named(schema["items"], names, namespace)
        elif t == "map":
            _named(schema["values"], names, namespace)
        elif isinstance(t, (dict, list)):
            _named(t, names, namespace)


def _resolve(t: Any, names: Dict[str, Any]) -> Any:
    if isinstance(t, str) and t not in PRIMITIVES:
        return names.get(t, t)
    if (
        isinstance(t, dict)
        and isinstance(t.get("type"), str)
        and t["type"] not in ("record", "enum", "fixed", "array", "map", "error")
        and t["type"] not in PRIMITIVES
    ):
        return names.get(t["type"], t)
    return t


def _children(t: Any, names: Dict[str, Any]) -> List[tuple]:
    """(path suffix, record schema) pairs reachable from a field type, through unions/arrays/maps."""
    t = _resolve(t, names)
    out: List[tuple] = []
    if isinstance(t, list):
        for member in t:
            out.extend(_children(member, names))
    elif isinstance(t, dict):
        kind = t.get("type")
        if kind == "record":
            out.append(("", t))
        elif kind == "array":
            out.extend(("/*" + s, r) for s, r in _children(t["items"], names))
        elif kind == "map":
            out.extend(("/*" + s, r) for s, r in _children(t["values"], names))
        elif isinstance(kind, (list, dict)):
            out.extend(_children(kind, names))
    return out


def _type_label(t: Any, names: Dict[str, Any]) -> str:
    """A short label of a field's Avro type, used for default Searchable field types (R8.18)."""
    t = _resolve(t, names)
    if isinstance(t, list):
        members = [m for m in t if m != "null"]
        return _type_label(members[0], names) if len(members) == 1 else "union"
    if isinstance(t, dict):
        kind = t.get("type")
        if isinstance(kind, (list, dict)):
            return _type_label(kind, names)
        return str(kind)
    return str(t)


def _record_annotation(out: Dict[str, Dict[str, Any]], path: str, value: Dict[str, Any]) -> None:
    """An outer annotation (recorded first) overrides the keys of a nested one at the same path.

    The keys are merged, not replaced wholesale: DataHub's newer schemas put only ``v3`` search
    settings in some outer overrides (e.g. editableSchemaMetadata's field descriptions), and the
    nested annotation still supplies fieldName, fieldType and the rest.
    """
    existing = out.get(path)
    out[path] = value if existing is None else {**value, **existing}


def _walk(
    record: Dict[str, Any], path: str, names: Dict[str, Any], stack: Set[str], out: Dict[str, Dict[str, Dict[str, Any]]]
) -> None:
    """Collect annotations by path; an annotation already recorded (an outer one) wins key by key."""
    full = record.get("namespace", "") + "." + record["name"]
    if full in stack:
        return  # recursive type: DataHub stops here too
    stack = stack | {full}
    for f in record.get("fields", []):
        fpath = f"{path}/{f['name']}"
        for ann in ANNOTATIONS:
            a = f.get(ann)
            if not isinstance(a, dict):
                continue
            if a and all(k.startswith("/") for k in a):
                for sub, val in a.items():
                    _record_annotation(out[ann], fpath + sub, dict(val, _type=_type_label(f["type"], names)))
            else:
                _record_annotation(out[ann], fpath, dict(a, _type=_type_label(f["type"], names)))
        for suffix, child in _children(f["type"], names):
            _walk(child, fpath + suffix, names, stack, out)


def _leaf_types(record: Dict[str, Any], names: Dict[str, Any], path: str) -> str:
    """The label of the leaf type at an annotation sub-path such as /*/tag (for default fieldType)."""
    node: Any = {"type": "record", "fields": record["fields"], "name": record["name"]}
    parts = [p for p in path.split("/") if p]
    t: Any = node
    for p in parts:
        t = _resolve(t, names)
        if isinstance(t, list):
            members = [m for m in t if m != "null"]
            t = _resolve(members[0], names) if members else "null"
        if isinstance(t, dict) and isinstance(t.get("type"), (list, dict)):
            t = t["type"]
            t = _resolve(t, names)
            if isinstance(t, list):
                members = [m for m in t if m != "null"]
                t = _resolve(members[0], names) if members else "null"
        if p in ("*", "$key"):
            if isinstance(t, dict) and t.get("type") == "array":
                t = t["items"]
            elif isinstance(t, dict) and t.get("type") == "map":
                t = "string" if p == "$key" else t["values"]
            continue
        if isinstance(t, dict) and t.get("type") == "record":
            field = next((f for f in t["fields"] if f["name"] == p), None)
            if field is None:
                return "unknown"
            t = field["type"]
        else:
            return "unknown"
    return _type_label(t, names)


def build(schemas_dir: Path) -> Dict[str, Any]:
    """Build the registry dict from a folder of DataHub .avsc files."""
    entities: Dict[str, Dict[str, Any]] = {}
    aspects: Dict[str, Dict[str, Any]] = {}
    for path in sorted(schemas_dir.glob("*.avsc")):
        schema = json.loads(path.read_text())
        if not isinstance(schema, dict) or "Aspect" not in schema:
            continue
        names: Dict[str, Any] = {}
        _named(schema, names)
        meta = schema["Aspect"]
        name = meta["name"]
        ann: Dict[str, Dict[str, Dict[str, Any]]] = {a: {} for a in ANNOTATIONS}
        _walk(schema, "", names, set(), ann)
        for kind in ANNOTATIONS:
            for p, a in ann[kind].items():
                leaf = _leaf_types(schema, names, p)
                a["_type"] = leaf if leaf != "unknown" else a["_type"]
        spec: Dict[str, Any] = {
            "schema": path.stem,
            "recordName": f"{schema['namespace']}.{schema['name']}",
            "timeseries": meta.get("type") == "timeseries",
            "searchable": ann["Searchable"],
            "relationships": ann["Relationship"],
            "timeseriesFields": ann["TimeseriesField"],
            "timeseriesFieldCollections": ann["TimeseriesFieldCollection"],
        }
        if "keyForEntity" in meta:
            entity = meta["keyForEntity"]
            spec["keyForEntity"] = entity
            spec["keyFields"] = [
                {
                    "name": f["name"],
                    "type": _type_label(f["type"], names),
                    **(
                        {"symbols": _resolve(f["type"], names).get("symbols")}
                        if _type_label(f["type"], names) == "enum"
                        else {}
                    ),
                }
                for f in schema["fields"]
            ]
            entities[entity] = {
                "keyAspect": name,
                "aspects": [name] + [a for a in meta.get("entityAspects", []) if a != name],
                "category": meta.get("entityCategory"),
                "doc": meta.get("entityDoc"),
            }
        aspects[name] = spec
    for ent in entities.values():
        ent["aspects"] = [a for a in ent["aspects"] if a in aspects]
    return {"entities": dict(sorted(entities.items())), "aspects": dict(sorted(aspects.items()))}


def failed_mcp_schema(mcp_schema: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "type": "record",
        "name": "FailedMetadataChangeProposal",
        "namespace": "com.linkedin.pegasus2avro.mxe",
        "doc": FAILED_MCP_DOC,
        "fields": [
            {"name": "auditHeader", "type": ["null", "KafkaAuditHeader"], "default": None},
            {"name": "metadataChangeProposal", "type": mcp_schema},
            {"name": "error", "type": "string"},
        ],
    }


def main(out: Optional[Path] = None) -> int:
    import datahub  # the only runtime import of the SDK in the repository
    from datahub.metadata import schemas as sdk_schemas

    out = out or HERE
    src = Path(sdk_schemas.__file__).parent
    dst = out / "schemas"
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for p in sorted(src.glob("*.avsc")):
        shutil.copyfile(p, dst / p.name)
    mcp = json.loads((src / "MetadataChangeProposal.avsc").read_text())
    # The MCP schema defines KafkaAuditHeader inline as its first field's type, so the failed
    # record references it by name after embedding the whole MCP schema.
    failed = failed_mcp_schema(mcp)
    failed["fields"][0]["type"] = ["null", mcp["fields"][0]["type"][1]]
    mcp_inline = json.loads(json.dumps(mcp))
    header = mcp["fields"][0]["type"][1]
    mcp_inline["fields"][0]["type"] = ["null", f"{header.get('namespace', '')}.{header['name']}".lstrip(".")]
    failed["fields"][1]["type"] = mcp_inline
    (dst / "FailedMetadataChangeProposal.avsc").write_text(json.dumps(failed, indent=2) + "\n")
    registry = build(src)
    registry = {"upstream": {"package": "acryl-datahub", "version": datahub.__version__}, **registry}
    (out / "registry.json").write_text(json.dumps(registry, indent=1, sort_keys=False) + "\n")
    print(
        f"acryl-datahub {datahub.__version__}: {len(registry['entities'])} entities, "
        f"{len(registry['aspects'])} aspects -> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
