"""One whoosh index of entity documents: writes (documents and the index's own record) and searches.

One document per entity, built by :mod:`.documents` from the ``@Searchable`` annotations of its
current aspects (datahub-semantics.md §4, R8.18) and analysed by :mod:`.analysis`; queries are
planned by :mod:`.query` and evaluated by :mod:`.scoring` over :mod:`.reader`. A bookkeeping
document (urn :data:`META_URN`) holds the index's :class:`~.generations.IndexMeta`, committed
with the documents it describes, so a reader always sees the documents and the log position
that go together. The folder of generations around it is :mod:`.generations`.

    >>> import tempfile
    >>> from litemeta.model.registry import load_registry
    >>> ix = SearchIndex.open(tempfile.mkdtemp(), load_registry())
    >>> urn = "urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)"
    >>> ix.apply([(urn, {"datasetProperties": {"name": "orders", "customProperties": {}}})])
    >>> r = ix.search("orders")
    >>> r.total, r.results[0].urn == urn, r.facets["platform"]
    (1, True, {'urn:li:dataPlatform:hive': 1})

litemeta's choices: URN facet fields that DataHub does not query by default (``owners``...) are
matched by free text at a fifth of their boost; plain TEXT fields (descriptions) keep no exact
values, so their EQUAL/CONTAIN/START_WITH filters match words in order; a field name declared
by several aspects with different types takes the first type of ``documents._TYPE_PRECEDENCE``.
"""

from __future__ import annotations

import os
import pickle
import struct
import threading
import zlib
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

from whoosh import index as wi
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.structfile import BufferFile
from whoosh.scoring import BM25F

from litemeta.errors import SearchIndexDamaged, StorageError, ValidationError
from litemeta.followers.search import documents as sd
from litemeta.followers.search import scoring as sc
from litemeta.followers.search.analysis import META_FIELD, build_schema, fold, schema_signature, words
from litemeta.followers.search.generations import IndexMeta
from litemeta.followers.search.query import IndexField, Planner, best_completion, filter_field_name, index_fields_of
from litemeta.followers.search.reader import IndexReader
from litemeta.followers.search.results import SearchHit, SearchResult
from litemeta.model.registry import Registry
from litemeta.model.urns import entity_type_of


class _View:
    """A read-only file over a buffer (a slice of a mapped segment file), without copying it.

    whoosh opens each file inside a compound segment as ``BufferFile(memoryview)``, whose
    constructor wraps it in ``BytesIO`` and so copies it: opening an index read every byte of it
    into memory (a search on the 200,000-record store: 90 ms and 40 MB more)."""

    def __init__(self, buf: Any) -> None:
        self._buf = buf
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._buf) if n is None or n < 0 else min(len(self._buf), self._pos + n)
        out = bytes(self._buf[self._pos : end])
        self._pos = end
        return out

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, limit: int = -1) -> bytes:
        end = len(self._buf) if limit is None or limit < 0 else min(len(self._buf), self._pos + limit)
        i = self._pos
        while i < end and self._buf[i] != 10:
            i += 1
        return self.read(min(i + 1, end) - self._pos)

    def __iter__(self) -> Any:
        while self._pos < len(self._buf):
            yield self.readline()

    def seek(self, pos: int, whence: int = 0) -> int:
        self._pos = pos if whence == 0 else self._pos + pos if whence == 1 else len(self._buf) + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf = b""


def _buffer_file_init(self: Any, buf: Any, name: Optional[str] = None, onclose: Any = None) -> None:
    self._buf, self._name, self.file, self.onclose = buf, name, _View(buf), onclose
    self.is_real = False
    self.is_closed = False


if hasattr(BufferFile, "get") and "BytesIO" in BufferFile.__init__.__code__.co_names:
    BufferFile.__init__ = _buffer_file_init  # whoosh 2.7's constructor: see _View

META_URN = "\x00litemeta-index"
FEW_MATCHES = 1000  # up to this many matches, facets are counted from their stored values  # the bookkeeping document (no entity urn starts with NUL)
Filters = Union[Mapping[str, Any], None]
Changes = Iterable[Tuple[str, Optional[Mapping[str, Any]]]]
# What reading a damaged index raises (a truncated or corrupt file, a missing segment): these
# mean "rebuild", never "no results". whoosh raises a bare Exception for an index "created on
# different architecture".
_DAMAGE = (
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    struct.error,
    zlib.error,
    pickle.UnpicklingError,
    wi.IndexError,
)


def _damaged(directory: str, e: BaseException) -> SearchIndexDamaged:
    return SearchIndexDamaged(f"search index {directory!r} is damaged ({type(e).__name__}: {e})")


class SearchIndex:
    """A whoosh index of entity documents in one folder, kept up to date by :meth:`apply`."""

    def __init__(self, ix: Any, registry: Registry, directory: str) -> None:
        self._ix = ix
        self._schema = ix.schema  # FileIndex.schema unpickles the TOC on every access
        self.registry = registry
        self.directory = directory
        self._defs = sd.field_defs(registry)
        self._lock = threading.RLock()
        self._reader: Optional[IndexReader] = None
        self._planner: Optional[Planner] = None

    # ----------------------------------------------------------------------------- lifecycle
    @classmethod
    def open(cls, directory: Union[str, "os.PathLike[str]"], registry: Registry, create: bool = True) -> "SearchIndex":
        """Open the index in ``directory``, creating it (and the folder) when there is none and
        ``create``. Raises :class:`SearchIndexDamaged` when the folder holds an index that cannot
        be read or was written with another schema."""
        path = os.fspath(directory)
        schema = build_schema(registry)
        if not wi.exists_in(path):
            if not create:
                raise SearchIndexDamaged(f"no search index in {path!r}")
            try:
                os.makedirs(path, exist_ok=True)
                return cls(wi.create_in(path, schema), registry, path)
            except Exception as e:  # OS errors, translated at this one boundary
                raise StorageError(f"cannot create search index {path!r}: {e}") from e
        try:
            ix = wi.open_dir(path)
            theirs = ix.schema
            self = cls(ix, registry, path)
            self._current()  # opens every segment now: a missing or truncated one fails here
        except Exception as e:  # noqa: BLE001 - anything whoosh raises on open means damage
            raise _damaged(path, e) from e
        if schema_signature(theirs) != schema_signature(schema):
            self.close()
            raise SearchIndexDamaged(f"search index {path!r} was built with another schema")
        return self

    def close(self) -> None:
        """Close the cached searcher (the index stays on disk)."""
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def __enter__(self) -> "SearchIndex":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _writer(self) -> Any:
        # Block statistics of field lengths (min/max per posting block) only serve whoosh's own
        # top-N pruning, which litemeta never uses (it scores with cached postings): writing
        # them costs a length lookup per posting at commit.
        codec = W3Codec(compression=1)  # zlib level 1: the same size as level 3 here, less CPU
        codec.length_stats = False
        return self._ix.writer(procs=1, limitmb=512, multisegment=False, timeout=30.0, codec=codec)

    # ----------------------------------------------------------------------------- the record
    def meta(self) -> Optional[IndexMeta]:
        """The index's record (identity and log position) as of the searcher in use."""
        reader = self._current()
        try:
            doc = reader.searcher.document_number(urn=META_URN)
            return None if doc is None else IndexMeta.from_json(reader.searcher.stored_fields(doc).get(META_FIELD))
        except _DAMAGE as e:
            raise _damaged(self.directory, e) from e

    # ----------------------------------------------------------------------------- writes
    def apply(self, changes: Changes, meta: Optional[IndexMeta] = None) -> None:
        """Index entities: ``(urn, aspects)`` with the entity's full current aspects, or
        ``(urn, None)`` when the entity is gone. One commit per call, with ``meta`` as the index's
        new record when given; idempotent; the last change of a urn in the batch wins."""
        self.apply_batches([changes], meta)

    def apply_batches(self, batches: Iterable[Changes], meta: Optional[IndexMeta] = None) -> None:
        """:meth:`apply` for several batches through one writer and one commit (a rebuild: each
        commit of a small batch would merge segments again). Within a batch the last change of
        a urn wins; a urn should not come back in a later batch."""
        with self._lock:
            try:
                empty = self._ix.doc_count_all() == 0
                w = self._writer()
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
                        if meta is not None:
                            if searcher is not None:
                                w.delete_by_term("urn", META_URN, searcher=searcher)
                            w.add_document(urn=META_URN, **{META_FIELD: meta.to_json()})
                    finally:
                        if searcher is not None:
                            searcher.close()
                except BaseException:
                    w.cancel()
                    raise
                w.commit()
            except (StorageError, ValidationError):
                raise
            except _DAMAGE as e:
                raise _damaged(self.directory, e) from e
            self._refresh()

    def _documents(self, changes: Changes) -> List[Tuple[str, Optional[Dict[str, Any]]]]:
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
            docs.append(
                (urn, sd.index_fields(sd.build_document(urn, etype, aspects, self.registry), self.registry, fold))
            )
        return docs

    def doc_count(self) -> int:
        """Number of entity documents in the index, soft-deleted ones included."""
        reader = self._current()
        return len(reader.live)

    # ----------------------------------------------------------------------------- reads
    def _current(self) -> IndexReader:
        with self._lock:
            if self._reader is None:
                searcher = self._ix.searcher(weighting=BM25F())
                self._reader = IndexReader(searcher, self._hidden(searcher))
            return self._reader

    def _refresh(self) -> None:
        """Use the newest commit of the folder from the next read on (another process's too)."""
        with self._lock:
            if self._reader is not None and not self._reader.searcher.up_to_date():
                self._reader.close()
                self._reader = None
                self._planner = None

    @staticmethod
    def _hidden(searcher: Any) -> Set[int]:
        doc = searcher.document_number(urn=META_URN)
        return set() if doc is None else {doc}

    def refresh(self) -> None:
        """Read the folder's newest commit from the next search on (never mid-search)."""
        try:
            self._refresh()
        except _DAMAGE as e:
            raise _damaged(self.directory, e) from e

    def planner(self) -> Planner:
        """The query planner over this index's fields."""
        reader = self._current()
        with self._lock:
            if self._planner is None:
                self._planner = Planner(index_fields_of(self._defs, sorted(reader.fields)))
            return self._planner

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

        ``query``: see :mod:`.query`. ``filters`` is DataHub's ``{"or": [{"and": [{"field",
        "values"|"value", "condition", "negated"}]}]}`` or a simple ``{field: value | [values]}``.
        ``facets`` is True (the default facets: platform, origin, _entityType, tags,
        glossaryTerms, owners, domains, container, typeNames), False, or a list of filter field
        names. Soft-deleted entities (``removed`` true, R4.4) are hidden unless ``include_removed``.
        """
        if start < 0 or count < 0:
            raise ValidationError(f"start and count must be >= 0, got start={start} count={count}")
        planner = self.planner()
        node = planner.plan(query)
        fnode = planner.filters(filters, entity_types)
        facet_names = list(sd.DEFAULT_FACETS) if facets is True else list(facets or ())
        facet_defs = [self._facet_def(name) for name in facet_names]
        with self._lock:
            reader = self._current()
            try:
                matched = sc.docs(node, reader)
                if fnode is not None:
                    matched &= sc.docs(fnode, reader)
                if not include_removed:
                    matched -= set(reader.postings(sd.REMOVED_FIELD, "true"))
                if isinstance(node, sc.Every):
                    top = [(d, 1.0) for d in reader.first_by_urn(matched, start + count)[start:]]
                else:
                    scores = sc.score(node, matched, reader)
                    top = [(d, scores[d]) for d in reader.best(scores, start + count)[start:]]
                hits: List[SearchHit] = []
                parts = list(sc.leaves(node))
                for docnum, score in top:
                    stored = reader.searcher.stored_fields(docnum)
                    terms = (
                        () if isinstance(node, sc.Every) else _matched(sc.matched_terms(node, docnum, reader, parts))
                    )
                    hits.append(SearchHit(stored["urn"], stored.get(sd.ENTITY_TYPE, ""), float(score), terms))
                counts = self._counts(reader, facet_names, facet_defs, matched)
            except _DAMAGE as e:
                raise _damaged(self.directory, e) from e
        return SearchResult(len(matched), tuple(hits), counts)

    def _facet_def(self, name: str) -> sd.FieldDef:
        fd = self._defs.get(filter_field_name(name))
        if fd is None or fd.field_type in sd.INT_TYPES | sd.FLOAT_TYPES:
            raise ValidationError(f"cannot count facet {name!r}: not a keyword, urn or text @Searchable field")
        return fd

    @staticmethod
    def _counts(
        reader: IndexReader, names: List[str], defs: List[sd.FieldDef], matched: Set[int]
    ) -> Dict[str, Dict[str, int]]:
        """Facet counts: from the matches' stored facet values when they are few (a specific
        query), else from each facet value's postings (all of them, read once per searcher)."""
        stored = [fd.name in sd.DEFAULT_FACETS for fd in defs]
        few: Optional[List[Dict[str, List[str]]]] = None
        if len(matched) <= FEW_MATCHES and any(stored):
            few = [reader.searcher.stored_fields(d).get(sd.FACETS_FIELD) or {} for d in matched]
        out: Dict[str, Dict[str, int]] = {}
        for name, fd, kept in zip(names, defs, stored):
            counts: Dict[str, int] = {}
            if few is not None and kept:
                for values in few:
                    for v in values.get(fd.name, ()):
                        counts[v] = counts.get(v, 0) + 1
            else:
                for value, docs in reader.facet(sd.exact_name(fd)).items():
                    n = len(docs & matched) if len(docs) < len(matched) else len(matched & docs)
                    if n:
                        counts[value] = n
            out[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    # ----------------------------------------------------------------------------- autocomplete
    def autocomplete(
        self, prefix: str, entity_type: Optional[str] = None, limit: int = 10, include_removed: bool = False
    ) -> List[Tuple[str, str, str]]:
        """Entities whose autocomplete fields (``enableAutocomplete``) start with ``prefix``, or
        have a word that does: ``(urn, entity_type, matched text)``, names starting with the
        prefix first, then shorter names."""
        p = fold((prefix or "").strip())
        if not p:
            return []
        planner = self.planner()
        ws = [w for _p, w in words(p, frozenset())]
        alts: List[Any] = [sc.Prefix(sd.EXACT_NAME_FIELD, p, limit=None)]
        for name, fd in self._defs.items():
            f: Optional[IndexField] = planner.fields.get(name)
            if not fd.autocomplete or f is None or fd.field_type in sd.URN_TYPES:
                continue
            if ws:
                parts: List[Any] = [sc.Term(f.wfield, w) for w in ws[:-1]] + [sc.Prefix(f.wfield, ws[-1], limit=None)]
                alts.append(sc.And(tuple(parts)))
        ranked: List[Tuple[Tuple[int, int, str], Tuple[str, str, str]]] = []
        with self._lock:
            reader = self._current()
            try:
                docs = sc.docs(sc.Or(tuple(alts)), reader)
                if entity_type:
                    docs &= set(reader.postings(sd.ENTITY_TYPE + sd.EXACT_SUFFIX, entity_type))
                if not include_removed:
                    docs -= set(reader.postings(sd.REMOVED_FIELD, "true"))
                # Names starting with the prefix first; stored fields are read for a few candidates only.
                starts = docs & sc.docs(sc.Prefix(sd.EXACT_NAME_FIELD, p, limit=None), reader)
                pool = sorted(starts)[: limit * 5] + sorted(docs - starts)[: limit * 5]
                for docnum in pool:
                    stored = reader.searcher.stored_fields(docnum)
                    text, rank = best_completion(stored.get(sd.AUTOCOMPLETE_FIELD) or [], p, ws)
                    if text is None:
                        text, rank = stored["urn"], 2
                    ranked.append(
                        ((rank, len(text), stored["urn"]), (stored["urn"], stored.get(sd.ENTITY_TYPE, ""), text))
                    )
            except _DAMAGE as e:
                raise _damaged(self.directory, e) from e
        ranked.sort(key=lambda r: r[0])
        return [r[1] for r in ranked[:limit]]


def _matched(terms: Iterable[Tuple[str, Any]]) -> Tuple[Tuple[str, str], ...]:
    """(document field, term) pairs, text only (numeric terms are binary)."""
    out = set()
    for field, term in terms:
        try:
            text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        except UnicodeDecodeError:
            continue
        out.add((sd.docname(field), text))
    return tuple(sorted(out))
