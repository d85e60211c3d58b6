"""litemeta.model.avro against DataHub's Python SDK (acryl-datahub): mapping, validation, events.

The oracle for the Pegasus <-> Avro mapping is the SDK: ``obj.to_obj()`` is the Avro JSON form,
``pre_json_transform(obj.to_obj())`` the Pegasus JSON form (formats.md §1). Sample values are
generated here from the SDK's own schema objects (``RECORD_SCHEMA``), not from litemeta's copy.
"""

from __future__ import annotations

import io
import json
from typing import Any, Dict, List

import avro.io
import avro.schema
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.emitter.serialization_helper import pre_json_transform
from datahub.metadata import schema_classes as sc
from datahub.metadata._internal_schema_classes import ASPECT_CLASSES

from litemeta.errors import ExportError, SchemaError
from litemeta.model import avro as la
from litemeta.model.events import (
    FAILED_MCP_TOPIC,
    MCL_TIMESERIES_TOPIC,
    MCL_VERSIONED_TOPIC,
    MCP_TOPIC,
    PLATFORM_EVENT_TOPIC,
)

PRIMS = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


# ------------------------------------------------------------------ sample values from SDK schemas
class Sampler:
    """Builds an Avro-JSON sample (SDK ``from_obj`` form) for a schema; ``variant`` picks union members."""

    def __init__(self, variant: int) -> None:
        self.variant = variant
        self.names: Dict[str, Any] = {}
        self.stack: List[str] = []

    def value(self, t: Any, ns: str, urn: bool = False) -> Any:
        if isinstance(t, str):
            if t in PRIMS:
                return self.prim(t, urn)
            full = t if "." in t else f"{ns}.{t}"
            return self.value(self.names.get(full) or self.names[t], ns, urn)
        if isinstance(t, list):
            members = [m for m in t if m != "null"]
            if "null" in t and (self.variant == 2 or self._recursive(members)):
                return None
            m = members[self.variant % len(members)]
            v = self.value(m, ns, urn)
            if len(members) == 1 and "null" in t:
                return v
            return {self.tag(m, ns): v}
        kind = t["type"]
        if kind in ("record", "enum", "fixed", "error"):
            name = t["name"]
            nns = name.rsplit(".", 1)[0] if "." in name else t.get("namespace", ns)
            full = name if "." in name else f"{nns}.{name}"
            self.names[full] = t
            self.names.setdefault(name, t)
            if kind == "enum":
                return t["symbols"][self.variant % len(t["symbols"])]
            if kind == "fixed":
                return "x" * t["size"]
            self.stack.append(full)
            try:
                return self.record(t, nns)
            finally:
                self.stack.pop()
        if kind == "array":
            return [] if self.variant == 2 else [self.value(t["items"], ns, urn)]
        if kind == "map":
            return {} if self.variant == 2 else {"k/1": self.value(t["values"], ns)}
        return self.value(kind, ns, urn)

    def record(self, t: Dict[str, Any], ns: str) -> Dict[str, Any]:
        fields = {f["name"]: f for f in t["fields"]}
        disc = fields.get("fieldDiscriminator")
        if disc is not None:  # a PDL union with aliases
            symbols = disc["type"]["symbols"]
            alias = symbols[self.variant % len(symbols)]
            inner = fields[alias]["type"]
            inner = [m for m in inner if m != "null"][0] if isinstance(inner, list) else inner
            return {alias: self.value(inner, ns), "fieldDiscriminator": alias}
        out = {}
        for f in t["fields"]:
            v = self.value(f["type"], ns, "Urn" in f)
            if v is not None:
                out[f["name"]] = v
        return out

    def _recursive(self, members: List[Any]) -> bool:
        return any(isinstance(m, str) and m in self.stack for m in members)

    def tag(self, m: Any, ns: str) -> str:
        if isinstance(m, str):
            return m if m in PRIMS or "." in m else f"{ns}.{m}"
        if m["type"] in ("array", "map"):
            return m["type"]
        name = m["name"]
        return name if "." in name else f"{m.get('namespace', ns)}.{name}"

    def prim(self, t: str, urn: bool) -> Any:
        if t == "string":
            return f"urn:li:corpuser:user{self.variant}" if urn else f"text {self.variant}"
        return {
            "boolean": True,
            "int": 7,
            "long": 1700000000000 + self.variant,
            "float": 1.5,
            "double": 2.25,
            "bytes": "bytes é",
            "null": None,
        }[t]

    def collect(self, t: Any, ns: str) -> None:
        """Register every named type first: a definition may sit in a branch the sample skips."""
        if isinstance(t, list):
            for m in t:
                self.collect(m, ns)
        elif isinstance(t, dict):
            kind = t["type"]
            if kind in ("record", "enum", "fixed", "error"):
                name = t["name"]
                nns = name.rsplit(".", 1)[0] if "." in name else t.get("namespace", ns)
                self.names[name if "." in name else f"{nns}.{name}"] = t
                self.names.setdefault(name, t)
                for f in t.get("fields", []):
                    self.collect(f["type"], nns)
            elif kind == "array":
                self.collect(t["items"], ns)
            elif kind == "map":
                self.collect(t["values"], ns)
            else:
                self.collect(kind, ns)


def sdk_sample(cls: Any, variant: int) -> Any:
    schema = cls.RECORD_SCHEMA.to_json()
    sampler = Sampler(variant)
    sampler.collect(schema, "")
    return cls.from_obj(sampler.value(schema, ""))


ASPECTS = sorted(ASPECT_CLASSES, key=lambda c: c.ASPECT_NAME)


@pytest.mark.parametrize("cls", ASPECTS, ids=[c.ASPECT_NAME for c in ASPECTS])
def test_mapping_and_validation_on_every_sdk_aspect_class(cls: Any) -> None:
    """formats.md §1: litemeta's mapping agrees with the SDK's to_obj / pre_json_transform both ways."""
    name = cls.ASPECT_NAME
    for variant in range(3):
        obj = sdk_sample(cls, variant)
        avro_form = obj.to_obj()
        pegasus = pre_json_transform(obj.to_obj())
        assert la.avro_to_pegasus(name, avro_form) == pegasus
        assert la.pegasus_to_avro(name, pegasus) == pre_none(avro_form)
        la.validate_aspect(name, pegasus)
        # the schema name works as well as the aspect name
        la.validate_aspect(cls.RECORD_SCHEMA.name, pegasus)
        # and the SDK reads litemeta's Avro form back to an equal object
        assert cls.from_obj(la.pegasus_to_avro(name, pegasus)) == obj
    defaults = cls._construct_with_defaults()
    try:
        oracle = pre_json_transform(defaults.to_obj())
    except KeyError:  # the SDK itself fails on Cost's default (a discriminator without its member)
        return
    assert la.avro_to_pegasus(name, defaults.to_obj()) == oracle


def pre_none(v: Any) -> Any:
    """to_obj() keeps explicit None values in maps/records; litemeta's mapping drops them."""
    if isinstance(v, dict):
        return {k: pre_none(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [pre_none(x) for x in v]
    return v


def test_every_registry_aspect_is_covered_by_the_sdk_classes() -> None:
    from litemeta.model.registry import load_registry

    assert {c.ASPECT_NAME for c in ASPECT_CLASSES} == set(load_registry().aspects)


# -------------------------------------------------------------------------------- negative cases
def schema_metadata(**field_overrides: Any) -> Dict[str, Any]:
    field = sc.SchemaFieldClass(
        fieldPath="a", type=sc.SchemaFieldDataTypeClass(type=sc.StringTypeClass()), nativeDataType="VARCHAR"
    )
    fields = [field] * 4
    m = sc.SchemaMetadataClass(
        schemaName="t",
        platform="urn:li:dataPlatform:hive",
        version=0,
        hash="",
        platformSchema=sc.OtherSchemaClass(rawSchema=""),
        fields=fields,
    )
    value = pre_json_transform(m.to_obj())
    value["fields"][3].update(field_overrides)
    return value


def schema_error(aspect: str, value: Any) -> SchemaError:
    with pytest.raises(SchemaError) as info:
        la.validate_aspect(aspect, value)
    return info.value


def test_wrong_type_names_path_expected_and_actual() -> None:
    e = schema_error("schemaMetadata", schema_metadata(nativeDataType=42))
    assert e.path == "/fields/3/nativeDataType"
    assert e.message == "expected string, got 42"
    assert e.aspect == "schemaMetadata"
    assert "/fields/3/nativeDataType" in str(e)


def test_union_member_must_be_tagged_with_the_pegasus_name() -> None:
    e = schema_error(
        "schemaMetadata", schema_metadata(type={"type": {"com.linkedin.pegasus2avro.schema.StringType": {}}})
    )
    assert e.path == "/fields/3/type/type"
    assert "com.linkedin.pegasus2avro.schema.StringType" in e.message
    assert "com.linkedin.schema.StringType" in e.message
    e = schema_error("schemaMetadata", schema_metadata(type={"type": {}}))
    assert "expected a union" in e.message
    e = schema_error("dataJobInfo", {"name": "j", "type": "SQL"})  # must be {"string": "SQL"}
    assert e.path == "/type" and 'got "SQL"' in e.message
    la.validate_aspect("dataJobInfo", {"name": "j", "type": {"string": "SQL"}})


def test_missing_required_field_and_defaults_may_be_absent() -> None:
    e = schema_error("schemaMetadata", {k: v for k, v in schema_metadata().items() if k != "platform"})
    assert e.path == "/platform" and "missing required field 'platform'" in e.message
    # created/lastModified/customProperties... have defaults; optional fields may be absent
    la.validate_aspect("datasetProperties", {})
    la.validate_aspect("status", {})
    e = schema_error("ownership", {})
    assert e.path == "/owners"


def test_unknown_field_is_rejected_like_gms() -> None:
    """GMS validates with UnrecognizedFieldMode.DISALLOW (RecordTemplateValidator)."""
    e = schema_error("status", {"removed": False, "deleted": True})
    assert e.path == "/deleted" and "unrecognized field 'deleted'" in e.message


def test_enum_symbol_and_null_and_numbers() -> None:
    e = schema_error("schemaMetadata", schema_metadata(type={"type": {"com.linkedin.schema.StringType": {"x": 1}}}))
    assert e.path == "/fields/3/type/type/com.linkedin.schema.StringType/x"
    e = schema_error("ownership", {"owners": [{"owner": "urn:li:corpuser:a", "type": "BOSS"}]})
    assert e.path == "/owners/0/type" and "BOSS" in e.message and "TECHNICAL_OWNER" in e.message
    e = schema_error("status", {"removed": None})
    assert e.message == "expected boolean, got null"
    la.validate_aspect("datasetProperties", {"description": None})  # null accepted for an optional field
    e = schema_error("datasetProfile", {"timestampMillis": True})
    assert e.path == "/timestampMillis" and "expected long" in e.message
    e = schema_error("datasetProfile", {"timestampMillis": 2**64})
    assert "out of range" in e.message
    la.validate_aspect("datasetProfile", {"timestampMillis": 1.0e12, "rowCount": 3})
    e = schema_error("datasetProfile", {"timestampMillis": 1.5})
    assert e.path == "/timestampMillis"


def test_urn_typed_fields_must_parse() -> None:
    """GMS's UrnValidator: typeref fields named *Urn must parse as urns."""
    e = schema_error("ownership", {"owners": [{"owner": "alice", "type": "DATAOWNER"}]})
    assert e.path == "/owners/0/owner" and "expected urn" in e.message
    e = schema_error("globalTags", {"tags": [{"tag": "urn:li:tag:"}]})
    assert e.path == "/tags/0/tag"
    e = schema_error("upstreamLineage", {"upstreams": [{"dataset": "nope", "type": "TRANSFORMED"}]})
    assert e.path == "/upstreams/0/dataset" and 'expected urn, got "nope"' in e.message
    # urn-typed arrays (urn_is_array) too
    e = schema_error("inputFields", {"fields": [{"schemaFieldUrn": "urn:li:x"}]})
    assert e.path == "/fields/0/schemaFieldUrn"


def test_map_keys_are_escaped_in_the_path() -> None:
    e = schema_error("datasetProperties", {"customProperties": {"a/b~c": 3}})
    assert e.path == "/customProperties/a~1b~0c"


def test_union_with_aliases_cost() -> None:
    """The one PDL union with aliases (serialization_helper's CostCost special case)."""
    la.validate_aspect("cost", {"costType": "ORG_COST_TYPE", "cost": {"costCode": "c"}})
    e = schema_error("cost", {"costType": "ORG_COST_TYPE", "cost": {"costCode": "c", "costId": 1.0}})
    assert e.path == "/cost"
    e = schema_error("cost", {"costType": "ORG_COST_TYPE", "cost": {"costId": "x"}})
    assert e.path == "/cost/costId"


def test_unknown_aspect_or_schema() -> None:
    with pytest.raises(SchemaError):
        la.validate_aspect("noSuchAspect", {})


# ------------------------------------------------------------------------------------- topics
def sdk_mcp_value() -> Dict[str, Any]:
    w = MetadataChangeProposalWrapper(
        entityUrn="urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)",
        aspect=sc.DatasetPropertiesClass(description="héllo", customProperties={"a": "b"}),
        systemMetadata=sc.SystemMetadataClass(lastObserved=1700000000000, runId="run-1", properties={"p": "q"}),
        headers={"If-Match": "1"},
    )
    return pre_json_transform(w.make_mcp().to_obj())


def avro_lib_decode(schema: Any, body: bytes) -> Any:
    return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(body)))


def avro_lib_encode(schema: Any, datum: Any) -> bytes:
    out = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(out))
    return out.getvalue()


def test_mcp_encoded_by_litemeta_decodes_with_the_sdk_schema() -> None:
    value = sdk_mcp_value()
    body = la.encode_event(MCP_TOPIC, value)
    decoded = avro_lib_decode(sc.MetadataChangeProposalClass.RECORD_SCHEMA, body)
    assert decoded["aspect"]["value"] == value["aspect"]["value"].encode("utf-8")
    decoded["aspect"]["value"] = decoded["aspect"]["value"].decode("utf-8")
    sdk = sc.MetadataChangeProposalClass.from_obj(decoded)
    expected = sc.MetadataChangeProposalClass.from_obj(value)
    assert sdk.entityUrn == expected.entityUrn and sdk.changeType == "UPSERT"
    assert sdk.aspect.value == expected.aspect.value
    assert sdk.systemMetadata == expected.systemMetadata
    assert sdk.headers == {"If-Match": "1"}


def test_mcl_encoded_by_the_sdk_schema_decodes_with_litemeta() -> None:
    mcl = sc.MetadataChangeLogClass(
        entityType="dataset",
        entityUrn="urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)",
        changeType="UPSERT",
        aspectName="status",
        aspect=sc.GenericAspectClass(value='{"removed": false}', contentType="application/json"),
        previousAspectValue=sc.GenericAspectClass(value='{"removed": true}', contentType="application/json"),
        systemMetadata=sc.SystemMetadataClass(lastObserved=5, runId="r"),
        created=sc.AuditStampClass(time=9, actor="urn:li:corpuser:datahub"),
    )
    datum = mcl.to_obj()
    for k in ("aspect", "previousAspectValue"):
        datum[k]["value"] = datum[k]["value"].encode()
    body = avro_lib_encode(sc.MetadataChangeLogClass.RECORD_SCHEMA, datum)
    value = la.decode_event(MCL_VERSIONED_TOPIC, body)
    assert value == pre_json_transform(mcl.to_obj())  # the SDK's to_obj carries the same defaults
    assert value["aspect"] == {"value": '{"removed": false}', "contentType": "application/json"}
    assert "entityKeyAspect" not in value  # nulls omitted (choice 8)


@pytest.mark.parametrize(
    "topic", [MCP_TOPIC, MCL_VERSIONED_TOPIC, MCL_TIMESERIES_TOPIC, PLATFORM_EVENT_TOPIC, FAILED_MCP_TOPIC]
)
def test_topic_values_round_trip(topic: str) -> None:
    mcp = sdk_mcp_value()
    value = {
        MCP_TOPIC: mcp,
        MCL_VERSIONED_TOPIC: {
            **mcp,
            "created": {"time": 1, "actor": "urn:li:corpuser:datahub"},
            "previousAspectValue": {"value": "{}", "contentType": "application/json"},
        },
        MCL_TIMESERIES_TOPIC: {**mcp, "aspectName": "datasetProfile"},
        PLATFORM_EVENT_TOPIC: {
            "header": {"timestampMillis": 3},
            "name": "entityChangeEvent",
            "payload": {"value": '{"category": "TAG"}', "contentType": "application/json"},
        },
        FAILED_MCP_TOPIC: {"metadataChangeProposal": mcp, "error": "bad"},
    }[topic]
    # systemMetadata gets its Avro defaults (lastRunId) on the way through: compare with them filled
    expected = json.loads(json.dumps(value))
    for sm in _system_metadata(expected):
        sm.setdefault("lastRunId", "no-run-id-provided")
    assert la.decode_event(topic, la.encode_event(topic, value)) == expected
    framed = la.frame(42, la.encode_event(topic, value))
    assert framed[:5] == b"\x00\x00\x00\x00\x2a"
    assert la.unframe(framed) == (42, la.encode_event(topic, value))


def _system_metadata(v: Any) -> List[Dict[str, Any]]:
    found = []
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "systemMetadata" and isinstance(x, dict):
                found.append(x)
            found.extend(_system_metadata(x))
    return found


def test_event_to_datum_matches_sdk_avro_form() -> None:
    value = sdk_mcp_value()
    datum = la.event_to_datum(MCP_TOPIC, value)
    assert datum["aspect"]["value"] == value["aspect"]["value"].encode("utf-8")
    assert la.datum_to_event(MCP_TOPIC, datum) == value


def test_unknown_topic_field_is_refused() -> None:
    with pytest.raises(ExportError, match="previousAspectValue"):
        la.encode_event(MCP_TOPIC, {**sdk_mcp_value(), "previousAspectValue": {"value": "{}", "contentType": "x"}})
    with pytest.raises(ExportError):
        la.encode_event(MCP_TOPIC, {"entityUrn": "urn:li:corpuser:a"})  # no entityType, no changeType


def test_unframe_rejects_bad_magic_and_short_input() -> None:
    with pytest.raises(ExportError, match="magic"):
        la.unframe(b"\x01\x00\x00\x00\x01body")
    with pytest.raises(ExportError, match="short"):
        la.unframe(b"\x00\x00")
    with pytest.raises(ExportError):
        la.frame(-1, b"")


def test_container_file_round_trip_readable_by_fastavro_users() -> None:
    values = [sdk_mcp_value(), {**sdk_mcp_value(), "changeType": "DELETE"}]
    for v in values:
        for sm in _system_metadata(v):
            sm.setdefault("lastRunId", "no-run-id-provided")
    buf = io.BytesIO()
    assert la.write_container(buf, "mcp", values) == 2
    buf.seek(0)
    assert list(la.read_container(buf)) == [(MCP_TOPIC, v) for v in values]
    buf.seek(0)
    # the avro library (independent of fastavro) reads it too
    import avro.datafile

    records = list(avro.datafile.DataFileReader(buf, avro.io.DatumReader()))
    assert [r["entityUrn"] for r in records] == [v["entityUrn"] for v in values]
    assert records[0]["aspect"]["value"] == values[0]["aspect"]["value"].encode()


def test_schema_text_is_the_schema() -> None:
    text = la.schema_text("MetadataChangeProposal")
    parsed = avro.schema.parse(text)
    assert parsed.fullname == "com.linkedin.pegasus2avro.mxe.MetadataChangeProposal"
    assert json.loads(text) == sc.MetadataChangeProposalClass.RECORD_SCHEMA.to_json()
    assert "\n" not in text and text == la.schema_text("MetadataChangeProposal")


def test_module_is_not_loaded_by_cli_help() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from litemeta.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print('litemeta.model.avro' in sys.modules, 'fastavro' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
