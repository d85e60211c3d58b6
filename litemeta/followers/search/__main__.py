"""``python -m litemeta.followers.search --db DB [--index-dir DIR]``: catch a search index up.

Started in the background by a search that found the index behind its store (and no writer of
the index at work). It runs at a lower priority, waits for the index's write lock if another
writer took it meanwhile, catches up to the end of the change log and exits. It never writes
the store.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Catch the index up; exit status 0, or 1 with the reason on stderr."""
    ap = argparse.ArgumentParser(prog="python -m litemeta.followers.search", description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="the store: SQLite path or SQLAlchemy URL")
    ap.add_argument("--index-dir", default=None, help="the index folder (default <db file>.index)")
    args = ap.parse_args(argv)
    if hasattr(os, "nice"):
        os.nice(10)  # searches and writers come first: this only has to finish soon
    from litemeta.errors import LitemetaError
    from litemeta.followers.search.follower import SearchFollower
    from litemeta.model.registry import load_registry
    from litemeta.storage.db import open_database

    try:
        db = open_database(args.db, read_only=True)
        try:
            follower = SearchFollower(db, load_registry(), args.index_dir, background=False)
            try:
                follower.catch_up()
            finally:
                follower.close()
        finally:
            db.close()
    except LitemetaError as e:
        print(f"litemeta search catch-up: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
