"""Full-text search over DataHub entities: the search follower and its whoosh index (whoosh's one home).

One job per module, in the order data flows:

- ``documents``: the search document of an entity from its aspects' ``@Searchable`` annotations,
  and its index fields (pure; R8.18).
- ``analysis``: how text becomes terms (folding, words, stop words, n-grams) and the whoosh schema.
- ``index``: one whoosh index: writes (documents and the index's own record) and searches.
- ``query``: query text and DataHub filters, parsed into the engine's nodes (pure).
- ``scoring``: which documents match a node tree, and their BM25F scores (pure).
- ``reader``: the engine's postings source over a whoosh searcher.
- ``results``: what a search returns (hits, facets, staleness).
- ``generations``: the index folder's whole generations, switched atomically, and their identity.
- ``current``: which generation a search serves, its staleness, the background catch-up.
- ``follower``: the cursor: catching up from the change log, rebuilding, recovering.

This package may import ``model``, ``storage`` reads, ``config`` and ``errors``; the store imports
it, never the reverse. ``python -m litemeta.followers.search --db DB`` catches an index up (the
background process searches start).
"""
