"""Settings: keyword arguments > environment (read here, once) > defaults.

This module is the only reader of ``os.environ`` in litemeta.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Tuple

from litemeta.errors import ConfigurationError

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
    pooled_connections: int = 0  # SQLite connections kept open for reuse (litemeta serve); 0: one per use
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
        max_versions=_whole(env, "LITEMETA_MAX_VERSIONS", DEFAULT_MAX_VERSIONS),
        batch_size=_whole(env, "LITEMETA_BATCH_SIZE", DEFAULT_BATCH_SIZE),
        index_dir=env.get("LITEMETA_INDEX_DIR"),
        platform_events=_flag(env, "LITEMETA_PLATFORM_EVENTS"),
        helper_processes=_flag(env, "LITEMETA_HELPER_PROCESSES"),
        search_background=_flag(env, "LITEMETA_SEARCH_BACKGROUND"),
    )
    return base.with_(**overrides)


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    """A positive whole number from ``env[name]``; a bad value is one error naming the variable."""
    text = env.get(name)
    if text is None:
        return default
    try:
        value = int(text.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigurationError(f"{name}={text!r}: expected a whole number of at least 1")
    return value


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _flag(env: Mapping[str, str], name: str) -> bool:
    """An on/off switch from ``env[name]`` (on by default); anything but 1/0, true/false, yes/no,
    on/off is an error naming the variable (a typo must not silently mean "on")."""
    text = env.get(name)
    if text is None:
        return True
    word = text.strip().lower()
    if word not in _TRUE + _FALSE:
        raise ConfigurationError(f"{name}={text!r}: expected one of 1/0, true/false, yes/no, on/off")
    return word in _TRUE


def helper_command(module: str) -> Optional[Tuple[List[str], Dict[str, str]]]:
    """argv and environment that run ``python -m <module>`` with this very litemeta (its folder
    first on PYTHONPATH); None in a frozen application, whose executable is not a Python."""
    if getattr(sys, "frozen", False) or not sys.executable:
        return None
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return [sys.executable, "-m", module], env


def exit_with_parent(parent: int, pipe_fd: Optional[int] = None) -> None:
    """Make this helper process end when its parent process ``parent`` does, however it ends.

    On Linux the kernel sends this process SIGKILL when the parent dies (``PR_SET_PDEATHSIG``; it
    fires when the parent's thread that started this process ends, and litemeta's parents wait
    for their helper in that thread). Everywhere, when ``pipe_fd`` is given (a pipe whose write end
    only the parent holds), a thread reads it and ends this process at its end of file: the
    kernel closes the pipe when the parent dies. A parent already gone ends this process at once.
    (The thread reads the descriptor, not ``sys.stdin``: a daemon thread blocked in a buffered
    reader would hold its lock at interpreter shutdown.)
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # no prctl (another libc): the pipe still tells
            pass
    if os.getppid() != parent:  # the parent ended before the signal was armed
        os._exit(1)
    if pipe_fd is not None:
        threading.Thread(target=_exit_at_end_of, args=(pipe_fd,), name="litemeta-parent-watch", daemon=True).start()


def _exit_at_end_of(fd: int) -> None:
    try:
        while os.read(fd, 1 << 16):
            pass
    except OSError:
        pass
    os._exit(1)  # the parent is gone: stop now (an interrupted write is cut off by the next export)


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
