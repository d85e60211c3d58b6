"""Pure parts of search: index field naming, documents as index fields, and the query engine.

No whoosh here (:mod:`litemeta.followers.search` is whoosh's one home): a query arrives as a
tree of the small frozen nodes below, translated from whoosh's query objects, and is matched
with set algebra over postings and scored with BM25F (per-field BM25 with the field boosts,
summed) against a :class:`PostingsSource`, which the whoosh side implements over a reader.

    >>> class Source:
    ...     live = {0, 1, 2}
    ...     def postings(self, field, text):
    ...         return {"orders": {0: 1.0, 2: 2.0}, "daily": {2: 1.0}}.get(text, {})
    ...     def field_lengths(self, field):
    ...         return [1, 1, 3], 5 / 3
    ...     def idf(self, field, text):
    ...         return 1.0
    ...     def positions(self, field, words, docs):
    ...         return None
    >>> q = And((Term("name", "orders"), Term("name", "daily")))
    >>> sorted(docs(q, Source())), sorted(docs(Not(q), Source()))
    ([2], [0, 1])
    >>> round(score(q, {2}, Source())[2], 3)
    1.876
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Protocol, Sequence, Set, Tuple

from litemeta.followers import search_docs as sd
from litemeta.model.registry import Registry

EXACT_SUFFIX = "__x"
# whoosh reserves names starting with "_": document field "_x" is whoosh field "lm_x".
RESERVED_PREFIX = "lm"
EXACT_NAME_FIELD = "lm_exact"
AUTOCOMPLETE_FIELD = "lm_ac"
ENTITY_TYPE = "lm_entityType"
# An exact name match must outrank any word match (DataHub boosts exact id/name matches heavily).
EXACT_NAME_BOOST = 1000.0
# litemeta's choice: URN facet fields that DataHub does not query by default (owners...) are
# still matched by free text, at this fraction of their boost, so an owner's name finds the
# entities they own.
FACET_URN_QUERY_BOOST = 0.2
STOP_WORDS = frozenset({"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is",
                         "it", "of", "on", "or", "the", "to", "with"})
FIELD_URN_RE = re.compile(r"(?<![\w'\"])(\w+):(urn:[A-Za-z0-9]+:[^\s']+)")
NUMERIC_CONDITIONS = {"GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO"}


def wname(name: str) -> str:
    """The whoosh field name of a document field (whoosh forbids a leading underscore)."""
    return RESERVED_PREFIX + name if name.startswith("_") else name


def _docname(wfield: str) -> str:
    if wfield.endswith(EXACT_SUFFIX):
        wfield = wfield[: -len(EXACT_SUFFIX)]
    return wfield[len(RESERVED_PREFIX):] if wfield.startswith(RESERVED_PREFIX + "_") else wfield


def has_exact_field(fd: sd.FieldDef) -> bool:
    """Whether a field keeps its exact values in ``F__x`` (for filters and facets).

    Not for numbers (numeric ranges), booleans (the field itself is exact) and plain TEXT
    (descriptions...), whose filters match the analysed words instead; map fields
    (``customProperties``: "key=value") keep them.
    """
    t = fd.field_type
    if t in sd.INT_TYPES | sd.FLOAT_TYPES | sd.BOOLEAN_TYPES:
        return False
    return t != "TEXT" or fd.is_map


def exact_name(fd: sd.FieldDef) -> str:
    """The whoosh field holding the exact values of a document field."""
    return wname(fd.name) + EXACT_SUFFIX if has_exact_field(fd) else wname(fd.name)


def whoosh_fields(doc: Mapping[str, Any], registry: Registry) -> Dict[str, Any]:
    """The keyword arguments of ``add_document`` for a search document (pure)."""
    defs = sd.field_defs(registry)
    out: Dict[str, Any] = {"urn": doc["urn"]}
    exact: List[str] = [doc["urn"].lower()]
    complete: List[Tuple[str, str]] = []
    for name, value in doc.items():
        fd = defs.get(name)
        if fd is None:
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            continue
        if fd.field_type in sd.INT_TYPES or fd.field_type in sd.FLOAT_TYPES:
            out[wname(name)] = values
            continue
        texts = [sd.value_text(v) for v in values]
        joined = "\n".join(texts)
        out[wname(name)] = joined
        if has_exact_field(fd):
            out[wname(name) + EXACT_SUFFIX] = joined
        textual = fd.field_type not in sd.URN_TYPES | sd.URN_PARTIAL_TYPES | sd.BOOLEAN_TYPES
        if textual and fd.boost >= 10.0:
            for t in texts:
                exact.append(t.lower())
                last = re.split(r"[./]", t)[-1].lower()
                if last and last != t.lower():
                    exact.append(last)
        if fd.autocomplete and textual:
            complete.extend((name, t) for t in texts)
    out[EXACT_NAME_FIELD] = "\n".join(dict.fromkeys(exact))
    out[AUTOCOMPLETE_FIELD] = complete
    return out


def _matched(terms: Iterable[Tuple[str, Any]]) -> Tuple[Tuple[str, str], ...]:
    out = set()
    for field, term in terms:
        name = "name" if field == EXACT_NAME_FIELD else _docname(field)
        try:
            text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        except UnicodeDecodeError:
            continue  # numeric terms are binary
        out.add((name, text))
    return tuple(sorted(out))


# ------------------------------------------------------------------------------ query nodes
@dataclass(frozen=True)
class Term:
    """One term of one index field."""

    field: str
    text: Any  # str, or bytes for numeric terms
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Words in order in one field, each at most ``slop`` positions after the previous one."""

    field: str
    words: Tuple[str, ...]
    slop: int = 1
    boost: float = 1.0


@dataclass(frozen=True)
class Expanded:
    """A prefix or wildcard, expanded to the index terms it matches; scores its boost (constant
    score, as Elasticsearch scores wildcards)."""

    field: str
    terms: Tuple[Tuple[str, Any], ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Every:
    """Every live document."""


@dataclass(frozen=True)
class Nothing:
    """No document."""


@dataclass(frozen=True)
class Not:
    """The live documents not matching ``query`` (never scores)."""

    query: "Node"


@dataclass(frozen=True)
class And:
    """Documents matching every subquery; scores add up."""

    queries: Tuple["Node", ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    """Documents matching any subquery; scores add up."""

    queries: Tuple["Node", ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Matched:
    """Documents found by the index itself (queries this engine does not evaluate), scored by
    the scorable parts listed in ``scoring``."""

    docs: FrozenSet[int]
    scoring: Tuple["Node", ...] = ()
    boost: float = 1.0


Node = Any  # one of the node classes above


class PostingsSource(Protocol):
    """What the engine reads: live documents, postings, field lengths, idf, positions."""

    live: Set[int]

    def postings(self, field: str, text: Any) -> Dict[int, float]:
        """docnum → term frequency of one term (live documents only)."""

    def field_lengths(self, field: str) -> Tuple[List[int], float]:
        """Per-document lengths of a field and their average."""

    def idf(self, field: str, text: Any) -> float:
        """Inverse document frequency of a term."""

    def positions(self, field: str, words: Sequence[str], docs: Sequence[int]) -> Optional[Dict[int, List[Any]]]:
        """Per document of ``docs`` (ascending) holding every word, each word's positions
        there; None when the field keeps no positions."""


K1 = 1.2
B = 0.75


def docs(q: Node, src: PostingsSource) -> Set[int]:
    """The live documents matching ``q`` (no scoring)."""
    if isinstance(q, Term):
        return set(src.postings(q.field, q.text))
    if isinstance(q, Nothing):
        return set()
    if isinstance(q, Every):
        return set(src.live)
    if isinstance(q, Not):
        return src.live - docs(q.query, src)
    if isinstance(q, And):
        out: Optional[Set[int]] = None
        for sub in sorted(q.queries, key=lambda x: isinstance(x, Not)):
            if isinstance(sub, Not):
                out = (out if out is not None else set(src.live)) - docs(sub.query, src)
            else:
                d = docs(sub, src)
                out = d if out is None else out & d
            if not out:
                return set()
        return out if out is not None else set(src.live)
    if isinstance(q, Or):
        acc: Set[int] = set()
        for sub in q.queries:
            acc |= docs(sub, src)
        return acc
    if isinstance(q, Phrase):
        return _phrase_docs(q, src)
    if isinstance(q, Expanded):
        acc = set()
        for field, text in q.terms:
            acc.update(src.postings(field, text))
        return acc
    if isinstance(q, Matched):
        return set(q.docs) & src.live
    raise TypeError(f"not a query node: {q!r}")


def _phrase_docs(q: Phrase, src: PostingsSource) -> Set[int]:
    # Candidates by set intersection, then positions checked for those documents only.
    words = list(q.words)
    if not words:
        return set()
    cands: Optional[Set[int]] = None
    for w in words:
        has = src.postings(q.field, w).keys()
        cands = set(has) if cands is None else cands & has
        if not cands:
            return set()
    assert cands is not None
    if len(words) == 1:
        return cands
    slop = max(int(q.slop or 1), 1)
    found = src.positions(q.field, words, sorted(cands))
    if found is None:
        return set()
    return {d for d, positions in found.items() if sd.in_sequence(positions, slop)}


def leaves(q: Node, boost: float = 1.0) -> Iterator[Tuple[str, Any, float, Optional[Node]]]:
    """(field, term text, boost, None) for every positive scoring term of ``q``, and
    (field, None, boost, node) for every constant-score part (wildcards)."""
    if isinstance(q, (Not, Nothing, Every)):
        return
    b = boost * float(getattr(q, "boost", 1.0) or 1.0)
    if isinstance(q, Term):
        yield q.field, q.text, b, None
    elif isinstance(q, Phrase):
        for w in q.words:
            yield q.field, w, b, None
    elif isinstance(q, Expanded):
        yield q.field, None, b, q
    elif isinstance(q, (And, Or)):
        for sub in q.queries:
            yield from leaves(sub, b)
    elif isinstance(q, Matched):
        for sub in q.scoring:
            yield from leaves(sub, b)


def score(q: Node, matched: Set[int], src: PostingsSource) -> Dict[int, float]:
    """BM25F scores of the matched documents."""
    scores: Dict[int, float] = dict.fromkeys(matched, 0.0)
    k1, b = K1, B
    for field, text, boost, node in leaves(q):
        if node is None:
            post = src.postings(field, text)
            if not post:
                continue
            lens, avg = src.field_lengths(field)
            w = boost * src.idf(field, text) * (k1 + 1)
            for d in (post.keys() & matched):
                tf = post[d]
                scores[d] += w * tf / (tf + k1 * (1 - b + b * lens[d] / avg))
        else:
            for d in docs(node, src) & matched:
                scores[d] += boost
    return scores


def matched_terms(q: Node, doc: int, src: PostingsSource) -> Tuple[Tuple[str, str], ...]:
    """The (document field, term) pairs of ``q`` present in ``doc``."""
    out = []
    for field, text, _b, node in leaves(q):
        if node is None and doc in src.postings(field, text):
            out.append((field, text))
    return _matched(out)
