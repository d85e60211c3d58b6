"""What a search returns: hits, facet counts and how far the index is behind its store.

Front ends (the CLI, the HTTP server's search endpoints, the browser view) read these records
only. A hit names the words that matched it, per field, so a view can highlight them in the text
it shows (:func:`highlight`).

    >>> highlight("Customer master record", [("description", "customer"), ("description", "record")])
    '[Customer] master [record]'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from litemeta.followers.search.analysis import fold


@dataclass(frozen=True)
class SearchHit:
    """One result: the entity, its score and the (field, term) pairs that matched (terms as the
    index holds them: folded words, or a prefix of one for partial fields)."""

    urn: str
    entity_type: str
    score: float
    matched_fields: Tuple[Tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Staleness:
    """The index answered from a generation that has not yet indexed the last ``behind`` records
    of the change log (``indexed_offset`` .. ``log_end_offset``); it is catching up."""

    indexed_offset: int
    log_end_offset: int

    @property
    def behind(self) -> int:
        """Change-log records written to the store and not yet in the index."""
        return max(0, self.log_end_offset - self.indexed_offset)

    def as_dict(self) -> Dict[str, int]:
        """The ``stale`` object of ``search --json``."""
        return {"behind": self.behind, "indexedOffset": self.indexed_offset, "logEndOffset": self.log_end_offset}


@dataclass(frozen=True)
class SearchResult:
    """A page of results, the total number of matches, facet counts (filter name → value → n)
    and, when the index lags its store, by how much (None when it is current)."""

    total: int
    results: Tuple[SearchHit, ...]
    facets: Mapping[str, Mapping[str, int]]
    stale: Optional[Staleness] = None


def highlight(text: str, matched: Iterable[Tuple[str, str]], before: str = "[", after: str = "]") -> str:
    """``text`` with every word that starts with a matched term wrapped in ``before``/``after``
    (case and accents ignored, as the index ignores them)."""
    terms = {t for _f, t in matched if t}
    if not terms:
        return text

    def mark(m: "re.Match[str]") -> str:
        w = fold(m.group(0))
        return before + m.group(0) + after if any(w.startswith(t) for t in terms) else m.group(0)

    return re.sub(r"[^\W_]+", mark, text)


def result_dict(res: SearchResult, extra: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The JSON form of a result (``search --json``): total, results, facets, stale."""
    out: Dict[str, Any] = {
        "total": res.total,
        "results": [
            {
                "urn": h.urn,
                "entityType": h.entity_type,
                "score": round(h.score, 4),
                "matchedFields": [list(m) for m in h.matched_fields],
            }
            for h in res.results
        ],
        "facets": res.facets,
        "stale": res.stale.as_dict() if res.stale is not None else None,
    }
    out.update(extra or {})
    return out
