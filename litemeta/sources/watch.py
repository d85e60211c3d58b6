"""Watch a folder and ingest metadata files as they land (the only module that imports watchdog).

    >>> import json, os, tempfile, threading
    >>> from litemeta.store import open_store
    >>> from litemeta.sources.watch import FolderWatcher, WatchOptions
    >>> incoming = tempfile.mkdtemp()
    >>> with open(os.path.join(incoming, "a.json"), "w") as f:
    ...     json.dump([{"entityType": "corpuser", "entityUrn": "urn:li:corpuser:alice", "changeType": "UPSERT",
    ...                 "aspectName": "status", "aspect": {"json": {"removed": False}}}], f)
    >>> store = open_store(":memory:")
    >>> w = FolderWatcher(incoming, store.ingest, WatchOptions(patterns=("*.json",), settle_seconds=0))
    >>> done = w.run_once(lambda o: print(o.status, os.path.basename(o.path), o.written))  # cron: what is there
    processed a.json 1
    >>> w.run(threading.Event(), print)     # doctest: +SKIP
    >>> # (run: until the event is set, Ctrl-C in `litemeta watch`)

The watcher ingests through the callable it is given (``ingest([path], run_id=...)`` returning an
ingest report, i.e. :meth:`MetadataStore.ingest`); it never touches the store itself.

A file is ingested only once it is complete:

1. its size and mtime have not changed for ``settle_seconds``;
2. no writer holds it open (inotify open/close events, where the platform reports them); and
3. the writer closed it after its last write (inotify ``IN_CLOSE_WRITE``), it was renamed into
   the folder (the write-to-a-temporary-name-then-rename pattern), or its content parses
   completely (a JSON array or object that is cut short never does).

A file that cannot become valid by growing (it does not start like JSON), that still does not
parse after ``incomplete_timeout`` seconds unchanged, or that its writer closed, is broken, not
in progress: it is ingested anyway, which reports why it cannot be read, and lands in ``failed/``.

After ingestion the file moves (``os.replace``, atomic on one file system) to ``processed/``, with
``<name>.error.json`` beside it listing every rejected record when some were rejected, or to
``failed/`` with its ``<name>.error.json`` when nothing in it could be read. Names starting with
``.`` or ``~`` (temporary files) and ``*.error.json`` are ignored.

Shared folders (issue 15): a file is claimed before it is read (an exclusive lock on a descriptor
opened without following links, :mod:`litemeta.sources.watch_files`), so two watchers on one
folder never ingest the same file and the loser leaves it alone. A symbolic link is never
followed, whether it points inside the watched tree or out of it: it moves (the link itself) to
``failed/`` with an error file saying so, and its target is never read. The processed and failed
folders inside the watched tree must be real folders, checked again before every move and write;
error files are created exclusively, with at most the permissions of the file they describe.

The options, each pending file's state, the decision of when it is complete and the ledger live
in :mod:`litemeta.sources.watch_state` (no watchdog there); they stay importable from here.

Restart safety: before a file moves, its identity (relative name, size, mtime, sha256) is appended
to the ledger ``processed/.litemeta-watch-ledger.jsonl`` and fsynced. A file found again with an
identity in the ledger (the process died between ledger and move) is moved without ingesting it
again. If the process dies between the ingest's commit and the ledger write (a window of
milliseconds), the file is ingested again on restart; writing the same values again is a no-op in
the store (nothing new is versioned, no MCL is emitted), so the resulting state is the same.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from litemeta.errors import ConfigurationError, LitemetaError
from litemeta.sources import watch_files as F
from litemeta.sources.watch_state import (
    CHECK,
    INGEST,
    FileIdentity,
    Ledger,
    Pending,
    WatchOptions,
    decide,
    parse_state,
    run_id_for,
)

IngestFn = Callable[..., Any]  # ingest([path], run_id=...) -> an ingest report (or its as_dict())
OutcomeFn = Callable[["FileOutcome"], None]

LEDGER_NAME = ".litemeta-watch-ledger.jsonl"
ERROR_SUFFIX = ".error.json"
PROCESSED, FAILED, DUPLICATE, LEFT, ERROR = "processed", "failed", "duplicate", "left", "error"


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    path: str
    status: str  # processed | failed | duplicate | left | error
    moved_to: Optional[str] = None
    error_file: Optional[str] = None
    records: int = 0
    written: int = 0
    unchanged: int = 0
    failed: int = 0
    run_id: Optional[str] = None
    message: Optional[str] = None
    errors: Tuple[Mapping[str, Any], ...] = field(default=(), compare=False)

    def as_dict(self) -> Dict[str, Any]:
        """The ``--json`` form (one line per file)."""
        return {
            "path": self.path,
            "status": self.status,
            "movedTo": self.moved_to,
            "errorFile": self.error_file,
            "records": self.records,
            "written": self.written,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "runId": self.run_id,
            "message": self.message,
        }


# ------------------------------------------------------------------------------ the watcher
class _Events(FileSystemEventHandler):  # type: ignore[misc]
    """Hands watchdog's events to the watcher's thread."""

    def __init__(self, q: "queue.Queue[Tuple[str, str, Optional[str]]]") -> None:
        self.q = q

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        dest = getattr(event, "dest_path", None)
        self.q.put((event.event_type, os.fsdecode(event.src_path), os.fsdecode(dest) if dest else None))


class FolderWatcher:
    """Ingest the metadata files of a folder, then move them to processed/ or failed/."""

    def __init__(self, folder: str, ingest: IngestFn, options: Optional[WatchOptions] = None) -> None:
        self.options = opts = options or WatchOptions()
        self.folder = os.path.abspath(folder)
        if not os.path.isdir(self.folder):
            raise ConfigurationError(f"cannot watch {folder}: not a folder")
        self.ingest = ingest
        self.processed_dir = self._own_dir(opts.processed_dir or os.path.join(self.folder, "processed"), "processed")
        self.failed_dir = self._own_dir(opts.failed_dir or os.path.join(self.folder, "failed"), "failed")
        self.ledger = Ledger(os.path.join(self.processed_dir, LEDGER_NAME))
        self.pending: Dict[str, Pending] = {}
        self.started = threading.Event()  # set once :meth:`run` watches (observer started, first scan done)
        self._events: "queue.Queue[Tuple[str, str, Optional[str]]]" = queue.Queue()

    def _own_dir(self, path: str, what: str) -> str:
        """A processed or failed folder: inside the watched tree it must be a real folder (a link
        planted there would redirect moves, ledger and error files); one outside is the user's own
        choice, resolved once."""
        path = os.path.abspath(path)
        if not self._inside(path):
            path = os.path.realpath(path)
        F.real_dir(path, what)
        return path

    def _inside(self, path: str) -> bool:
        return path == self.folder or path.startswith(self.folder + os.sep)

    # -------------------------------------------------------------- which files
    def wanted(self, path: str) -> bool:
        """A file of the folder (or below, when recursive) that matches a pattern and is not ours."""
        path = os.path.abspath(path)
        for d in (self.processed_dir, self.failed_dir):
            if path == d or path.startswith(d + os.sep):
                return False
        rel = os.path.relpath(path, self.folder)
        if rel.startswith(".." + os.sep) or (os.sep in rel and not self.options.recursive):
            return False
        name = os.path.basename(path)
        if name.startswith((".", "~")) or name.endswith(ERROR_SUFFIX):
            return False
        return any(fnmatch.fnmatch(name, pat) for pat in self.options.patterns)

    def scan(self) -> None:
        """Add every wanted file of the folder to the pending set (files present at start, missed events)."""
        for path in self._walk():
            if path not in self.pending:
                self._track(path)

    def _walk(self) -> Iterator[str]:
        for root, dirs, files in os.walk(self.folder):
            dirs[:] = sorted(
                d
                for d in dirs
                if self.options.recursive and os.path.join(root, d) not in (self.processed_dir, self.failed_dir)
            )
            for name in sorted(files):
                path = os.path.join(root, name)
                if self.wanted(path):
                    yield path

    def _track(self, path: str, **flags: Any) -> Optional[Pending]:
        try:
            st = os.lstat(path)  # a link is tracked as itself: its target is never looked at
        except OSError:
            self.pending.pop(path, None)
            return None
        p = self.pending.get(path)
        if p is None:
            p = self.pending[path] = Pending(st.st_size, st.st_mtime_ns)
        for k, v in flags.items():
            setattr(p, k, v)
        return p

    # -------------------------------------------------------------- events
    def _on_event(self, kind: str, src: str, dest: Optional[str]) -> None:
        if kind == "moved":
            self.pending.pop(src, None)
            if dest and self.wanted(dest):
                self._track(dest, closed=True)  # renamed in: published complete
            return
        if not self.wanted(src):
            return
        if kind == "deleted":
            self.pending.pop(src, None)
            return
        p = self.pending.get(src) or self._track(src)
        if p is None:
            return
        if kind == "opened":
            p.opens += 1
        elif kind in ("closed", "closed_no_write"):
            p.opens = max(0, p.opens - 1)
            if kind == "closed":
                p.closed = True
        elif kind in ("modified", "created"):
            p.closed = False

    def _drain(self, timeout: float) -> None:
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            return
        self._on_event(*item)
        while True:
            try:
                self._on_event(*self._events.get_nowait())
            except queue.Empty:
                return

    # -------------------------------------------------------------- one step
    def tick(self, on_outcome: OutcomeFn, now: Optional[float] = None) -> int:
        """Re-check every pending file; ingest those that are complete. Returns how many were handled."""
        handled = 0
        for path in sorted(self.pending):
            p = self.pending.get(path)
            if p is None:
                continue
            try:
                st = os.lstat(path)
            except OSError:
                self.pending.pop(path, None)
                continue
            t = time.time() if now is None else now
            if F.is_link(path):  # refused at once: never parsed, never waited for
                self.pending.pop(path, None)
                handled += 1
                on_outcome(self._refuse_link(path))
                continue
            if (st.st_size, st.st_mtime_ns) != (p.size, p.mtime_ns):
                p.size, p.mtime_ns, p.changed_at, p.parses = st.st_size, st.st_mtime_ns, t, None
                continue
            verdict = decide(p, t, self.options)
            if verdict == CHECK:
                p.parses = parse_state(path)
                verdict = decide(p, t, self.options)
            if verdict == INGEST:
                outcome = self.handle(path)
                if outcome is None:  # another watcher holds it (or it is gone): not ours to report
                    self.pending.pop(path, None)
                    continue
                if outcome.status == ERROR:
                    p.retry_at = time.time() + self.options.rescan_interval
                else:
                    self.pending.pop(path, None)
                handled += 1
                on_outcome(outcome)
        return handled

    # -------------------------------------------------------------- ingest and move
    def identity(self, path: str, held: Optional[F.Claim] = None) -> FileIdentity:
        """Relative name, size, mtime and sha256 of a file (of the claimed file, through its descriptor)."""
        h = hashlib.sha256()
        if held is not None:
            st = held.st
            for chunk in held.chunks():
                h.update(chunk)
        else:
            st = os.stat(path)
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        return FileIdentity(os.path.relpath(path, self.folder), st.st_size, st.st_mtime_ns, h.hexdigest())

    def handle(self, path: str) -> Optional[FileOutcome]:
        """Claim one complete file, ingest it and move it; a file already in the ledger is only
        moved. None when the file is not this watcher's to handle (another one holds it, or it is
        gone); a symbolic link is refused (:meth:`_refuse_link`)."""
        if F.is_link(path):
            return self._refuse_link(path)
        held = F.claim(path)
        if held is None:
            return None
        try:
            return self._handle_claimed(path, held)
        except (OSError, ConfigurationError) as e:  # a folder swapped for a link, a disk that filled up
            why = f"{e.strerror or e}" if isinstance(e, OSError) else str(e)
            return FileOutcome(path, ERROR, message=f"cannot finish: {why}")
        finally:
            held.release()

    def _handle_claimed(self, path: str, held: F.Claim) -> Optional[FileOutcome]:
        ident = self.identity(path, held)
        seen = self.ledger.get(ident)
        if seen is not None:
            target = seen.get("movedTo")
            if not target or os.path.lexists(target):
                target = self._destination(PROCESSED, ident.name)
            dest = self._move(path, target, held)
            return FileOutcome(
                path,
                DUPLICATE,
                dest,
                seen.get("errorFile"),
                run_id=seen.get("runId"),
                message="ingested before a restart; moved without ingesting again",
            )
        rid = run_id_for(ident.name, self.options)
        if not held.still_there():
            return None
        try:
            report = self.ingest([path], run_id=rid)
        except LitemetaError as e:
            return FileOutcome(path, ERROR, run_id=rid, message=str(e))
        d = report.as_dict() if hasattr(report, "as_dict") else dict(report)
        errors = list(d.get("errors") or [])
        status = FAILED if (d.get("proposals", 0) == 0 and errors) else PROCESSED
        dest = self._destination(status, ident.name)
        error_file = None
        if errors:
            error_file = dest + ERROR_SUFFIX
            self._write_errors(error_file, path, d, errors, held.st.st_mode)
        self.ledger.add(
            ident,
            status=status,
            movedTo=dest,
            errorFile=error_file,
            runId=rid,
            records=d.get("records", 0),
            failed=d.get("failed", 0),
        )
        self._move(path, dest, held)
        return FileOutcome(
            path,
            status,
            dest,
            error_file,
            d.get("records", 0),
            d.get("written", 0),
            d.get("unchanged", 0),
            d.get("failed", 0),
            rid,
            errors[0].get("message") if status == FAILED else None,
            tuple(errors),
        )

    def _refuse_link(self, path: str) -> FileOutcome:
        """A symbolic link is not followed: the link itself moves to failed/, its target unread."""
        rel = os.path.relpath(path, self.folder)
        message = "a symbolic link: the watcher does not follow links, its target was not read"
        try:
            dest = self._destination(FAILED, rel)
            error_file = dest + ERROR_SUFFIX
            self._write_errors(error_file, path, {}, [{"file": path, "index": None, "message": message}], None)
            self._move(path, dest, None)
        except (OSError, ConfigurationError) as e:
            why = f"{e.strerror or e}" if isinstance(e, OSError) else str(e)
            return FileOutcome(path, ERROR, message=f"{message}; cannot move it: {why}")
        return FileOutcome(path, FAILED, dest, error_file, message=message)

    def _destination(self, status: str, rel: str) -> str:
        base = os.path.join(self.failed_dir if status == FAILED else self.processed_dir, rel)
        stem, suffix = _split_suffix(base)
        n, dest = 0, base
        while os.path.lexists(dest) or os.path.lexists(dest + ERROR_SUFFIX):
            n += 1
            dest = f"{stem}.{n}{suffix}"
        return dest

    def _base_of(self, dest: str) -> Tuple[str, str]:
        for base, what in ((self.processed_dir, "processed"), (self.failed_dir, "failed")):
            if dest.startswith(base + os.sep):
                return base, what
        raise ConfigurationError(f"{dest} is outside the processed and failed folders")

    def _write_errors(
        self, error_file: str, source: str, d: Mapping[str, Any], errors: List[Any], source_mode: Optional[int]
    ) -> None:
        base, what = self._base_of(error_file)
        F.real_dirs_below(base, os.path.dirname(error_file), what)
        body = {
            "file": source,
            "records": d.get("records", 0),
            "written": d.get("written", 0),
            "unchanged": d.get("unchanged", 0),
            "failed": d.get("failed", 0),
            "errors": errors,
        }
        tmp = f"{error_file}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        F.write_new(tmp, json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"), F.report_mode(source_mode))
        os.replace(tmp, error_file)  # (a link planted under that name is replaced, not followed)

    def _move(self, src: str, dest: str, held: Optional[F.Claim]) -> str:
        base, what = self._base_of(dest)
        F.real_dirs_below(base, os.path.dirname(dest), what)
        try:
            os.replace(src, dest)  # atomic on one file system; moves a link itself, never its target
        except OSError:
            if held is None or not held.still_there():
                raise
            tmp = f"{dest}.{os.getpid()}.moving"  # another file system: copy beside the target, then rename
            F.copy_claimed(held, tmp)
            os.replace(tmp, dest)
            os.remove(src)
        return dest

    # -------------------------------------------------------------- loops
    def run_once(self, on_outcome: OutcomeFn, max_wait: Optional[float] = None) -> List[FileOutcome]:
        """Handle the files there now and return (for cron): files still being written after
        ``max_wait`` seconds (default: three settle periods) are left for the next run."""
        outcomes: List[FileOutcome] = []

        def record(o: FileOutcome) -> None:
            outcomes.append(o)
            if o.status == ERROR:  # reported once; the next run tries again
                self.pending.pop(o.path, None)
            on_outcome(o)

        self.scan()
        deadline = time.time() + (max_wait if max_wait is not None else 3 * self.options.settle_seconds + 0.5)
        while self.pending:
            self.tick(record)
            if time.time() >= deadline:
                break
            time.sleep(self.options.poll_interval)
        for path in sorted(self.pending):
            record(
                FileOutcome(
                    path,
                    LEFT,
                    message="not complete yet (still being written, or does not parse); left for the next run",
                )
            )
        self.pending.clear()
        return outcomes

    def run(self, stop: threading.Event, on_outcome: OutcomeFn) -> None:
        """Watch until ``stop`` is set: files present at start first, then each new or changed file."""
        observer = PollingObserver() if self.options.polling else Observer()
        observer.schedule(_Events(self._events), self.folder, recursive=self.options.recursive)
        observer.start()  # before the first scan, so that nothing lands unseen in between
        try:
            self.scan()
            self.started.set()
            next_scan = time.time() + self.options.rescan_interval
            while not stop.is_set():
                self._drain(self.options.poll_interval)
                self.tick(on_outcome)
                if time.time() >= next_scan:
                    self.scan()
                    next_scan = time.time() + self.options.rescan_interval
        finally:
            quiet = _ShutdownNoise()
            emitter_log = logging.getLogger("watchdog.observers.inotify")
            emitter_log.addFilter(quiet)
            try:
                observer.stop()
                observer.join(timeout=5)
            finally:
                emitter_log.removeFilter(quiet)


class _ShutdownNoise(logging.Filter):
    """Drops watchdog's benign error about an event read racing the observer's stop (watchdog 6-7)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "called when the thread is inactive" not in str(record.msg)


def _split_suffix(path: str) -> Tuple[str, str]:
    for suffix in (".jsonl", ".json"):
        if path.endswith(suffix):
            return path[: -len(suffix)], suffix
    stem, ext = os.path.splitext(path)
    return stem, ext
