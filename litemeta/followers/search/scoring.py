"""The query engine: which documents match a query tree, and their BM25F scores (pure).

A query arrives as a tree of the small frozen nodes below (built by :mod:`.query`), is matched
with set algebra over postings and scored with BM25F (per-field BM25 times the field's boost,
summed) against a :class:`PostingsSource`, which :mod:`.reader` implements over a whoosh reader.
whoosh's own matcher tree runs in Python document by document, too slow when a word matches half
the index; here only the matching documents are scored.

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
    ...     def expand(self, field, pattern, prefix, limit):
    ...         return [t for t in ("orders", "daily") if t.startswith(pattern)]
    >>> q = And((Term("name", "orders"), Term("name", "daily")))
    >>> sorted(docs(q, Source())), sorted(docs(Not(q), Source()))
    ([2], [0, 1])
    >>> round(score(q, {2}, Source())[2], 3)
    1.876
    >>> sorted(docs(Prefix("name", "ord"), Source()))
    [0, 2]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Iterator, List, Optional, Protocol, Sequence, Set, Tuple

K1 = 1.2
B = 0.75
# A prefix of the query's last word expands to at most this many index terms per field (the
# shortest first: the words a user is most likely typing), and only from MIN_PREFIX characters.
MAX_EXPANSIONS = 512
MIN_PREFIX = 2
MEMO_SIZE = 50_000  # term-level results kept per searcher (see _full)


@dataclass(frozen=True)
class Term:
    """One term of one index field."""

    field: str
    text: Any  # str, or bytes for numeric terms
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    """Words of one field at these relative positions (a stop word between two words of the
    query leaves its position, as it does in the index). ``pairs``: the field holding each word
    with the next and their distance (``"a 1 b"``), which narrows the candidates first."""

    field: str
    words: Tuple[str, ...]
    offsets: Tuple[int, ...]
    boost: float = 1.0
    pairs: Optional[str] = None


@dataclass(frozen=True)
class Prefix:
    """The index terms of a field starting with ``text`` (constant score ``boost``), at most
    ``limit`` of them (None: all, for filters)."""

    field: str
    text: str
    boost: float = 1.0
    limit: Optional[int] = MAX_EXPANSIONS


@dataclass(frozen=True)
class Wildcard:
    """The index terms of a field matching a ``*``/``?`` pattern (constant score, as
    Elasticsearch scores wildcards)."""

    field: str
    pattern: str
    boost: float = 1.0


@dataclass(frozen=True)
class Range:
    """Documents with a number in ``[start, end]`` (None: unbounded; ``*_excl``: open ends)."""

    field: str
    start: Optional[float]
    end: Optional[float]
    start_excl: bool = False
    end_excl: bool = False


@dataclass(frozen=True)
class Exists:
    """Documents with any term in a field."""

    field: str


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
class DisMax:
    """Documents matching any subquery, scored by the best one plus ``tie`` times the others
    (Elasticsearch's ``dis_max``, what its multi-field ``query_string`` does per word: a word found
    in five fields is not five matches)."""

    queries: Tuple["Node", ...]
    tie: float = 0.1
    boost: float = 1.0


@dataclass(frozen=True)
class Should:
    """The documents of ``query``; each of ``bonus`` that a document also matches adds its boost
    to the score (a phrase of the query's words, an exact name), never a condition."""

    query: "Node"
    bonus: Tuple["Node", ...] = ()


@dataclass(frozen=True)
class Matched:
    """Documents found by the index itself (numeric ranges), scored by ``scoring``."""

    docs: FrozenSet[int]
    scoring: Tuple["Node", ...] = ()
    boost: float = 1.0


Node = Any  # one of the node classes above


class PostingsSource(Protocol):
    """What the engine reads: live documents, postings, field lengths, idf, positions, terms;
    ``memo`` (optional): a dict the engine may keep term-level results in while the index is unchanged."""

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

    def expand(self, field: str, pattern: str, prefix: bool, limit: Optional[int]) -> List[str]:
        """The field's terms starting with ``pattern`` (``prefix``) or matching the wildcard
        pattern (at most ``limit``, the shortest first)."""

    def range_docs(self, q: Range) -> Set[int]:
        """The live documents of a numeric range."""

    def exists_docs(self, field: str) -> Set[int]:
        """The live documents with any term in ``field``."""


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
    if isinstance(q, Should):
        return docs(q.query, src)
    if isinstance(q, (Phrase, Prefix, Wildcard)):
        return set(_full(q, src))
    if isinstance(q, DisMax):
        memo: Optional[Dict[Any, Any]] = getattr(src, "memo", None)
        hit = memo.get(("dismax", q)) if memo is not None else None
        if hit is not None:
            return set(hit)
        found: Set[int] = set()
        for sub in q.queries:
            found |= docs(sub, src)
        return found
    if isinstance(q, Range):
        return src.range_docs(q)
    if isinstance(q, Exists):
        return src.exists_docs(q.field)
    if isinstance(q, Matched):
        return set(q.docs) & src.live
    raise TypeError(f"not a query node: {q!r}")


def _full(q: Node, src: PostingsSource) -> Dict[int, float]:
    """The scores of every document a term-level node holds (a term, a phrase, a prefix or a
    wildcard), kept in the source's ``memo`` while its index does not change."""
    memo: Optional[Dict[Any, Any]] = getattr(src, "memo", None)
    hit = memo.get(q) if memo is not None else None
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    b = float(getattr(q, "boost", 1.0) or 1.0)
    out: Dict[int, float]
    if isinstance(q, Term):
        out = _bm25(q.field, q.text, None, src, b)
    elif isinstance(q, Phrase):
        found = _phrase_docs(q, src)
        out = dict.fromkeys(found, 0.0)
        for w in q.words:
            _add(out, _bm25(q.field, w, found, src, b))
    elif isinstance(q, (Prefix, Wildcard)):
        out = {}
        for text in _expansion(q, src):
            out.update(dict.fromkeys(src.postings(q.field, text), b))
    else:
        raise TypeError(f"not a term-level node: {q!r}")
    if memo is not None:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[q] = out
    return out


def _dismax(q: DisMax, src: PostingsSource) -> Dict[int, float]:
    """A dis_max's scores over every document it holds (unboosted), in the source's ``memo``: a
    word's best field among some thirty, asked for a second time (a long-lived reader), is
    worked out once for all documents, then looked up; a one-off search scores only its matches."""
    memo: Optional[Dict[Any, Any]] = getattr(src, "memo", None)
    key = ("dismax", q)
    hit = memo.get(key) if memo is not None else None
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    best: Dict[int, float] = {}
    total: Dict[int, float] = {}
    for sub in q.queries:
        part = _full(sub, src) if _term_level(sub) else _score(sub, docs(sub, src), src, 1.0)
        for d, v in part.items():
            total[d] = total.get(d, 0.0) + v
            if v > best.get(d, 0.0):
                best[d] = v
    out = {d: v + q.tie * (total[d] - v) for d, v in best.items()}
    if memo is not None:
        memo[key] = out
    return out


def _term_level(q: Node) -> bool:
    return isinstance(q, (Term, Phrase, Prefix, Wildcard))


def _expansion(q: Any, src: PostingsSource) -> List[str]:
    if isinstance(q, Prefix):
        return src.expand(q.field, q.text, True, q.limit)
    return src.expand(q.field, q.pattern, False, None)


def at_offsets(positions: Sequence[Sequence[int]], offsets: Sequence[int]) -> bool:
    """Whether some position ``p`` of the first word has every next word ``i`` at ``p + offsets[i]``."""
    rest = [set(p) for p in positions[1:]]
    for start in positions[0]:
        if all(start + off in ps for off, ps in zip(offsets[1:], rest)):
            return True
    return False


def _phrase_docs(q: Phrase, src: PostingsSource) -> Set[int]:
    # Candidates by set intersection (of the word pairs when the field has them), then positions
    # checked for those documents only, unless the pairs already are the phrase (two words).
    words = list(q.words)
    if not words:
        return set()
    if q.pairs is not None and len(words) > 1:
        keys = [
            (q.pairs, f"{words[i]} {q.offsets[i + 1] - q.offsets[i]} {words[i + 1]}") for i in range(len(words) - 1)
        ]
    else:
        keys = [(q.field, w) for w in words]
    cands: Optional[Set[int]] = None
    for field, text in sorted(keys, key=lambda k: len(src.postings(*k))):
        has = src.postings(field, text).keys()
        cands = set(has) if cands is None else cands & has
        if not cands:
            return set()
    assert cands is not None
    if len(words) == 1 or (q.pairs is not None and len(words) == 2):
        return cands
    found = src.positions(q.field, words, sorted(cands))
    if found is None:
        return set()
    return {d for d, positions in found.items() if at_offsets(positions, q.offsets)}


def leaves(q: Node, boost: float = 1.0) -> Iterator[Tuple[str, Any, float, Optional[Node]]]:
    """(field, term text, boost, None) for every positive scoring term of ``q``, and
    (field, None, boost, node) for every constant-score part (prefixes, wildcards, bonuses)."""
    if isinstance(q, (Not, Nothing, Every, Range, Exists)):
        return
    b = boost * float(getattr(q, "boost", 1.0) or 1.0)
    if isinstance(q, Term):
        yield q.field, q.text, b, None
    elif isinstance(q, Phrase):
        for w in q.words:
            yield q.field, w, b, None
    elif isinstance(q, (Prefix, Wildcard)):
        yield q.field, None, b, q
    elif isinstance(q, (And, Or, DisMax)):
        for sub in q.queries:
            yield from leaves(sub, b)
    elif isinstance(q, Should):
        yield from leaves(q.query, b)
        for bonus in q.bonus:
            yield "", None, b * float(getattr(bonus, "boost", 1.0) or 1.0), bonus
    elif isinstance(q, Matched):
        for sub in q.scoring:
            yield from leaves(sub, b)


def score(q: Node, matched: Set[int], src: PostingsSource) -> Dict[int, float]:
    """BM25F scores of the matched documents (0 for a matched document no scoring part of ``q`` holds)."""
    scores: Dict[int, float] = dict.fromkeys(matched, 0.0)
    for d, v in _score(q, matched, src, 1.0).items():
        scores[d] += v
    return scores


def _bm25(field: str, text: Any, docs_: Optional[Set[int]], src: PostingsSource, boost: float) -> Dict[int, float]:
    post = src.postings(field, text)
    if not post:
        return {}
    lens, avg = src.field_lengths(field)
    w = boost * src.idf(field, text) * (K1 + 1)
    k1, b = K1, B
    if docs_ is None:
        hit: Any = post
    else:
        hit = post.keys() & docs_ if len(post) > len(docs_) else [d for d in post if d in docs_]
    return {d: w * post[d] / (post[d] + k1 * (1 - b + b * lens[d] / avg)) for d in hit}


def _add(into: Dict[int, float], part: Dict[int, float]) -> None:
    for d, v in part.items():
        into[d] = into.get(d, 0.0) + v


def _score(q: Node, within: Set[int], src: PostingsSource, boost: float) -> Dict[int, float]:
    """Scores of the documents of ``within`` that ``q``'s scoring parts hold (sparse)."""
    b = boost * float(getattr(q, "boost", 1.0) or 1.0)
    if _term_level(q):
        full = _full(q, src)
        hit = full.keys() & within if len(full) > len(within) else [d for d in full if d in within]
        return {d: full[d] * boost for d in hit} if boost != 1.0 else {d: full[d] for d in hit}
    if isinstance(q, DisMax):
        memo: Optional[Dict[Any, Any]] = getattr(src, "memo", None)
        if memo is not None and (("dismax", q) in memo or memo.pop(("again", q), False)):
            full = _dismax(q, src)  # asked for before: worth working out for every document
            hit = full.keys() & within if len(full) > len(within) else [d for d in full if d in within]
            return {d: full[d] * b for d in hit}
        if memo is not None:
            memo[("again", q)] = True
        best: Dict[int, float] = {}
        total: Dict[int, float] = {}
        for sub in q.queries:
            for d, v in _score(sub, within, src, 1.0).items():
                total[d] = total.get(d, 0.0) + v
                if v > best.get(d, 0.0):
                    best[d] = v
        return {d: b * (v + q.tie * (total[d] - v)) for d, v in best.items()}
    if isinstance(q, (And, Or, Matched)):
        out: Dict[int, float] = {}
        for sub in q.scoring if isinstance(q, Matched) else q.queries:
            _add(out, _score(sub, within, src, b))
        return out
    if isinstance(q, Should):
        out = _score(q.query, within, src, b)
        for bonus in q.bonus:
            _add(out, _score(bonus, within, src, b))
        return out
    return {}  # Not, Every, Nothing, Range, Exists: conditions only


def matched_terms(
    q: Node, doc: int, src: PostingsSource, parts: Optional[List[Tuple[str, Any, float, Optional[Node]]]] = None
) -> List[Tuple[str, str]]:
    """The (index field, term) pairs of ``q`` present in ``doc`` (a prefix by the prefix: what a
    view highlights is every word starting with it). ``parts``: ``list(leaves(q))``, when the
    caller asks for several documents."""
    out: List[Tuple[str, str]] = []
    for field, text, _b, node in parts if parts is not None else leaves(q):
        if node is None:
            if doc in src.postings(field, text):
                out.append((field, text))
        elif isinstance(node, Prefix):
            if doc in _full(node, src):
                out.append((field, node.text))
    return out
