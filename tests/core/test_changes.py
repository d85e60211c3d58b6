"""Entity change event generators (litemeta.core.changes) against DataHub's rules.

Inputs are built with the DataHub SDK; every expected event is written by hand from the Java
generator named in the test (see the module docstring of litemeta.core.changes for the sources).
"""

from __future__ import annotations

import json

import pytest
from datahub.emitter.serialization_helper import pre_json_transform
from datahub.metadata import schema_classes as sc
from datahub.specific.dataset import DatasetPatchBuilder
from hypothesis import given, settings
from hypothesis import strategies as st

from litemeta.core.changes import (
    ELIGIBLE_ASPECTS,
    aspect_change_events,
    entity_change_events,
    matches_category,
    platform_event,
    semantic_change,
    semantic_versions,
)
from litemeta.core.changes_relationships import extract_paths, relationship_change_events
from litemeta.model.registry import load_registry

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"
STAMP = {"actor": "urn:li:corpuser:alice", "time": 1700000000000}


def pj(obj):
    """Pegasus JSON of an SDK aspect."""
    return pre_json_transform(obj.to_obj())


def ece(aspect, prev, new, change_type="UPSERT", urn=DS, entity_type="dataset", **kw):
    return entity_change_events(
        entity_urn=urn,
        entity_type=entity_type,
        aspect_name=aspect,
        change_type=change_type,
        previous=prev,
        new=new,
        audit_stamp=STAMP,
        **kw,
    )


def brief(events):
    return [(e["category"], e["operation"], e.get("modifier"), e.get("parameters")) for e in events]


def tags(*urns):
    return sc.GlobalTagsClass(tags=[sc.TagAssociationClass(tag=u) for u in urns])


def test_tag_add_and_remove_via_patch_r3_5():
    """R3.5: TAG/ADD and TAG/REMOVE, modifier = tag urn, parameters tagUrn (+context, sourceDetails)."""
    patch = DatasetPatchBuilder(DS).add_tag(sc.TagAssociationClass(tag="urn:li:tag:pii")).build()
    assert patch[0].aspectName == "globalTags"  # the patch we apply by hand below
    before = pj(tags("urn:li:tag:legacy"))
    after = pj(tags("urn:li:tag:legacy", "urn:li:tag:pii"))
    events = ece("globalTags", before, after)
    assert events == [
        {
            "entityType": "dataset",
            "entityUrn": DS,
            "category": "TAG",
            "operation": "ADD",
            "modifier": "urn:li:tag:pii",
            "parameters": {"tagUrn": "urn:li:tag:pii", "context": "{}", "sourceDetails": "{}"},
            "auditStamp": STAMP,
            "version": 0,
        }
    ]
    removed = DatasetPatchBuilder(DS).remove_tag("urn:li:tag:legacy").build()
    assert removed[0].aspectName == "globalTags"
    events = ece("globalTags", after, pj(tags("urn:li:tag:pii")))
    assert brief(events) == [
        ("TAG", "REMOVE", "urn:li:tag:legacy", {"tagUrn": "urn:li:tag:legacy", "context": "{}", "sourceDetails": "{}"})
    ]


def test_tags_sorted_merge_order_and_context_only_change_r3_5():
    """R3.5: urn-sorted merge order; a context/attribution change alone gives no event."""
    before = pj(tags("urn:li:tag:b", "urn:li:tag:d"))
    after = pj(tags("urn:li:tag:c", "urn:li:tag:a"))
    assert [(e["operation"], e["modifier"]) for e in ece("globalTags", before, after)] == [
        ("ADD", "urn:li:tag:a"),
        ("REMOVE", "urn:li:tag:b"),
        ("ADD", "urn:li:tag:c"),
        ("REMOVE", "urn:li:tag:d"),
    ]
    ctx = pj(
        sc.GlobalTagsClass(
            tags=[sc.TagAssociationClass(tag="urn:li:tag:b", context="x"), sc.TagAssociationClass(tag="urn:li:tag:d")]
        )
    )
    assert ece("globalTags", before, ctx) == []


def test_delete_mcl_removes_every_tag_and_restate_gives_nothing_r3_10_r3_1():
    """R3.10: a DELETE MCL runs with new=None; R3.1: RESTATE produces no ECE."""
    before = pj(tags("urn:li:tag:a", "urn:li:tag:b"))
    assert [(e["operation"], e["modifier"]) for e in ece("globalTags", before, None, "DELETE")] == [
        ("REMOVE", "urn:li:tag:a"),
        ("REMOVE", "urn:li:tag:b"),
    ]
    assert ece("globalTags", before, pj(tags("urn:li:tag:c")), "RESTATE") == []


def test_ineligible_aspect_and_excluded_entity_type_r8_12():
    """R8.12: institutionalMemory/glossaryTermInfo are not in the hook list; schemaField excluded."""
    assert "institutionalMemory" not in ELIGIBLE_ASPECTS and "glossaryTermInfo" not in ELIGIBLE_ASPECTS
    mem = pj(
        sc.InstitutionalMemoryClass(
            elements=[
                sc.InstitutionalMemoryMetadataClass(
                    url="https://wiki/x",
                    description="wiki",
                    createStamp=sc.AuditStampClass(time=0, actor="urn:li:corpuser:a"),
                )
            ]
        )
    )
    assert ece("institutionalMemory", None, mem) == []
    field = "urn:li:schemaField:(%s,c)" % DS
    assert ece("globalTags", None, pj(tags("urn:li:tag:a")), urn=field, entity_type="schemaField") == []
    assert ece("globalTags", None, pj(tags("urn:li:tag:a")), excluded_entity_types=("dataset",)) == []


def test_institutional_memory_generator_for_timeline():
    """InstitutionalMemoryChangeEventGenerator: DOCUMENTATION by url; description change = MODIFY."""

    def mem(*pairs):
        return pj(
            sc.InstitutionalMemoryClass(
                elements=[
                    sc.InstitutionalMemoryMetadataClass(
                        url=u, description=d, createStamp=sc.AuditStampClass(time=0, actor="urn:li:corpuser:a")
                    )
                    for u, d in pairs
                ]
            )
        )

    events = aspect_change_events(
        entity_urn=DS,
        aspect_name="institutionalMemory",
        previous=mem(("https://a", "A"), ("https://b", "B")),
        new=mem(("https://b", "B2"), ("https://c", "C")),
        audit_stamp=STAMP,
    )
    assert brief(events) == [
        ("DOCUMENTATION", "REMOVE", "https://a", None),
        ("DOCUMENTATION", "MODIFY", "https://b", None),
        ("DOCUMENTATION", "ADD", "https://c", None),
    ]


def test_glossary_terms_r3_6():
    """R3.6: GLOSSARY_TERM ADD/REMOVE, modifier = term urn, parameters termUrn (+context)."""
    stamp = sc.AuditStampClass(time=0, actor="urn:li:corpuser:a")

    def terms(*urns):
        return pj(sc.GlossaryTermsClass(terms=[sc.GlossaryTermAssociationClass(urn=u) for u in urns], auditStamp=stamp))

    events = ece("glossaryTerms", terms("urn:li:glossaryTerm:old"), terms("urn:li:glossaryTerm:new"))
    assert brief(events) == [
        ("GLOSSARY_TERM", "ADD", "urn:li:glossaryTerm:new", {"termUrn": "urn:li:glossaryTerm:new", "context": "{}"}),
        ("GLOSSARY_TERM", "REMOVE", "urn:li:glossaryTerm:old", {"termUrn": "urn:li:glossaryTerm:old", "context": "{}"}),
    ]


def test_ownership_category_is_ownership_r8_11():
    """R8.11: category OWNERSHIP; ADD/REMOVE carry ownerUrn, ownerType; a type change is MODIFY
    with the new type as modifier (OwnershipChangeEventGenerator)."""

    def own(*owners):
        return pj(sc.OwnershipClass(owners=[sc.OwnerClass(owner=o, type=t) for o, t in owners]))

    events = ece(
        "ownership",
        own(("urn:li:corpuser:bob", "TECHNICAL_OWNER"), ("urn:li:corpuser:carl", "DATAOWNER")),
        own(("urn:li:corpuser:amy", "BUSINESS_OWNER"), ("urn:li:corpuser:carl", "DATA_STEWARD")),
    )
    assert brief(events) == [
        ("OWNERSHIP", "ADD", "urn:li:corpuser:amy", {"ownerUrn": "urn:li:corpuser:amy", "ownerType": "BUSINESS_OWNER"}),
        (
            "OWNERSHIP",
            "REMOVE",
            "urn:li:corpuser:bob",
            {"ownerUrn": "urn:li:corpuser:bob", "ownerType": "TECHNICAL_OWNER"},
        ),
        ("OWNERSHIP", "MODIFY", "DATA_STEWARD", {"ownerUrn": "urn:li:corpuser:carl", "ownerType": "DATA_STEWARD"}),
    ]
    typed = pj(
        sc.OwnershipClass(
            owners=[sc.OwnerClass(owner="urn:li:corpuser:d", type="CUSTOM", typeUrn="urn:li:ownershipType:steward")]
        )
    )
    assert ece("ownership", None, typed)[0]["parameters"] == {
        "ownerUrn": "urn:li:corpuser:d",
        "ownerType": "CUSTOM",
        "ownerTypeUrn": "urn:li:ownershipType:steward",
    }
    assert matches_category(events[0], ["OWNER"]) and matches_category(events[0], ["ownership"])
    assert not matches_category(events[0], ["TAG"]) and matches_category(events[0], None)


def test_domain_set_changed_removed_r3_6():
    """R3.6 / SingleDomainChangeEventGenerator: only the first domain counts; change = REMOVE+ADD."""

    def dom(*d):
        return pj(sc.DomainsClass(domains=list(d)))

    assert brief(ece("domains", None, dom("urn:li:domain:a"))) == [
        ("DOMAIN", "ADD", "urn:li:domain:a", {"domainUrn": "urn:li:domain:a"})
    ]
    assert brief(ece("domains", dom("urn:li:domain:a"), dom("urn:li:domain:b", "urn:li:domain:a"))) == [
        ("DOMAIN", "REMOVE", "urn:li:domain:a", {"domainUrn": "urn:li:domain:a"}),
        ("DOMAIN", "ADD", "urn:li:domain:b", {"domainUrn": "urn:li:domain:b"}),
    ]
    assert brief(ece("domains", dom("urn:li:domain:b"), dom())) == [
        ("DOMAIN", "REMOVE", "urn:li:domain:b", {"domainUrn": "urn:li:domain:b"})
    ]
    assert ece("domains", dom("urn:li:domain:b"), dom("urn:li:domain:b", "urn:li:domain:c")) == []


def test_deprecate_and_undeprecate_r3_6():
    """DeprecationChangeEventGenerator: DEPRECATION/MODIFY, no modifier, parameters status."""

    def dep(flag, note="n"):
        return pj(sc.DeprecationClass(deprecated=flag, note=note, actor="urn:li:corpuser:a"))

    assert brief(ece("deprecation", None, dep(True))) == [("DEPRECATION", "MODIFY", None, {"status": "DEPRECATED"})]
    assert brief(ece("deprecation", dep(True), dep(False))) == [("DEPRECATION", "MODIFY", None, {"status": "ACTIVE"})]
    assert ece("deprecation", dep(True), dep(True, "other note")) == []


def test_documentation_editable_and_dataset_properties_r3_6():
    """DOCUMENTATION ADD/MODIFY/REMOVE with parameter description. datasetProperties is registered
    twice in DataHub's registry factory (R8.13), so DataHub emits its events twice; litemeta's
    documented choice is to emit them once (a duplicate carries no meaning)."""

    def edp(d):
        return pj(sc.EditableDatasetPropertiesClass(description=d))

    assert brief(ece("editableDatasetProperties", None, edp("hello"))) == [
        ("DOCUMENTATION", "ADD", None, {"description": "hello"})
    ]
    assert brief(ece("editableDatasetProperties", edp("hello"), edp("bye"))) == [
        ("DOCUMENTATION", "MODIFY", None, {"description": "bye"})
    ]
    assert brief(ece("editableDatasetProperties", edp("bye"), edp(None))) == [
        ("DOCUMENTATION", "REMOVE", None, {"description": "bye"})
    ]
    dp_old = pj(sc.DatasetPropertiesClass(description="a", customProperties={"k": "v"}))
    dp_new = pj(sc.DatasetPropertiesClass(description="b"))
    assert brief(ece("datasetProperties", dp_old, dp_new)) == [("DOCUMENTATION", "MODIFY", None, {"description": "b"})]
    assert ece("datasetProperties", dp_new, pj(sc.DatasetPropertiesClass(description="b", name="n"))) == []


def _schema(*fields, pks=None):
    return pj(
        sc.SchemaMetadataClass(
            schemaName="t",
            platform="urn:li:dataPlatform:hive",
            version=0,
            hash="",
            platformSchema=sc.OtherSchemaClass(rawSchema=""),
            fields=list(fields),
            primaryKeys=pks,
        )
    )


def _field(path, native, description=None, nullable=False, tag=None):
    return sc.SchemaFieldClass(
        fieldPath=path,
        type=sc.SchemaFieldDataTypeClass(type=sc.StringTypeClass()),
        nativeDataType=native,
        description=description,
        nullable=nullable,
        globalTags=tags(tag) if tag else None,
    )


def test_schema_fields_add_remove_retype_r3_6():
    """SchemaMetadataChangeEventGenerator: TECHNICAL_SCHEMA ADD/REMOVE/MODIFY, modifier = field urn,
    parameters fieldPath, fieldUrn, nullable, modificationCategory; field tags follow their field."""
    old = _schema(_field("a", "int", "key"), _field("b", "varchar"), _field("gone", "bigint", "old"))
    new = _schema(
        _field("a", "bigint", "key"), _field("b", "varchar", tag="urn:li:tag:pii"), _field("c", "date", nullable=True)
    )
    fa, fb, fc, fg = (f"urn:li:schemaField:({DS},{p})" for p in ("a", "b", "c", "gone"))
    events = ece("schemaMetadata", old, new)
    assert [(e["entityUrn"], *x) for e, x in zip(events, brief(events))] == [
        (
            DS,
            "TECHNICAL_SCHEMA",
            "MODIFY",
            fa,
            {"fieldPath": "a", "fieldUrn": fa, "nullable": False, "modificationCategory": "TYPE_CHANGE"},
        ),
        (
            fb,
            "TAG",
            "ADD",
            "urn:li:tag:pii",
            {"fieldPath": "b", "parentUrn": DS, "tagUrn": "urn:li:tag:pii", "context": "{}"},
        ),
        (
            DS,
            "TECHNICAL_SCHEMA",
            "ADD",
            fc,
            {"fieldPath": "c", "fieldUrn": fc, "nullable": True, "modificationCategory": "OTHER"},
        ),
        (
            DS,
            "TECHNICAL_SCHEMA",
            "REMOVE",
            fg,
            {"fieldPath": "gone", "fieldUrn": fg, "nullable": False, "modificationCategory": "OTHER"},
        ),
        (fg, "DOCUMENTATION", "REMOVE", None, {"description": "old", "fieldPath": "gone", "parentUrn": DS}),
    ]
    assert events[1]["entityType"] == "schemaField"
    assert semantic_change(events) == "MAJOR"


def test_schema_rename_and_field_description_and_primary_key():
    """Rename = same type, parent and description (MODIFY MINOR, RENAME); a field description
    change is DOCUMENTATION MODIFY with previousDescription; primary key changes are MODIFY MAJOR."""
    old = _schema(_field("x", "int", "the x"), _field("y", "int", "d1"))
    new = _schema(_field("x2", "int", "the x"), _field("y", "int", "d2"), pks=["y"])
    fx, fy = f"urn:li:schemaField:({DS},x)", f"urn:li:schemaField:({DS},y)"
    events = ece("schemaMetadata", old, new)
    assert brief(events) == [
        (
            "TECHNICAL_SCHEMA",
            "MODIFY",
            fx,
            {"fieldPath": "x", "fieldUrn": fx, "nullable": False, "modificationCategory": "RENAME"},
        ),
        (
            "DOCUMENTATION",
            "MODIFY",
            None,
            {"description": "d2", "previousDescription": "d1", "fieldPath": "y", "parentUrn": DS},
        ),
        (
            "TECHNICAL_SCHEMA",
            "MODIFY",
            fy,
            {"fieldPath": "y", "fieldUrn": fy, "nullable": False, "modificationCategory": "OTHER"},
        ),
    ]
    assert semantic_change(events[:2]) == "MINOR" and semantic_change(events[1:2]) == "PATCH"


_PATHS = st.sampled_from(
    ["a", "b", "c", "a.x", "a.y", "b.x", ".z", "[version=2.0].[type=int].a", "[version=2.0].[type=long].a", "a.x.y"]
)
_FIELDS = st.lists(
    st.tuples(_PATHS, st.sampled_from(["int", "bigint"]), st.sampled_from([None, "d", "e"]), st.booleans()),
    max_size=7,
    unique_by=lambda f: f[0],
)


@settings(max_examples=300, deadline=None)
@given(old=_FIELDS, new=_FIELDS)
def test_schema_rename_search_by_index_equals_the_scan(old, new):
    """R3.6 renames: the rename search through the per-side index finds exactly the fields the
    plain scan of the other side's rest (``_is_renamed`` on each field, DataHub's loop) finds,
    on random schema pairs full of rename candidates (shared types, descriptions and parents)."""
    from litemeta.core import changes_schema as CS

    before = _schema(*[_field(p, n, d, nullable=b) for p, n, d, b in old])
    after = _schema(*[_field(p, n, d, nullable=b) for p, n, d, b in new])
    indexed = CS.schema_metadata_events(before, after, DS)
    init = CS._RenameIndex.__init__

    def scanning(self, fields):
        init(self, fields)
        self.exact = False

    CS._RenameIndex.__init__ = scanning
    try:
        scanned = CS.schema_metadata_events(before, after, DS)
    finally:
        CS._RenameIndex.__init__ = init
    assert indexed == scanned


def test_editable_schema_metadata_field_tags_terms_docs():
    """EditableSchemaMetadataChangeEventGenerator: passes DOCUMENTATION, TAG, GLOSSARY_TERM; entity
    is the schemaField urn, which DataHub also passes as parentUrn; DELETE (new=None) yields nothing."""
    stamp = sc.AuditStampClass(time=0, actor="urn:li:corpuser:a")

    def esm(*infos):
        return pj(sc.EditableSchemaMetadataClass(editableSchemaFieldInfo=list(infos)))

    old = esm(sc.EditableSchemaFieldInfoClass(fieldPath="a", description="doc a"))
    new = esm(
        sc.EditableSchemaFieldInfoClass(
            fieldPath="a",
            globalTags=tags("urn:li:tag:t"),
            glossaryTerms=sc.GlossaryTermsClass(
                terms=[sc.GlossaryTermAssociationClass(urn="urn:li:glossaryTerm:g")], auditStamp=stamp
            ),
        )
    )
    fa = f"urn:li:schemaField:({DS},a)"
    events = ece("editableSchemaMetadata", old, new)
    assert [(e["entityUrn"], *x) for e, x in zip(events, brief(events))] == [
        (fa, "DOCUMENTATION", "REMOVE", "a", {"description": "doc a"}),
        (
            fa,
            "TAG",
            "ADD",
            "urn:li:tag:t",
            {"fieldPath": "a", "parentUrn": fa, "tagUrn": "urn:li:tag:t", "context": "{}"},
        ),
        (
            fa,
            "GLOSSARY_TERM",
            "ADD",
            "urn:li:glossaryTerm:g",
            {"fieldPath": "a", "parentUrn": fa, "termUrn": "urn:li:glossaryTerm:g", "context": "{}"},
        ),
    ]
    assert ece("editableSchemaMetadata", new, None, "DELETE") == []


def test_status_soft_delete_and_reinstate_quirk_r3_7():
    """R3.7 (StatusChangeEventGenerator, still so in the latest revision read): removed=true gives
    SOFT_DELETE; anything else gives REINSTATE, even a first removed=false write or a no-change one."""
    off, on = pj(sc.StatusClass(removed=False)), pj(sc.StatusClass(removed=True))
    assert brief(ece("status", off, on)) == [("LIFECYCLE", "SOFT_DELETE", None, None)]
    assert brief(ece("status", on, off)) == [("LIFECYCLE", "REINSTATE", None, None)]
    assert brief(ece("status", None, off)) == [("LIFECYCLE", "REINSTATE", None, None)]
    assert brief(ece("status", off, off)) == [("LIFECYCLE", "REINSTATE", None, None)]
    assert brief(ece("status", on, None, "DELETE")) == [("LIFECYCLE", "REINSTATE", None, None)]


def test_lifecycle_create_and_hard_delete_via_key_r3_6():
    """R3.6: LIFECYCLE/CREATE when a key aspect appears, HARD_DELETE when it goes; no parameters."""
    key = pj(sc.DatasetKeyClass(platform="urn:li:dataPlatform:hive", name="db.t", origin="PROD"))
    assert ece("datasetKey", None, key, "CREATE") == [
        {
            "entityType": "dataset",
            "entityUrn": DS,
            "category": "LIFECYCLE",
            "operation": "CREATE",
            "auditStamp": STAMP,
            "version": 0,
        }
    ]
    assert brief(ece("datasetKey", key, None, "DELETE")) == [("LIFECYCLE", "HARD_DELETE", None, None)]
    assert ece("datasetKey", key, key) == []
    assert ece("corpUserKey", None, {"username": "a"}) == []  # not registered


def test_assertion_run_event_r3_6():
    """AssertionRunEventChangeEventGenerator: RUN/COMPLETED when status becomes COMPLETE; runResult
    is the status string, assertionResult the result type; sorted parameter keys."""
    a = "urn:li:assertion:x"
    run = pj(
        sc.AssertionRunEventClass(
            timestampMillis=1,
            runId="r1",
            asserteeUrn=DS,
            assertionUrn=a,
            status="COMPLETE",
            result=sc.AssertionResultClass(type="FAILURE"),
        )
    )
    events = ece("assertionRunEvent", None, run, urn=a, entity_type="assertion")
    assert events == [
        {
            "entityType": "assertion",
            "entityUrn": a,
            "category": "RUN",
            "operation": "COMPLETED",
            "parameters": {"asserteeUrn": DS, "assertionResult": "FAILURE", "runId": "r1", "runResult": "COMPLETE"},
            "auditStamp": STAMP,
            "version": 0,
        }
    ]
    assert list(events[0]["parameters"]) == sorted(events[0]["parameters"])
    assert ece("assertionRunEvent", run, run, urn=a, entity_type="assertion") == []


def test_data_process_instance_run_events_r3_6():
    """DataProcessInstanceRunEventChangeEventGenerator: RUN/STARTED then RUN/COMPLETED on a status
    change; attempt, runResult, parent instance and template from dataProcessInstanceRelationships."""
    dpi = "urn:li:dataProcessInstance:abc"
    job = "urn:li:dataJob:(urn:li:dataFlow:(airflow,f,prod),j)"
    rel = {
        "dataProcessInstanceRelationships": pj(
            sc.DataProcessInstanceRelationshipsClass(
                upstreamInstances=[], parentTemplate=job, parentInstance="urn:li:dataProcessInstance:parent"
            )
        )
    }
    started = pj(sc.DataProcessInstanceRunEventClass(timestampMillis=1, status="STARTED", attempt=1))
    done = pj(
        sc.DataProcessInstanceRunEventClass(
            timestampMillis=2,
            status="COMPLETE",
            attempt=1,
            result=sc.DataProcessInstanceRunResultClass(type="SUCCESS", nativeResultType="x"),
        )
    )
    kw = dict(urn=dpi, entity_type="dataProcessInstance", related=rel)
    assert brief(ece("dataProcessInstanceRunEvent", None, started, **kw)) == [
        (
            "RUN",
            "STARTED",
            None,
            {"attempt": 1, "parentInstanceUrn": "urn:li:dataProcessInstance:parent", "dataJobUrn": job},
        )
    ]
    assert brief(ece("dataProcessInstanceRunEvent", started, done, **kw)) == [
        (
            "RUN",
            "COMPLETED",
            None,
            {
                "attempt": 1,
                "runResult": "SUCCESS",
                "parentInstanceUrn": "urn:li:dataProcessInstance:parent",
                "dataJobUrn": job,
            },
        )
    ]
    assert ece("dataProcessInstanceRunEvent", done, done, **kw) == []


def test_structured_properties():
    """StructuredPropertiesChangeEventGenerator: one ADD and/or REMOVE per property, modifier and
    parameter propertyUrn; a property that disappears is a REMOVE."""

    def sp(**props):
        return pj(
            sc.StructuredPropertiesClass(
                properties=[
                    sc.StructuredPropertyValueAssignmentClass(propertyUrn=f"urn:li:structuredProperty:{k}", values=v)
                    for k, v in props.items()
                ]
            )
        )

    events = ece("structuredProperties", sp(a=["x"], b=[1.0]), sp(a=["y", "z"], c=["q"]))
    p = "urn:li:structuredProperty:"
    assert brief(events) == [
        ("STRUCTURED_PROPERTY", "ADD", p + "a", {"propertyUrn": p + "a"}),
        ("STRUCTURED_PROPERTY", "REMOVE", p + "a", {"propertyUrn": p + "a"}),
        ("STRUCTURED_PROPERTY", "ADD", p + "c", {"propertyUrn": p + "c"}),
        ("STRUCTURED_PROPERTY", "REMOVE", p + "b", {"propertyUrn": p + "b"}),
    ]


def test_relationship_events_for_lineage_edges_r8_12():
    """R8.12: one RelationshipChangeEvent per edge removed (first) or added, from the registry's
    Relationship annotations (upstreamLineage /upstreams/*/dataset -> DownstreamOf)."""
    reg = load_registry()

    def up(*ds: str) -> dict:
        return pj(sc.UpstreamLineageClass(upstreams=[sc.UpstreamClass(dataset=d, type="TRANSFORMED") for d in ds]))

    a, b, c = (f"urn:li:dataset:(urn:li:dataPlatform:hive,{n},PROD)" for n in "abc")
    events = relationship_change_events(
        entity_urn=DS,
        aspect_name="upstreamLineage",
        change_type="UPSERT",
        previous=up(a, b),
        new=up(b, c),
        audit_stamp=STAMP,
        registry=reg,
    )
    assert events == [
        {
            "sourceUrn": DS,
            "destinationUrn": a,
            "operation": "REMOVE",
            "relationshipType": "DownstreamOf",
            "auditStamp": STAMP,
        },
        {
            "sourceUrn": DS,
            "destinationUrn": c,
            "operation": "ADD",
            "relationshipType": "DownstreamOf",
            "auditStamp": STAMP,
        },
    ]
    assert (
        relationship_change_events(
            entity_urn=DS,
            aspect_name="upstreamLineage",
            change_type="RESTATE",
            previous=up(a),
            new=up(a),
            audit_stamp=STAMP,
            registry=reg,
        )
        == []
    )
    gone = relationship_change_events(
        entity_urn=DS,
        aspect_name="globalTags",
        change_type="DELETE",
        previous=pj(tags("urn:li:tag:x")),
        new=None,
        audit_stamp=STAMP,
        registry=reg,
    )
    assert [(e["relationshipType"], e["operation"], e["destinationUrn"]) for e in gone] == [
        ("TaggedWith", "REMOVE", "urn:li:tag:x")
    ]


def test_extract_paths():
    value = {"a": [{"b": 1}, {"b": None}, {"c": 2}], "m": {"k1": {"v": "x"}, "k2": {"v": "y"}}}
    assert extract_paths(value, "/a/*/b") == [1]
    assert extract_paths(value, "/m/*/v") == ["x", "y"]
    assert extract_paths(value, "/m/$key") == ["k1", "k2"]
    assert extract_paths(value, "/missing/*/x") == []


def test_platform_event_envelope_r3_4():
    """R3.4 / design choice 8: {header:{timestampMillis}, name, payload:{value: json text, contentType}}."""
    payload = ece("globalTags", None, pj(tags("urn:li:tag:a")))[0]
    pe = platform_event("entityChangeEvent", payload, STAMP["time"])
    assert pe["header"] == {"timestampMillis": 1700000000000} and pe["name"] == "entityChangeEvent"
    assert pe["payload"]["contentType"] == "application/json"
    assert json.loads(pe["payload"]["value"]) == payload
    assert " " not in pe["payload"]["value"].replace("urn:li:tag:a", "")
    # The SDK's EntityChangeEvent record accepts the payload.
    assert sc.EntityChangeEventClass.from_obj(json.loads(pe["payload"]["value"])).category == "TAG"


def test_determinism_same_input_same_order():
    """Same input, same output, in the same order (design rule: pure decisions)."""
    old = _schema(_field("a", "int", tag="urn:li:tag:x"), _field("b", "int"))
    new = _schema(_field("b", "varchar", tag="urn:li:tag:y"), _field("c", "int"))
    first = ece("schemaMetadata", old, new)
    assert first and all(ece("schemaMetadata", old, new) == first for _ in range(5))


def test_semantic_versions_timeline():
    """TimelineServiceImpl: 0.0.0 first, then MAJOR/MINOR/PATCH bumps, NONE keeps the version."""
    assert semantic_versions(["MINOR", "MINOR", "PATCH", "MAJOR", "NONE", "MINOR"]) == [
        "0.0.0-computed",
        "0.1.0-computed",
        "0.1.1-computed",
        "1.0.0-computed",
        "1.0.0-computed",
        "1.1.0-computed",
    ]
    assert semantic_change([]) == "NONE"
    with_sv = aspect_change_events(
        entity_urn=DS,
        aspect_name="schemaMetadata",
        previous=_schema(_field("a", "int")),
        new=_schema(),
        audit_stamp=STAMP,
        with_semver=True,
    )
    assert semantic_change(with_sv) == "MAJOR"


@pytest.mark.parametrize("aspect", sorted(ELIGIBLE_ASPECTS))
def test_eligible_aspects_exist_in_registry(aspect):
    """R8.12: every aspect of the hook's list is a real aspect of DataHub's registry."""
    assert load_registry().aspect(aspect).name == aspect


def test_platform_events_are_stored_as_payload_and_read_back_as_the_envelope():
    """The log keeps a platform event's payload text; reading rebuilds exactly platform_event(...)."""
    import json as _json

    from litemeta.storage.db import open_database
    from litemeta.storage.log import Appender, read_topic

    payload = {
        "entityUrn": 'urn:li:corpuser:\u00e9"x',
        "category": "TAG",
        "operation": "ADD",
        "version": 0,
        "parameters": {"tagUrn": "urn:li:tag:\u65e5"},
        "_semver": "MINOR",
    }
    value = platform_event("entityChangeEvent", payload, 12)
    assert "_semver" not in _json.loads(value["payload"]["value"])
    db = open_database(":memory:")
    with db.write() as conn:
        out = Appender({})
        out.append("PlatformEvent_v1", "entityChangeEvent-urn:li:corpuser:x", 12, value)
        out.flush(conn)
    with db.read() as conn:
        [rec] = read_topic(conn, "PlatformEvent_v1")
    assert rec.value == value
