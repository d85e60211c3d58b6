"""File handling of the folder watcher that hostile folders cannot redirect (issue 15 items 7, 8).

A watched folder may be shared: anyone who can drop a file there can also plant a symbolic link
or race another watcher. So the watcher

- **claims** a file before it reads it (:func:`claim`): an exclusive, non-blocking ``flock`` on a
  descriptor opened with ``O_NOFOLLOW``, then a check that the name still denotes that very file.
  Two watchers on one folder never ingest the same file; the loser just leaves it to the winner.
  The lock dies with its process, so a watcher killed mid-file does not block the next one.
- **never follows a link**: a symbolic link is not opened (``O_NOFOLLOW``; :func:`is_link`), its
  target is never read; the processed and failed folders, and every folder below them that a
  move creates, must be real folders (:func:`real_dir`), checked again before each write;
- writes its own files (error reports, the ledger, copies across file systems) with
  ``O_NOFOLLOW`` and, for new files, ``O_EXCL`` (:func:`write_new`, :func:`append`), so a link
  planted under such a name is replaced or refused, never written through; an error report is
  created with at most the permissions of the file it describes.

``fcntl`` is POSIX; where it is missing (Windows) :func:`claim` takes the file without a lock.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from litemeta.errors import ConfigurationError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def is_link(path: str) -> bool:
    """Whether ``path`` itself is a symbolic link (not followed)."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


@dataclass
class Claim:
    """A file this process holds (until :meth:`release`): its descriptor, identity and mode."""

    path: str
    fd: int
    st: os.stat_result

    def still_there(self) -> bool:
        """The name still denotes the claimed file (not removed, replaced or swapped for a link)."""
        try:
            now = os.lstat(self.path)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == (self.st.st_dev, self.st.st_ino) and stat.S_ISREG(now.st_mode)

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The claimed file's bytes, read through its descriptor (from the start)."""
        os.lseek(self.fd, 0, os.SEEK_SET)
        while True:
            data = os.read(self.fd, size)
            if not data:
                return
            yield data

    def release(self) -> None:
        """Drop the lock and close the descriptor."""
        try:
            os.close(self.fd)
        except OSError:
            pass


def claim(path: str) -> Optional[Claim]:
    """Take ``path`` for this process, or None: it is gone, it is a link or not a regular file, or
    another process holds it (another watcher ingesting it now)."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:  # gone, a link (ELOOP), not readable
        return None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        st = os.fstat(fd)
    except OSError:  # held by another process
        os.close(fd)
        return None
    held = Claim(path, fd, st)
    if not stat.S_ISREG(st.st_mode) or not held.still_there():  # moved away before the lock was ours
        held.release()
        return None
    return held


def real_dir(path: str, what: str) -> None:
    """Create ``path`` if missing; :class:`ConfigurationError` when it is a link or not a folder."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as e:
            raise ConfigurationError(f"cannot create {path}: {e.strerror or e}") from e
        st = os.lstat(path)
    except OSError as e:
        raise ConfigurationError(f"cannot use {path} as the {what} folder: {e.strerror or e}") from e
    if stat.S_ISLNK(st.st_mode):
        raise ConfigurationError(
            f"the {what} folder {path} is a symbolic link; the watcher does not follow links "
            f"(remove it, or give a real folder)"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigurationError(f"the {what} folder {path} is not a folder")


def real_dirs_below(base: str, folder: str, what: str) -> None:
    """``base`` and each folder from it down to ``folder`` are real folders (created when missing)."""
    real_dir(base, what)
    rel = os.path.relpath(folder, base)
    if rel == os.curdir:
        return
    if rel.startswith(os.pardir):
        raise ConfigurationError(f"{folder} is not inside the {what} folder {base}")
    current = base
    for part in rel.split(os.sep):
        current = os.path.join(current, part)
        real_dir(current, what)


_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW | _CLOEXEC


def write_new(path: str, data: bytes, mode: int) -> None:
    """Write a new file (``O_EXCL``: a file or a link of that name is refused), fsync it."""
    _write(path, _NEW, mode, [data])


def append(path: str, data: bytes, mode: int = 0o644) -> None:
    """Append to a file (created if missing), never through a link; fsync it."""
    _write(path, _APPEND, mode, [data])


def copy_claimed(held: Claim, dest: str) -> None:
    """Copy a claimed file to the new file ``dest`` (another file system), keeping its mode and times."""
    _write(dest, _NEW, stat.S_IMODE(held.st.st_mode), held.chunks())
    os.utime(dest, ns=(held.st.st_atime_ns, held.st.st_mtime_ns), follow_symlinks=False)


def _write(path: str, flags: int, mode: int, chunks: Iterable[bytes]) -> None:
    fd = os.open(path, flags, mode)
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def report_mode(source_mode: Optional[int]) -> int:
    """The mode of an error report about a file: at most the file's own read/write permissions
    (0o600 when they are unknown, e.g. for a link whose target is not looked at)."""
    return stat.S_IMODE(source_mode) & 0o666 if source_mode is not None else 0o600
