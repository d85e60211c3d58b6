"""Search documents from aspects: DataHub's ``@Searchable`` extraction, as pure functions.

One document per entity, merging the annotated fields of all its current aspects, the way
DataHub's ``SearchDocumentTransformer`` and ``FieldExtractor`` build an Elasticsearch document
(datahub-semantics.md §4, R8.18), then the index fields of that document (:func:`index_fields`).
No whoosh here: :mod:`litemeta.followers.search.analysis` defines how the index analyses them.

Every text field of a document is bounded (:data:`MAX_FIELD_CHARS`, 64 KB): one huge aspect (a
50 MB description) adds at most that much text per field to the index, whatever its size.

    >>> from litemeta.model.registry import load_registry
    >>> doc = build_document(
    ...     "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)", "dataset",
    ...     {"globalTags": {"tags": [{"tag": "urn:li:tag:pii"}]}}, load_registry())
    >>> doc["tags"], doc["hasTags"], doc["id"], doc["origin"]
    (['urn:li:tag:pii'], True, ['db.orders'], ['PROD'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from litemeta.model.registry import Registry
from litemeta.model.urns import key_aspect_from_urn

# Field types of R8.18.
TEXT_TYPES = frozenset({"TEXT", "WORD_GRAM", "BROWSE_PATH", "BROWSE_PATH_V2", "MAP_ARRAY", "OBJECT"})
PARTIAL_TYPES = frozenset({"TEXT_PARTIAL"})
URN_TYPES = frozenset({"URN"})
URN_PARTIAL_TYPES = frozenset({"URN_PARTIAL"})
KEYWORD_TYPES = frozenset({"KEYWORD"})
BOOLEAN_TYPES = frozenset({"BOOLEAN"})
INT_TYPES = frozenset({"COUNT", "DATETIME"})
FLOAT_TYPES = frozenset({"DOUBLE"})
QUERY_BY_DEFAULT_TYPES = frozenset({"TEXT", "TEXT_PARTIAL", "WORD_GRAM", "URN", "URN_PARTIAL"})


# DataHub's FieldExtractor drops map entries whose value is this long or longer, and
# SearchDocumentTransformer indexes at most this many elements of an array (its default).
MAX_MAP_VALUE_LENGTH = 200
MAX_ARRAY_LENGTH = 1000
# litemeta's bound on the text one field of one document adds to the index (all its values
# together), so that one huge aspect cannot blow up an index build's memory or the index; names
# longer than MAX_NAME_CHARS are not exact-name or autocomplete candidates.
MAX_FIELD_CHARS = 65536
MAX_NAME_CHARS = 512

URN_FIELD = "urn"  # the document id, as in DataHub's documents; no annotated field may take it
ENTITY_TYPE_FIELD = "_entityType"
REMOVED_FIELD = "removed"

# The facets DataHub's UI shows by default (datahub-semantics.md R4.5), by filter field name.
DEFAULT_FACETS: Tuple[str, ...] = (
    "platform",
    "origin",
    ENTITY_TYPE_FIELD,
    "tags",
    "glossaryTerms",
    "owners",
    "domains",
    "container",
    "typeNames",
)

# When two aspects declare one field name with different types, one index field must hold
# both; the first type in this order wins (text analysis keeps the most ways to match).
_TYPE_PRECEDENCE = (
    "WORD_GRAM",
    "TEXT",
    "TEXT_PARTIAL",
    "URN",
    "URN_PARTIAL",
    "KEYWORD",
    "BROWSE_PATH_V2",
    "BROWSE_PATH",
    "MAP_ARRAY",
    "OBJECT",
    "BOOLEAN",
    "DATETIME",
    "COUNT",
    "DOUBLE",
)


@dataclass(frozen=True)
class FieldDef:
    """One field of the search document, merged over every aspect that declares it."""

    name: str
    field_type: str
    boost: float = 1.0
    query_by_default: bool = False
    autocomplete: bool = False
    add_to_filters: bool = False
    filter_name: Optional[str] = None
    is_map: bool = False


@dataclass(frozen=True)
class Extraction:
    """How to read one annotated path of an aspect (a ``SearchableFieldSpec``)."""

    path: Tuple[str, ...]
    field_name: str
    field_type: str
    is_map: bool
    has_values_field: Optional[str]
    num_values_field: Optional[str]


def _truthy(v: Any) -> bool:
    # Some generated annotations carry booleans as strings ("queryByDefault": "true").
    if isinstance(v, str):
        return v.strip().lower() == "true"
    return bool(v)


def _default_field_type(leaf_type: Optional[str], is_map: bool) -> str:
    """R8.18: int → COUNT, map → KEYWORD, float/double → DOUBLE, anything else → TEXT."""
    if is_map:
        return "KEYWORD"
    if leaf_type == "int":
        return "COUNT"
    if leaf_type in ("float", "double"):
        return "DOUBLE"
    return "TEXT"


def _default_field_name(path: Tuple[str, ...]) -> str:
    """The PDL field name: the last path segment that is not ``*`` or ``$key``."""
    for seg in reversed(path):
        if seg not in ("*", "$key"):
            return seg
    return path[-1] if path else ""


def _extraction(path_str: str, ann: Mapping[str, Any]) -> Extraction:
    path = tuple(s for s in path_str.split("/") if s)
    # A map annotated with {"/*": {...}} is indexed as the map itself, its entries as
    # "key=value" strings (DataHub's SearchableFieldSpecExtractor + FieldExtractor). The
    # generated registry spells it "<map>/*" with the leaf type of the values.
    is_map = (
        len(path) >= 1
        and path[-1] == "*"
        and ann.get("_type") in ("string", "enum", "int", "long", "float", "double", "boolean")
    )
    field_type = ann.get("fieldType") or _default_field_type(ann.get("_type"), is_map)
    name = ann.get("fieldName") or _default_field_name(path)
    return Extraction(path, name, field_type, is_map, ann.get("hasValuesFieldName"), ann.get("numValuesFieldName"))


# Registries are immutable but not hashable (they hold dicts): cache by identity, keeping a
# reference so that an id is never reused while cached.
_CACHE: Dict[int, Tuple[Registry, Dict[Any, Any]]] = {}


def _cache_for(registry: Registry) -> Dict[Any, Any]:
    hit = _CACHE.get(id(registry))
    if hit is None or hit[0] is not registry:
        if len(_CACHE) > 8:
            _CACHE.clear()
        hit = _CACHE[id(registry)] = (registry, {})
    return hit[1]


def aspect_extractions(registry: Registry, aspect: str) -> Tuple[Extraction, ...]:
    """The searchable field specs of one aspect (empty for timeseries or unknown aspects)."""
    cache = _cache_for(registry)
    key = ("aspect", aspect)
    if key not in cache:
        spec = registry.aspects.get(aspect)
        found = () if spec is None or spec.timeseries else (_extraction(p, a) for p, a in spec.searchable.items())
        cache[key] = tuple(ex for ex in found if ex.field_name != URN_FIELD)
    return cache[key]


def _merge(a: FieldDef, b: FieldDef) -> FieldDef:
    ta, tb = a.field_type, b.field_type
    rank = {t: i for i, t in enumerate(_TYPE_PRECEDENCE)}
    ftype = ta if rank.get(ta, 99) <= rank.get(tb, 99) else tb
    return replace(
        a,
        field_type=ftype,
        boost=max(a.boost, b.boost),
        query_by_default=a.query_by_default or b.query_by_default,
        autocomplete=a.autocomplete or b.autocomplete,
        add_to_filters=a.add_to_filters or b.add_to_filters,
        filter_name=a.filter_name or b.filter_name,
        is_map=a.is_map or b.is_map,
    )


def field_defs(registry: Registry) -> Mapping[str, FieldDef]:
    """Every document field over all entity types (one schema for all), by field name.

    Includes the hasValues (BOOLEAN) and numValues (COUNT) companions and ``_entityType``.
    """
    cache = _cache_for(registry)
    if "fields" not in cache:
        cache["fields"] = _field_defs(registry)
    return cache["fields"]


def _field_defs(registry: Registry) -> Dict[str, FieldDef]:
    out: Dict[str, FieldDef] = {}

    def add(fd: FieldDef) -> None:
        out[fd.name] = _merge(out[fd.name], fd) if fd.name in out else fd

    for aspect in sorted(registry.aspects):
        spec = registry.aspects[aspect]
        if spec.timeseries:
            continue
        for path_str, ann in spec.searchable.items():
            ex = _extraction(path_str, ann)
            if ex.field_name == URN_FIELD:
                continue
            qbd = ann.get("queryByDefault")
            add(
                FieldDef(
                    name=ex.field_name,
                    field_type=ex.field_type,
                    boost=float(ann.get("boostScore", 1.0)),
                    query_by_default=_truthy(qbd) if qbd is not None else ex.field_type in QUERY_BY_DEFAULT_TYPES,
                    autocomplete=_truthy(ann.get("enableAutocomplete", False)),
                    add_to_filters=_truthy(ann.get("addToFilters", False)),
                    filter_name=ann.get("filterNameOverride"),
                    is_map=ex.is_map,
                )
            )
            if ex.has_values_field:
                add(FieldDef(ex.has_values_field, "BOOLEAN"))
            if ex.num_values_field:
                add(FieldDef(ex.num_values_field, "COUNT"))
    add(FieldDef(ENTITY_TYPE_FIELD, "KEYWORD", add_to_filters=True, filter_name="Type"))
    return dict(sorted(out.items()))


def _unwrap(v: Any) -> Any:
    # A Pegasus union of a primitive is tagged by its type name: {"string": "x"}.
    if isinstance(v, dict) and len(v) == 1:
        k = next(iter(v))
        if k in ("string", "int", "long", "float", "double", "boolean"):
            return v[k]
    return v


def _walk(value: Any, path: Tuple[str, ...], is_map: bool) -> List[Any]:
    """Values at ``path`` under ``value``; ``*`` fans out over arrays and map values, ``$key``
    yields map keys; a map annotated as a whole yields "key=value" entries."""
    nodes: List[Any] = [value]
    last = len(path) - 1
    for i, seg in enumerate(path):
        nxt: List[Any] = []
        if seg == "*":
            for n in nodes:
                if isinstance(n, list):
                    nxt.extend(n)
                elif isinstance(n, dict):
                    if is_map and i == last:
                        for k, v in n.items():
                            sv = _scalar_text(_unwrap(v))
                            if sv is not None and len(sv) < MAX_MAP_VALUE_LENGTH:
                                nxt.append(f"{k}={sv}")
                    else:
                        nxt.extend(n.values())
        elif seg == "$key":
            for n in nodes:
                if isinstance(n, dict):
                    nxt.extend(n.keys())
        else:
            for n in nodes:
                if isinstance(n, dict):
                    v = n.get(seg)
                    if v is not None:
                        nxt.append(v)
        if not nxt:
            return nxt
        nodes = nxt
    out: List[Any] = []
    for n in nodes:  # an annotated array field (no trailing "*") yields its items
        if isinstance(n, list):
            out.extend(n)
        elif n is not None:
            out.append(n)
    return out


def _scalar_text(v: Any) -> Optional[str]:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return str(v)
    return None


def _convert(v: Any, field_type: str) -> Any:
    """A value as DataHub's getNodeForValue would index it (None = skip)."""
    v = _unwrap(v)
    if field_type in BOOLEAN_TYPES:
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        return None
    if field_type in INT_TYPES:
        if isinstance(v, bool):
            return int(v)
        if isinstance(v, (int, float)):
            return int(v)
        return None
    if field_type in FLOAT_TYPES:
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    text = _scalar_text(v)
    if not text:
        return None
    if field_type == "BROWSE_PATH" and not text.startswith("/"):
        text = "/" + text
    return text


def build_document(urn: str, entity_type: str, aspects: Mapping[str, Any], registry: Registry) -> Dict[str, Any]:
    """The search document of one entity: field name → list of values (scalars for hasValues,
    numValues and ``removed``).

    ``aspects`` maps aspect name → Pegasus-JSON value (the entity's current aspects). The key
    aspect is derived from the urn when absent. Same field names in different aspects merge
    (values are unioned, in aspect order; hasValues fields are or-ed). Timeseries and
    unregistered aspects are ignored.
    """
    doc: Dict[str, Any] = {URN_FIELD: urn, ENTITY_TYPE_FIELD: [entity_type]}
    all_aspects: Dict[str, Any] = dict(aspects)
    try:
        key_name = registry.entity(entity_type).key_aspect
        if key_name not in all_aspects:
            kname, kval = key_aspect_from_urn(urn, registry)
            all_aspects[kname] = kval
    except Exception:  # noqa: BLE001 - an unknown entity type still gets a document with its urn
        pass
    for aspect_name in sorted(all_aspects):
        value = all_aspects[aspect_name]
        if not isinstance(value, Mapping):
            continue
        for ex in aspect_extractions(registry, aspect_name):
            values: List[Any] = []
            for raw in _walk(value, ex.path, ex.is_map):
                conv = _convert(raw, ex.field_type)
                if conv is not None:
                    values.append(conv)
                if len(values) >= MAX_ARRAY_LENGTH:
                    break
            if ex.has_values_field:
                if ex.field_type in BOOLEAN_TYPES:
                    has = bool(values and values[0])
                else:
                    has = bool(values)
                doc[ex.has_values_field] = bool(doc.get(ex.has_values_field)) or has
            if ex.num_values_field:
                n = (
                    values[0]
                    if values and ex.field_type in INT_TYPES and len(ex.path) and ex.path[-1] != "*"
                    else len(values)
                )
                doc[ex.num_values_field] = int(n)
            if not values:
                continue
            if ex.field_name == REMOVED_FIELD:
                doc[REMOVED_FIELD] = bool(values[0])
                continue
            existing = doc.setdefault(ex.field_name, [])
            for v in values:
                if v not in existing:
                    existing.append(v)
    return doc


def value_text(v: Any, limit: int = MAX_FIELD_CHARS) -> str:
    """A document or filter value as index text (booleans as ``true``/``false``), at most
    ``limit`` characters (cut at a space when there is one near the end)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    text = v if isinstance(v, str) else str(v)
    if len(text) > limit:
        cut = text.rfind(" ", limit - 200, limit)
        text = text[: cut if cut > 0 else limit]
    return text.replace("\n", " ")


# ------------------------------------------------------------------------------ index fields
EXACT_SUFFIX = "__x"
PAIR_SUFFIX = "__2"  # word pairs of a phrase field (analysis.pairs)
# Phrase fields without word pairs: the descriptions of a dataset's columns, many sentences per
# document, held a quarter of all index postings as pairs on the 200k corpus (a build 2.6 times
# as long); phrases there read positions instead.
NO_PAIRS = frozenset({"fieldDescriptions", "editedFieldDescriptions"})
# whoosh reserves names starting with "_": document field "_x" is index field "lm_x".
RESERVED_PREFIX = "lm"
EXACT_NAME_FIELD = "lm_exact"
AUTOCOMPLETE_FIELD = "lm_ac"
FACETS_FIELD = "lm_facets"  # stored: the default facets' exact values, to count a few matches fast
ENTITY_TYPE = "lm_entityType"


def wname(name: str) -> str:
    """The index field name of a document field (whoosh forbids a leading underscore)."""
    return RESERVED_PREFIX + name if name.startswith("_") else name


def docname(wfield: str) -> str:
    """The document field of an index field (``lm_exact`` is reported as ``name``)."""
    if wfield == EXACT_NAME_FIELD:
        return "name"
    if wfield.endswith(EXACT_SUFFIX):
        wfield = wfield[: -len(EXACT_SUFFIX)]
    return wfield[len(RESERVED_PREFIX) :] if wfield.startswith(RESERVED_PREFIX + "_") else wfield


def positional(field_type: str) -> bool:
    """Whether a field type is analysed into words with positions (phrases match it): TEXT,
    WORD_GRAM, browse paths and other text, not partial, urn, keyword, boolean or number types."""
    return field_type not in (
        PARTIAL_TYPES | URN_PARTIAL_TYPES | URN_TYPES | KEYWORD_TYPES | BOOLEAN_TYPES | INT_TYPES | FLOAT_TYPES
    )


def has_exact_field(fd: FieldDef) -> bool:
    """Whether a field keeps its exact values in ``F__x`` (for filters and facets).

    Not for numbers (numeric ranges), booleans (the field itself is exact) and plain TEXT
    (descriptions...), whose filters match the analysed words instead; map fields
    (``customProperties``: "key=value") keep them.
    """
    t = fd.field_type
    if t in INT_TYPES | FLOAT_TYPES | BOOLEAN_TYPES:
        return False
    return t != "TEXT" or fd.is_map


def exact_name(fd: FieldDef) -> str:
    """The index field holding the exact values of a document field."""
    return wname(fd.name) + EXACT_SUFFIX if has_exact_field(fd) else wname(fd.name)


def _bounded(texts: List[str], limit: int = MAX_FIELD_CHARS) -> List[str]:
    """The first values whose joined length stays within ``limit`` (the first one always, cut)."""
    out: List[str] = []
    used = 0
    for t in texts:
        if used + len(t) > limit:
            if not out:
                out.append(t[:limit])
            break
        out.append(t)
        used += len(t) + 1
    return out


def index_fields(doc: Mapping[str, Any], registry: Registry, fold: Callable[[str], str]) -> Dict[str, Any]:
    """The index fields of a search document (the keyword arguments of whoosh's ``add_document``).

    ``F`` holds the values of field F joined by newlines (at most :data:`MAX_FIELD_CHARS`), ``F__x``
    the same exact values for filters and facets, ``lm_exact`` the whole names (fields boosted 10 or
    more, case and accents folded by ``fold``) and their last dotted part, and the urn, so that an
    exact name ranks first; ``lm_ac`` the autocomplete values and ``lm_facets`` the default facets'
    exact values (stored, not indexed).
    """
    defs = field_defs(registry)
    out: Dict[str, Any] = {"urn": doc[URN_FIELD]}
    exact: List[str] = [fold(doc[URN_FIELD])]
    complete: List[Tuple[str, str]] = []
    facets: Dict[str, List[str]] = {}
    for name, value in doc.items():
        fd = defs.get(name)
        if fd is None:
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            continue
        if fd.field_type in INT_TYPES or fd.field_type in FLOAT_TYPES:
            out[wname(name)] = values
            continue
        texts = _bounded([value_text(v) for v in values])
        joined = "\n".join(texts)
        out[wname(name)] = joined
        if positional(fd.field_type) and name not in NO_PAIRS:
            out[wname(name) + PAIR_SUFFIX] = joined
        if has_exact_field(fd):
            out[wname(name) + EXACT_SUFFIX] = joined
            if name in DEFAULT_FACETS:
                facets[name] = sorted(set(texts))
        textual = fd.field_type not in URN_TYPES | URN_PARTIAL_TYPES | BOOLEAN_TYPES
        if textual and fd.boost >= 10.0:
            for t in texts:
                if len(t) > MAX_NAME_CHARS:
                    continue
                low = fold(t)
                exact.append(low)
                last = re.split(r"[./]", low)[-1]
                if last and last != low:
                    exact.append(last)
        if fd.autocomplete and textual:
            complete.extend((name, t[:MAX_NAME_CHARS]) for t in texts)
    out[EXACT_NAME_FIELD] = "\n".join(dict.fromkeys(exact))
    out[AUTOCOMPLETE_FIELD] = complete
    out[FACETS_FIELD] = facets
    return out
