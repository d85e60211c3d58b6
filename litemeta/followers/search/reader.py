"""Index reads: the engine's :class:`~.scoring.PostingsSource` over one whoosh searcher.

Postings, field lengths, idf and positions are read in bulk from whoosh's segment structures and
cached for the searcher's life (until the index changes); facet value sets likewise. The index's
own bookkeeping document (its identity and log position, see index.py) is never a live document.
"""

from __future__ import annotations

import heapq
import re
from typing import Any, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple, Union

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from litemeta.followers.search import scoring as sc

_BYTE_TO_LENGTH = [byte_to_length(i) for i in range(256)]


class IndexReader:
    """Per-searcher postings source and caches (see the module docstring)."""

    # Postings kept per searcher: at most this many (field, term) lists, and this many entries in all.
    MAX_CACHED_TERMS = 200_000
    MAX_CACHED_POSTINGS = 3_000_000

    def __init__(self, searcher: Any, hidden: Iterable[int] = ()) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.fields: FrozenSet[str] = frozenset(self.reader.indexed_field_names())
        self.live: Set[int] = set(self.reader.all_doc_ids())
        self._has_deletions = len(self.live) != self.reader.doc_count_all()
        self.live.difference_update(hidden)
        self._postings: Dict[Tuple[str, str], Dict[int, float]] = {}
        self._cached = 0  # entries in _postings
        self._lengths: Dict[str, List[int]] = {}
        self._avg: Dict[str, float] = {}
        self._idf: Dict[Tuple[str, str], float] = {}
        self._facets: Dict[str, Dict[str, Set[int]]] = {}
        self._expansions: Dict[Tuple[str, str, bool, Optional[int]], List[str]] = {}
        self._urns: Dict[int, str] = {}
        self.memo: Dict[Any, Dict[int, float]] = {}  # the engine's term-level results (scoring._full)

    def close(self) -> None:
        """Close the searcher (its segment files stay mapped until then)."""
        self.searcher.close()

    # -- urns (ties in ranking break by urn)
    def urn(self, doc: int) -> str:
        """The urn of a document (read from its stored fields once)."""
        hit = self._urns.get(doc)
        if hit is None:
            hit = self._urns[doc] = self.searcher.stored_fields(doc).get("urn", "")
        return hit

    def first_by_urn(self, matched: Set[int], n: int) -> List[int]:
        """The ``n`` documents of ``matched`` with the smallest urns."""
        if len(matched) <= 4 * n + 1000:
            return heapq.nsmallest(n, matched, key=self.urn)
        out: List[int] = []
        for term in self.reader.lexicon("urn"):  # urns in order: stop after n matching documents
            for d in self.postings("urn", term):
                if d in matched:
                    out.append(d)
            if len(out) >= n:
                break
        return out[:n]

    def best(self, scores: Dict[int, float], n: int) -> List[int]:
        """The ``n`` best documents by score, ties by urn."""
        if n <= 0 or not scores:
            return []
        top = heapq.nlargest(n, scores, key=scores.__getitem__)
        if len(top) < n:
            return sorted(top, key=lambda d: (-scores[d], self.urn(d)))
        floor = scores[top[-1]]
        above = sorted((d for d in top if scores[d] > floor), key=lambda d: (-scores[d], self.urn(d)))
        tied = {d for d, s in scores.items() if s == floor}
        return above + self.first_by_urn(tied, n - len(above))

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
            if len(self._postings) >= self.MAX_CACHED_TERMS or self._cached >= self.MAX_CACHED_POSTINGS:
                self._postings.clear()
                self.memo.clear()
                self._cached = 0
            self._postings[key] = hit
            self._cached += len(hit)
        return hit

    def facet(self, field: str) -> Dict[str, Set[int]]:
        """value → docnums of one facet (terms of index field ``field``), built once per searcher."""
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

    def expand(self, field: str, pattern: str, prefix: bool, limit: Optional[int]) -> List[str]:
        """Terms of ``field`` starting with ``pattern`` (``prefix``) or matching the wildcard
        ``pattern``; at most ``limit``, the shortest first (cached)."""
        key = (field, pattern, prefix, limit)
        hit = self._expansions.get(key)
        if hit is None:
            hit = []
            if field in self.fields:
                if prefix:
                    terms = [t for t in self.reader.expand_prefix(field, pattern)]
                else:
                    regex = re.compile(_wildcard_regex(pattern), re.S)
                    start = re.split(r"[*?]", pattern, maxsplit=1)[0]
                    source = self.reader.expand_prefix(field, start) if start else self.reader.lexicon(field)
                    terms = [
                        t
                        for t in source
                        if regex.fullmatch(t.decode("utf-8", "surrogateescape") if isinstance(t, bytes) else t)
                    ]
                texts = [t.decode("utf-8", "surrogateescape") if isinstance(t, bytes) else t for t in terms]
                if limit is not None and len(texts) > limit:
                    texts = sorted(texts, key=lambda t: (len(t), t))[:limit]
                hit = texts
            self._expansions[key] = hit
        return hit

    def range_docs(self, q: sc.Range) -> Set[int]:
        """The live documents of a numeric range (whoosh's numeric encoding)."""
        if q.field not in self.fields:
            return set()
        ftype = self.searcher.schema[q.field]

        def conv(v: Any) -> Any:
            return None if v is None else (int(v) if ftype.numtype is int else float(v))

        wrq = wq.NumericRange(q.field, conv(q.start), conv(q.end), startexcl=q.start_excl, endexcl=q.end_excl)
        return set(self.searcher.docs_for_query(wrq)) & self.live

    def exists_docs(self, field: str) -> Set[int]:
        """The live documents with any term in ``field``."""
        if field not in self.fields:
            return set()
        return set(self.searcher.docs_for_query(wq.Every(field))) & self.live


def _wildcard_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


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
        ids.extend(leaf._ids[leaf._i :])
        weights.extend(leaf._weights[leaf._i :])
        leaf._next_block()
    return zip(ids, weights)
