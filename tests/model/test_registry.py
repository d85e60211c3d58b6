"""The registry generated under data/ agrees with the SDK's own constants (issue 2, item 2)."""

from __future__ import annotations

from datahub.metadata import _internal_schema_classes as sdk

from litemeta.model.registry import Registry, load_registry


def test_upstream_version_is_the_pinned_sdk() -> None:
    import datahub

    assert load_registry().upstream_version == datahub.__version__


def test_every_sdk_aspect_is_registered_with_its_timeseries_flag() -> None:
    reg = load_registry()
    sdk_aspects = {cls.ASPECT_NAME: cls for cls in sdk.ASPECT_CLASSES}
    assert set(reg.aspects) == set(sdk_aspects)
    for name, cls in sdk_aspects.items():
        assert reg.aspects[name].timeseries == (cls.ASPECT_TYPE == "timeseries"), name
        assert reg.aspects[name].record_name.split(".")[-1] == cls.RECORD_SCHEMA.name, name


def test_key_aspects_and_their_fields_in_order() -> None:
    reg = load_registry()
    assert set(reg.entities) == set(sdk.KEY_ASPECTS)
    for entity, cls in sdk.KEY_ASPECTS.items():
        assert reg.entities[entity].key_aspect == cls.ASPECT_NAME
        spec = reg.aspects[cls.ASPECT_NAME]
        assert spec.key_for_entity == entity
        assert [f.name for f in spec.key_fields] == [f.name for f in cls.RECORD_SCHEMA.fields]


def test_entity_aspect_lists() -> None:
    reg = load_registry()
    for entity, names in sdk.ENTITY_TYPE_TO_ASPECT_NAMES.items():
        # the SDK lists the non-key aspects; litemeta's list also holds the key aspect, first
        ent = reg.entities[entity]
        assert ent.aspects[0] == ent.key_aspect
        assert set(ent.aspects) == set(names) | {ent.key_aspect}, entity


def test_annotations_by_path() -> None:
    """formats.md §2: DatasetKey.name is fieldName id, WORD_GRAM, boost 10 (R4.3); tags are TaggedWith edges."""
    reg: Registry = load_registry()
    key = reg.aspects["datasetKey"].searchable
    assert key["/name"]["fieldName"] == "id" and key["/name"]["fieldType"] == "WORD_GRAM"
    assert key["/name"]["boostScore"] == 10.0
    assert reg.aspects["globalTags"].relationships["/tags/*/tag"]["name"] == "TaggedWith"
    assert reg.aspects["upstreamLineage"].has_lineage
    assert not reg.aspects["globalTags"].has_lineage
    # An outer override only carrying v3 settings keeps the nested fieldName (merged key by key)
    esm = reg.aspects["editableSchemaMetadata"].searchable
    assert esm["/editableSchemaFieldInfo/*/description"]["fieldName"] == "editedFieldDescriptions"
    total = sum(len(a.searchable) for a in reg.aspects.values())
    assert total == 630  # formats.md §2: about 630 Searchable paths in 1.7.0.17
    assert sum(len(a.relationships) for a in reg.aspects.values()) == 149


def test_aspect_by_record_name_accepts_avro_and_pegasus_names() -> None:
    reg = load_registry()
    assert reg.aspect_by_record("com.linkedin.pegasus2avro.common.Status").name == "status"
    assert reg.aspect_by_record("com.linkedin.common.Status").name == "status"
