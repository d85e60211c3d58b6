"""Search for the browser: the one place that calls the store's search and shapes its results.

    >>> page = run_search(served, "revenue", {"platform": ["urn:li:dataPlatform:hive"]}, page=1)  # doctest: +SKIP
    >>> page.total, [h.name for h in page.hits], page.facets[0].values[0].label  # doctest: +SKIP

The search follower's result (total, hits with the (field, term) pairs that matched, facet counts)
becomes :class:`ResultPage`: rows with the entity's name, platform, type, a description snippet
split into marked and unmarked pieces, tags and owners, and facets whose values carry display
labels and the link that adds or removes them. Only :func:`run_search` and :func:`complete` know
the shape of ``MetadataStore.search``/``autocomplete`` results, so a new search engine changes
this module alone.

Filters come from DataHub's URL parameters ``filter_<facet>=<value>`` (repeated: any of the values;
several facets: all of them); ``filter_entity`` narrows by entity type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple
from urllib.parse import urlencode

from litemeta.serve.ui.entity import Summary, label_of, summarize

PAGE_SIZE = 10
FACET_VALUES_SHOWN = 8
SNIPPET_CHARS = 220
# facet field -> heading, in display order (DataHub's search page facets)
FACETS: Tuple[Tuple[str, str], ...] = (
    ("entity", "Type"),
    ("platform", "Platform"),
    ("tags", "Tag"),
    ("glossaryTerms", "Glossary term"),
    ("owners", "Owner"),
    ("domains", "Domain"),
    ("container", "Container"),
    ("origin", "Environment"),
)
ENTITY_FACET = "entity"  # the URL name of the entity-type facet (the index calls it _entityType)
_INDEX_FACET = {"entity": "_entityType"}
_WORD = re.compile(r"[^\W_]+")
# index field names as the results show them ("matched in field names")
_FIELD_LABELS = {
    "fieldPaths": "field names",
    "fieldDescriptions": "field descriptions",
    "fieldTags": "field tags",
    "fieldGlossaryTerms": "field terms",
    "customProperties": "custom properties",
    "id": "urn",
    "qualifiedName": "qualified name",
    "urn": "urn",
    "name": "name",
    "description": "description",
}


class QueryError(ValueError):
    """A query the search cannot run (shown to the user as a message, never a traceback)."""


@dataclass(frozen=True)
class Piece:
    """A run of text, marked when it is a word the query matched."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class Hit:
    """One result row."""

    summary: Summary
    snippet: Tuple[Piece, ...]
    name: Tuple[Piece, ...]
    score: float
    matched_in: Tuple[str, ...] = ()  # the fields that matched, when neither name nor snippet shows a match

    @property
    def urn(self) -> str:
        return self.summary.urn


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    url: str  # the search with this value added (or removed, when selected)


@dataclass(frozen=True)
class Facet:
    field: str
    title: str
    values: Tuple[FacetValue, ...]
    more: int  # values not shown


@dataclass(frozen=True)
class ResultPage:
    query: str
    filters: Mapping[str, Tuple[str, ...]]
    total: int
    page: int
    pages: int
    hits: Tuple[Hit, ...]
    facets: Tuple[Facet, ...]

    def page_url(self, n: int) -> str:
        """The same search on page ``n``."""
        return search_href(self.query, self.filters, n)


def search_href(query: str, filters: Mapping[str, Sequence[str]], page: int = 1) -> str:
    """``/search?query=...&filter_<facet>=...&page=n``."""
    params: List[Tuple[str, str]] = [("query", query)]
    for name in sorted(filters):
        params += [(f"filter_{name}", v) for v in filters[name]]
    if page > 1:
        params.append(("page", str(page)))
    return "/search?" + urlencode(params)


def parse_filters(items: Iterable[Tuple[str, str]]) -> Dict[str, Tuple[str, ...]]:
    """``filter_<facet>`` query parameters -> ``{facet: values}`` (unknown facets are an error)."""
    known = {f for f, _ in FACETS}
    out: Dict[str, List[str]] = {}
    for key, value in items:
        if not key.startswith("filter_") or not value:
            continue
        name = key[len("filter_") :]
        if name not in known:
            raise QueryError(
                f"unknown filter {key!r}: expected one of " + ", ".join(f"filter_{f}" for f in sorted(known))
            )
        out.setdefault(name, [])
        if value not in out[name]:
            out[name].append(value)
    return {k: tuple(v) for k, v in out.items()}


def run_search(
    served: Any, query: str, filters: Mapping[str, Sequence[str]], page: int = 1, page_size: int = PAGE_SIZE
) -> ResultPage:
    """One page of results with facets. Raises :class:`QueryError` for a query the index refuses."""
    from litemeta.errors import LitemetaError

    text = query.strip() or "*"
    entity_types = list(filters.get(ENTITY_FACET, ())) or None
    store_filters = {_INDEX_FACET.get(k, k): list(v) for k, v in filters.items() if k != ENTITY_FACET}
    page = max(1, page)
    try:
        result = served.search(
            text,
            entity_types=entity_types,
            filters=store_filters or None,
            facets=[_INDEX_FACET.get(f, f) for f, _ in FACETS],
            start=(page - 1) * page_size,
            count=page_size,
        )
    except LitemetaError as err:
        raise QueryError(str(err)) from None
    except ValueError as err:  # the query parser's own complaints
        raise QueryError(f"the query {query!r} cannot be parsed: {err}") from None
    hits_raw = list(result.results)
    facet_counts: Mapping[str, Mapping[str, int]] = result.facets
    # One read for the hits and the urn-valued facet values that need a display name.
    wanted: List[str] = [h.urn for h in hits_raw]
    for field, _ in FACETS:
        counts = facet_counts.get(_INDEX_FACET.get(field, field), {})
        wanted += [v for v in list(counts)[:FACET_VALUES_SHOWN] if v.startswith("urn:li:")]
    aspects = served.store.latest_many(list(dict.fromkeys(wanted)))
    names = {u: label_of(u, a) for u, a in aspects.items()}
    hits = []
    for h in hits_raw:
        s = summarize(h.urn, aspects.get(h.urn, {}), served.registry, names)
        terms = {t for _, t in h.matched_fields}
        name, snip = tuple(mark(s.name, terms)), snippet(s.description, terms)
        shown = any(p.marked for p in name + snip)
        elsewhere = () if shown else tuple(sorted({_FIELD_LABELS.get(f, f) for f, _ in h.matched_fields}))
        hits.append(Hit(s, snip, name, float(h.score), elsewhere))
    return ResultPage(
        query,
        {k: tuple(v) for k, v in filters.items()},
        result.total,
        page,
        max(1, -(-result.total // page_size)) if page_size else 1,
        tuple(hits),
        _facets(query, filters, facet_counts, names),
    )


def _facets(
    query: str, filters: Mapping[str, Sequence[str]], counts: Mapping[str, Mapping[str, int]], names: Mapping[str, str]
) -> Tuple[Facet, ...]:
    out = []
    for field, title in FACETS:
        values = counts.get(_INDEX_FACET.get(field, field), {})
        chosen = set(filters.get(field, ()))
        shown = list(values)[:FACET_VALUES_SHOWN]
        shown += [v for v in chosen if v not in shown]  # a selected value stays visible (to unselect it)
        if not shown:
            continue
        rows = []
        for v in shown:
            now = [x for x in filters.get(field, ()) if x != v] if v in chosen else [*filters.get(field, ()), v]
            narrowed = {**{k: list(x) for k, x in filters.items()}, field: now}
            rows.append(
                FacetValue(
                    v,
                    names.get(v) or label_of(v, {}),
                    int(values.get(v, 0)),
                    v in chosen,
                    search_href(query, {k: x for k, x in narrowed.items() if x}),
                )
            )
        out.append(Facet(field, title, tuple(rows), max(0, len(values) - len(shown))))
    return tuple(out)


def mark(text: str, terms: Set[str]) -> List[Piece]:
    """Split ``text`` into pieces, marking the words (as the index splits them) found in ``terms``."""
    if not text:
        return []
    if not terms:
        return [Piece(text)]
    out: List[Piece] = []
    last = 0
    for m in _WORD.finditer(text):
        if m.group(0).lower() in terms:
            if m.start() > last:
                out.append(Piece(text[last : m.start()]))
            out.append(Piece(m.group(0), True))
            last = m.end()
    if last < len(text):
        out.append(Piece(text[last:]))
    return out


def snippet(text: Optional[str], terms: Set[str], width: int = SNIPPET_CHARS) -> Tuple[Piece, ...]:
    """About ``width`` characters of ``text`` around its first matched word, words marked."""
    if not text:
        return ()
    flat = " ".join(text.split())
    start = 0
    if terms:
        for m in _WORD.finditer(flat):
            if m.group(0).lower() in terms:
                start = max(0, m.start() - width // 4)
                break
    cut = flat[start : start + width]
    pieces = mark(cut, terms)
    if start > 0:
        pieces.insert(0, Piece("… "))
    if start + width < len(flat):
        pieces.append(Piece(" …"))
    return tuple(pieces)


@dataclass(frozen=True)
class Completion:
    urn: str
    entity_type: str
    text: str


def complete(served: Any, prefix: str, limit: int = 8) -> List[Completion]:
    """Autocomplete suggestions for the search box (under the index lock, as the server's searches)."""
    if not prefix.strip():
        return []
    with served.index_lock:
        found = served.store.autocomplete(prefix, limit=limit)
    return [Completion(u, et, text) for u, et, text in found]
