"""The platform-event helper: a child process that derives events while the writer writes.

``python -m litemeta.core.platform_helper`` reads length-prefixed pickled chunks of MCL jobs
(:data:`litemeta.core.platform_derive.Job`) on stdin and answers each, in order, with the chunk's
events encoded as one compressed log batch ``(count, index, value, codec)``, or with
``("error", message)``. :class:`Helper` is the writer's end: a writer thread feeds the pipe and a
reader thread drains it, so neither side ever blocks the other on a full pipe.

A separate interpreter (not ``multiprocessing``) so that nothing of the caller's program is run
again in the child, whatever its ``__main__`` is, and no lock or connection is inherited.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from typing import Any, List, Optional, Tuple

from litemeta.config import helper_command
from litemeta.core.platform_derive import derive
from litemeta.storage.batches import encode_batch

_EOF = object()


def _read_exact(stream: Any, n: int) -> Optional[bytes]:
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def serve(inp: Any, out: Any) -> None:
    """The child's loop: a chunk in, its encoded batch (or error) out, until stdin closes."""
    while True:
        head = _read_exact(inp, 8)
        if head is None:
            return
        body = _read_exact(inp, int.from_bytes(head, "little"))
        if body is None:
            return
        try:
            records = derive(pickle.loads(body))
            b = encode_batch(records, compress=True)
            answer: Tuple[Any, ...] = (b.count, b.index, b.value, b.codec)
        except Exception as exc:  # the writer derives this chunk itself and meets the error there
            answer = ("error", f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(data).to_bytes(8, "little"))
        out.write(data)
        out.flush()


class HelperGone(Exception):
    """The helper process ended or could not be started."""


class Helper:
    """The writer's end of one helper process."""

    def __init__(self) -> None:
        cmd = helper_command("litemeta.core.platform_helper")
        if cmd is None:
            raise HelperGone("no Python interpreter to run the helper with (a frozen application)")
        argv, env = cmd
        try:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
            )
        except OSError as exc:
            raise HelperGone(str(exc)) from exc
        self._outbox: "queue.Queue[Optional[bytes]]" = queue.Queue()
        self._inbox: "queue.Queue[Any]" = queue.Queue()
        self._writer = threading.Thread(target=self._write_loop, name="litemeta-events-out", daemon=True)
        self._reader = threading.Thread(target=self._read_loop, name="litemeta-events-in", daemon=True)
        self._err: List[bytes] = []
        self._stderr = threading.Thread(target=self._drain_stderr, name="litemeta-events-err", daemon=True)
        self._writer.start()
        self._reader.start()
        self._stderr.start()

    def submit(self, jobs: List[Any]) -> None:
        """Queue a chunk; its answer comes back in order from :meth:`result`."""
        self._outbox.put(pickle.dumps(jobs, protocol=pickle.HIGHEST_PROTOCOL))

    def result(self) -> Tuple[Any, ...]:
        """The next answer, in submission order; raises HelperGone when the process ended."""
        item = self._inbox.get()
        if item is _EOF:
            self._inbox.put(_EOF)  # every later call fails too
            raise HelperGone("the platform-event helper ended")
        answer: Tuple[Any, ...] = pickle.loads(item)
        return answer

    def close(self) -> str:
        """Stop the process: closing its stdin ends it (at once: it skips the interpreter's
        teardown); one that lingers is killed. Returns the end of what it wrote on stderr
        (empty when all went well)."""
        self._outbox.put(None)
        self._reap()
        self._stderr.join(timeout=5)
        return b"".join(self._err).decode("utf-8", "replace")[-2000:]

    def _reap(self) -> None:
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _write_loop(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            while True:
                data = self._outbox.get()
                if data is None:
                    break
                stdin.write(len(data).to_bytes(8, "little"))
                stdin.write(data)
                stdin.flush()
        except (OSError, ValueError):
            pass
        finally:
            try:
                stdin.close()
            except OSError:
                pass

    def _drain_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        try:
            for line in stream:
                self._err.append(line)
                if len(self._err) > 200:
                    del self._err[:100]
        except (OSError, ValueError):
            pass

    def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while True:
                head = _read_exact(stdout, 8)
                body = _read_exact(stdout, int.from_bytes(head, "little")) if head is not None else None
                if body is None:
                    break
                self._inbox.put(body)
        except (OSError, ValueError):
            pass
        self._inbox.put(_EOF)


if __name__ == "__main__":  # pragma: no cover - exercised through Helper in a child process
    serve(sys.stdin.buffer, sys.stdout.buffer)
    sys.stdout.flush()
    os._exit(0)  # nothing to clean up: skip the interpreter's teardown, so the writer's wait is short
