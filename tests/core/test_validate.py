"""litemeta.core.validate on proposals built with DataHub's SDK (MetadataChangeProposalWrapper, patch builders)."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.emitter.serialization_helper import pre_json_transform
from datahub.metadata import schema_classes as sc
from datahub.specific.dataset import DatasetPatchBuilder

from litemeta.core.validate import Validated, validate_proposal
from litemeta.errors import (
    ChangeTypeError,
    InvalidUrnError,
    PatchError,
    SchemaError,
    UnknownAspectError,
    UnknownEntityError,
    ValidationError,
)
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.registry import load_registry

REG = load_registry()
DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"
ORIGIN = Origin("in.json", 7)


def _json(generic: Any) -> Any:
    if generic is None:
        return None
    v = generic.value
    return json.loads(v.decode() if isinstance(v, bytes) else v)


def proposal(mcp: Any, **changes: Any) -> Proposal:
    """A Proposal from an SDK MCPW or MetadataChangeProposalClass, field by field."""
    m = mcp.make_mcp() if isinstance(mcp, MCPW) else mcp
    p = Proposal(
        entity_urn=m.entityUrn,
        aspect_name=m.aspectName,
        change_type=m.changeType,
        aspect=_json(m.aspect),
        entity_type=m.entityType,
        content_type=m.aspect.contentType if m.aspect else "application/json",
        system_metadata=pre_json_transform(m.systemMetadata.to_obj()) if m.systemMetadata else None,
        headers=m.headers,
        entity_key_aspect=_json(m.entityKeyAspect),
        origin=ORIGIN,
    )
    return p.with_(**changes) if changes else p


def check(p: Proposal) -> Validated:
    return validate_proposal(p, REG)


def fails(p: Proposal, kind: type = ValidationError) -> ValidationError:
    with pytest.raises(kind) as info:
        check(p)
    e = info.value
    assert (e.file, e.index) == ("in.json", 7)  # every error names the record
    return e


def status(urn: str = DS, change: Optional[str] = None) -> Proposal:
    p = proposal(MCPW(entityUrn=DS, aspect=sc.StatusClass(removed=False)))
    if urn != DS:  # the SDK refuses malformed urns; swap it in afterwards
        p = p.with_(entity_urn=urn, entity_type=None)
    return p.with_(change_type=change) if change else p


def profile() -> Proposal:
    return proposal(
        MCPW(
            entityUrn=DS,
            aspect=sc.DatasetProfileClass(
                timestampMillis=1700000000000, rowCount=5, eventGranularity=sc.TimeWindowSizeClass("DAY")
            ),
        )
    )


# ------------------------------------------------------------------------------------ accepted
@pytest.mark.parametrize(
    "aspect",
    [
        sc.DatasetPropertiesClass(description="d", customProperties={"a": "b"}),
        sc.SchemaMetadataClass(
            schemaName="t",
            platform="urn:li:dataPlatform:hive",
            version=0,
            hash="",
            platformSchema=sc.OtherSchemaClass(rawSchema=""),
            fields=[sc.SchemaFieldClass("a", sc.SchemaFieldDataTypeClass(sc.NumberTypeClass()), "INT")],
        ),
        sc.OwnershipClass(owners=[sc.OwnerClass("urn:li:corpuser:a", sc.OwnershipTypeClass.DATAOWNER)]),
        sc.UpstreamLineageClass(
            upstreams=[
                sc.UpstreamClass(
                    "urn:li:dataset:(urn:li:dataPlatform:hive,db.u,PROD)", sc.DatasetLineageTypeClass.TRANSFORMED
                )
            ]
        ),
        sc.GlobalTagsClass(tags=[sc.TagAssociationClass("urn:li:tag:pii")]),
        sc.BrowsePathsV2Class(path=[sc.BrowsePathEntryClass(id="db")]),
    ],
)
def test_sdk_written_aspects_are_accepted(aspect: Any) -> None:
    v = check(proposal(MCPW(entityUrn=DS, aspect=aspect)))
    assert v.spec.name == aspect.ASPECT_NAME and not v.drop and v.warnings == ()
    assert v.proposal.entity_type == "dataset"


def test_r1_27_versioned_change_types_and_null_defaults_to_upsert() -> None:
    """R1.27/R1.28 + choice 1: UPSERT, UPDATE, CREATE, CREATE_ENTITY, DELETE are accepted for versioned aspects."""
    for change in ("UPSERT", "UPDATE", "CREATE", "CREATE_ENTITY", "DELETE"):
        assert check(status(change=change)).proposal.change_type == change
    assert check(status().with_(change_type=None)).proposal.change_type == "UPSERT"  # type: ignore[arg-type]


def test_r1_33_restate_and_unknown_change_types_are_rejected() -> None:
    e = fails(status(change="RESTATE"), ChangeTypeError)
    assert "RESTATE" in e.message and e.urn == DS and e.aspect == "status"
    e = fails(status(change="MERGE"), ChangeTypeError)
    assert "'MERGE'" in e.message


def test_r1_22_client_key_aspect_is_dropped_with_a_warning() -> None:
    """R1.22: dropped always; a warning only when the given key differs from the urn's (values are lost)."""
    same = sc.DatasetKeyClass(platform="urn:li:dataPlatform:hive", name="db.t", origin="PROD")
    other = sc.DatasetKeyClass(platform="urn:li:dataPlatform:hive", name="elsewhere", origin="DEV")
    for change in ("UPSERT", "CREATE", "PATCH"):
        v = check(proposal(MCPW(entityUrn=DS, aspect=same), change_type=change))
        assert v.drop and v.spec.is_key and v.warnings == ()
        v = check(proposal(MCPW(entityUrn=DS, aspect=other), change_type=change))
        assert v.drop and len(v.warnings) == 1 and "R1.22" in v.warnings[0] and "elsewhere" in v.warnings[0]


def test_r1_35_delete_of_the_key_aspect_is_kept() -> None:
    v = check(
        proposal(
            MCPW(entityUrn=DS, aspect=sc.DatasetKeyClass("urn:li:dataPlatform:hive", "db.t", "PROD")),
            change_type="DELETE",
            aspect=None,
        )
    )
    assert not v.drop and v.spec.name == "datasetKey" and v.proposal.change_type == "DELETE"


def test_r1_38_timeseries_accepts_upsert_and_delete_only() -> None:
    assert check(profile()).spec.timeseries
    assert check(profile().with_(change_type="DELETE", aspect=None)).proposal.change_type == "DELETE"
    for change in ("UPDATE", "CREATE", "CREATE_ENTITY", "PATCH"):
        e = fails(profile().with_(change_type=change), ChangeTypeError)
        assert "R1.38" in e.message and change in e.message


def test_r1_40_timeseries_value_needs_timestamp_millis() -> None:
    p = profile()
    value = {k: v for k, v in p.aspect.items() if k != "timestampMillis"}
    e = fails(p.with_(aspect=value), SchemaError)
    assert e.path == "/timestampMillis" and "R1.40" in e.message


def test_value_must_match_the_schema_with_path() -> None:
    p = proposal(MCPW(entityUrn=DS, aspect=sc.OwnershipClass(owners=[sc.OwnerClass("urn:li:corpuser:a", "DATAOWNER")])))
    bad = json.loads(json.dumps(p.aspect))
    bad["owners"][0]["type"] = "CHIEF"
    e = fails(p.with_(aspect=bad), SchemaError)
    assert e.path == "/owners/0/type" and "CHIEF" in e.message and e.aspect == "ownership" and e.urn == DS
    assert "in.json#7" in str(e)


def test_missing_value_for_a_write() -> None:
    e = fails(status().with_(aspect=None), SchemaError)
    assert "needs an aspect value" in e.message
    e = fails(status().with_(aspect=[1]), SchemaError)
    assert "JSON object" in e.message


def test_delete_ignores_a_value_with_a_warning() -> None:
    v = check(status(change="DELETE"))
    assert v.warnings and not v.drop


# ----------------------------------------------------------------------------------------- urns
def test_r6_5_urn_from_the_key_aspect() -> None:
    w = MCPW(
        entityType="dataset",
        entityKeyAspect=sc.DatasetKeyClass("urn:li:dataPlatform:hive", "db.t", "PROD"),
        aspect=sc.StatusClass(removed=True),
    )
    p = proposal(w)
    assert p.entity_urn is None
    v = check(p)
    assert v.proposal.entity_urn == DS and v.proposal.entity_type == "dataset"
    # the key aspect may also arrive in its GenericAspect form
    generic = {"value": json.dumps(p.entity_key_aspect), "contentType": "application/json"}
    assert check(p.with_(entity_key_aspect=generic)).proposal.entity_urn == DS


def test_r6_5_neither_urn_nor_key() -> None:
    e = fails(status().with_(entity_urn=None), InvalidUrnError)  # type: ignore[arg-type]
    assert "One of urn and keyAspect must be set" in e.message


def test_r6_5_incomplete_key_aspect() -> None:
    p = proposal(
        MCPW(
            entityType="dataset",
            entityKeyAspect=sc.DatasetKeyClass("urn:li:dataPlatform:hive", "db.t", "PROD"),
            aspect=sc.StatusClass(removed=True),
        )
    )
    e = fails(p.with_(entity_key_aspect={"platform": "urn:li:dataPlatform:hive", "origin": "PROD"}), SchemaError)
    assert e.path == "/name" and e.aspect == "datasetKey"


def test_r6_6_entity_type_must_match_the_urn() -> None:
    e = fails(status().with_(entity_type="chart"), InvalidUrnError)
    assert "R6.6" in e.message and "'chart'" in e.message and "'dataset'" in e.message
    fails(status().with_(entity_type="nosuchthing"), UnknownEntityError)


def test_r6_1_malformed_and_r6_3_wrong_part_count() -> None:
    fails(status(urn="urn:li:dataset:(a,b"), InvalidUrnError)
    fails(status(urn="dataset:x"), InvalidUrnError)
    e = fails(status(urn="urn:li:dataset:(urn:li:dataPlatform:hive,db.t)"), InvalidUrnError)
    assert "key part" in e.message


def test_unknown_entity_type() -> None:
    e = fails(status(urn="urn:li:nosuchEntity:x"), UnknownEntityError)
    assert "nosuchEntity" in e.message


# -------------------------------------------------------------------------------------- aspects
def test_r1_31_aspect_name_required_known_and_registered_for_the_entity() -> None:
    e = fails(status().with_(aspect_name=None), UnknownAspectError)
    assert "aspect name is required" in e.message
    e = fails(status().with_(aspect_name="noSuchAspect"), UnknownAspectError)
    assert "noSuchAspect" in e.message
    chart = proposal(
        MCPW(
            entityUrn="urn:li:chart:(looker,c1)",
            aspect=sc.ChartInfoClass(title="t", description="", lastModified=sc.ChangeAuditStampsClass()),
        )
    )
    assert check(chart).spec.name == "chartInfo"
    e = fails(chart.with_(entity_urn=DS, entity_type="dataset"), UnknownAspectError)
    assert "not registered for entity type 'dataset'" in e.message


# ---------------------------------------------------------------------------------------- patch
def patches() -> list:
    return [
        proposal(m)
        for m in DatasetPatchBuilder(DS)
        .add_tag(sc.TagAssociationClass("urn:li:tag:pii"))
        .set_description("d")
        .add_owner(sc.OwnerClass("urn:li:corpuser:a", "DATAOWNER"))
        .build()
    ]


def test_r1_32_r8_17_sdk_patch_shapes_are_accepted() -> None:
    """Shape A (generic patch object with arrayPrimaryKeys) and shape B (a list of RFC 6902 ops)."""
    ps = patches()
    assert {type(p.aspect) for p in ps} == {dict, list}
    for p in ps:
        v = check(p)
        assert v.proposal.change_type == "PATCH" and not v.drop


@pytest.mark.parametrize(
    "payload, path, words",
    [
        (None, None, "needs a patch"),
        ("add", "", "list of JSON Patch operations"),
        ([{"op": "merge", "path": "/a"}], "/0/op", "unknown JSON Patch op"),
        ([{"op": "add", "path": "/a"}], "/0/value", "needs a value"),
        ([{"op": "remove", "path": "a"}], "/0/path", "JSON pointer"),
        ([{"op": "move", "path": "/a"}], "/0/from", "needs 'from'"),
        (["add"], "/0", "must be an object"),
        ({"patch": "x"}, "/patch", "list of operations"),
        ({"patch": [], "arrayPrimaryKeys": {"tags": "tag"}}, "/arrayPrimaryKeys/tags", "list of field names"),
        ({"patch": [], "forceGenericPatch": "yes"}, "/forceGenericPatch", "boolean"),
        ({"patch": [], "extra": 1}, "/extra", "unrecognized key"),
        ({"patch": [{"op": "add", "path": "/x"}]}, "/patch/0/value", "needs a value"),
    ],
)
def test_r1_32_malformed_patch_payloads(payload: Any, path: Optional[str], words: str) -> None:
    p = patches()[1].with_(aspect=payload)
    e = fails(p, PatchError)
    assert e.path == path and words in e.message


def test_patch_on_a_key_aspect_is_dropped() -> None:
    """R1.22: any client write of a key aspect, a patch included, is dropped."""
    v = check(patches()[1].with_(aspect_name="datasetKey"))
    assert v.drop


def test_inline_field_checks_agree_with_the_field_checkers(corpus_file: Any) -> None:
    """The record checker accepts common values inline (known-good urns, enum symbols, ints in
    range, null in nullable fields) instead of calling each field's checker: on every aspect of an
    SDK corpus and thousands of mutations of them, it accepts and refuses exactly what the
    checkers alone do, with the same message and JSON pointer."""
    import copy
    import random

    from litemeta.model import pegasus_validation as PV
    from litemeta.model.codec import proposals_of
    from litemeta.sources.files import read_records

    registry = load_registry()
    values = [
        (p.aspect_name, p.aspect)
        for r in read_records([str(corpus_file(300, 2))])
        for p in proposals_of(r, registry)
        if isinstance(p.aspect, dict) and p.change_type != "PATCH" and p.aspect_name in registry.aspects
    ]
    rnd = random.Random(7)
    bad = [
        None,
        5,
        -(2**70),
        2**40,
        1.5,
        True,
        "x",
        "urn:li:corpuser:ok",
        "not-a-urn",
        "urn:li:",
        [],
        {},
        "PROD",
        "ZZZ",
    ]

    def mutate(v: Any) -> Any:
        v = copy.deepcopy(v)
        x = v
        while True:
            if isinstance(x, dict) and x:
                k = rnd.choice(list(x))
                if rnd.random() < 0.5 or not isinstance(x[k], (dict, list)) or not x[k]:
                    x[k] = rnd.choice(bad)
                    return v
                x = x[k]
            elif isinstance(x, list) and x:
                i = rnd.randrange(len(x))
                if not isinstance(x[i], (dict, list)) or not x[i] or rnd.random() < 0.3:
                    x[i] = rnd.choice(bad)
                    return v
                x = x[i]
            else:
                return v

    def outcome(check: Any, v: Any) -> str:
        try:
            check(v)
            return "ok"
        except PV._Bad as e:
            return f"{PV._pointer(e.parts)}: {e.message}"

    checkers = {}
    outcomes = {"ok": 0, "refused": 0}
    for name, value in values:
        if name not in checkers:
            schema = PV.resolved_schema(PV.schema_for(name)[0])
            checkers[name] = (PV._Compiler().compile(schema), PV._Compiler(inline=False).compile(schema))
        fast, reference = checkers[name]
        each_field = [{**value, k: b} for k in value for b in (None, 5, "x", "urn:li:corpuser:ok")]
        for v in [value] + each_field + [mutate(value) for _ in range(8)]:
            got = outcome(fast, v)
            assert got == outcome(reference, v), (name, v)
            outcomes["ok" if got == "ok" else "refused"] += 1
    assert outcomes["ok"] > 300 and outcomes["refused"] > 1000  # both sides really exercised
