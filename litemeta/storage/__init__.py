"""The SQL store (tables, engine and connection policy, migrations, the topic log, aspect reads and writes); may import ``errors``, ``config`` and ``model``."""
