"""Tests of ``litemeta serve`` against acryl-datahub's real clients (no fakes of them).

The fixtures ``litemeta_store``, ``litemeta_server``, ``datahub_graph`` and ``datahub_emitter``
come from litemeta's own pytest plugin (entry point ``pytest11``), which these tests thereby use
as a user would.
"""

from __future__ import annotations

import os

# Before acryl-datahub is imported: its telemetry reads the setting once, at import.
os.environ["DATAHUB_TELEMETRY_ENABLED"] = "false"
