#!/usr/bin/env python3
"""Make ``shop.db``, the small SQLite database the README's recipe example reads.

    python examples/make_shop_db.py            # writes ./shop.db (replacing it)
    python examples/make_shop_db.py other.db

Three tables with a few rows (for the profiles), a foreign key and a view (for view lineage).
Standard library only.
"""

from __future__ import annotations

import os
import sqlite3
import sys

SCHEMA = """
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,           -- contact address
    country TEXT,
    signed_up DATE
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    total_cents BIGINT NOT NULL,
    placed_at TIMESTAMP
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    sku TEXT NOT NULL,
    quantity INTEGER NOT NULL
);
CREATE VIEW daily_revenue AS
    SELECT date(placed_at) AS day, sum(total_cents) / 100.0 AS revenue
    FROM orders GROUP BY date(placed_at);
"""


def make(path: str) -> None:
    """Write the example database to ``path`` (an existing file is replaced)."""
    if os.path.exists(path):
        os.remove(path)
    con = sqlite3.connect(path)
    with con:
        con.executescript(SCHEMA)
        con.executemany(
            "INSERT INTO customers VALUES (?, ?, ?, ?)",
            [
                (1, "ada@example.com", "UK", "2024-01-03"),
                (2, "grace@example.com", "US", "2024-02-11"),
                (3, "linus@example.com", "FI", "2024-02-20"),
            ],
        )
        con.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?)",
            [
                (1, 1, 2599, "2024-03-01 10:00:00"),
                (2, 2, 1200, "2024-03-01 12:30:00"),
                (3, 1, 4999, "2024-03-02 09:15:00"),
                (4, 3, 800, "2024-03-03 18:45:00"),
            ],
        )
        con.executemany(
            "INSERT INTO order_items VALUES (?, ?, ?)",
            [(1, "BOOK-1", 1), (2, "PEN-3", 4), (3, "BOOK-2", 2), (4, "MUG-1", 1)],
        )
    con.close()


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "shop.db"
    make(target)
    print(f"wrote {target}")
