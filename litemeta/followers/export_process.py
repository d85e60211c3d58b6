"""The processes of an export: the folder lock they share, and the second process's life.

- **One export at a time per folder:** :class:`FolderLock` holds an exclusive lock on
  ``OUT/.litemeta-export.lock`` for a whole export; another export into that folder waits up to
  ``LOCK_WAIT_SECONDS``, then fails with :class:`~litemeta.errors.ExportError`.
- **The second process** (a parallel kafka-log export, :mod:`litemeta.followers.export`):
  :func:`start_helper` starts ``python -m <module>`` with the export's spec, a stdin pipe it
  watches (it ends when this process does) and the lock's descriptor (it holds the lock too);
  :func:`helper_report` reads the report it prints; :func:`end_helper` stops it if it still runs
  and closes its pipes.

What the export writes, and the second process's own side, are :mod:`litemeta.followers.export`'s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from litemeta import config
from litemeta.errors import ExportError

if sys.platform != "win32":
    import fcntl

LOCK_FILE = ".litemeta-export.lock"
LOCK_WAIT_SECONDS = 10.0  # how long an export waits for another one writing into the same folder


class FolderLock:
    """An exclusive lock on an export folder (``OUT/.litemeta-export.lock``), held for a whole export.

    ``flock`` on POSIX (released by the kernel when every process holding the file ends, however
    it ends, so a killed export never leaves a stale lock), ``msvcrt.locking`` on Windows. A
    second export waits up to ``wait`` seconds, then fails with :class:`ExportError`.
    """

    def __init__(self, folder: Path, wait: float = LOCK_WAIT_SECONDS) -> None:
        self.folder = folder
        self.wait = wait
        self._fd: Optional[int] = None

    def __enter__(self) -> "FolderLock":
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise ExportError(f"cannot write into {self.folder}: {e.strerror or e}") from e
        deadline = time.monotonic() + self.wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                raise ExportError(
                    f"{self.folder} is being written by another export (waited {self.wait:g} s): "
                    f"two exports into one folder would interleave their records; run this one "
                    f"when the other has finished, or export into another folder"
                )
            time.sleep(0.05)
        self._fd = fd
        return self

    def inheritable_fds(self) -> Tuple[int, ...]:
        """The lock's descriptor, for a child process that must hold the lock too (POSIX: the same
        open file, so the lock lasts until the parent and the child have both ended)."""
        return (self._fd,) if self._fd is not None and sys.platform != "win32" else ()

    def __exit__(self, *exc: Any) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the lock (the child's copy, if any, has ended)
            self._fd = None


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def start_helper(module: str, spec: Mapping[str, Any], lock: FolderLock) -> Optional[subprocess.Popen]:
    """``python -m <module> <spec as JSON>`` with this very litemeta; None when no helper can start
    (a frozen application, an OS error): the caller then does the work itself."""
    cmd = config.helper_command(module)
    if cmd is None:
        return None
    try:  # stdin: a pipe the child watches (it ends when this process does); the lock's fd: shared
        return subprocess.Popen(
            cmd[0] + [json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=cmd[1],
            pass_fds=lock.inheritable_fds(),
        )
    except OSError:
        return None


def helper_report(child: subprocess.Popen) -> Optional[Dict[str, Any]]:
    """Wait for the helper and read its report (the last line it printed, as JSON); None when it
    failed or printed none."""
    assert child.stdout is not None
    stdout = child.stdout.read()  # (not communicate(): that would close the child's stdin at once)
    if child.wait() != 0:
        return None
    try:
        report: Dict[str, Any] = json.loads(stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    return report


def end_helper(child: subprocess.Popen) -> None:
    """Close the child's pipes; one still running (this process is failing) is stopped first."""
    if child.poll() is None:
        child.kill()
        child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()
