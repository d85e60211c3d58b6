"""Text analysis and the index schema: how field values and query words become index terms.

One analysis for indexing and querying, so that a query word is looked up exactly as the field
stored it: case and accents folded (``Ölpreis`` → ``olpreis``), split into alphanumeric runs
(``_``, punctuation and spaces split words, as DataHub's word-delimiter analyzers split
``customer_id``), and stop words dropped with their positions kept (a phrase "product in the
catalogue" matches the words ``product`` and ``catalogue`` three positions apart). Field kinds:

- ``words``: TEXT, WORD_GRAM and browse paths; positions kept (phrases).
- ``ngrams``: TEXT_PARTIAL; the words and their 2..20-character prefixes (partial matching).
- ``urn``: URN fields; the urn's parts without ``urn`` and ``li``.
- ``urn_ngrams``: URN_PARTIAL; those parts and their prefixes.
- ``values``: KEYWORD and BOOLEAN; one lowercase term per value.
- ``pairs``: beside each ``words`` field F, ``F__2`` holds each word with the next one and the
  distance between them (``product 3 catalogue``), so phrases need few position reads.

    >>> fold("Ölpreis Straße")
    'olpreis strasse'
    >>> [(p, w) for p, w in words("A product in the catalogue", STOP_WORDS)]
    [(1, 'product'), (4, 'catalogue')]
    >>> field_terms("ngrams", "Orders")
    ['or', 'ord', 'orde', 'order', 'orders']
    >>> pairs("A product in the catalogue")
    ['product 3 catalogue']

The whoosh fields below (:class:`_FastText`, :class:`_FastID`) index a value in one pass with the
terms, frequencies and positions their analyzers give (a test compares them): the analyzer chain
costs a generator step and a Token update per word, the indexing hot spot.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Dict, FrozenSet, Iterator, List, Tuple

from whoosh import fields as wf
from whoosh.analysis import RegexTokenizer, Token, Tokenizer
from whoosh.system import pack_uint as _pack_uint

from litemeta.followers.search import documents as sd
from litemeta.model.registry import Registry

# Elasticsearch's default English stop words (its ``stop`` filter, ``_english_``), which DataHub's
# analyzers apply. A stop word is never a required query term (see query.py).
STOP_WORDS: FrozenSet[str] = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
)
URN_STOPS: FrozenSet[str] = frozenset({"urn", "li"})
# Between two values of one field, as Elasticsearch's position_increment_gap: a phrase never spans
# the end of one column name and the start of the next.
POSITION_GAP = 100
NGRAM_MIN, NGRAM_MAX = 2, 20

_WORD = re.compile(r"[^\W_]+")
_MARKS = re.compile("[\u0300-\u036f]")  # Latin combining accents (NFKD splits é into e + U+0301)
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th", "ı": "i"})


def fold(text: str) -> str:
    """Lowercase with accents removed (``Ölpreis`` → ``olpreis``, ``Straße`` → ``strasse``)."""
    low = text.lower()
    if low.isascii():
        return low
    # NFKD splits accented letters, the marks go, NFC puts back what they did not belong to (kana).
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFKD", low.translate(_SPECIAL))))


def words(text: str, stops: FrozenSet[str] = STOP_WORDS) -> Iterator[Tuple[int, str]]:
    """(position, word) of the folded words of ``text``, stop words skipped but counted; each line
    (a field's values are joined by newlines) starts :data:`POSITION_GAP` positions after the last."""
    base = 0
    for line in fold(text).split("\n"):
        pos = base - 1
        for pos, w in enumerate(_WORD.findall(line), base):
            if w not in stops:
                yield pos, w
        base = pos + 1 + POSITION_GAP


def ngrams(word: str) -> List[str]:
    """A word's prefixes of :data:`NGRAM_MIN` to :data:`NGRAM_MAX` characters."""
    return [word[:n] for n in range(NGRAM_MIN, min(NGRAM_MAX, len(word)) + 1)]


KIND_STOPS: Dict[str, FrozenSet[str]] = {
    "words": STOP_WORDS,
    "ngrams": STOP_WORDS,
    "urn": URN_STOPS,
    "urn_ngrams": URN_STOPS,
    "values": frozenset(),
    "pairs": STOP_WORDS,
}
POSITIONAL_KINDS = frozenset({"words"})


def pair(first: str, gap: int, second: str) -> str:
    """The pair term of two words ``gap`` positions apart (1: adjacent; more: stop words between)."""
    return f"{first} {gap} {second}"


def pairs(text: str) -> List[str]:
    """The pair terms of a positional field's text: each word with the next one in the same value
    (Elasticsearch's ``index_phrases``: a phrase query becomes a few set intersections, positions
    are read only to confirm phrases of three words or more)."""
    out: List[str] = []
    prev: Tuple[int, str] = (-POSITION_GAP, "")
    for pos, w in words(text):
        if pos - prev[0] < POSITION_GAP:
            out.append(pair(prev[1], pos - prev[0], w))
        prev = (pos, w)
    return out


def field_terms(kind: str, text: str) -> List[str]:
    """The index terms of ``text`` in a field of ``kind`` (in order, repeats kept)."""
    if kind == "values":
        return [t for t in fold(text).split("\n") if t]
    if kind == "pairs":
        return pairs(text)
    found = [w for _p, w in words(text, KIND_STOPS[kind])]
    if kind in ("ngrams", "urn_ngrams"):
        return [g for w in found for g in ngrams(w)]
    return found


def kind_of(field_type: str) -> str:
    """The analysis kind of a document field type (R8.18 field types)."""
    if field_type in sd.PARTIAL_TYPES:
        return "ngrams"
    if field_type in sd.URN_PARTIAL_TYPES:
        return "urn_ngrams"
    if field_type in sd.URN_TYPES:
        return "urn"
    if field_type in sd.KEYWORD_TYPES or field_type in sd.BOOLEAN_TYPES:
        return "values"
    assert sd.positional(field_type), field_type
    return "words"


# ----------------------------------------------------------------------------- whoosh analyzers
class _Words(Tokenizer):  # type: ignore[misc]
    """whoosh's view of :func:`words` (query-time analysis of filters, and the reference the
    one-pass indexing is tested against); ``ngrams`` adds each word's prefixes."""

    def __init__(self, stops: FrozenSet[str], grams: bool = False, paired: bool = False) -> None:
        self.stops = stops
        self.grams = grams
        self.paired = paired

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (other.stops, other.grams, other.paired) == (  # type: ignore[attr-defined]
            self.stops,
            self.grams,
            self.paired,
        )

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        tokenize: bool = True,
        **kwargs: Any,
    ) -> Any:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost, t.stopped = 1.0, False
        if not tokenize:  # wildcard and prefix texts: whole, folded
            t.original = t.text = fold(value)
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        if self.paired:
            for text in pairs(value):
                t.text = t.original = text
                yield t
            return
        for pos, w in words(value, self.stops):
            for text in ngrams(w) if self.grams else (w,):
                t.text = text
                if keeporiginal:
                    t.original = text
                if positions:
                    t.pos = start_pos + pos
                if chars:  # approximate after folding; litemeta never highlights from offsets
                    t.startchar, t.endchar = start_char, start_char + len(value)
                yield t


class _Folded(Tokenizer):  # type: ignore[misc]
    """One folded term per line (KEYWORD values; the exact-name field)."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        tokenize: bool = True,
        **kwargs: Any,
    ) -> Any:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost, t.stopped = 1.0, False
        for i, line in enumerate(fold(value).split("\n") if tokenize else [fold(value)]):
            if not line:
                continue
            t.text = t.original = line
            if positions:
                t.pos = start_pos + i
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t


def _analyzer(kind: str) -> Any:
    if kind == "values":
        return _Folded()
    return _Words(KIND_STOPS[kind], grams=kind in ("ngrams", "urn_ngrams"), paired=kind == "pairs")


class _FastText(wf.TEXT):  # type: ignore[misc]
    """A TEXT field whose ``index`` analyses in one pass (see the module docstring)."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        super().__init__(analyzer=_analyzer(kind), phrase=kind in POSITIONAL_KINDS, **kwargs)
        self.kind = kind

    def index(self, value: Any, **kwargs: Any) -> Any:
        """(term bytes, frequency, weight, encoded value) per distinct term of ``value``."""
        if type(value) is not str or kwargs:
            return super().index(value, **kwargs)
        fmt = self.format
        fb = fmt.field_boost
        if self.kind in POSITIONAL_KINDS:
            poses: Dict[str, List[int]] = {}
            for pos, w in words(value, KIND_STOPS[self.kind]):
                hit = poses.get(w)
                if hit is None:
                    poses[w] = [pos]
                else:
                    hit.append(pos)
            encode = fmt.encode
            return [(w.encode("utf-8"), len(ps), float(len(ps)) * fb, encode(ps)) for w, ps in poses.items()]
        freqs: Dict[str, int] = {}
        for w in field_terms(self.kind, value):
            freqs[w] = freqs.get(w, 0) + 1
        return [(w.encode("utf-8"), n, float(n) * fb, _pack_uint(n)) for w, n in freqs.items()]


class _FastID(wf.ID):  # type: ignore[misc]
    """An ID field of exact values (case kept), one per line, indexed in one pass."""

    def __init__(self) -> None:
        super().__init__(analyzer=RegexTokenizer(r"[^\n]+"))

    def index(self, value: Any, **kwargs: Any) -> Any:
        """(term bytes, 1, field boost, b"") per distinct line of ``value``."""
        if type(value) is not str or kwargs:
            return super().index(value, **kwargs)
        fb = self.format.field_boost
        return [(w.encode("utf-8"), 1, fb, b"") for w in set(value.split("\n")) if w]


META_FIELD = "lm_meta"  # the stored identity and log position of the index (index.py)


def build_schema(registry: Registry) -> wf.Schema:
    """The whoosh schema for every searchable field of the registry (one schema for all entity
    types): ``F`` analysed by its kind, ``F__x`` its exact values (filters, facets), numbers as
    numeric fields, ``lm_exact`` whole names, ``lm_ac`` stored autocomplete values."""
    schema = wf.Schema(urn=wf.ID(stored=True, unique=True))
    schema.add(sd.EXACT_NAME_FIELD, _FastText("values"))
    schema.add(sd.AUTOCOMPLETE_FIELD, wf.STORED())
    schema.add(sd.FACETS_FIELD, wf.STORED())
    schema.add(META_FIELD, wf.STORED())
    for name, fd in sd.field_defs(registry).items():
        t = fd.field_type
        if t in sd.INT_TYPES or t in sd.FLOAT_TYPES:
            # One term per value (shift_step=bits): indexing speed matters more than ranges.
            numtype = int if t in sd.INT_TYPES else float
            schema.add(sd.wname(name), wf.NUMERIC(numtype=numtype, bits=64, signed=True, shift_step=64))
            continue
        kind = kind_of(t)
        schema.add(sd.wname(name), _FastText(kind, stored=name == sd.ENTITY_TYPE_FIELD))
        if kind in POSITIONAL_KINDS and name not in sd.NO_PAIRS:
            schema.add(sd.wname(name) + sd.PAIR_SUFFIX, _FastText("pairs"))
        if sd.has_exact_field(fd):
            schema.add(sd.wname(name) + sd.EXACT_SUFFIX, _FastID())
    return schema


def schema_signature(schema: Any) -> List[Tuple[str, str]]:
    """Field names and classes: an index written with other fields is rebuilt, not reused."""
    return sorted((name, type(schema[name]).__name__ + getattr(schema[name], "kind", "")) for name in schema.names())
