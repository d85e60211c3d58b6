"""Each transformer against DataHub's own class on the same SDK-built stream (datahub/ingestion/transformer/*.py).

The stream (tests/workflow/sdk_harness.py) has entities carrying the aspect (transformed in place), entities
seen without it (the aspect is added at the end of the stream), MCEs with and without it, other entity
types, and a PATCH (passed through). Outputs are compared record by record, in order, after normalising
aspect values through the SDK's classes.
"""

from __future__ import annotations

import warnings
from typing import Any, Dict

import pytest
from datahub.ingestion.transformer import add_dataset_browse_path as dh_browse
from datahub.ingestion.transformer import add_dataset_ownership as dh_own_legacy
from datahub.ingestion.transformer import add_dataset_properties as dh_props
from datahub.ingestion.transformer import add_dataset_tags as dh_tags
from datahub.ingestion.transformer import add_dataset_terms as dh_terms
from datahub.ingestion.transformer import add_domain as dh_domain
from datahub.ingestion.transformer import add_ownership as dh_own
from datahub.ingestion.transformer import dataset_domain as dh_domain_legacy
from datahub.ingestion.transformer import mark_dataset_status as dh_status

from litemeta.errors import ConfigurationError
from litemeta.model.proposal import Proposal
from litemeta.workflow.steps import PipelineContext, create_step
from litemeta.workflow.transformers import KeyValuePattern
from tests.workflow.sdk_harness import FakeGraph, ds, run_litemeta, run_sdk, sdk_stream

PATTERN = {"rules": {".*db\\.a.*": ["urn:li:X:1"], ".*db\\.(b|e).*": ["urn:li:X:2", "urn:li:X:3"]}}


def _pattern(kind: str) -> Dict[str, Any]:
    return {"rules": {k: [v.replace("urn:li:X", kind) for v in vs] for k, vs in PATTERN["rules"].items()}}


class Props(dh_props.AddDatasetPropertiesResolverBase):
    """A resolver class for add_dataset_properties (used by both sides by dotted path)."""

    def get_properties_to_add(self, entity_urn: str) -> Dict[str, str]:
        return {"owner_team": "core", "k": entity_urn[-8:]}


CASES = [
    ("simple_add_dataset_tags", dh_tags.SimpleAddDatasetTags, {"tag_urns": ["urn:li:tag:pii", "urn:li:tag:new"]}),
    (
        "simple_add_dataset_tags",
        dh_tags.SimpleAddDatasetTags,
        {"tag_urns": ["urn:li:tag:new"], "replace_existing": True},
    ),
    ("pattern_add_dataset_tags", dh_tags.PatternAddDatasetTags, {"tag_pattern": _pattern("urn:li:tag")}),
    ("simple_add_dataset_terms", dh_terms.SimpleAddDatasetTerms, {"term_urns": ["urn:li:glossaryTerm:T1"]}),
    (
        "pattern_add_dataset_terms",
        dh_terms.PatternAddDatasetTerms,
        {"term_pattern": _pattern("urn:li:glossaryTerm"), "replace_existing": True},
    ),
    (
        "simple_add_dataset_ownership",
        dh_own_legacy.SimpleAddDatasetOwnership,
        {"owner_urns": ["urn:li:corpuser:alice", "urn:li:corpuser:o"]},
    ),
    (
        "simple_add_dataset_ownership",
        dh_own_legacy.SimpleAddDatasetOwnership,
        {"owner_urns": ["urn:li:corpGroup:g"], "ownership_type": "urn:li:ownershipType:steward"},
    ),
    (
        "pattern_add_dataset_ownership",
        dh_own_legacy.PatternAddDatasetOwnership,
        {"owner_pattern": _pattern("urn:li:corpuser"), "ownership_type": "technical_owner"},
    ),
    ("simple_add_ownership", dh_own.SimpleAddOwnership, {"owner_urns": ["urn:li:corpuser:alice"]}),
    (
        "simple_add_ownership",
        dh_own.SimpleAddOwnership,
        {"owner_urns": ["urn:li:corpuser:alice"], "entity_types": ["container"]},
    ),
    ("pattern_add_ownership", dh_own.PatternAddOwnership, {"owner_pattern": _pattern("urn:li:corpuser")}),
    ("simple_add_dataset_domain", dh_domain_legacy.SimpleAddDatasetDomain, {"domains": ["urn:li:domain:sales"]}),
    (
        "pattern_add_dataset_domain",
        dh_domain_legacy.PatternAddDatasetDomain,
        {"domain_pattern": _pattern("urn:li:domain")},
    ),
    ("simple_add_domain", dh_domain.SimpleAddDomain, {"domains": ["urn:li:domain:sales"], "replace_existing": True}),
    ("simple_add_dataset_properties", dh_props.SimpleAddDatasetProperties, {"properties": {"k": "new", "a": "1"}}),
    (
        "simple_add_dataset_properties",
        dh_props.SimpleAddDatasetProperties,
        {"properties": {"a": "1"}, "replace_existing": True},
    ),
    (
        "add_dataset_properties",
        dh_props.AddDatasetProperties,
        {"add_properties_resolver_class": "tests.workflow.test_transformers.Props"},
    ),
    (
        "set_dataset_browse_path",
        dh_browse.AddDatasetBrowsePathTransformer,
        {"path_templates": ["/ENV/PLATFORM/DATASET_PARTS", "/x/PLATFORM"]},
    ),
    (
        "set_dataset_browse_path",
        dh_browse.AddDatasetBrowsePathTransformer,
        {"path_templates": ["/ENV/PLATFORM"], "replace_existing": True},
    ),
    ("mark_dataset_status", dh_status.MarkDatasetStatus, {"removed": True}),
]


@pytest.mark.parametrize("name,sdk_cls,config", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_same_output_as_datahub_overwrite(name: str, sdk_cls: Any, config: Dict[str, Any]) -> None:
    """OVERWRITE semantics: litemeta's transformer yields DataHub's records, in DataHub's order."""
    graph = FakeGraph({})  # DataHub's domain transformers insist on a graph even for OVERWRITE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = run_sdk(sdk_cls, config, sdk_stream(), graph)
    assert run_litemeta(name, config, sdk_stream(), graph) == expected


SERVER = {
    ds("a"): {
        "globalTags": {"tags": [{"tag": "urn:li:tag:server"}, {"tag": "urn:li:tag:pii", "context": "s"}]},
        "glossaryTerms": {
            "terms": [{"urn": "urn:li:glossaryTerm:S"}],
            "auditStamp": {"time": 1, "actor": "urn:li:corpuser:s"},
        },
        "ownership": {"owners": [{"owner": "urn:li:corpuser:s", "type": "DATAOWNER"}]},
        "domains": {"domains": ["urn:li:domain:server"]},
        "datasetProperties": {"customProperties": {"srv": "1", "k": "server"}},
        "browsePaths": {"paths": ["/server", "/old/path"]},
    },
    ds("b"): {"domains": {"domains": ["urn:li:domain:b"]}, "globalTags": {"tags": []}},
}

PATCH_CASES = [
    ("simple_add_dataset_tags", dh_tags.SimpleAddDatasetTags, {"tag_urns": ["urn:li:tag:new"], "semantics": "PATCH"}),
    (
        "simple_add_dataset_terms",
        dh_terms.SimpleAddDatasetTerms,
        {"term_urns": ["urn:li:glossaryTerm:T1"], "semantics": "PATCH"},
    ),
    (
        "simple_add_dataset_ownership",
        dh_own_legacy.SimpleAddDatasetOwnership,
        {"owner_urns": ["urn:li:corpuser:alice"], "semantics": "PATCH"},
    ),
    (
        "simple_add_dataset_domain",
        dh_domain_legacy.SimpleAddDatasetDomain,
        {"domains": ["urn:li:domain:sales"], "semantics": "PATCH"},
    ),
    (
        "simple_add_dataset_domain",
        dh_domain_legacy.SimpleAddDatasetDomain,
        {"domains": ["urn:li:domain:sales"], "on_conflict": "DO_NOTHING"},
    ),
    (
        "simple_add_dataset_properties",
        dh_props.SimpleAddDatasetProperties,
        {"properties": {"k": "new"}, "semantics": "PATCH"},
    ),
    (
        "set_dataset_browse_path",
        dh_browse.AddDatasetBrowsePathTransformer,
        {"path_templates": ["/ENV/PLATFORM"], "semantics": "patch"},
    ),
]


@pytest.mark.parametrize("name,sdk_cls,config", PATCH_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(PATCH_CASES)])
def test_same_output_as_datahub_patch(name: str, sdk_cls: Any, config: Dict[str, Any]) -> None:
    """PATCH semantics (and on_conflict): merged with the store's current values as DataHub merges with the server's."""
    graph = FakeGraph(SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = run_sdk(sdk_cls, config, sdk_stream(), graph)
    assert run_litemeta(name, config, sdk_stream(), graph) == expected


def test_key_value_pattern_matches_datahub() -> None:
    """KeyValuePattern: start-anchored regex rules, first match only by default, else all matches deduplicated."""
    from datahub.configuration.common import KeyValuePattern as DH

    rules = {"urn:li:dataset:.*": ["a", "b"], ".*hive.*": ["b", "c"], "nomatch": ["z"]}
    for first in (True, False):
        ours = KeyValuePattern({"rules": rules, "first_match_only": first}, "p")
        theirs = DH(rules=rules, first_match_only=first)
        for urn in (ds("a"), "urn:li:chart:(hive,x)", "x"):
            assert ours.value(urn) == theirs.value(urn)


def test_patch_semantics_needs_a_store() -> None:
    with pytest.raises(ConfigurationError, match="PATCH.*litemeta sink"):
        create_step(
            "transformer",
            "simple_add_dataset_tags",
            {"tag_urns": ["urn:li:tag:t"], "semantics": "PATCH"},
            PipelineContext("r"),
        )


@pytest.mark.parametrize(
    "config,match",
    [
        (
            {"tag_urns": ["urn:li:tag:t"], "tags": []},
            "unknown config key 'tags'; allowed keys: semantics, replace_existing, tag_urns",
        ),
        ({}, "'tag_urns' is required"),
        ({"tag_urns": "urn:li:tag:t"}, "'tag_urns' must be list, found str"),
        ({"tag_urns": [], "semantics": "MERGE"}, "semantics must be one of OVERWRITE, PATCH"),
    ],
)
def test_config_errors_name_the_key(config: Dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        create_step("transformer", "simple_add_dataset_tags", config, PipelineContext("r"))


def test_bad_ownership_type_rejected_like_datahub() -> None:
    with pytest.raises(ConfigurationError, match="unexpected ownership_type 'boss'"):
        create_step(
            "transformer",
            "simple_add_dataset_ownership",
            {"owner_urns": ["urn:li:corpuser:a"], "ownership_type": "boss"},
            PipelineContext("r"),
        )


def test_filter_by_entity_type_urn_and_aspect() -> None:
    t = create_step(
        "transformer",
        "filter",
        {"entity_types": ["dataset"], "urn_pattern": {"deny": [".*db\\.secret"]}, "aspects": {"deny": ["status"]}},
        PipelineContext("r"),
    )
    records = [
        Proposal(ds("a"), "globalTags", aspect={"tags": []}),
        Proposal(ds("a"), "status", aspect={"removed": False}),
        Proposal(ds("secret"), "globalTags", aspect={"tags": []}),
        Proposal("urn:li:corpuser:x", "status", aspect={"removed": False}),
    ]
    kept = [r for rec in records for r in t.process(rec)]  # type: ignore[attr-defined]
    assert kept == records[:1]
    assert len(t.status.filtered) == 3
