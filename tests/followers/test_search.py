"""Search index (litemeta.followers.search: documents, analysis, index) on a corpus built with the DataHub SDK.

Aspects are SDK objects turned into Pegasus JSON (``to_obj()`` → ``pre_json_transform``), the
form the store keeps. Expected values are computed here from those inputs, never by the index.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import datahub.metadata.schema_classes as m
import pytest
from datahub.emitter.mce_builder import (
    make_container_urn,
    make_data_platform_urn,
    make_dataset_urn,
    make_domain_urn,
    make_tag_urn,
    make_term_urn,
    make_user_urn,
)
from datahub.emitter.serialization_helper import pre_json_transform

from litemeta.errors import ValidationError
from litemeta.followers.search import documents as sd
from litemeta.followers.search.index import SearchIndex
from litemeta.model.registry import load_registry
from litemeta.model.urns import parse_urn

REG = load_registry()
Aspects = Dict[str, Dict[str, Any]]


def pj(obj: Any) -> Dict[str, Any]:
    return pre_json_transform(obj.to_obj())


def _field(path: str, description: Optional[str] = None, tags: Tuple[str, ...] = ()) -> m.SchemaFieldClass:
    return m.SchemaFieldClass(
        fieldPath=path,
        type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass()),
        nativeDataType="varchar",
        description=description,
        globalTags=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=make_tag_urn(t)) for t in tags]) if tags else None,
    )


def dataset(
    platform: str,
    name: str,
    env: str = "PROD",
    *,
    display: Optional[str] = None,
    description: Optional[str] = None,
    columns: Tuple[str, ...] = (),
    tags: Tuple[str, ...] = (),
    terms: Tuple[str, ...] = (),
    owners: Tuple[str, ...] = (),
    domain: Optional[str] = None,
    container: Optional[str] = None,
    subtype: Optional[str] = None,
    removed: Optional[bool] = None,
    custom: Optional[Dict[str, str]] = None,
    edited: Optional[str] = None,
) -> Tuple[str, Aspects]:
    urn = make_dataset_urn(platform, name, env)
    a: Aspects = {
        "datasetProperties": pj(
            m.DatasetPropertiesClass(
                name=display or name.split(".")[-1],
                qualifiedName=name,
                description=description,
                customProperties=custom or {},
            )
        ),
        "dataPlatformInstance": pj(m.DataPlatformInstanceClass(platform=make_data_platform_urn(platform))),
    }
    if columns:
        a["schemaMetadata"] = pj(
            m.SchemaMetadataClass(
                schemaName=name,
                platform=make_data_platform_urn(platform),
                version=0,
                hash="",
                platformSchema=m.OtherSchemaClass(rawSchema=""),
                fields=[_field(c) for c in columns],
            )
        )
    if tags:
        a["globalTags"] = pj(m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=make_tag_urn(t)) for t in tags]))
    if terms:
        a["glossaryTerms"] = pj(
            m.GlossaryTermsClass(
                terms=[m.GlossaryTermAssociationClass(urn=make_term_urn(t)) for t in terms],
                auditStamp=m.AuditStampClass(time=0, actor="urn:li:corpuser:datahub"),
            )
        )
    if owners:
        a["ownership"] = pj(
            m.OwnershipClass(
                owners=[m.OwnerClass(owner=make_user_urn(o), type=m.OwnershipTypeClass.DATAOWNER) for o in owners]
            )
        )
    if domain:
        a["domains"] = pj(m.DomainsClass(domains=[make_domain_urn(domain)]))
    if container:
        a["container"] = pj(m.ContainerClass(container=make_container_urn(container)))
    if subtype:
        a["subTypes"] = pj(m.SubTypesClass(typeNames=[subtype]))
    if removed is not None:
        a["status"] = pj(m.StatusClass(removed=removed))
    if edited:
        a["editableDatasetProperties"] = pj(m.EditableDatasetPropertiesClass(description=edited))
    return urn, a


def chart(
    cid: str, title: str, description: str = "", tags: Tuple[str, ...] = (), owners: Tuple[str, ...] = ()
) -> Tuple[str, Aspects]:
    urn = f"urn:li:chart:(looker,{cid})"
    a: Aspects = {
        "chartInfo": pj(m.ChartInfoClass(title=title, description=description, lastModified=m.ChangeAuditStampsClass()))
    }
    if tags:
        a["globalTags"] = pj(m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=make_tag_urn(t)) for t in tags]))
    if owners:
        a["ownership"] = pj(
            m.OwnershipClass(
                owners=[m.OwnerClass(owner=make_user_urn(o), type=m.OwnershipTypeClass.DATAOWNER) for o in owners]
            )
        )
    return urn, a


def user(name: str, display: str) -> Tuple[str, Aspects]:
    return make_user_urn(name), {
        "corpUserInfo": pj(
            m.CorpUserInfoClass(active=True, displayName=display, fullName=display, email=f"{name}@example.com")
        )
    }


CORPUS: List[Tuple[str, Aspects]] = [
    dataset(
        "hive",
        "sales.orders",
        columns=("order_id", "customer_id", "amount"),
        tags=("gold",),
        owners=("jdoe",),
        domain="sales",
        container="salesdb",
        subtype="Table",
        description="One row per order placed in the web shop.",
    ),
    dataset(
        "hive",
        "sales.orders_archive",
        columns=("order_id", "archived_at"),
        tags=("deprecated",),
        owners=("jdoe", "asmith"),
        domain="sales",
        container="salesdb",
        subtype="Table",
        description="Old orders, orders and more orders: orders before 2020.",
    ),
    dataset(
        "snowflake",
        "analytics.customer_orders",
        columns=("customer_id", "orders_count"),
        terms=("Customer.Id",),
        owners=("asmith",),
        container="analytics",
        subtype="View",
        description="Orders aggregated by customer; customer lifetime value inputs.",
    ),
    dataset(
        "snowflake",
        "analytics.customers",
        columns=("customer_id", "shipping_address", "email"),
        tags=("pii", "gold"),
        terms=("Customer.Email", "Customer.Id"),
        owners=("mlee",),
        domain="marketing",
        container="analytics",
        subtype="Table",
        custom={"team": "growth", "tier": "1"},
        description="Customer master data with the customer lifetime value.",
    ),
    dataset(
        "kafka",
        "events.page_views",
        "DEV",
        columns=("session_id", "page_url", "ts"),
        subtype="Topic",
        owners=("mlee",),
        description="Clickstream of page views.",
        edited="Raw clicks from the website.",
    ),
    dataset(
        "postgres",
        "billing.invoices",
        columns=("invoice_id", "customer_id", "total"),
        tags=("pii",),
        terms=("Finance.Revenue",),
        domain="finance",
        subtype="Table",
        description="Invoices sent to customers.",
        removed=False,
    ),
    dataset(
        "postgres",
        "billing.payments_old",
        columns=("payment_id",),
        tags=("deprecated",),
        domain="finance",
        subtype="Table",
        description="Deleted table of payments.",
        removed=True,
    ),
    chart("c1", "Orders per day", "Daily count of orders.", tags=("gold",), owners=("jdoe",)),
    chart("c2", "Revenue by region", "Revenue split by sales region.", owners=("asmith",)),
    user("jdoe", "John Doe"),
    user("asmith", "Alice Smith"),
]
BY_URN = dict(CORPUS)
URN = {u.split(",")[1] if u.startswith("urn:li:dataset") else u: u for u, _ in CORPUS}
ORDERS = URN["sales.orders"]
CUSTOMERS = URN["analytics.customers"]
REMOVED = URN["billing.payments_old"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    ix = SearchIndex.open(tmp_path_factory.mktemp("search") / "index", REG)
    ix.apply(CORPUS)
    yield ix
    ix.close()


def urns(result: Any) -> List[str]:
    return [h.urn for h in result.results]


def visible() -> List[Tuple[str, Aspects]]:
    return [(u, a) for u, a in CORPUS if not a.get("status", {}).get("removed", False)]


# --------------------------------------------------------------------------------- documents
def test_build_document_follows_annotation_paths_R4_3() -> None:
    """R4.3/R8.18: key fields (datasetKey name → id, platform, origin), arrays through "/*",
    hasValues fields, maps as "key=value" (DataHub's FieldExtractor), ``removed`` from status."""
    doc = sd.build_document(CUSTOMERS, "dataset", BY_URN[CUSTOMERS], REG)
    assert doc["id"] == ["analytics.customers"]
    assert doc["origin"] == ["PROD"]
    assert doc["platform"] == ["urn:li:dataPlatform:snowflake"]
    assert doc["name"] == ["customers"]
    assert doc["fieldPaths"] == ["customer_id", "shipping_address", "email"]
    assert doc["tags"] == ["urn:li:tag:pii", "urn:li:tag:gold"]
    assert doc["glossaryTerms"] == ["urn:li:glossaryTerm:Customer.Email", "urn:li:glossaryTerm:Customer.Id"]
    assert doc["owners"] == ["urn:li:corpuser:mlee"]
    assert doc["customProperties"] == ["team=growth", "tier=1"]
    assert doc["typeNames"] == ["Table"]
    assert doc["hasTags"] is True and doc["hasOwners"] is True and doc["hasDescription"] is True
    assert doc["_entityType"] == ["dataset"]
    assert "removed" not in doc  # no status aspect
    assert sd.build_document(REMOVED, "dataset", BY_URN[REMOVED], REG)["removed"] is True


def test_map_values_of_200_chars_or_more_are_dropped_like_fieldextractor() -> None:
    """DataHub's FieldExtractor keeps map entries whose value is shorter than 200 characters."""
    urn, a = dataset("hive", "t.long", custom={"short": "x" * 199, "long": "y" * 200})
    assert sd.build_document(urn, "dataset", a, REG)["customProperties"] == ["short=" + "x" * 199]


def test_default_field_types_and_query_by_default_R8_18() -> None:
    """R8.18: an annotation without fieldType is TEXT for a string; queryByDefault defaults to true
    for TEXT/WORD_GRAM/URN and false for KEYWORD; a map annotation defaults to KEYWORD."""
    chart_desc = [e for e in sd.aspect_extractions(REG, "chartInfo") if e.path == ("description",)]
    assert chart_desc and chart_desc[0].field_type == "TEXT" and chart_desc[0].field_name == "description"
    defs = sd.field_defs(REG)
    assert defs["id"].field_type == "WORD_GRAM" and defs["id"].query_by_default and defs["id"].boost == 10.0
    assert defs["externalUrl"].field_type == "KEYWORD" and not defs["externalUrl"].query_by_default
    assert defs["origin"].add_to_filters and not defs["origin"].query_by_default
    ex = sd._extraction("/props/*", {"_type": "string"})
    assert ex.is_map and ex.field_type == "KEYWORD" and ex.field_name == "props"
    assert sd._extraction("/n", {"_type": "int"}).field_type == "COUNT"
    assert sd._extraction("/d", {"_type": "double"}).field_type == "DOUBLE"
    assert sd._extraction("/b", {"_type": "boolean"}).field_type == "TEXT"


# --------------------------------------------------------------------------------- ranking
def test_exact_dataset_name_ranks_first(index: SearchIndex) -> None:
    """An exact name beats names containing it and descriptions repeating it (DataHub boosts
    exact id/name matches)."""
    r = index.search("orders")
    assert urns(r)[0] == ORDERS
    assert {URN["sales.orders_archive"], URN["analytics.customer_orders"]} <= set(urns(r))
    assert index.search("customer_orders").results[0].urn == URN["analytics.customer_orders"]
    assert index.search("sales.orders").results[0].urn == ORDERS


def test_column_name_finds_its_table(index: SearchIndex) -> None:
    r = index.search("shipping_address")
    assert urns(r) == [CUSTOMERS]
    assert ("fieldPaths", "shipping") in r.results[0].matched_fields
    expected = {
        u
        for u, a in visible()
        if "customer_id" in [f["fieldPath"] for f in a.get("schemaMetadata", {}).get("fields", [])]
    }
    assert set(urns(index.search("customer_id", count=50))) == expected


def test_tag_term_owner_and_description_words_find_entities(index: SearchIndex) -> None:
    def having(pred: Any) -> set:
        return {u for u, a in visible() if pred(a)}

    assert set(urns(index.search("pii", count=50))) >= having(lambda a: "urn:li:tag:pii" in str(a.get("globalTags")))
    assert set(urns(index.search("tags:pii", count=50))) == having(
        lambda a: "urn:li:tag:pii" in str(a.get("globalTags"))
    )
    assert set(urns(index.search("Revenue", count=50))) >= {URN["billing.invoices"], "urn:li:chart:(looker,c2)"}
    assert set(urns(index.search("glossaryTerms:Email", count=50))) == {CUSTOMERS}
    owned = having(lambda a: "urn:li:corpuser:jdoe" in str(a.get("ownership")))
    assert set(urns(index.search("owners:jdoe", count=50))) == owned
    assert owned <= set(urns(index.search("jdoe", count=50)))
    assert set(urns(index.search("clickstream"))) == {URN["events.page_views"]}
    assert set(urns(index.search("website"))) == {URN["events.page_views"]}  # edited description
    assert set(urns(index.search("growth"))) == {CUSTOMERS}  # custom property value
    assert set(urns(index.search("John"))) == {make_user_urn("jdoe")}


# --------------------------------------------------------------------------------- facets
def _expected_facets(entities: List[Tuple[str, Aspects]]) -> Dict[str, Counter]:
    out: Dict[str, Counter] = {k: Counter() for k in sd.DEFAULT_FACETS}
    for urn, a in entities:
        u = parse_urn(urn)
        out["_entityType"][u.entity_type] += 1
        if u.entity_type == "dataset":
            out["platform"][u.parts[0]] += 1
            out["origin"][u.parts[2]] += 1
        for t in a.get("globalTags", {}).get("tags", []):
            out["tags"][t["tag"]] += 1
        for t in a.get("glossaryTerms", {}).get("terms", []):
            out["glossaryTerms"][t["urn"]] += 1
        for o in a.get("ownership", {}).get("owners", []):
            out["owners"][o["owner"]] += 1
        for d in a.get("domains", {}).get("domains", []):
            out["domains"][d] += 1
        if "container" in a:
            out["container"][a["container"]["container"]] += 1
        for t in a.get("subTypes", {}).get("typeNames", []):
            out["typeNames"][t] += 1
    return out


def test_star_lists_everything_with_facet_counts_computed_from_inputs(index: SearchIndex) -> None:
    """R4.5 facets; R4.4 soft-deleted entities hidden by default."""
    r = index.search("*", count=100)
    assert r.total == len(visible())
    assert set(urns(r)) == {u for u, _ in visible()}
    expected = _expected_facets(visible())
    for name in sd.DEFAULT_FACETS:
        assert r.facets[name] == dict(expected[name]), name


def test_facets_follow_the_query_and_filters(index: SearchIndex) -> None:
    r = index.search("customer", entity_types=["dataset"], count=100)
    matched = [(u, BY_URN[u]) for u in urns(r)]
    assert r.total == len(matched)
    assert r.facets["tags"] == dict(_expected_facets(matched)["tags"])
    assert index.search("*", facets=["platform"]).facets.keys() == {"platform"}
    assert index.search("*", facets=False).facets == {}


# --------------------------------------------------------------------------------- deletes
def test_soft_deleted_hidden_unless_include_removed_R4_4(index: SearchIndex) -> None:
    assert REMOVED not in urns(index.search("payments", count=50))
    assert REMOVED in urns(index.search("payments", include_removed=True, count=50))
    assert index.search("*", include_removed=True).total == len(CORPUS)
    assert all(REMOVED != u for u, _, _ in index.autocomplete("payments"))


def test_delete_entity_removes_it_and_reinsert_restores(tmp_path: Path) -> None:
    ix = SearchIndex.open(tmp_path / "ix", REG)
    ix.apply(CORPUS)
    ix.apply([(ORDERS, None)])
    assert ORDERS not in urns(ix.search("orders", count=50, include_removed=True))
    assert ix.doc_count() == len(CORPUS) - 1
    ix.apply([(ORDERS, BY_URN[ORDERS])])
    assert ix.search("orders").results[0].urn == ORDERS
    ix.apply(CORPUS)  # idempotent
    assert ix.doc_count() == len(CORPUS)
    ix.apply([(u, None) for u, _ in CORPUS])
    assert ix.doc_count() == 0 and ix.search("*").total == 0
    ix.close()


def test_soft_delete_then_restore_via_status(tmp_path: Path) -> None:
    ix = SearchIndex.open(tmp_path / "ix", REG)
    ix.apply(CORPUS)
    gone = dict(BY_URN[ORDERS], status=pj(m.StatusClass(removed=True)))
    ix.apply([(ORDERS, gone)])
    assert ORDERS not in urns(ix.search("orders", count=50))
    ix.apply([(ORDERS, dict(BY_URN[ORDERS], status=pj(m.StatusClass(removed=False))))])
    assert ix.search("orders").results[0].urn == ORDERS
    ix.close()


# --------------------------------------------------------------------------------- filters
def _f(*ands: Dict[str, Any]) -> Dict[str, Any]:
    return {"or": [{"and": list(ands)}]}


def test_filters_equal_contain_start_with_exists_negated_R4_5(index: SearchIndex) -> None:
    hive = {u for u, _ in visible() if "dataPlatform:hive" in u}
    assert (
        set(
            urns(
                index.search(
                    "*",
                    filters=_f({"field": "platform", "values": ["urn:li:dataPlatform:hive"], "condition": "EQUAL"}),
                    count=50,
                )
            )
        )
        == hive
    )
    assert set(urns(index.search("*", filters={"platform": "urn:li:dataPlatform:hive"}, count=50))) == hive
    archive = {URN["sales.orders_archive"]}
    assert (
        set(urns(index.search("*", filters=_f({"field": "id", "value": "archive", "condition": "CONTAIN"})))) == archive
    )
    analytics = {u for u, _ in visible() if ",analytics." in u}
    assert (
        set(
            urns(
                index.search(
                    "*", filters=_f({"field": "id", "values": ["analytics."], "condition": "START_WITH"}), count=50
                )
            )
        )
        == analytics
    )
    with_terms = {u for u, a in visible() if a.get("glossaryTerms")}
    assert (
        set(urns(index.search("*", filters=_f({"field": "glossaryTerms", "condition": "EXISTS"}), count=50)))
        == with_terms
    )
    datasets = {u for u, _ in visible() if u.startswith("urn:li:dataset:")}
    no_terms = datasets - with_terms
    got = index.search(
        "*",
        entity_types=["dataset"],
        count=50,
        filters=_f({"field": "glossaryTerms", "condition": "EXISTS", "negated": True}),
    )
    assert set(urns(got)) == no_terms
    not_prod = {u for u in datasets if not u.endswith(",PROD)")}
    got = index.search(
        "*",
        entity_types=["dataset"],
        count=50,
        filters=_f({"field": "origin", "values": ["PROD"], "condition": "EQUAL", "negated": "true"}),
    )
    assert set(urns(got)) == not_prod


def test_or_of_and_filters_and_entity_types(index: SearchIndex) -> None:
    f = {
        "or": [
            {"and": [{"field": "tags", "values": ["urn:li:tag:gold"]}, {"field": "_entityType", "values": ["chart"]}]},
            {"and": [{"field": "domains", "values": ["urn:li:domain:finance"]}]},
        ]
    }
    expected = {"urn:li:chart:(looker,c1)", URN["billing.invoices"]}
    assert set(urns(index.search("*", filters=f, count=50))) == expected
    assert set(urns(index.search("*", entity_types=["corpuser"], count=50))) == {
        make_user_urn("jdoe"),
        make_user_urn("asmith"),
    }
    with pytest.raises(ValidationError):
        index.search("*", filters={"noSuchField": "x"})
    with pytest.raises(ValidationError):
        index.search("*", filters=_f({"field": "tags", "values": ["x"], "condition": "FUZZY"}))


# --------------------------------------------------------------------------------- query syntax
def test_phrase_wildcard_and_field_value_queries(index: SearchIndex) -> None:
    assert set(urns(index.search('"customer lifetime value"'))) == {URN["analytics.customer_orders"], CUSTOMERS}
    assert urns(index.search('"value lifetime customer"')) == []
    assert set(urns(index.search("ship*"))) == {CUSTOMERS}
    assert set(urns(index.search("invoic?s"))) >= {URN["billing.invoices"]}
    assert set(urns(index.search("origin:DEV"))) == {URN["events.page_views"]}
    assert set(urns(index.search("tags:urn:li:tag:pii", count=50))) == {CUSTOMERS, URN["billing.invoices"]}
    assert set(urns(index.search("_entityType:chart"))) == {"urn:li:chart:(looker,c1)", "urn:li:chart:(looker,c2)"}
    assert set(urns(index.search("customer pii", count=50))) == {CUSTOMERS, URN["billing.invoices"]}


def test_paging_and_scores(index: SearchIndex) -> None:
    full = index.search("customer", count=50)
    page = index.search("customer", start=1, count=2)
    assert page.total == full.total and urns(page) == urns(full)[1:3]
    scores = [h.score for h in full.results]
    assert scores == sorted(scores, reverse=True)


# --------------------------------------------------------------------------------- autocomplete
def test_autocomplete_on_enable_autocomplete_fields(index: SearchIndex) -> None:
    got = index.autocomplete("ord")
    assert got[0][0] == ORDERS and got[0][1] == "dataset" and got[0][2].lower().startswith("ord")
    assert "urn:li:chart:(looker,c1)" in [u for u, _, _ in got]
    assert [u for u, _, _ in index.autocomplete("ord", entity_type="chart")] == ["urn:li:chart:(looker,c1)"]
    assert [u for u, _, _ in index.autocomplete("alice")] == [make_user_urn("asmith")]
    assert index.autocomplete("zzz") == []


# --------------------------------------------------------------------------------- rebuild
def test_rebuild_after_deleting_the_index_dir_gives_same_results(tmp_path: Path) -> None:
    queries = ["orders", "customer", "*", "tags:pii", '"customer lifetime value"', "ship*"]
    d = tmp_path / "ix"
    ix = SearchIndex.open(d, REG)
    ix.apply(CORPUS[:5])
    ix.apply(CORPUS[5:])
    before = [(r.total, urns(r), r.facets) for r in (ix.search(q, count=50) for q in queries)]
    ix.close()
    reopened = SearchIndex.open(d, REG, create=False)
    assert [(r.total, urns(r), r.facets) for r in (reopened.search(q, count=50) for q in queries)] == before
    reopened.close()
    shutil.rmtree(d)
    rebuilt = SearchIndex.open(d, REG)
    rebuilt.apply(CORPUS)
    after = [(r.total, urns(r), r.facets) for r in (rebuilt.search(q, count=50) for q in queries)]
    assert [(t, set(u), f) for t, u, f in after] == [(t, set(u), f) for t, u, f in before]
    assert after[0][1][0] == ORDERS
    rebuilt.close()


# --------------------------------------------------------------------------------- indexing speed-ups
def test_one_pass_field_indexing_gives_what_whooshs_analyzers_give() -> None:
    """The one-pass ``index`` of litemeta's TEXT/ID fields yields the terms, frequencies, weights
    and positions that whoosh's own analyzer + format path yields, for every field of every
    document of the corpus (plus stop words, case, accents, separators, repeats and values on
    several lines)."""
    from whoosh import fields as wf

    from litemeta.followers.search import analysis

    schema = analysis.build_schema(REG)
    extra = "\nThe Of and x\n\nÄÖ Straße İstanbul_a-b orders orders\nurn:li:corpuser:jdoe Ölpreis"
    checked = Counter()
    for urn, aspects in CORPUS:
        doc = sd.build_document(urn, parse_urn(urn).entity_type, aspects, REG)
        for name, value in sd.index_fields(doc, REG, analysis.fold).items():
            field = schema[name]
            if not isinstance(value, str) or type(field).__name__ not in ("_FastText", "_FastID"):
                continue  # numbers, stored values and the urn: indexed by whoosh itself
            base = wf.TEXT.index if isinstance(field, wf.TEXT) else wf.ID.index
            for text in (value, value + extra):
                assert sorted(field.index(text)) == sorted(base(field, text)), (name, text)
            checked[type(field).__name__] += 1
    assert checked["_FastText"] > 50 and checked["_FastID"] > 20


def test_an_index_written_with_other_field_types_is_not_served(tmp_path: Path) -> None:
    """A folder whose schema has the same field names but other field classes is refused
    (SearchIndexDamaged): the follower rebuilds it into a new generation."""
    from whoosh import fields as wf
    from whoosh import index as wi

    from litemeta.errors import SearchIndexDamaged
    from litemeta.followers.search import analysis

    schema = analysis.build_schema(REG)
    plain = wf.Schema(
        **{name: (wf.TEXT() if isinstance(schema[name], wf.TEXT) else schema[name]) for name in schema.names()}
    )
    (tmp_path / "ix").mkdir()
    wi.create_in(str(tmp_path / "ix"), plain)
    with pytest.raises(SearchIndexDamaged, match="another schema"):
        SearchIndex.open(tmp_path / "ix", REG)


def test_facets_of_few_matches_from_stored_values_equal_those_from_postings(
    index: SearchIndex, monkeypatch: Any
) -> None:
    """A few matches are counted from their stored facet values, many from postings: the same counts."""
    from litemeta.followers.search import index as ix_module

    queries = ["customer", "orders", "*", "pii", '"customer lifetime value"']
    few = [index.search(q, count=0).facets for q in queries]
    monkeypatch.setattr(ix_module, "FEW_MATCHES", -1)
    assert [index.search(q, count=0).facets for q in queries] == few
