"""Full-text search over DataHub entities, on a whoosh index (the only module importing whoosh).

One document per entity, built by :func:`litemeta.followers.search_docs.build_document` from the
``@Searchable`` annotations of its current aspects (datahub-semantics.md §4, R8.18). The index is
a cache: it can always be rebuilt from the store.

    >>> import tempfile
    >>> from litemeta.model.registry import load_registry
    >>> ix = SearchIndex.open(tempfile.mkdtemp(), load_registry())
    >>> urn = "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)"
    >>> ix.apply([(urn, {"datasetProperties": {"name": "orders", "customProperties": {}}})])
    >>> r = ix.search("orders")
    >>> r.total, r.results[0].urn == urn, r.facets["platform"]
    (1, True, {'urn:li:dataPlatform:hive': 1})

Whoosh fields, per document field ``F`` of type T (one schema for all entity types):

- ``F``: TEXT and WORD_GRAM (and browse paths) analysed into lowercase words; TEXT_PARTIAL and
  URN_PARTIAL also into edge n-grams (partial matching); URN split into its components without
  ``urn``/``li``; KEYWORD and BOOLEAN one lowercase token per value; COUNT, DATETIME, DOUBLE
  numeric.
- ``F__x``: the exact values (case kept), for filters and facet counts (DataHub's ``.keyword``).
- ``_exact`` (whoosh ``lm_exact``): whole lowercased names and their last dotted part (boost ≥ 10
  fields) and the urn, so that an exact name ranks first. whoosh forbids names starting with
  ``_``: document field ``_x`` is whoosh field ``lm_x`` (queries may still say ``_entityType:``).

Matching runs as set algebra over cached postings and only matching documents are scored
(BM25F: per-field BM25 times the field's boostScore, summed); whoosh's own matcher tree runs
per document in Python and is too slow when a word matches half the index. Searchers and
their caches live until the index changes.

litemeta's choices: URN facet fields that DataHub does not query by default (``owners``...) are
matched by free text at a fifth of their boost; plain TEXT fields (descriptions) keep no exact
values, so their EQUAL/CONTAIN/START_WITH filters match words in order; a field name declared
by several aspects with different types takes the first type of ``_TYPE_PRECEDENCE``.
"""
from __future__ import annotations

import heapq
import os
import re
import threading
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

from whoosh import fields as wf
from whoosh import index as wi
from whoosh import query as wq
from whoosh import writing
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, _lenfield
from whoosh.system import pack_uint as _pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.analysis import LowercaseFilter, NgramFilter, RegexTokenizer, Token, Tokenizer
from whoosh.qparser import AndGroup, MultifieldParser
from whoosh.scoring import BM25F

from litemeta.errors import StorageError, ValidationError
from litemeta.followers import search_docs as sd
from litemeta.followers import search_query as sq
from litemeta.followers.search_query import (
    AUTOCOMPLETE_FIELD,
    ENTITY_TYPE,
    EXACT_NAME_BOOST,
    EXACT_NAME_FIELD,
    EXACT_SUFFIX,
    FACET_URN_QUERY_BOOST,
    FIELD_URN_RE,
    NUMERIC_CONDITIONS,
    RESERVED_PREFIX,
    STOP_WORDS,
    exact_name,
    has_exact_field,
    whoosh_fields,
    wname,
)
from litemeta.model.registry import Registry
from litemeta.model.urns import entity_type_of

class _Words(Tokenizer):  # type: ignore[misc]
    """Lowercase alphanumeric runs, minus stop words, in one pass (whoosh's RegexTokenizer |
    LowercaseFilter | StopFilter chain is the indexing hot spot). ``_`` and punctuation split
    words, as DataHub's word-delimiter analyzers split ``customer_id``."""

    _pattern = re.compile(r"[^\W_]+")

    def __init__(self, stops: FrozenSet[str]) -> None:
        self.stops = stops

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.stops == self.stops  # type: ignore[attr-defined]

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, mode: str = "",
                 tokenize: bool = True, **kwargs: Any) -> Any:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # wildcard and prefix texts: whole, lowercased
            t.original = t.text = value.lower()
            t.boost, t.stopped = 1.0, False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        stops = self.stops
        pos = start_pos
        for match in self._pattern.finditer(value.lower()):
            text = match.group(0)
            if text in stops:
                pos += 1
                continue
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = text
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + match.start()
                t.endchar = start_char + match.end()
            pos += 1
            yield t


def _word_analyzer():  # type: ignore[no-untyped-def]
    return _Words(STOP_WORDS)


def _urn_analyzer():  # type: ignore[no-untyped-def]
    return _Words(frozenset({"urn", "li"}))


def _value_analyzer(lowercase: bool):  # type: ignore[no-untyped-def]
    tok = RegexTokenizer(r"[^\n]+")  # values are joined by newlines: one token per value
    return tok | LowercaseFilter() if lowercase else tok


SearchHit = sd.SearchHit
SearchResult = sd.SearchResult
Filters = Union[Mapping[str, Any], None]


class _FastText(wf.TEXT):  # type: ignore[misc]
    """A TEXT field whose ``index`` tokenizes in one pass, with the same terms, frequencies,
    weights and positions as its analyzer and format give (a test compares them): the analyzer
    chain costs a generator step and a Token update per word, the indexing hot spot. Queries
    still go through the analyzer. ``kind``: ``values`` (one lowercase term per line), ``words``
    (:class:`_Words` terms), ``ngrams`` (words and their 2..20-character prefixes)."""

    def __init__(self, kind: str, stops: FrozenSet[str] = frozenset(), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.stops = stops

    def index(self, value: Any, **kwargs: Any) -> Any:
        """(term bytes, frequency, weight, encoded value) per distinct term of ``value``."""
        if type(value) is not str or kwargs:
            return super().index(value, **kwargs)
        fmt = self.format
        fb = fmt.field_boost
        kind = self.kind
        if kind == "values":
            words = [t for t in value.lower().split("\n") if t]
        else:
            words = _WORD_RE.findall(value.lower())
        if fmt.supports("positions"):  # words with positions (phrase fields)
            poses: Dict[str, List[int]] = {}
            stops = self.stops
            for pos, w in enumerate(words):
                if w not in stops:
                    hit = poses.get(w)
                    if hit is None:
                        poses[w] = [pos]
                    else:
                        hit.append(pos)
            encode = fmt.encode
            return [(w.encode("utf-8"), len(ps), float(len(ps)) * fb, encode(ps)) for w, ps in poses.items()]
        if kind != "values":
            stops = self.stops
            words = [w for w in words if w not in stops]
            if kind == "ngrams":
                words = [w[:n] for w in words for n in range(2, min(20, len(w)) + 1)]
        freqs: Dict[str, int] = {}
        for w in words:
            freqs[w] = freqs.get(w, 0) + 1
        return [(w.encode("utf-8"), n, float(n) * fb, _pack_uint(n)) for w, n in freqs.items()]


class _FastID(wf.ID):  # type: ignore[misc]
    """An ID field of exact values, one per line, indexed in one pass (see :class:`_FastText`)."""

    def index(self, value: Any, **kwargs: Any) -> Any:
        """(term bytes, 1, field boost, b"") per distinct line of ``value``."""
        if type(value) is not str or kwargs:
            return super().index(value, **kwargs)
        fb = self.format.field_boost
        return [(w.encode("utf-8"), 1, fb, b"") for w in set(value.split("\n")) if w]


_WORD_RE = _Words._pattern


def build_schema(registry: Registry) -> wf.Schema:
    """The whoosh schema for every searchable field of the registry (see the module docstring)."""
    schema = wf.Schema(urn=wf.ID(stored=True, unique=True))
    schema.add(EXACT_NAME_FIELD, _FastText("values", analyzer=_value_analyzer(True), phrase=False))
    schema.add(AUTOCOMPLETE_FIELD, wf.STORED())
    urn_stops = frozenset({"urn", "li"})
    for name, fd in sd.field_defs(registry).items():
        t = fd.field_type
        stored = name == sd.ENTITY_TYPE_FIELD
        if t in sd.INT_TYPES:
            # One term per value (shift_step=bits): indexing speed matters more than ranges.
            schema.add(wname(name), wf.NUMERIC(numtype=int, bits=64, signed=True, shift_step=64))
            continue
        if t in sd.FLOAT_TYPES:
            schema.add(wname(name), wf.NUMERIC(numtype=float, bits=64, signed=True, shift_step=64))
            continue
        if t in sd.PARTIAL_TYPES:
            field = _FastText("ngrams", STOP_WORDS, analyzer=_word_analyzer() | NgramFilter(2, 20, at="start"),
                              phrase=False)
        elif t in sd.URN_PARTIAL_TYPES:
            field = _FastText("ngrams", urn_stops, analyzer=_urn_analyzer() | NgramFilter(2, 20, at="start"),
                              phrase=False)
        elif t in sd.URN_TYPES:
            field = _FastText("words", urn_stops, analyzer=_urn_analyzer(), phrase=False)
        elif t in sd.KEYWORD_TYPES or t in sd.BOOLEAN_TYPES:
            field = _FastText("values", analyzer=_value_analyzer(True), phrase=False, stored=stored)
        else:
            field = _FastText("words", STOP_WORDS, analyzer=_word_analyzer(), phrase=True)
        schema.add(wname(name), field)
        if has_exact_field(fd):
            schema.add(wname(name) + EXACT_SUFFIX, _FastID(analyzer=_value_analyzer(False)))
    return schema


class _ReaderCache:
    """Per-searcher query engine and caches (postings, field lengths, facets, soft deletes).

    whoosh's matcher tree runs in Python doc by doc, too slow when a word matches half the
    index; here the matching documents are computed with set algebra over cached postings and
    only they are scored, with BM25F (per-field BM25 with the field boosts, summed).
    """

    K1 = 1.2
    B = 0.75
    MAX_CACHED_TERMS = 20000

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.fields: FrozenSet[str] = frozenset(self.reader.indexed_field_names())
        self.live: Set[int] = set(self.reader.all_doc_ids())
        self._has_deletions = len(self.live) != self.reader.doc_count_all()
        self._postings: Dict[Tuple[str, str], Dict[int, float]] = {}
        self._lengths: Dict[str, List[int]] = {}
        self._avg: Dict[str, float] = {}
        self._idf: Dict[Tuple[str, str], float] = {}
        self._facets: Dict[str, Dict[str, Set[int]]] = {}
        self.removed: Set[int] = set(self.postings(sd.REMOVED_FIELD, "true"))
        self.parsers: Dict[Tuple[str, ...], MultifieldParser] = {}
        self._urns: Optional[Dict[int, str]] = None

    def urn(self, doc: int) -> str:
        """The urn of a document (all loaded once per searcher; ties in ranking break by urn)."""
        if self._urns is None:
            self._urns = {d: f.get("urn", "") for d, f in self.reader.iter_docs()}
        return self._urns.get(doc, "")

    # -- postings
    def postings(self, field: str, text: Union[str, bytes]) -> Dict[int, float]:
        """docnum → term frequency of one term (cached)."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", "surrogateescape")
        key = (field, text)
        hit = self._postings.get(key)
        if hit is None:
            hit = {}
            if field in self.fields:
                for seg, base in self.reader.leaf_readers():
                    try:
                        m = seg.postings(field, text)
                    except Exception:  # noqa: BLE001 - whoosh raises TermNotFound (a KeyError) for absent terms
                        continue
                    items = _bulk_items(m)
                    if base:
                        items = [(d + base, w) for d, w in items]
                    hit.update(items)
                if self._has_deletions:
                    hit = {d: w for d, w in hit.items() if d in self.live}
            if len(self._postings) >= self.MAX_CACHED_TERMS:
                self._postings.clear()
            self._postings[key] = hit
        return hit

    def facet(self, field: str) -> Dict[str, Set[int]]:
        """value → docnums of one facet (terms of whoosh field ``field``), built once per searcher."""
        hit = self._facets.get(field)
        if hit is None:
            hit = {}
            if field in self.fields:
                for term in self.reader.field_terms(field):
                    ids = set(self.postings(field, term))
                    if ids:
                        hit[term] = ids
            self._facets[field] = hit
        return hit

    # -- the query engine (litemeta.followers.search_query) reads these
    def field_lengths(self, field: str) -> Tuple[List[int], float]:
        """Per-document lengths of a field (read in bulk, cached) and their average."""
        hit = self._lengths.get(field)
        if hit is None:
            hit = []
            for seg, _base in self.reader.leaf_readers():
                n = seg.doc_count_all()
                try:  # whoosh's length column, read in bulk (private API; per-doc calls otherwise)
                    col = seg._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
                    if col is None:
                        hit.extend([0] * n)
                    else:  # a column of one byte per document: read it in one go
                        raw = col._dbfile.get(col._basepos, col._count * col._fixedlen) if col._count else b""
                        if col._fixedlen != 1 or len(raw) != col._count:
                            raise TypeError("unexpected length column layout")
                        hit.extend([_BYTE_TO_LENGTH[x] for x in raw])
                        hit.extend([0] * (n - col._count))
                except (AttributeError, TypeError, IndexError):
                    hit.extend(seg.doc_field_length(d, field, 0) for d in range(n))
            self._lengths[field] = hit
            self._avg[field] = self.searcher.avg_field_length(field, 1.0) or 1.0
        return hit, self._avg[field]

    def idf(self, field: str, text: Any) -> float:
        """Inverse document frequency of a term (cached)."""
        key = (field, text if isinstance(text, str) else str(text))
        if key not in self._idf:
            self._idf[key] = float(self.searcher.idf(field, key[1]))
        return self._idf[key]

    def positions(self, field: str, words: Sequence[str], docs: Sequence[int]) -> Optional[Dict[int, List[Any]]]:
        """Per document of ``docs`` (ascending) holding every word: each word's positions there.
        None when the field keeps no positions."""
        fmt = self.searcher.schema[field].format
        if not fmt or not fmt.supports("positions"):
            return None
        matchers = [self.reader.postings(field, w) for w in words]
        out: Dict[int, List[Any]] = {}
        for d in docs:
            found = []
            for m in matchers:
                if m.is_active() and m.id() < d:
                    m.skip_to(d)
                if not m.is_active() or m.id() != d:
                    break
                found.append(m.value_as("positions"))
            else:
                out[d] = found
        return out

    # -- whoosh queries, evaluated by the pure engine
    def node(self, q: wq.Query) -> sq.Node:
        """The engine's form of a whoosh query (prefixes and wildcards expanded here)."""
        boost = float(getattr(q, "boost", 1.0) or 1.0)
        if isinstance(q, wq.Term):
            return sq.Term(q.fieldname, q.text, boost)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return sq.Nothing()
        if isinstance(q, wq.Every) and not q.fieldname:
            return sq.Every()
        if isinstance(q, wq.Not):
            return sq.Not(self.node(q.query))
        if isinstance(q, wq.And):
            return sq.And(tuple(self.node(x) for x in q.subqueries), boost)
        if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
            return sq.Or(tuple(self.node(x) for x in q.subqueries), boost)
        if isinstance(q, wq.Phrase):
            return sq.Phrase(q.fieldname, tuple(q.words), int(getattr(q, "slop", 1) or 1), boost)
        if isinstance(q, (wq.Prefix, wq.Wildcard)):
            return sq.Expanded(q.fieldname, tuple(q.expanded_terms(self.reader)), boost)
        scoring = tuple(self.node(x) for x in q.subqueries) if isinstance(q, wq.CompoundQuery) else ()
        return sq.Matched(frozenset(self.searcher.docs_for_query(q)), scoring, boost)

    def docs(self, q: wq.Query) -> Set[int]:
        """The live documents matching ``q`` (no scoring)."""
        return sq.docs(self.node(q), self)


_BYTE_TO_LENGTH = [byte_to_length(i) for i in range(256)]


def _bulk_items(m: Any) -> Iterable[Tuple[int, float]]:
    """(docnum, weight) pairs of a segment's posting list, read block by block (whoosh's
    per-posting iteration costs a Python call per posting; this reads its arrays directly).
    Deleted documents may be included: callers filter them."""
    leaf = getattr(m, "child", m)  # SegmentReader wraps postings in a FilterMatcher when docs are deleted
    if not all(hasattr(leaf, a) for a in ("_read_ids", "_read_weights", "_next_block", "_i")):
        return list(m.items_as("weight")) if m.supports("weight") else [(d, 1.0) for d in m.all_ids()]
    ids: List[int] = []
    weights: List[float] = []
    while leaf.is_active():
        if leaf._ids is None:
            leaf._read_ids()
        if leaf._weights is None:
            leaf._read_weights()
        ids.extend(leaf._ids[leaf._i:])
        weights.extend(leaf._weights[leaf._i:])
        leaf._next_block()
    return zip(ids, weights)


def _schema_signature(schema: Any) -> List[Tuple[str, str]]:
    """Field names and classes: an index written with other field types is rebuilt, not reused."""
    return sorted((name, type(schema[name]).__name__) for name in schema.names())


class IndexBusy(StorageError):
    """Another process holds the index's write lock (it is bringing the index up to date)."""


class SearchIndex:
    """A whoosh index of entity documents, kept up to date by :meth:`apply`."""

    def __init__(self, ix: Any, registry: Registry, directory: str, schema_changed: bool = False) -> None:
        self._ix = ix
        self._schema = ix.schema  # FileIndex.schema unpickles the TOC on every access
        self.registry = registry
        self.directory = directory
        #: True when the folder held an index of another schema, which was replaced by an empty one.
        self.schema_changed = schema_changed
        self._defs = sd.field_defs(registry)
        self._lock = threading.RLock()
        self._cache: Optional[_ReaderCache] = None
        self._dirty = True

    # ----------------------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, directory: Union[str, "os.PathLike[str]"], registry: Registry, create: bool = True) -> "SearchIndex":
        """Open the index in ``directory``, creating it (and the folder) when ``create``.

        An index written with another schema (another registry) is replaced by an empty one and
        ``schema_changed`` is set: the caller should replay the store into it.
        """
        path = os.fspath(directory)
        schema = build_schema(registry)
        try:
            if wi.exists_in(path):
                ix = wi.open_dir(path)
                if _schema_signature(ix.schema) == _schema_signature(schema):
                    return cls(ix, registry, path)
                if not create:
                    raise StorageError(f"search index {path!r} was built with another schema; rebuild it")
                return cls(wi.create_in(path, schema), registry, path, schema_changed=True)
            if not create:
                raise StorageError(f"no search index in {path!r}")
            os.makedirs(path, exist_ok=True)
            return cls(wi.create_in(path, schema), registry, path)
        except StorageError:
            raise
        except Exception as e:  # whoosh and OS errors, translated at this one boundary
            raise StorageError(f"cannot open search index {path!r}: {e}") from e

    def close(self) -> None:
        """Close the cached searcher (the index stays on disk)."""
        with self._lock:
            if self._cache is not None:
                self._cache.searcher.close()
                self._cache = None

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _writer(self) -> Any:
        # Block statistics of field lengths (min/max per posting block) only serve whoosh's own
        # top-N pruning, which this module never uses (it scores with cached postings): writing
        # them costs a length lookup per posting at commit.
        codec = W3Codec(compression=1)  # zlib level 1: the same size as level 3 here, less CPU
        codec.length_stats = False
        return self._ix.writer(procs=1, limitmb=512, multisegment=False, timeout=30.0, codec=codec)

    # ----------------------------------------------------------------------------- writes
    def apply(self, changes: Iterable[Tuple[str, Optional[Mapping[str, Any]]]]) -> None:
        """Index entities: ``(urn, aspects)`` with the entity's full current aspects, or
        ``(urn, None)`` when the entity is gone. One commit per call; idempotent; the last
        change of a urn in the batch wins."""
        self.apply_batches([changes])

    def apply_batches(self, batches: Iterable[Iterable[Tuple[str, Optional[Mapping[str, Any]]]]]) -> None:
        """:meth:`apply` for several batches through one writer and one commit (a rebuild: each
        commit of a small batch would merge segments again). Within a batch the last change of
        a urn wins; a urn should not come back in a later batch."""
        with self._lock:
            try:
                empty = self._ix.doc_count_all() == 0
                try:
                    w = self._writer()
                except wi.LockError:
                    raise IndexBusy(f"search index {self.directory!r} is being updated by another process") from None
                try:
                    # whoosh's update_document opens a new searcher per document; delete through one
                    # shared searcher, then add (the same effect, in one pass).
                    searcher = None if empty else w.searcher()
                    try:
                        for changes in batches:
                            for urn, fields in self._documents(changes):
                                if searcher is not None:
                                    w.delete_by_term("urn", urn, searcher=searcher)
                                if fields is not None:
                                    w.add_document(**fields)
                    finally:
                        if searcher is not None:
                            searcher.close()
                except BaseException:
                    w.cancel()
                    raise
                w.commit()
            except (StorageError, ValidationError):
                raise
            except Exception as e:
                raise StorageError(f"search index {self.directory!r}: cannot write: {type(e).__name__}: {e}") from e
            self._dirty = True

    def _documents(self, changes: Iterable[Tuple[str, Optional[Mapping[str, Any]]]]
                   ) -> List[Tuple[str, Optional[Dict[str, Any]]]]:
        latest: Dict[str, Optional[Mapping[str, Any]]] = {}
        for urn, aspects in changes:
            latest[urn] = aspects
        docs: List[Tuple[str, Optional[Dict[str, Any]]]] = []
        for urn, aspects in latest.items():
            if aspects is None:
                docs.append((urn, None))
                continue
            try:
                etype = entity_type_of(urn)
            except ValidationError:
                etype = "unknown"
            docs.append((urn, whoosh_fields(sd.build_document(urn, etype, aspects, self.registry), self.registry)))
        return docs

    def clear(self) -> None:
        """Remove every document."""
        with self._lock:
            try:
                w = self._writer()
            except wi.LockError:
                raise IndexBusy(f"search index {self.directory!r} is being updated by another process") from None
            w.commit(mergetype=writing.CLEAR)
            self._dirty = True

    def doc_count(self) -> int:
        """Number of documents (entities) in the index, soft-deleted ones included."""
        return int(self._ix.doc_count())

    # ----------------------------------------------------------------------------- reads
    def _current(self) -> _ReaderCache:
        with self._lock:
            if self._cache is None:
                self._cache = _ReaderCache(self._ix.searcher(weighting=BM25F()))
                self._dirty = False
            elif self._dirty:
                fresh = self._cache.searcher.refresh()
                if fresh is not self._cache.searcher:
                    self._cache = _ReaderCache(fresh)
                self._dirty = False
            return self._cache

    def _parser(self, cache: _ReaderCache) -> MultifieldParser:
        boosts: Dict[str, float] = {}
        for name, fd in self._defs.items():
            if wname(name) not in cache.fields or fd.field_type in sd.INT_TYPES | sd.FLOAT_TYPES | sd.BOOLEAN_TYPES:
                continue
            if fd.query_by_default:
                boosts[wname(name)] = fd.boost
            elif fd.add_to_filters and fd.field_type in sd.URN_TYPES:
                boosts[wname(name)] = fd.boost * FACET_URN_QUERY_BOOST
        key = tuple(sorted(boosts))
        parser = cache.parsers.get(key)
        if parser is None:
            parser = MultifieldParser(list(key) or ["urn"], self._schema, fieldboosts=boosts, group=AndGroup)
            cache.parsers[key] = parser
        return parser

    def parse_query(self, text: str) -> wq.Query:
        """A whoosh query for DataHub-style query text: words (all must match), quoted phrases,
        ``field:value`` (``field:urn:li:...`` matches the exact urn), wildcards; ``*`` = all."""
        text = (text or "").strip()
        if text in ("", "*"):
            return wq.Every()
        cache = self._current()

        def exact(m: "re.Match[str]") -> str:
            field = m.group(1)
            if field in self._defs and wname(field) + EXACT_SUFFIX in self._schema:
                return f"{wname(field)}{EXACT_SUFFIX}:'{m.group(2)}'"
            return m.group(0)

        rewritten = FIELD_URN_RE.sub(exact, text)
        rewritten = re.sub(r"(?<![\w'\"])_(\w+):", RESERVED_PREFIX + r"_\1:", rewritten)
        try:
            q = self._parser(cache).parse(rewritten)
        except Exception as e:
            raise ValidationError(f"cannot parse search query {text!r}: {e}") from e
        q = q.accept(self._drop_positionless_phrases)
        if '"' in text or ":" in text or "*" in text or "?" in text:
            return q
        return wq.Or([q, wq.Term(EXACT_NAME_FIELD, text.lower(), boost=EXACT_NAME_BOOST)])

    def _drop_positionless_phrases(self, q: wq.Query) -> wq.Query:
        # A quoted phrase spread over the default fields only applies to fields with positions.
        if isinstance(q, wq.Phrase):
            field = self._schema[q.fieldname] if q.fieldname in self._schema else None
            if field is None or not field.format or not field.format.supports("positions"):
                return wq.NullQuery
        return q

    def search(
        self,
        query: str = "*",
        entity_types: Optional[Sequence[str]] = None,
        filters: Filters = None,
        facets: Union[bool, Sequence[str]] = True,
        start: int = 0,
        count: int = 10,
        include_removed: bool = False,
    ) -> SearchResult:
        """Search: ``total``, a page of hits (best first) and facet counts over all matches.

        ``filters`` is DataHub's ``{"or": [{"and": [{"field", "values"|"value", "condition",
        "negated"}]}]}`` or a simple ``{field: value | [values]}``. ``facets`` is True (the
        default facets: platform, origin, _entityType, tags, glossaryTerms, owners, domains,
        container, typeNames), False, or a list of filter field names. Soft-deleted entities
        (``removed`` true, R4.4) are hidden unless ``include_removed``.
        """
        if start < 0 or count < 0:
            raise ValidationError(f"start and count must be >= 0, got start={start} count={count}")
        q = self.parse_query(query)
        cache = self._current()
        clauses: List[wq.Query] = []
        if entity_types:
            clauses.append(wq.Or([wq.Term(ENTITY_TYPE + EXACT_SUFFIX, t) for t in entity_types]))
        fq = self.filter_query(filters)
        if fq is not None:
            clauses.append(fq)
        filter_q = wq.And(clauses) if clauses else None
        with self._lock:
            node = cache.node(q)
            matched = sq.docs(node, cache)
            if filter_q is not None:
                matched &= cache.docs(filter_q)
            if not include_removed:
                matched -= cache.removed
            if isinstance(q, wq.Every):
                top = [(d, 1.0) for d in heapq.nsmallest(start + count, matched, key=cache.urn)[start:]]
            else:
                scores = sq.score(node, matched, cache)
                best = heapq.nsmallest(start + count, matched, key=lambda d: (-scores[d], cache.urn(d)))
                top = [(d, scores[d]) for d in best[start:]]
            hits: List[SearchHit] = []
            for docnum, score in top:
                stored = cache.searcher.stored_fields(docnum)
                terms = sq.matched_terms(node, docnum, cache) if not isinstance(q, wq.Every) else ()
                hits.append(SearchHit(stored["urn"], stored.get(ENTITY_TYPE, ""), float(score), terms))
            facet_names = list(sd.DEFAULT_FACETS) if facets is True else list(facets or ())
            counts = {name: self._count(cache, name, matched) for name in facet_names}
        return SearchResult(len(matched), tuple(hits), counts)

    def _count(self, cache: _ReaderCache, name: str, matched: Set[int]) -> Dict[str, int]:
        fd = self._defs.get(sd.filter_field_name(name))
        if fd is None or fd.field_type in sd.INT_TYPES | sd.FLOAT_TYPES:
            raise ValidationError(f"cannot count facet {name!r}: not a keyword, urn or text @Searchable field")
        out: Dict[str, int] = {}
        for value, docs in cache.facet(exact_name(fd)).items():
            n = len(docs & matched) if len(docs) < len(matched) else len(matched & docs)
            if n:
                out[value] = n
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    # ----------------------------------------------------------------------------- filters
    def filter_query(self, filters: Filters) -> Optional[wq.Query]:
        """A whoosh query for DataHub filters (or-of-and criteria, or a simple dict)."""
        alts = [wq.And([self._criterion(c) for c in conj]) for conj in sd.normalize_filters(filters)]
        alts = [a for a in alts if a.subqueries]
        return (alts[0] if len(alts) == 1 else wq.Or(alts)) if alts else None

    def _criterion(self, c: sd.Criterion) -> wq.Query:
        field, cond, values = c.field, c.condition, list(c.values)
        fd = self._defs.get(field)
        if fd is None:
            raise ValidationError(f"unknown search filter field {field!r} (not a @Searchable field name)",
                                  path=field)
        numeric = fd.field_type in sd.INT_TYPES | sd.FLOAT_TYPES
        wfield = wname(field)
        x = exact_name(fd)
        if cond == "EXISTS":
            q: wq.Query = wq.Every(wfield if numeric else x)
        elif not values:
            raise ValidationError(f"filter on {field!r} with condition {cond} needs values", path=field)
        elif numeric:
            q = wq.Or([self._numeric(wfield, cond, v, fd.field_type) for v in values])
        elif not has_exact_field(fd) and fd.field_type not in sd.BOOLEAN_TYPES:
            q = wq.Or([self._words(wfield, v, prefix=cond == "START_WITH") for v in values])
        elif cond in ("EQUAL", "IN"):
            if fd.field_type in sd.KEYWORD_TYPES | sd.BOOLEAN_TYPES:
                q = wq.Or([wq.Term(wfield, v.lower()) for v in values])
            else:
                q = wq.Or([wq.Term(x, v) for v in values])
        elif cond == "CONTAIN":
            q = wq.Or([wq.Wildcard(x, "*" + sd.escape_wildcards(v) + "*") for v in values])
        elif cond == "START_WITH":
            q = wq.Or([wq.Prefix(x, v) for v in values])
        elif cond == "END_WITH":
            q = wq.Or([wq.Wildcard(x, "*" + sd.escape_wildcards(v)) for v in values])
        else:
            raise ValidationError(
                f"unsupported filter condition {cond!r} on {field!r}; expected EQUAL, IN, CONTAIN, START_WITH, "
                f"END_WITH, EXISTS, or a numeric comparison", path=field)
        return wq.Not(q) if c.negated else q

    def _words(self, wfield: str, value: str, prefix: bool) -> wq.Query:
        # Plain TEXT fields keep no exact values: match the value's words in order.
        words = [t.text for t in self._schema[wfield].analyzer(value)]
        if not words:
            return wq.NullQuery
        if prefix:
            head = [wq.Term(wfield, w) for w in words[:-1]]
            return wq.And(head + [wq.Prefix(wfield, words[-1])]) if head else wq.Prefix(wfield, words[-1])
        return wq.Term(wfield, words[0]) if len(words) == 1 else wq.Phrase(wfield, words)

    @staticmethod
    def _numeric(field: str, cond: str, v: str, ftype: str) -> wq.Query:
        try:
            n: Union[int, float] = float(v) if ftype in sd.FLOAT_TYPES else int(float(v))
        except ValueError:
            raise ValidationError(f"filter on numeric field {field!r} expects a number, got {v!r}",
                                  path=field) from None
        if cond in ("EQUAL", "IN"):
            return wq.NumericRange(field, n, n)
        if cond in NUMERIC_CONDITIONS:
            lower = cond.startswith("GREATER")
            excl = not cond.endswith("EQUAL_TO")
            return (wq.NumericRange(field, n, None, startexcl=excl) if lower
                    else wq.NumericRange(field, None, n, endexcl=excl))
        raise ValidationError(f"condition {cond!r} does not apply to numeric field {field!r}", path=field)

    # ----------------------------------------------------------------------------- autocomplete
    def autocomplete(self, prefix: str, entity_type: Optional[str] = None, limit: int = 10,
                     include_removed: bool = False) -> List[Tuple[str, str, str]]:
        """Entities whose autocomplete fields (``enableAutocomplete``) start with ``prefix``, or
        have a word that does: ``(urn, entity_type, matched text)``, names starting with the
        prefix first, then shorter names."""
        p = (prefix or "").strip().lower()
        if not p:
            return []
        cache = self._current()
        words = [w.lower() for w in re.findall(r"[^\W_]+", p)]
        alts: List[wq.Query] = [wq.Prefix(EXACT_NAME_FIELD, p)]
        for name, fd in self._defs.items():
            wn = wname(name)
            if not fd.autocomplete or wn not in cache.fields or fd.field_type in sd.URN_TYPES:
                continue
            if words:
                parts: List[wq.Query] = [wq.Term(wn, w) for w in words[:-1]] + [wq.Prefix(wn, words[-1])]
                alts.append(wq.And(parts))
        ranked: List[Tuple[Tuple[int, int, str], Tuple[str, str, str]]] = []
        with self._lock:
            docs = cache.docs(wq.Or(alts))
            if entity_type:
                docs &= cache.docs(wq.Term(ENTITY_TYPE + EXACT_SUFFIX, entity_type))
            if not include_removed:
                docs -= cache.removed
            # Names starting with the prefix first; stored fields are read for a few candidates only.
            starts = docs & cache.docs(wq.Prefix(EXACT_NAME_FIELD, p))
            pool = sorted(starts)[: limit * 5] + sorted(docs - starts)[: limit * 5]
            for docnum in pool:
                f = cache.searcher.stored_fields(docnum)
                text, rank = sd.best_completion(f.get(AUTOCOMPLETE_FIELD) or [], p, words)
                if text is None:
                    text, rank = f["urn"], 2
                ranked.append(((rank, len(text), f["urn"]), (f["urn"], f.get(ENTITY_TYPE, ""), text)))
        ranked.sort(key=lambda r: r[0])
        return [r[1] for r in ranked[:limit]]
