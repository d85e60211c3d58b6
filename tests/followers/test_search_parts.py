"""The parts of the search follower one by one: analysis, query parsing and planning, the folder of
generations and its identity rules, bounded JSON reads, highlights (issue 14)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, List

import pytest
from datahub.emitter.mce_builder import make_dataset_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m
from hypothesis import given, settings
from hypothesis import strategies as st

import litemeta
from litemeta.followers.search import analysis as an
from litemeta.followers.search import query as qm
from litemeta.followers.search import scoring as sc
from litemeta.followers.search.generations import INDEX_FORMAT, IndexFolder, IndexMeta, StoreIdentity
from litemeta.followers.search.results import highlight
from litemeta.model.jsontext import loads_bounded

ORDERS = make_dataset_urn("hive", "shop.orders", "PROD")


# ----------------------------------------------------------------------------- analysis
def test_folding_lowercases_and_removes_accents_but_keeps_other_scripts() -> None:
    assert an.fold("Ölpreis Straße Ærø Łódź") == "olpreis strasse aero lodz"
    assert an.fold("データ がぎ") == "データ がぎ"  # kana keep their voicing marks
    assert an.fold("PLAIN ascii") == "plain ascii"


def test_words_skip_stop_words_keeping_their_positions_and_gap_between_values() -> None:
    assert list(an.words("Cost of Goods Sold")) == [(0, "cost"), (2, "goods"), (3, "sold")]
    assert list(an.words("customer_id\nColumn With Space")) == [
        (0, "customer"),
        (1, "id"),
        (2 + an.POSITION_GAP, "column"),
        (4 + an.POSITION_GAP, "space"),
    ]
    assert an.pairs("A product in the catalogue\nx y") == ["product 3 catalogue", "x 1 y"]


def test_elasticsearch_english_stop_words() -> None:
    """Elasticsearch's default English stop list (the ``stop`` filter's ``_english_``)."""
    assert len(an.STOP_WORDS) == 33 and {"of", "the", "with", "not", "such", "will"} <= an.STOP_WORDS


# ----------------------------------------------------------------------------- parsing
def test_parse_tree_of_the_query_syntax() -> None:
    P = qm.parse
    assert P("a b") == qm.QAnd((qm.QWord("a"), qm.QWord("b", last=True)))
    assert P("a b ") == qm.QAnd((qm.QWord("a"), qm.QWord("b")))  # a space after: b is complete
    assert P('"a b" tags:pii') == qm.QAnd((qm.QPhrase("a b"), qm.QField("tags", "pii")))
    # a negated last word is complete (no prefix)
    assert P("x OR y -z") == qm.QOr((qm.QWord("x"), qm.QAnd((qm.QWord("y"), qm.QNot(qm.QWord("z"))))))
    assert P("(x OR y) NOT z") == qm.QAnd((qm.QOr((qm.QWord("x"), qm.QWord("y"))), qm.QNot(qm.QWord("z"))))
    assert P("owners:urn:li:corpuser:jdoe") == qm.QField("owners", "urn:li:corpuser:jdoe")
    urn = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"
    assert P(urn) == qm.QWord(urn, last=True)
    assert P('tags:"a b"') == qm.QField("tags", "a b", quoted=True)
    assert P("12:30", fields=["tags"]) == qm.QWord("12:30", last=True)  # not a field: a word
    assert P('nofield:"a b"', fields=["tags"]) == qm.QAnd((qm.QWord("nofield"), qm.QPhrase("a b")))
    assert P('"unclosed') == qm.QPhrase("unclosed")


def _planner(store: Any) -> qm.Planner:
    return store.search_follower.index.planner()


def test_a_word_every_analyzer_drops_is_never_required(tmp_path: Path) -> None:
    """Stop words are not required in any field; "li" (which urn fields drop) is required only
    where it is kept."""
    with litemeta.open_store(str(tmp_path / "s.db")) as s:
        s.ingest([MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders"))])
        planner = _planner(s)
        assert planner._word("the", last=False) is None
        node = planner._word("li", last=False)
        fields = {x.field for x in node.queries}
        assert fields and not any(
            planner.fields[n].kind in ("urn", "urn_ngrams") and planner.fields[n].wfield in fields
            for n in planner.fields
        )
        assert s.search("the of and").total == 0  # only stop words: exact names only
        assert s.search("orders of the").results[0].urn == ORDERS


# ----------------------------------------------------------------------------- identity and folder
def test_identity_rules() -> None:
    ident = StoreIdentity("abc", "1:k", 10)
    assert ident.mismatch(IndexMeta("abc", "1:k", 10)) is None
    assert ident.mismatch(IndexMeta("abc", "1:k", 3)) is None  # behind: caught up, not rebuilt
    assert "another store" in (ident.mismatch(IndexMeta("xyz", "1:k", 3)) or "")
    assert "has indexed 11" in (ident.mismatch(IndexMeta("abc", "1:k", 11)) or "")
    assert "format" in (ident.mismatch(IndexMeta("abc", "1:k", 3, INDEX_FORMAT - 1)) or "")
    assert ident.mismatch(None) is not None
    # a store created before store ids: its log's first record identifies it
    old = StoreIdentity(None, "1:k", 10)
    assert old.mismatch(IndexMeta(None, "1:k", 10)) is None
    assert old.mismatch(IndexMeta(None, "2:k", 10)) is not None
    assert ident.mismatch(IndexMeta(None, "1:k", 10)) is None  # the store got its id since: still its index
    assert IndexMeta.from_json(IndexMeta("a", None, 5).to_json()) == IndexMeta("a", None, 5)
    assert IndexMeta.from_json("not json") is None


def test_folder_generations_switch_whole_and_clean_up(tmp_path: Path) -> None:
    folder = IndexFolder(str(tmp_path / "ix"))
    assert folder.current() is None
    with folder.write_lock(timeout=5):
        assert folder.locked()  # held: any other opener of the lock (this process too) would wait
        first = folder.new_generation()
        (Path(first) / "data").write_text("1")
        g1 = folder.publish(first)
        assert folder.current() == g1 and g1.endswith("gen-000001")
        dead = folder.new_generation()  # a build that never finished (a killed reindex)
        assert folder.current() == g1
        second = folder.new_generation()
        g2 = folder.publish(second)
    assert folder.current() == g2 and not os.path.exists(g1) and not os.path.exists(dead)
    (tmp_path / "ix" / "CURRENT").write_text('{"generation": "../../etc"}')
    assert folder.current() is None  # a pointer that names no generation is ignored


def test_a_held_write_lock_makes_writers_wait_and_time_out(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = IndexFolder(str(tmp_path / "ix"))
    code = (
        "import sys, time; from litemeta.followers.search.generations import IndexFolder; "
        "f = IndexFolder(sys.argv[1]); l = f.try_lock(); print('locked', flush=True); time.sleep(30)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, folder.path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert folder.locked() and folder.try_lock() is None
        with pytest.raises(litemeta.errors.StorageError, match="being written by another process"):
            with folder.write_lock(timeout=0.3):
                pass
    finally:
        holder.kill()
        holder.wait()
    with folder.write_lock(timeout=5):  # a killed holder released it
        pass


def test_a_store_created_before_store_ids_keeps_its_index_when_it_gets_one(tmp_path: Path) -> None:
    import sqlite3

    db = str(tmp_path / "old.db")
    with litemeta.open_store(db) as s:
        s.ingest([MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders"))])
    con = sqlite3.connect(db)
    con.execute("DELETE FROM litemeta_settings WHERE name = 'store_id'")  # as litemeta before issue 14
    con.commit()
    con.close()
    with litemeta.open_store(db, read_only=True) as s:
        assert s.search("orders").results[0].urn == ORDERS
        gen = s.search_follower.folder.current()
        assert s.search_follower.index.meta().store_id is None
    with litemeta.open_store(db) as s:  # opened for writing: it gets its id
        other = make_dataset_urn("hive", "shop.customers", "PROD")
        s.ingest([MCPW(entityUrn=other, aspect=m.DatasetPropertiesClass(name="customers"))])
        assert s.search("customers").results[0].urn == other
        assert s.search_follower.folder.current() == gen  # the same generation, caught up, not rebuilt
        assert s.search_follower.index.meta().store_id is not None


def test_an_index_in_the_old_single_folder_layout_is_rebuilt_once(tmp_path: Path, caplog: Any) -> None:
    from whoosh import fields as wf
    from whoosh import index as wi

    db = str(tmp_path / "s.db")
    with litemeta.open_store(db) as s:
        s.ingest([MCPW(entityUrn=ORDERS, aspect=m.DatasetPropertiesClass(name="orders"))])
    legacy = tmp_path / "s.db.index"
    legacy.mkdir()
    wi.create_in(str(legacy), wf.Schema(urn=wf.ID(stored=True)))
    (legacy / "litemeta-offset.json").write_text(json.dumps({"MetadataChangeLog_Versioned_v1": 3}))
    with caplog.at_level("WARNING", logger="litemeta.search"), litemeta.open_store(db, read_only=True) as s:
        assert s.search("orders").results[0].urn == ORDERS
    assert [r.getMessage() for r in caplog.records if "older layout" in r.getMessage()]
    names = os.listdir(legacy)
    assert "CURRENT" in names and not any(n.startswith("_MAIN_") or n == "litemeta-offset.json" for n in names)


# ----------------------------------------------------------------------------- bounded reads
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=5), inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_loads_bounded_is_json_loads_when_nothing_is_over_the_bounds(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=2)):
        assert loads_bounded(text, 10**9, 10**9) == json.loads(text)


def _cut(value: Any, chars: int, items: int) -> Any:
    if isinstance(value, str):
        return value[:chars]
    if isinstance(value, list):
        return [_cut(v, chars, items) for v in value[:items]]
    if isinstance(value, dict):
        return {k: _cut(v, chars, items) for k, v in value.items()}
    return value


@settings(max_examples=200, deadline=None)
@given(json_values, st.integers(0, 4), st.integers(0, 3))
def test_loads_bounded_cuts_strings_and_arrays(value: Any, chars: int, items: int) -> None:
    assert loads_bounded(json.dumps(value), chars, items) == _cut(value, chars, items)


def test_loads_bounded_refuses_what_json_refuses() -> None:
    for bad in ('{"a": }', "[1, 2", '{"a": 1} x', "", "[1,]"):
        with pytest.raises(ValueError):
            loads_bounded(bad, 10, 10)


# ----------------------------------------------------------------------------- results
def test_highlight_marks_words_starting_with_matched_terms() -> None:
    assert (
        highlight("Täglicher Ölpreis je Barrel", [("description", "olpreis"), ("name", "barr")])
        == "Täglicher [Ölpreis] je [Barrel]"
    )
    assert highlight("no match here", []) == "no match here"


def test_hits_name_their_matched_words_and_prefixes(tmp_path: Path) -> None:
    with litemeta.open_store(str(tmp_path / "s.db")) as s:
        s.ingest(
            [
                MCPW(
                    entityUrn=ORDERS,
                    aspect=m.DatasetPropertiesClass(name="orders", description="Orders placed in the web shop"),
                )
            ]
        )
        hit = s.search("web sho").results[0]
        assert ("description", "web") in hit.matched_fields and ("description", "sho") in hit.matched_fields


def test_phrase_offsets_need_the_stop_word_gap() -> None:
    assert sc.at_offsets([[1, 7], [4]], [0, 3])
    assert not sc.at_offsets([[1], [3]], [0, 3])


def _urns(res: Any) -> List[str]:
    return [h.urn for h in res.results]


def test_autocomplete_ignores_accents(tmp_path: Path) -> None:
    oil = make_dataset_urn("bigquery", "markt.oelpreis", "PROD")
    with litemeta.open_store(str(tmp_path / "s.db")) as s:
        s.ingest([MCPW(entityUrn=oil, aspect=m.DatasetPropertiesClass(name="Ölpreis täglich"))])
        assert [u for u, _t, _x in s.autocomplete("olp")] == [oil]
        assert [u for u, _t, _x in s.autocomplete("Ölpr")] == [oil]
        assert _urns(s.search("oelpreis")) == [oil]  # the urn's id
