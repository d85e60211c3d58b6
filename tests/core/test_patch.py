"""litemeta.core.patch against patches built by the real SDK builders (datahub.specific.*).

Expected values are built independently with SDK classes (schema_classes), then turned into
Pegasus JSON, never produced by the code under test. DataHub sources behind the rules:
entity-registry/.../aspect/patch/template/** (ArrayMergingTemplate@359cd25e, TemplateUtil@c5bceb31,
FineGrainedLineageTemplateHelper@4818f711, GenericPatchTemplate@76fdefa8) and
metadata-io-api/.../ebean/batch/PatchItemImpl.java@12b14c9a; see the module docstrings.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Dict, List, Optional

import pytest
from datahub.emitter.serialization_helper import pre_json_transform
from datahub.metadata import schema_classes as sc
from datahub.specific.chart import ChartPatchBuilder
from datahub.specific.dashboard import DashboardPatchBuilder
from datahub.specific.datajob import DataJobPatchBuilder
from datahub.specific.dataproduct import DataProductPatchBuilder
from datahub.specific.dataset import DatasetPatchBuilder
from datahub.specific.form import FormPatchBuilder
from datahub.specific.status import StatusPatchBuilder
from datahub.specific.structured_property import StructuredPropertyPatchBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from litemeta.core.patch import apply_patch
from litemeta.errors import PatchError

NOW = 1_700_000_000_000
SYSTEM = {"actor": "urn:li:corpuser:__datahub_system", "time": NOW}
DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"
UP1 = "urn:li:dataset:(urn:li:dataPlatform:hive,db.u1,PROD)"
UP2 = "urn:li:dataset:(urn:li:dataPlatform:hive,db.u2,PROD)"
CHART = "urn:li:chart:(looker,c1)"
DASH = "urn:li:dashboard:(looker,d1)"
FLOW = "urn:li:dataFlow:(airflow,dag,PROD)"
JOB = f"urn:li:dataJob:({FLOW},task)"
STAMP = sc.AuditStampClass(time=1, actor="urn:li:corpuser:alice")


def pj(obj: Any) -> Dict[str, Any]:
    """Pegasus JSON of an SDK aspect object."""
    return pre_json_transform(obj.to_obj())


def payloads(builder: Any, aspect: str) -> List[Any]:
    """The decoded ``aspect.value`` of every PATCH MCP the builder makes for ``aspect``."""
    out = [json.loads(m.aspect.value) for m in builder.build() if m.aspectName == aspect]
    assert out, f"builder made no patch for {aspect}"
    return out


def run(builder: Any, aspect: str, current: Optional[Any] = None) -> Dict[str, Any]:
    """Apply the builder's patches for ``aspect`` in order, starting from ``current`` (SDK object)."""
    value = pj(current) if current is not None else None
    for payload in payloads(builder, aspect):
        value = apply_patch(aspect, value, payload, now_ms=NOW)
    assert value is not None
    return value


def tag(urn: str, source: Optional[str] = None) -> sc.TagAssociationClass:
    attribution = sc.MetadataAttributionClass(time=1, actor="urn:li:corpuser:a", source=source) if source else None
    return sc.TagAssociationClass(tag=urn, attribution=attribution)


# --- tags, terms, owners (R8.14, R8.17: the SDK sends these as generic patches) ---------------


def test_r8_17_r8_14_add_tag_appends_to_existing_tags() -> None:
    current = sc.GlobalTagsClass(tags=[tag("urn:li:tag:y")])
    result = run(DatasetPatchBuilder(DS).add_tag(tag("urn:li:tag:x")), "globalTags", current)
    assert result == pj(sc.GlobalTagsClass(tags=[tag("urn:li:tag:y"), tag("urn:li:tag:x")]))


def test_r8_15_add_tag_to_missing_aspect_uses_default() -> None:
    result = run(DatasetPatchBuilder(DS).add_tag(tag("urn:li:tag:x")), "globalTags")
    assert result == pj(sc.GlobalTagsClass(tags=[tag("urn:li:tag:x")]))


def test_r8_14_remove_tag_without_source_removes_every_attribution() -> None:
    current = sc.GlobalTagsClass(tags=[tag("urn:li:tag:x"), tag("urn:li:tag:y"), tag("urn:li:tag:x", "urn:li:src")])
    result = run(DatasetPatchBuilder(DS).remove_tag("urn:li:tag:x"), "globalTags", current)
    assert result == pj(sc.GlobalTagsClass(tags=[tag("urn:li:tag:y")]))


def test_r8_14_remove_tag_with_source_keeps_other_sources() -> None:
    current = sc.GlobalTagsClass(tags=[tag("urn:li:tag:x"), tag("urn:li:tag:x", "urn:li:src")])
    builder = DatasetPatchBuilder(DS).remove_tag("urn:li:tag:x", attribution_source="urn:li:src")
    assert run(builder, "globalTags", current) == pj(sc.GlobalTagsClass(tags=[tag("urn:li:tag:x")]))


def test_r1_32_remove_of_missing_tag_is_a_no_op() -> None:
    """populateTopLevelKeys creates the removed path first, so removing a missing key succeeds."""
    current = sc.GlobalTagsClass(tags=[tag("urn:li:tag:y")])
    result = run(DatasetPatchBuilder(DS).remove_tag("urn:li:tag:nope"), "globalTags", current)
    assert result == pj(current)


def test_r8_14_term_keyed_by_urn_then_attribution_source() -> None:
    plain = sc.GlossaryTermAssociationClass(urn="urn:li:glossaryTerm:t")
    attributed = sc.GlossaryTermAssociationClass(
        urn="urn:li:glossaryTerm:t",
        attribution=sc.MetadataAttributionClass(time=2, actor="urn:li:corpuser:b", source="urn:li:src"),
    )
    current = sc.GlossaryTermsClass(terms=[plain], auditStamp=STAMP)
    result = run(DatasetPatchBuilder(DS).add_term(attributed), "glossaryTerms", current)
    assert result == pj(sc.GlossaryTermsClass(terms=[plain, attributed], auditStamp=STAMP))
    removed = run(
        DatasetPatchBuilder(DS).remove_term("urn:li:glossaryTerm:t"),
        "glossaryTerms",
        sc.GlossaryTermsClass(terms=[plain, attributed], auditStamp=STAMP),
    )
    assert removed == pj(sc.GlossaryTermsClass(terms=[], auditStamp=STAMP))


def test_r8_15_terms_on_missing_aspect_get_system_audit_stamp() -> None:
    term = sc.GlossaryTermAssociationClass(urn="urn:li:glossaryTerm:t")
    result = run(DatasetPatchBuilder(DS).add_term(term), "glossaryTerms")
    assert result == pj(sc.GlossaryTermsClass(terms=[term], auditStamp=sc.AuditStampClass(**SYSTEM)))


def test_r8_14_owner_nested_keys_with_empty_segments() -> None:
    alice = sc.OwnerClass("urn:li:corpuser:alice", sc.OwnershipTypeClass.TECHNICAL_OWNER)
    bob_tech = sc.OwnerClass("urn:li:corpuser:bob", sc.OwnershipTypeClass.TECHNICAL_OWNER)
    bob_biz = sc.OwnerClass("urn:li:corpuser:bob", sc.OwnershipTypeClass.BUSINESS_OWNER)
    current = sc.OwnershipClass(owners=[alice, bob_tech], lastModified=STAMP)
    # the SDK path is /owners/<owner>/<type>/<typeUrn>/<source>, typeUrn and source empty
    [payload] = payloads(DatasetPatchBuilder(DS).add_owner(bob_biz), "ownership")
    assert payload["patch"][0]["path"].endswith("/BUSINESS_OWNER//")
    result = apply_patch("ownership", pj(current), payload, now_ms=NOW)
    assert result == pj(sc.OwnershipClass(owners=[alice, bob_tech, bob_biz], lastModified=STAMP))
    after = run(
        DatasetPatchBuilder(DS).remove_owner("urn:li:corpuser:bob"),
        "ownership",
        sc.OwnershipClass(owners=[alice, bob_tech, bob_biz], lastModified=STAMP),
    )
    assert after == pj(sc.OwnershipClass(owners=[alice], lastModified=STAMP))


def test_r8_14_owner_type_only_in_path_is_written_back() -> None:
    """reinjectKey: a scalar/enum key that lived only in the patch path is restored."""
    patch = {
        "arrayPrimaryKeys": {"owners": ["owner", "type"]},
        "patch": [
            {"op": "add", "path": "/owners/urn:li:corpuser:bob/DATAOWNER", "value": {"source": {"type": "MANUAL"}}}
        ],
    }
    result = apply_patch("ownership", None, patch, now_ms=NOW)
    expected = sc.OwnershipClass(
        owners=[sc.OwnerClass("urn:li:corpuser:bob", "DATAOWNER", source=sc.OwnershipSourceClass("MANUAL"))],
        lastModified=sc.AuditStampClass(**SYSTEM),
    )
    expected_json = pj(expected)
    del expected_json["ownerTypes"]  # an SDK default the patch never mentions
    assert result == expected_json


def test_r8_14_template_ownership_plain_ops_use_owner_type_typeurn() -> None:
    """Template path (plain op list): owners keyed owner -> type -> typeUrn; "" for a missing typeUrn."""
    bob = sc.OwnerClass("urn:li:corpuser:bob", sc.OwnershipTypeClass.DATAOWNER)
    current = sc.OwnershipClass(owners=[bob], lastModified=STAMP)
    ops = [{"op": "remove", "path": "/owners/urn:li:corpuser:bob/DATAOWNER/"}]
    assert apply_patch("ownership", pj(current), ops, now_ms=NOW) == pj(
        sc.OwnershipClass(owners=[], lastModified=STAMP)
    )


# --- custom properties, scalars (R8.15 templates, RFC 6902) ------------------------------------


def test_r8_15_custom_properties_add_remove_and_replace_map() -> None:
    current = sc.DatasetPropertiesClass(customProperties={"a": "1", "b": "2"}, description="d")
    builder = DatasetPatchBuilder(DS).add_custom_property("c", "3").remove_custom_property("a")
    assert run(builder, "datasetProperties", current) == pj(
        sc.DatasetPropertiesClass(customProperties={"b": "2", "c": "3"}, description="d")
    )
    replaced = run(DatasetPatchBuilder(DS).set_custom_properties({"z": "9"}), "datasetProperties", current)
    assert replaced == pj(sc.DatasetPropertiesClass(customProperties={"z": "9"}, description="d"))


def test_r8_15_dataset_properties_on_missing_aspect() -> None:
    result = run(DatasetPatchBuilder(DS).set_description("hello").add_custom_property("k", "v"), "datasetProperties")
    assert result == pj(sc.DatasetPropertiesClass(description="hello", customProperties={"k": "v"}, tags=[]))


def test_r1_32_json_pointer_escapes_in_keys() -> None:
    builder = DatasetPatchBuilder(DS).add_custom_property("a/b~c", "v")
    [payload] = payloads(builder, "datasetProperties")
    assert payload[0]["path"] == "/customProperties/a~1b~0c"
    assert run(builder, "datasetProperties")["customProperties"] == {"a/b~c": "v"}


def test_r1_32_plain_replace_on_scalar_field() -> None:
    current = pj(sc.StatusClass(removed=False))
    ops = [{"op": "replace", "path": "/removed", "value": True}]
    assert apply_patch("status", current, ops, now_ms=NOW) == pj(sc.StatusClass(removed=True))
    assert run(StatusPatchBuilder(DS).set_removed(True), "status") == pj(sc.StatusClass(removed=True))


def test_r1_32_replace_of_missing_member_fails() -> None:
    ops = [{"op": "replace", "path": "/description", "value": "x"}]
    with pytest.raises(PatchError, match=r"op 0 \(replace /description\): path not found") as info:
        apply_patch("datasetProperties", None, ops, now_ms=NOW)
    assert info.value.aspect == "datasetProperties" and info.value.path == "/description"


def test_r1_32_test_move_copy_ops() -> None:
    current = pj(sc.DatasetPropertiesClass(customProperties={"a": "1"}, description="d"))
    ops = [
        {"op": "test", "path": "/description", "value": "d"},
        {"op": "copy", "from": "/description", "path": "/name"},
        {"op": "move", "from": "/customProperties/a", "path": "/customProperties/b"},
    ]
    assert apply_patch("datasetProperties", current, ops, now_ms=NOW) == pj(
        sc.DatasetPropertiesClass(customProperties={"b": "1"}, description="d", name="d")
    )
    with pytest.raises(PatchError, match=r"op 1 \(test /description\): test failed"):
        apply_patch(
            "datasetProperties", current, [ops[0], {"op": "test", "path": "/description", "value": "other"}], now_ms=NOW
        )


# --- lineage, edges (R8.15, R8.16) --------------------------------------------------------------


def fgl(down: str, ups: List[str], score: float = 1.0, query: Optional[str] = None) -> sc.FineGrainedLineageClass:
    return sc.FineGrainedLineageClass(
        upstreamType=sc.FineGrainedLineageUpstreamTypeClass.FIELD_SET,
        upstreams=ups,
        downstreamType=sc.FineGrainedLineageDownstreamTypeClass.FIELD,
        downstreams=[down],
        confidenceScore=score,
        query=query,
        transformOperation="NONE",
    )


def f(ds: str, col: str) -> str:
    return f"urn:li:schemaField:({ds},{col})"


def test_r8_15_upstream_lineage_add_and_remove() -> None:
    u1 = sc.UpstreamClass(dataset=UP1, type=sc.DatasetLineageTypeClass.TRANSFORMED, auditStamp=STAMP)
    u2 = sc.UpstreamClass(dataset=UP2, type=sc.DatasetLineageTypeClass.COPY, auditStamp=STAMP)
    current = sc.UpstreamLineageClass(upstreams=[u1])
    result = run(DatasetPatchBuilder(DS).add_upstream_lineage(u2), "upstreamLineage", current)
    assert result == pj(sc.UpstreamLineageClass(upstreams=[u1, u2], fineGrainedLineages=[]))
    removed = run(
        DatasetPatchBuilder(DS).remove_upstream_lineage(UP1),
        "upstreamLineage",
        sc.UpstreamLineageClass(upstreams=[u1, u2]),
    )
    assert removed == pj(sc.UpstreamLineageClass(upstreams=[u2], fineGrainedLineages=[]))


def test_r8_16_fine_grained_add_keeps_minimum_confidence() -> None:
    u1 = sc.UpstreamClass(dataset=UP1, type=sc.DatasetLineageTypeClass.TRANSFORMED, auditStamp=STAMP)
    existing = fgl(f(DS, "x"), [f(UP1, "a")], score=0.75)
    current = sc.UpstreamLineageClass(upstreams=[u1], fineGrainedLineages=[existing])
    builder = DatasetPatchBuilder(DS).add_fine_grained_upstream_lineage(fgl(f(DS, "x"), [f(UP1, "b")], score=0.5))
    result = run(builder, "upstreamLineage", current)
    # one entry per (op, downstream, query); score = min; query NONE is not written
    expected = fgl(f(DS, "x"), [f(UP1, "a"), f(UP1, "b")], score=0.5)
    assert result == pj(sc.UpstreamLineageClass(upstreams=[u1], fineGrainedLineages=[expected]))
    assert "query" not in result["fineGrainedLineages"][0]


def test_r8_16_fine_grained_query_and_removal_of_last_upstream() -> None:
    q = "urn:li:query:q1"
    current = sc.UpstreamLineageClass(
        upstreams=[], fineGrainedLineages=[fgl(f(DS, "x"), [f(UP1, "a")], query=q), fgl(f(DS, "y"), [f(UP1, "c")])]
    )
    builder = DatasetPatchBuilder(DS).remove_fine_grained_upstream_lineage(fgl(f(DS, "y"), [f(UP1, "c")]))
    result = run(builder, "upstreamLineage", current)
    assert result == pj(
        sc.UpstreamLineageClass(upstreams=[], fineGrainedLineages=[fgl(f(DS, "x"), [f(UP1, "a")], query=q)])
    )


def test_r8_16_fine_grained_with_two_downstreams_fails() -> None:
    bad = sc.FineGrainedLineageClass(
        upstreamType="FIELD_SET",
        downstreamType="FIELD_SET",
        upstreams=[f(UP1, "a")],
        downstreams=[f(DS, "x"), f(DS, "y")],
    )
    current = pj(sc.UpstreamLineageClass(upstreams=[], fineGrainedLineages=[bad]))
    with pytest.raises(PatchError, match="not exactly one downstream"):
        apply_patch("upstreamLineage", current, [{"op": "add", "path": "/upstreams/x", "value": {}}], now_ms=NOW)


def edge(urn: str) -> sc.EdgeClass:
    return sc.EdgeClass(destinationUrn=urn, created=STAMP, lastModified=STAMP)


def test_r8_15_chart_input_edges_and_default() -> None:
    builder = ChartPatchBuilder(CHART).add_input_edge(edge(DS)).add_input_edge(edge(UP1)).remove_input_edge(DS)
    result = run(builder, "chartInfo")
    stamp = sc.AuditStampClass(**SYSTEM)
    expected = pj(
        sc.ChartInfoClass(
            title="",
            description="",
            lastModified=sc.ChangeAuditStampsClass(stamp, stamp),
            inputEdges=[edge(UP1)],
            inputs=[],
        )
    )
    del expected["customProperties"]  # an SDK default; the template default has none
    assert result == expected


def test_r8_15_dashboard_chart_and_dataset_edges() -> None:
    current = sc.DashboardInfoClass(
        title="t", description="d", lastModified=sc.ChangeAuditStampsClass(), chartEdges=[edge(CHART)], datasetEdges=[]
    )
    builder = (
        DashboardPatchBuilder(DASH)
        .add_dataset_edge(edge(DS))
        .remove_chart_edge(CHART)
        .add_chart_edge(edge("urn:li:chart:(looker,c2)"))
    )
    result = run(builder, "dashboardInfo", current)
    expected = sc.DashboardInfoClass(
        title="t",
        description="d",
        lastModified=sc.ChangeAuditStampsClass(),
        chartEdges=[edge("urn:li:chart:(looker,c2)")],
        datasetEdges=[edge(DS)],
        charts=[],
        datasets=[],
        dashboards=[],
    )
    assert result == pj(expected)


def test_r8_15_datajob_input_output_edges_and_fields() -> None:
    current = sc.DataJobInputOutputClass(inputDatasets=[], outputDatasets=[], inputDatasetEdges=[edge(UP1)])
    builder = (
        DataJobPatchBuilder(JOB)
        .add_input_dataset(edge(UP2))
        .add_output_dataset(edge(DS))
        .add_input_datajob(edge(f"urn:li:dataJob:({FLOW},other)"))
        .add_input_dataset_field(f(UP1, "a"))
    )
    result = run(builder, "dataJobInputOutput", current)
    expected = sc.DataJobInputOutputClass(
        inputDatasets=[],
        outputDatasets=[],
        inputDatasetEdges=[edge(UP1), edge(UP2)],
        outputDatasetEdges=[edge(DS)],
        inputDatajobEdges=[edge(f"urn:li:dataJob:({FLOW},other)")],
        inputDatasetFields=[f(UP1, "a")],
        outputDatasetFields=[],
        fineGrainedLineages=[],
    )
    assert result == pj(expected)


def test_r8_16_datajob_fine_grained_lineage() -> None:
    builder = DataJobPatchBuilder(JOB).add_fine_grained_lineage(fgl(f(DS, "x"), [f(UP1, "a")], score=0.5))
    result = run(builder, "dataJobInputOutput")
    assert result["fineGrainedLineages"] == [pj(fgl(f(DS, "x"), [f(UP1, "a")], score=0.5))]


# --- other aspects --------------------------------------------------------------------------


def test_r8_15_institutional_memory_keyed_by_url() -> None:
    old = sc.InstitutionalMemoryMetadataClass(url="https://a", description="a", createStamp=STAMP)
    new = sc.InstitutionalMemoryMetadataClass(url="https://b", description="b", createStamp=STAMP)
    result = run(
        DataProductPatchBuilder("urn:li:dataProduct:p").add_institutional_memory(new),
        "institutionalMemory",
        sc.InstitutionalMemoryClass(elements=[old]),
    )
    assert result == pj(sc.InstitutionalMemoryClass(elements=[old, new]))


def test_r8_15_structured_properties_set_value() -> None:
    keep = sc.StructuredPropertyValueAssignmentClass(propertyUrn="urn:li:structuredProperty:keep", values=["k"])
    old = sc.StructuredPropertyValueAssignmentClass(propertyUrn="urn:li:structuredProperty:p", values=["old"])
    builder = DatasetPatchBuilder(DS).set_structured_property("urn:li:structuredProperty:p", "new")
    result = run(builder, "structuredProperties", sc.StructuredPropertiesClass(properties=[keep, old]))
    assert [p["propertyUrn"] for p in result["properties"]] == [
        "urn:li:structuredProperty:keep",
        "urn:li:structuredProperty:p",
    ]
    assert result["properties"][1]["values"] == [{"string": "new"}]
    assert result["properties"][0] == pj(keep)


def test_r8_15_editable_schema_field_tags_terms_description() -> None:
    t = sc.TagAssociationClass("urn:li:tag:pii")
    term = sc.GlossaryTermAssociationClass("urn:li:glossaryTerm:email")
    builder = DatasetPatchBuilder(DS).for_field("user.email").add_tag(t).add_term(term).parent()
    result = run(builder, "editableSchemaMetadata")
    stamp = sc.AuditStampClass(**SYSTEM)
    expected = sc.EditableSchemaMetadataClass(
        created=stamp,
        lastModified=stamp,
        editableSchemaFieldInfo=[
            sc.EditableSchemaFieldInfoClass(
                fieldPath="user.email",
                globalTags=sc.GlobalTagsClass([t]),
                glossaryTerms=sc.GlossaryTermsClass([term], auditStamp=stamp),
            )
        ],
    )
    assert result == pj(expected)
    ops = [{"op": "add", "path": "/editableSchemaFieldInfo/user.email/description", "value": "mail"}]
    described = apply_patch("editableSchemaMetadata", result, ops, now_ms=NOW)
    assert described["editableSchemaFieldInfo"][0]["description"] == "mail"
    removed = run(
        DatasetPatchBuilder(DS).for_field("user.email").remove_tag("urn:li:tag:pii").parent(),
        "editableSchemaMetadata",
        sc.EditableSchemaMetadataClass.from_obj(described),
    )
    assert removed["editableSchemaFieldInfo"][0]["globalTags"] == {"tags": []}


def test_r8_15_structured_property_definition_and_form_templates() -> None:
    builder = (
        StructuredPropertyPatchBuilder("urn:li:structuredProperty:p")
        .set_qualified_name("io.p")
        .add_entity_type("urn:li:entityType:datahub.dataset")
    )
    result = run(builder, "propertyDefinition")
    assert result == {
        "qualifiedName": "io.p",
        "valueType": "urn:li:dataType:datahub.string",
        "entityTypes": ["urn:li:entityType:datahub.dataset"],
    }
    prompt = sc.FormPromptClass(id="p1", title="Q", type=sc.FormPromptTypeClass.STRUCTURED_PROPERTY)
    form = run(FormPatchBuilder("urn:li:form:f").set_name("F").add_prompt(prompt), "formInfo")
    assert form == {"name": "F", "prompts": [pj(prompt)]}


# --- generic patches on any aspect (R8.17) ------------------------------------------------------


def test_r8_17_generic_patch_on_aspect_without_template() -> None:
    current = sc.BrowsePathsV2Class(path=[sc.BrowsePathEntryClass(id="a"), sc.BrowsePathEntryClass(id="b")])
    patch = {
        "arrayPrimaryKeys": {"path": ["id"]},
        "patch": [{"op": "remove", "path": "/path/a"}, {"op": "add", "path": "/path/c", "value": {"id": "c"}}],
    }
    result = apply_patch("browsePathsV2", pj(current), patch, now_ms=NOW)
    assert result == pj(sc.BrowsePathsV2Class(path=[sc.BrowsePathEntryClass(id="b"), sc.BrowsePathEntryClass(id="c")]))


def test_r8_17_generic_default_is_empty_without_template() -> None:
    patch = {"arrayPrimaryKeys": {"path": ["id"]}, "patch": [{"op": "add", "path": "/path/x", "value": {}}]}
    # the key "x" lived only in the path: it is written back because "id" is a string field
    assert apply_patch("browsePathsV2", None, patch, now_ms=NOW) == {"path": [{"id": "x"}]}


def test_r8_17_generic_composite_key_missing_part_is_empty_segment() -> None:
    owners = [
        sc.OwnerClass("urn:li:corpuser:a", sc.OwnershipTypeClass.DATAOWNER),
        sc.OwnerClass("urn:li:corpuser:b", sc.OwnershipTypeClass.DATAOWNER),
    ]
    current = pj(sc.OwnershipClass(owners=owners, lastModified=STAMP))
    del current["owners"][1]["type"]  # a stored value without the key field: its segment is ""
    patch = {
        "arrayPrimaryKeys": {"owners": ["owner", "type"]},
        "patch": [{"op": "remove", "path": "/owners/urn:li:corpuser:b/"}],
    }
    assert apply_patch("ownership", current, patch, now_ms=NOW)["owners"] == [pj(owners[0])]


def test_r8_17_force_generic_patch_and_glossary_definition() -> None:
    patch = {
        "forceGenericPatch": True,
        "patch": [{"op": "add", "path": "/name", "value": "N"}, {"op": "add", "path": "/definition", "value": None}],
    }
    current = pj(sc.GlossaryTermInfoClass(definition="d", termSource="INTERNAL"))
    assert apply_patch("glossaryTermInfo", current, patch, now_ms=NOW) == pj(
        sc.GlossaryTermInfoClass(definition="", termSource="INTERNAL", name="N")
    )


def test_r8_17_object_without_keys_uses_template() -> None:
    patch = {"patch": [{"op": "add", "path": "/tags/urn:li:tag:x", "value": {"tag": "urn:li:tag:x"}}]}
    assert apply_patch("globalTags", None, patch, now_ms=NOW) == pj(sc.GlobalTagsClass([tag("urn:li:tag:x")]))


def test_r8_17_generic_keys_must_name_top_level_arrays() -> None:
    patch = {"arrayPrimaryKeys": {"editableSchemaFieldInfo/globalTags": ["tag"]}, "patch": []}
    with pytest.raises(PatchError, match="not a top-level array field"):
        apply_patch("editableSchemaMetadata", None, patch, now_ms=NOW)


# --- errors and purity ----------------------------------------------------------------------


def test_r1_32_aspect_without_template_rejects_plain_patch() -> None:
    with pytest.raises(PatchError, match="Aspect: browsePathsV2 does not currently support patch operations"):
        apply_patch("browsePathsV2", None, [{"op": "add", "path": "/path", "value": []}], now_ms=NOW)


def test_r1_32_missing_aspect_without_default_fails() -> None:
    with pytest.raises(PatchError, match="Default aspect is required"):
        apply_patch("versionProperties", None, [{"op": "add", "path": "/comment", "value": "x"}], now_ms=NOW)


@pytest.mark.parametrize(
    "patch, message",
    [
        ("nope", "JSON array of operations"),
        ([{"op": "frobnicate", "path": "/x"}], "Unsupported PATCH operation"),
        ([{"path": "/x"}], "op 0 must be an object"),
        ({"arrayPrimaryKeys": {"tags": "tag"}, "patch": []}, "arrayPrimaryKeys must map"),
        (
            [
                {"op": "add", "path": "/tags/urn:li:tag:z", "value": {"tag": "urn:li:tag:z"}},
                {"op": "remove", "path": "/tags/urn:li:tag:z/tag/x"},
            ],
            r"op 1 \(remove /tags/urn:li:tag:z/tag/x\): parent /tags/urn:li:tag:z/tag is not an object or array",
        ),
        ([{"op": "add", "path": "tags", "value": 1}], "must start with '/'"),
    ],
)
def test_r1_32_errors_name_the_op(patch: Any, message: str) -> None:
    with pytest.raises(PatchError, match=message) as info:
        apply_patch("globalTags", pj(sc.GlobalTagsClass([tag("urn:li:tag:y")])), patch, now_ms=NOW)
    assert info.value.aspect == "globalTags"


def test_r1_32_array_index_errors_on_unkeyed_arrays() -> None:
    current = pj(sc.DataJobInputOutputClass(inputDatasets=[UP1], outputDatasets=[]))
    ops = [{"op": "remove", "path": "/inputDatasets/3"}]
    with pytest.raises(PatchError, match="out of range"):
        apply_patch("dataJobInputOutput", current, ops, now_ms=NOW)
    ok = apply_patch(
        "dataJobInputOutput", current, [{"op": "add", "path": "/inputDatasets/-", "value": UP2}], now_ms=NOW
    )
    assert ok["inputDatasets"] == [UP1, UP2]


def test_r1_32_inputs_are_not_mutated() -> None:
    current = pj(
        sc.EditableSchemaMetadataClass(
            created=STAMP,
            lastModified=STAMP,
            editableSchemaFieldInfo=[
                sc.EditableSchemaFieldInfoClass(
                    fieldPath="f", description="x", globalTags=sc.GlobalTagsClass([tag("urn:li:tag:a")])
                )
            ],
        )
    )
    patch = [
        {
            "op": "add",
            "path": "/editableSchemaFieldInfo/f/globalTags/tags/urn:li:tag:b",
            "value": {"tag": "urn:li:tag:b"},
        },
        {"op": "replace", "path": "/editableSchemaFieldInfo/f/description", "value": "y"},
        {"op": "add", "path": "/lastModified/time", "value": 99},
    ]
    before, patch_before = copy.deepcopy(current), copy.deepcopy(patch)
    result = apply_patch("editableSchemaMetadata", current, patch, now_ms=NOW)
    assert current == before and patch == patch_before
    assert result["lastModified"]["time"] == 99
    assert result["editableSchemaFieldInfo"][0]["description"] == "y"
    assert [t["tag"] for t in result["editableSchemaFieldInfo"][0]["globalTags"]["tags"]] == [
        "urn:li:tag:a",
        "urn:li:tag:b",
    ]


tag_urns = st.lists(st.from_regex(r"urn:li:tag:[a-z0-9_/~.]{1,12}", fullmatch=True), unique=True, max_size=8)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(existing=tag_urns, added=tag_urns)
def test_r8_14_hypothesis_add_then_remove_restores_tags(existing: List[str], added: List[str]) -> None:
    added = [a for a in added if a not in existing]
    current = pj(sc.GlobalTagsClass([tag(t) for t in existing]))
    builder = DatasetPatchBuilder(DS)
    for t in added:
        builder.add_tag(tag(t))
    value = current
    if added:
        for payload in payloads(builder, "globalTags"):
            value = apply_patch("globalTags", value, payload, now_ms=NOW)
        assert value == pj(sc.GlobalTagsClass([tag(t) for t in existing + added]))
        remover = DatasetPatchBuilder(DS)
        for t in added:
            remover.remove_tag(t)
        for payload in payloads(remover, "globalTags"):
            value = apply_patch("globalTags", value, payload, now_ms=NOW)
    assert value == current


def test_r8_14_duplicate_keys_collapse_even_in_untouched_field_entries() -> None:
    """DataHub rewrites every field entry; two tags with the same key collapse into one (R8.14)."""
    dup = sc.EditableSchemaFieldInfoClass(
        fieldPath="a",
        globalTags=sc.GlobalTagsClass([tag("urn:li:tag:x"), sc.TagAssociationClass("urn:li:tag:x", context="c")]),
    )
    clean = sc.EditableSchemaFieldInfoClass(fieldPath="b", globalTags=sc.GlobalTagsClass([tag("urn:li:tag:y")]))
    current = sc.EditableSchemaMetadataClass(editableSchemaFieldInfo=[dup, clean], created=STAMP, lastModified=STAMP)
    builder = DatasetPatchBuilder(DS).for_field("b").add_tag(tag("urn:li:tag:z")).parent()
    result = run(builder, "editableSchemaMetadata", current)
    expected = sc.EditableSchemaMetadataClass(
        created=STAMP,
        lastModified=STAMP,
        editableSchemaFieldInfo=[
            sc.EditableSchemaFieldInfoClass(
                fieldPath="a", globalTags=sc.GlobalTagsClass([sc.TagAssociationClass("urn:li:tag:x", context="c")])
            ),
            sc.EditableSchemaFieldInfoClass(
                fieldPath="b", globalTags=sc.GlobalTagsClass([tag("urn:li:tag:y"), tag("urn:li:tag:z")])
            ),
        ],
    )
    assert result == pj(expected)
