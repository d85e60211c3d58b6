"""What the folder watcher knows and decides, without watchdog: its options, the state of each
file not ingested yet and the pure decision of when that file is complete (:func:`decide`,
:func:`parse_state`), the run id a file gets, and the ledger of files already ingested.

    >>> opts = WatchOptions(settle_seconds=1.0)
    >>> decide(Pending(size=10, mtime_ns=0, closed=True), now=5.0, opts=opts)
    'ingest'
    >>> decide(Pending(size=10, mtime_ns=4_500_000_000), now=5.0, opts=opts)  # changed half a second ago
    'wait'
    >>> run_id_for("sub/2024-01-01.json", WatchOptions(run_id_from="filename"))
    '2024-01-01'

:mod:`litemeta.sources.watch` (the :class:`~litemeta.sources.watch.FolderWatcher`, watchdog's
home) acts on these; the rules are in its module docstring. The ledger's writes go through
:mod:`litemeta.sources.watch_files`, which never follows a link.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from litemeta.errors import ConfigurationError, InputError
from litemeta.model.jsontext import std_loads
from litemeta.sources import watch_files as F
from litemeta.sources.files import read_path


@dataclass(frozen=True)
class WatchOptions:
    """How to watch: which files, where they go, and how long to wait for them to be complete."""

    patterns: Tuple[str, ...] = ("*.json", "*.jsonl")
    recursive: bool = False
    processed_dir: Optional[str] = None  # default: <folder>/processed
    failed_dir: Optional[str] = None  # default: <folder>/failed
    settle_seconds: float = 1.0
    incomplete_timeout: float = 60.0
    open_timeout: float = 600.0  # a file reported open but unchanged this long is taken (lost close events)
    poll_interval: float = 0.1
    rescan_interval: float = 5.0
    run_id: Optional[str] = None  # systemMetadata.runId of every record (the file's own otherwise)
    run_id_from: Optional[str] = None  # "filename": the file name without its suffix
    polling: bool = False  # a polling observer (network file systems), no open/close events


@dataclass(frozen=True)
class FileIdentity:
    """What makes a file "the same file" for the ledger."""

    name: str  # relative to the watched folder
    size: int
    mtime_ns: int
    sha256: str

    def as_dict(self) -> Dict[str, Any]:
        """The ledger form."""
        return {"name": self.name, "size": self.size, "mtimeNs": self.mtime_ns, "sha256": self.sha256}


# ------------------------------------------------------------------------------ pure decisions
@dataclass
class Pending:
    """What the watcher knows about a file that is not ingested yet."""

    size: int
    mtime_ns: int
    changed_at: float = 0.0  # wall time the watcher saw (size, mtime) change; 0 = not seen changing
    opens: int = 0  # opens minus closes seen (our own reads open and close too)
    closed: bool = False  # closed by a writer (or renamed in) after its last change
    parses: Optional[str] = None  # parse_state of this (size, mtime), when checked
    retry_at: float = 0.0


WAIT, CHECK, INGEST = "wait", "check", "ingest"


def stable_for(p: Pending, now: float) -> float:
    """Seconds since the file last changed: by its mtime, or since the watcher saw it change."""
    return now - max(p.mtime_ns / 1e9, p.changed_at)


def decide(p: Pending, now: float, opts: WatchOptions) -> str:
    """``wait``, ``check`` (parse it, then decide again) or ``ingest``."""
    quiet = stable_for(p, now)
    if quiet < opts.settle_seconds or now < p.retry_at:
        return WAIT
    if p.opens > 0 and quiet < opts.open_timeout:
        return WAIT
    if p.closed:
        return INGEST
    if p.parses is None:
        return CHECK
    if p.parses != INCOMPLETE or quiet >= opts.incomplete_timeout:
        return INGEST
    return WAIT


def run_id_for(rel_name: str, opts: WatchOptions) -> Optional[str]:
    """The run id for a file: ``--run-id``, or its name without suffix (``--run-id-from filename``)."""
    if opts.run_id:
        return opts.run_id
    if opts.run_id_from == "filename":
        base = os.path.basename(rel_name)
        for suffix in (".jsonl", ".json"):
            if base.endswith(suffix):
                return base[: -len(suffix)]
        return os.path.splitext(base)[0]
    return None


COMPLETE, INCOMPLETE, BROKEN = "complete", "incomplete", "broken"


def parse_state(path: str) -> str:
    """``complete`` when every byte of the file reads as JSON (records may still be invalid);
    ``broken`` when it cannot become valid by growing (it does not start like JSON); else
    ``incomplete`` (empty, or cut short: maybe still being written)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return INCOMPLETE
    start = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    start = start.lstrip()
    if not start:
        return INCOMPLETE
    if start[:1] not in (b"[", b"{"):
        return BROKEN
    try:
        return INCOMPLETE if any(isinstance(item, InputError) for item in read_path(path)) else COMPLETE
    except OSError:
        return INCOMPLETE


# ------------------------------------------------------------------------------ the ledger
class Ledger:
    """Identities of files already ingested, as JSON Lines in the processed folder (fsynced)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._entries: Dict[Tuple[str, int, int, str], Dict[str, Any]] = {}
        if F.is_link(path):
            raise ConfigurationError(f"the watch ledger {path} is a symbolic link; the watcher does not follow links")
        try:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        e = std_loads(line)
                        self._entries[(e["name"], e["size"], e["mtimeNs"], e["sha256"])] = e
                    except (ValueError, KeyError, TypeError):
                        continue  # a line cut by a crash
        except FileNotFoundError:
            pass
        except OSError as e:
            raise ConfigurationError(f"cannot read the watch ledger {path}: {e.strerror or e}") from e

    def get(self, ident: FileIdentity) -> Optional[Dict[str, Any]]:
        """The entry of a file ingested before, if any."""
        return self._entries.get((ident.name, ident.size, ident.mtime_ns, ident.sha256))

    def add(self, ident: FileIdentity, **info: Any) -> None:
        """Record a file as ingested (durably, before it moves)."""
        entry = {**ident.as_dict(), **info, "at": int(time.time() * 1000)}
        F.real_dir(os.path.dirname(self.path), "processed")
        F.append(self.path, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        self._entries[(ident.name, ident.size, ident.mtime_ns, ident.sha256)] = entry
