"""Query text and DataHub filters, parsed into the engine's nodes (:mod:`.scoring`); pure.

Query text, DataHub's search bar: words (every word that carries meaning must match, in any
default field), ``"quoted phrases"``, ``field:value`` / ``field:"a phrase"`` /
``field:urn:li:...`` (the exact urn), wildcards (``ship*``, ``invoic?s``), ``-word`` or ``NOT
word``, ``a OR b``, ``AND``, parentheses; ``*`` alone lists everything. The last word of the
text also matches as a prefix (the user may still be typing it).

litemeta's rules for stop words (issue 14): a word the analyzers drop ("of", "the", "in"...)
is never a required term, in any field; inside a phrase it keeps its place (the words around it
must stand that far apart, as in the index). A word that only some fields drop is required in
the fields that keep it. A query made only of stop words matches exact names only.

    >>> parse('Cost of "goods sold" -draft tags:pii')
    QAnd(items=(QWord(text='Cost', last=False), QWord(text='of', last=False), QPhrase(text='goods sold'), \
QNot(item=QWord(text='draft', last=False)), QField(field='tags', value='pii', quoted=False)))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from litemeta.errors import ValidationError
from litemeta.followers.search import documents as sd
from litemeta.followers.search import scoring as sc
from litemeta.followers.search.analysis import KIND_STOPS, NGRAM_MAX, POSITIONAL_KINDS, STOP_WORDS, fold, kind_of, words

# An exact name match must outrank any word match (DataHub boosts exact id/name matches heavily).
EXACT_NAME_BOOST = 1000.0
# litemeta's choice: URN facet fields that DataHub does not query by default (owners...) are
# still matched by free text, at this fraction of their boost, so an owner's name finds the
# entities they own.
FACET_URN_QUERY_BOOST = 0.2
# All the query's words standing together as written, in one field, score again (BM25) at this
# times the field's boost, counting low boosts as PHRASE_FLOOR (DataHub adds a phrase match of the
# query to its query_string): five words of a description in a row outweigh the same words
# scattered over names and columns, and a column name typed whole finds its table.
PHRASE_BONUS = 2.0
PHRASE_FLOOR = 10.0
# A prefix match of the last word (a word still being typed) scores this times the field's boost.
PREFIX_FACTOR = 0.5
_RUN = re.compile(r"[^\W_]+")  # a word as the analyzers cut them (analysis.words)
NUMERIC_CONDITIONS = {"GREATER_THAN", "GREATER_THAN_OR_EQUAL_TO", "LESS_THAN", "LESS_THAN_OR_EQUAL_TO"}


# ----------------------------------------------------------------------------- parse tree
@dataclass(frozen=True)
class QWord:
    """A bare word (``last``: the final word of the text, matched as a prefix too)."""

    text: str
    last: bool = False


@dataclass(frozen=True)
class QPhrase:
    """A quoted phrase."""

    text: str


@dataclass(frozen=True)
class QField:
    """``field:value`` (``quoted``: ``field:"a phrase"``)."""

    field: str
    value: str
    quoted: bool = False


@dataclass(frozen=True)
class QNot:
    """``-item`` / ``NOT item``."""

    item: Any


@dataclass(frozen=True)
class QAnd:
    """Every item (the default between items)."""

    items: Tuple[Any, ...]


@dataclass(frozen=True)
class QOr:
    """Any item."""

    items: Tuple[Any, ...]


_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<neg>-)?(?:(?P<field>(?!urn:)[A-Za-z_][\w.]*):)?"
    r'(?:"(?P<phrase>[^"]*)"?|(?P<urn>urn:[A-Za-z0-9]+:[^\s"]+)|(?P<word>[^\s()"]+)))'
)


def parse(text: str, fields: Optional[Sequence[str]] = None) -> Any:
    """The parse tree of query text. ``fields``: names allowed before ``:`` (None: any); another
    ``x:y`` is the word ``x:y`` (``x:"y z"``: the word ``x`` and the phrase)."""
    tokens: List[Tuple[str, Any]] = []
    pos = 0
    typing = text == text.rstrip()  # no space after the last word: it may be incomplete
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            pos += 1  # a stray character
            continue
        pos = m.end()
        if m.group("open") or m.group("close"):
            tokens.append(("(" if m.group("open") else ")", None))
            continue
        field, phrase = m.group("field"), m.group("phrase")
        value = m.group("urn") or m.group("word")
        items: List[Any] = []
        if field is not None and fields is not None and field not in fields:
            if phrase is None:
                value, field = f"{field}:{value}", None
            else:
                items.append(QWord(field))
                field = None
        if field is not None:
            items.append(QField(field, phrase if phrase is not None else value, phrase is not None))
        elif phrase is not None:
            items.append(QPhrase(phrase))
        elif value in ("AND", "OR", "NOT") and not m.group("neg"):
            tokens.append((value, None))
            continue
        else:
            items.append(QWord(value))
        tokens.extend(("item", QNot(x) if m.group("neg") else x) for x in items)
    if (
        typing
        and tokens
        and tokens[-1][0] == "item"
        and isinstance(tokens[-1][1], QWord)
        and (len(tokens) < 2 or tokens[-2][0] != "NOT")
    ):  # a negated word is no prefix
        tokens[-1] = ("item", QWord(tokens[-1][1].text, last=True))
    tree, _ = _parse_seq(tokens, 0)
    return tree


def _parse_seq(tokens: List[Tuple[str, Any]], i: int) -> Tuple[Any, int]:
    groups: List[List[Any]] = [[]]  # OR-separated groups of AND-ed items
    negate = False
    while i < len(tokens):
        kind, item = tokens[i]
        i += 1
        if kind == ")":
            break
        if kind == "(":
            item, i = _parse_seq(tokens, i)
        elif kind == "OR":
            if groups[-1]:
                groups.append([])
            continue
        elif kind == "NOT":
            negate = True
            continue
        elif kind == "AND":
            continue
        groups[-1].append(QNot(item) if negate else item)
        negate = False
    alts = [g[0] if len(g) == 1 else QAnd(tuple(g)) for g in groups if g]
    if not alts:
        return QAnd(()), i
    return (alts[0] if len(alts) == 1 else QOr(tuple(alts))), i


# ----------------------------------------------------------------------------- planning
@dataclass(frozen=True)
class IndexField:
    """What planning needs to know of one document field in the index."""

    name: str  # document field name
    wfield: str  # index field
    kind: str  # analysis kind (analysis.py), or "number"
    boost: float
    default: bool  # searched by bare words
    exact: Optional[str]  # index field of exact values
    pairs: Optional[str] = None  # index field of word pairs (analysis.pairs)


def index_fields_of(defs: Mapping[str, sd.FieldDef], present: Sequence[str]) -> Dict[str, IndexField]:
    """The plannable fields of the schema (``present``: index fields that hold terms)."""
    have = set(present)
    out: Dict[str, IndexField] = {}
    for name, fd in defs.items():
        numeric = fd.field_type in sd.INT_TYPES | sd.FLOAT_TYPES
        kind = "number" if numeric else kind_of(fd.field_type)
        default = False
        boost = fd.boost
        if not numeric and fd.field_type not in sd.BOOLEAN_TYPES:
            if fd.query_by_default:
                default = True
            elif fd.add_to_filters and fd.field_type in sd.URN_TYPES:
                default, boost = True, fd.boost * FACET_URN_QUERY_BOOST
        wfield = sd.wname(name)
        pairs = wfield + sd.PAIR_SUFFIX
        out[name] = IndexField(
            name,
            wfield,
            kind,
            boost,
            default and wfield in have,
            sd.exact_name(fd) if sd.has_exact_field(fd) else None,
            pairs if pairs in have else None,
        )
    return out


class Planner:
    """Turns parse trees and filters into engine nodes over one index's fields."""

    def __init__(self, fields: Mapping[str, IndexField]) -> None:
        self.fields = fields
        self.defaults = [f for f in fields.values() if f.default]

    # -- text
    def plan(self, text: str) -> Any:
        """The engine node of query text (``*`` or nothing: every document)."""
        text = (text or "").strip()
        if text in ("", "*"):
            return sc.Every()
        tree = parse(text, [n for n in self.fields] + ["entityType"])
        node = self._node(tree)
        if node is None:
            node = sc.Nothing()
        bonus = self._phrase_bonus(tree)
        if bonus:
            node = sc.Should(node, tuple(bonus))
        exact = sc.Term(sd.EXACT_NAME_FIELD, fold(text), EXACT_NAME_BOOST)
        return sc.Or((node, exact)) if _plain(tree) else node

    def _node(self, item: Any) -> Any:
        """The node of a parse-tree item; None when nothing in it is required (stop words)."""
        if isinstance(item, QAnd):
            parts = [n for n in (self._node(x) for x in item.items) if n is not None]
            if not parts:
                return None
            return parts[0] if len(parts) == 1 else sc.And(tuple(parts))
        if isinstance(item, QOr):
            parts = [n for n in (self._node(x) for x in item.items) if n is not None]
            if len(parts) < len(item.items):
                return None  # "x OR the": the stop word side is always true
            return sc.Or(tuple(parts))
        if isinstance(item, QNot):
            inner = self._node(item.item)
            return sc.Not(inner) if inner is not None else None
        if isinstance(item, QWord):
            return self._word(item.text, item.last)
        if isinstance(item, QPhrase):
            return self._phrase(item.text)
        if isinstance(item, QField):
            return self._field(item)
        raise TypeError(f"not a query item: {item!r}")

    def _word(self, text: str, last: bool, min_prefix: int = sc.MIN_PREFIX) -> Any:
        if "*" in text or "?" in text:
            pattern = fold(text)
            wild = [sc.Wildcard(f.wfield, pattern, f.boost) for f in self.defaults]
            return sc.Or(tuple(wild)) if wild else sc.Nothing()
        folded = fold(text)
        if folded in STOP_WORDS:
            return None
        if last:
            runs = list(_RUN.finditer(text))
            if len(runs) > 1:  # "stg_shopify__ord": the whole word, or the words before it and one being typed
                whole = self._word(text, last=False)
                head = self._word(text[: runs[-1].start()], last=False)
                tail = self._word(runs[-1].group(0), last=True, min_prefix=1)
                parts = [n for n in (head, tail) if n is not None]
                typing = (parts[0] if len(parts) == 1 else sc.And(tuple(parts))) if parts else None
                either = [n for n in (whole, typing) if n is not None]
                return (either[0] if len(either) == 1 else sc.DisMax(tuple(either), tie=0.0)) if either else None
        alts: List[Any] = []
        for f in self.defaults:
            node = self._terms(f, text)
            if node is not None:
                alts.append(node)
            if last and f.kind in ("words", "urn", "values") and len(folded) >= min_prefix:
                ws = [w for _p, w in words(text, KIND_STOPS[f.kind])] if f.kind != "values" else [folded]
                if len(ws) == 1:
                    alts.append(sc.Prefix(f.wfield, ws[0], f.boost * PREFIX_FACTOR))
        if not alts:
            return None  # every field drops it ("urn", "li"...): never required
        if last and len(folded) < min_prefix:
            return None  # one character typed: too little to require anything yet
        return sc.DisMax(tuple(alts))

    def _terms(self, f: IndexField, text: str, boost: Optional[float] = None) -> Any:
        """Text in one field, analysed as the field analyses it: a term, a phrase (positional
        fields), all terms (others); None when the field drops all of it."""
        b = f.boost if boost is None else boost
        if f.kind == "values":
            v = fold(text)
            return sc.Term(f.wfield, v, b) if v else None
        if f.kind == "number":
            return None
        found = list(words(text, KIND_STOPS[f.kind]))
        if not found:
            return None
        if f.kind in ("ngrams", "urn_ngrams"):
            terms = [w[:NGRAM_MAX] for _p, w in found if len(w) >= 2]
            if not terms:
                return None
            return (
                sc.Term(f.wfield, terms[0], b)
                if len(terms) == 1
                else sc.And(tuple(sc.Term(f.wfield, t, b) for t in terms))
            )
        if len(found) == 1:
            return sc.Term(f.wfield, found[0][1], b)
        if f.kind in POSITIONAL_KINDS:
            first = found[0][0]
            return sc.Phrase(f.wfield, tuple(w for _p, w in found), tuple(p - first for p, _w in found), b, f.pairs)
        return sc.And(tuple(sc.Term(f.wfield, w, b) for _p, w in found))

    def _phrase(self, text: str) -> Any:
        meaningful = [w for _p, w in words(text)]
        if not meaningful:
            return None
        if len(meaningful) == 1:
            return self._word(text, last=False)
        alts = []
        for f in self.defaults:
            if f.kind in POSITIONAL_KINDS or f.kind == "values":
                node = self._terms(f, text)
                if node is not None:
                    alts.append(node)
        return sc.DisMax(tuple(alts)) if alts else sc.Nothing()

    def _field(self, item: QField) -> Any:
        f = self.fields.get(filter_field_name(item.field))
        if f is None:
            raise ValidationError(f"unknown search field {item.field!r} in the query", path=item.field)
        value = item.value
        if f.exact and value.startswith("urn:"):
            return sc.Term(f.exact, value, f.boost)
        if not item.quoted and ("*" in value or "?" in value):
            return sc.Wildcard(f.wfield, fold(value), f.boost)
        if f.kind == "number":
            return self._numeric(f, "EQUAL", value)
        node = self._terms(f, value)
        return node if node is not None else sc.Nothing()

    def _phrase_bonus(self, tree: Any) -> List[Any]:
        """A phrase of the query's plain words in each positional default field, when there are two or more."""
        items = tree.items if isinstance(tree, QAnd) else (tree,)
        if not items or not all(isinstance(x, QWord) for x in items):
            return []
        text = " ".join(x.text for x in items)
        found = list(words(text))
        if len(found) < 2:
            return []
        first = found[0][0]
        ws, offs = tuple(w for _p, w in found), tuple(p - first for p, _w in found)
        return [
            sc.Phrase(f.wfield, ws, offs, max(f.boost, PHRASE_FLOOR) * PHRASE_BONUS, f.pairs)
            for f in self.defaults
            if f.pairs is not None
        ]  # where pairs make it cheap

    # -- filters
    def filters(self, filters: Optional[Mapping[str, Any]], entity_types: Optional[Sequence[str]] = None) -> Any:
        """The node of DataHub filters and entity types (None: no restriction)."""
        clauses: List[Any] = []
        if entity_types:
            clauses.append(sc.Or(tuple(sc.Term(sd.ENTITY_TYPE + sd.EXACT_SUFFIX, t) for t in entity_types)))
        alts = [tuple(self._criterion(c) for c in conj) for conj in normalize_filters(filters)]
        alts = [a for a in alts if a]
        if alts:
            ands = [sc.And(a) if len(a) > 1 else a[0] for a in alts]
            clauses.append(ands[0] if len(ands) == 1 else sc.Or(tuple(ands)))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else sc.And(tuple(clauses))

    def _criterion(self, c: "Criterion") -> Any:
        field, cond, values = c.field, c.condition, list(c.values)
        f = self.fields.get(field)
        if f is None:
            raise ValidationError(f"unknown search filter field {field!r} (not a @Searchable field name)", path=field)
        x = f.exact or f.wfield
        q: Any
        if cond == "EXISTS":
            q = sc.Exists(f.wfield if f.kind == "number" else x)
        elif not values:
            raise ValidationError(f"filter on {field!r} with condition {cond} needs values", path=field)
        elif f.kind == "number":
            q = sc.Or(tuple(self._numeric(f, cond, v) for v in values))
        elif f.exact is None and f.kind != "values":
            q = sc.Or(tuple(self._words(f, v, prefix=cond == "START_WITH") for v in values))
        elif cond in ("EQUAL", "IN"):
            if f.exact is None:
                q = sc.Or(tuple(sc.Term(f.wfield, fold(v)) for v in values))
            else:
                q = sc.Or(tuple(sc.Term(x, v) for v in values))
        elif cond == "CONTAIN":
            q = sc.Or(tuple(sc.Wildcard(x, "*" + escape_wildcards(v) + "*") for v in values))
        elif cond == "START_WITH":
            q = sc.Or(tuple(sc.Prefix(x, v, limit=None) for v in values))
        elif cond == "END_WITH":
            q = sc.Or(tuple(sc.Wildcard(x, "*" + escape_wildcards(v)) for v in values))
        else:
            raise ValidationError(
                f"unsupported filter condition {cond!r} on {field!r}; expected EQUAL, IN, CONTAIN, START_WITH, "
                f"END_WITH, EXISTS, or a numeric comparison",
                path=field,
            )
        return sc.Not(q) if c.negated else q

    def _words(self, f: IndexField, value: str, prefix: bool) -> Any:
        # Plain TEXT fields keep no exact values: match the value's words in order.
        found = list(words(value, KIND_STOPS[f.kind]))
        if not found:
            return sc.Nothing()
        if prefix:
            head = [sc.Term(f.wfield, w) for _p, w in found[:-1]]
            tail = sc.Prefix(f.wfield, found[-1][1], limit=None)
            return sc.And(tuple(head + [tail])) if head else tail
        node = self._terms(f, value, boost=1.0)
        return node if node is not None else sc.Nothing()

    @staticmethod
    def _numeric(f: IndexField, cond: str, v: str) -> Any:
        try:
            n = float(v)
        except ValueError:
            raise ValidationError(
                f"filter on numeric field {f.name!r} expects a number, got {v!r}", path=f.name
            ) from None
        if cond in ("EQUAL", "IN"):
            return sc.Range(f.wfield, n, n)
        if cond in NUMERIC_CONDITIONS:
            excl = not cond.endswith("EQUAL_TO")
            if cond.startswith("GREATER"):
                return sc.Range(f.wfield, n, None, start_excl=excl)
            return sc.Range(f.wfield, None, n, end_excl=excl)
        raise ValidationError(f"condition {cond!r} does not apply to numeric field {f.name!r}", path=f.name)


def _plain(tree: Any) -> bool:
    """Whether a query is plain words (the exact-name alternative applies)."""
    items = tree.items if isinstance(tree, QAnd) else (tree,)
    return (
        bool(items)
        and all(isinstance(x, (QWord, QPhrase)) for x in items)
        and not any(isinstance(x, QWord) and ("*" in x.text or "?" in x.text) for x in items)
    )


# ----------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class Criterion:
    """One filter criterion (DataHub's ``Criterion`` PDL): field, condition, values, negated."""

    field: str
    condition: str = "EQUAL"
    values: Tuple[str, ...] = ()
    negated: bool = False


def filter_field_name(field: str) -> str:
    """The document field a DataHub filter or facet names (``x.keyword`` → ``x``,
    ``entityType`` → ``_entityType``)."""
    if field.endswith(".keyword"):
        field = field[: -len(".keyword")]
    return sd.ENTITY_TYPE_FIELD if field == "entityType" else field


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() == "true"
    return bool(v)


def _criterion(c: Mapping[str, Any]) -> Criterion:
    values = c.get("values")
    if values is None:
        values = [c["value"]] if c.get("value") is not None else []
    if not isinstance(values, (list, tuple)):
        values = [values]
    return Criterion(
        field=filter_field_name(str(c.get("field", ""))),
        condition=str(c.get("condition") or "EQUAL").upper(),
        values=tuple(sd.value_text(v) for v in values),
        negated=_truthy(c.get("negated", False)),
    )


def normalize_filters(filters: Optional[Mapping[str, Any]]) -> Tuple[Tuple[Criterion, ...], ...]:
    """DataHub's ``{"or": [{"and": [criterion...]}]}`` (also ``{"and": [...]}`` /
    ``{"criteria": [...]}``), or a simple ``{field: value | [values]}`` (EQUAL, values or-ed,
    fields and-ed), as an or of ands of :class:`Criterion`."""
    if not filters:
        return ()
    if "or" in filters or "and" in filters or "criteria" in filters:
        ors = filters.get("or")
        if ors is None:
            ors = [{"and": filters.get("and") or filters.get("criteria") or []}]
        return tuple(tuple(_criterion(c) for c in conj.get("and", [])) for conj in ors)
    return (tuple(_criterion({"field": k, "values": v}) for k, v in filters.items()),)


def escape_wildcards(v: str) -> str:
    """A filter value with wildcard characters removed (CONTAIN and END_WITH add their own)."""
    return v.replace("*", "").replace("?", "")


# ----------------------------------------------------------------------------- autocomplete
def best_completion(values: Sequence[Tuple[str, str]], prefix: str, words_: List[str]) -> Tuple[Optional[str], int]:
    """The autocomplete text for a (folded) prefix among (field, text) values and its rank: 0 =
    starts with the prefix, 1 = has a word starting with the last word, (None, 3) = neither."""
    best: Tuple[Optional[str], int] = (None, 3)
    for _field, text in values:
        low = fold(text)
        if low.startswith(prefix):
            rank = 0
        elif words_ and any(w.startswith(words_[-1]) for _p, w in words(low, frozenset())):
            rank = 1
        else:
            continue
        if rank < best[1] or (rank == best[1] and best[0] is not None and len(text) < len(best[0])):
            best = (text, rank)
    return best
