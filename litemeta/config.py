"""Settings: keyword arguments > environment (read here, once) > defaults.

This module is the only reader of ``os.environ`` in litemeta.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Tuple

DEFAULT_DB = "./litemeta.db"
DEFAULT_ACTOR = "urn:li:corpuser:datahub"
DEFAULT_MAX_VERSIONS = 20  # DataHub's default retention policy, */*: maxVersions 20 (R8.3)
DEFAULT_BATCH_SIZE = 3000


@dataclass(frozen=True)
class Settings:
    """Resolved configuration of a store or a command."""

    db: str = DEFAULT_DB
    actor: str = DEFAULT_ACTOR
    max_versions: int = DEFAULT_MAX_VERSIONS
    # Proposals per write transaction. Each commit writes every page the batch touched to the WAL,
    # and pages shared by consecutive batches (B-tree interior and index pages) are written again:
    # on the 20k corpus 3,000 takes 0.35 s of commits down to 0.14 s (peak RSS +35 MB).
    batch_size: int = DEFAULT_BATCH_SIZE
    index_dir: Optional[str] = None  # the search index folder; default <db file>.index
    platform_events: bool = True  # derive entity change events (PlatformEvent_v1); off only to measure their cost
    helper_processes: bool = True  # large ingests and exports use a second process (another core)
    # A search that finds the index behind other processes' writes starts a background catch-up.
    search_background: bool = True

    def with_(self, **changes: Any) -> "Settings":
        """A copy with the given non-None fields replaced."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def from_environment(env: Optional[Mapping[str, str]] = None, **overrides: Any) -> Settings:
    """Settings from ``LITEMETA_*`` variables, then explicit overrides (which win when not None)."""
    env = os.environ if env is None else env
    base = Settings(
        db=env.get("LITEMETA_DB", DEFAULT_DB),
        actor=env.get("LITEMETA_ACTOR", DEFAULT_ACTOR),
        max_versions=int(env.get("LITEMETA_MAX_VERSIONS", DEFAULT_MAX_VERSIONS)),
        batch_size=int(env.get("LITEMETA_BATCH_SIZE", DEFAULT_BATCH_SIZE)),
        index_dir=env.get("LITEMETA_INDEX_DIR"),
        platform_events=_flag(env.get("LITEMETA_PLATFORM_EVENTS", "1")),
        helper_processes=_flag(env.get("LITEMETA_HELPER_PROCESSES", "1")),
        search_background=_flag(env.get("LITEMETA_SEARCH_BACKGROUND", "1")),
    )
    return base.with_(**overrides)


def _flag(text: str) -> bool:
    return text.strip().lower() not in ("0", "false", "no", "off")


def helper_command(module: str) -> Optional[Tuple[List[str], Dict[str, str]]]:
    """argv and environment that run ``python -m <module>`` with this very litemeta (its folder
    first on PYTHONPATH); None in a frozen application, whose executable is not a Python."""
    if getattr(sys, "frozen", False) or not sys.executable:
        return None
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return [sys.executable, "-m", module], env


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the platform tells, else the count):
    helper processes are started only when there are two."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def environ() -> Mapping[str, str]:
    """The process environment, for recipe variable expansion (``${VAR}`` in workflow recipes)."""
    return os.environ
