"""Streaming readers for metadata files: DataHub file-sink JSON arrays, single objects, JSON Lines.

    >>> from litemeta.sources.files import read_records
    >>> for item in read_records(["examples/sample.json"]):      # doctest: +SKIP
    ...     print(item)          # a Proposal, a LegacyMCE, or an error naming file and position

Every reader is a generator that never raises for bad input and never loses a valid record:
unreadable parts are yielded as :class:`InputError` (the bytes could not be read as JSON) or
:class:`ValidationError` (a JSON object of the wrong shape), each naming the file and the
position, and reading goes on with what follows.

- A JSON array of any size is read incrementally with ijson (its C backend when installed), so
  memory stays bounded whatever the file size. If the array breaks in the middle, everything
  before the break has been yielded; the reader then re-scans the file structurally, reports the
  broken record with its byte range and resumes at the next top-level record.
- A single top-level object (or several concatenated ones) is also accepted, as DataHub's file
  source does; JSON Lines (``*.jsonl``, or a file whose first line is a complete object followed
  by more content) is read line by line and a bad line is skipped.
- A folder is read file by file (``*.json`` and ``*.jsonl``, sorted, not recursive); ``-`` is
  standard input.

Extension point: :func:`input_kind` sniffs what a path holds and :data:`READERS` maps a kind to
its reader; further formats register a sniffer in :data:`SNIFFERS` and a reader, as topic exports
(:mod:`litemeta.sources.exports`) do.

ijson is imported only here (design.md: one home per third-party library).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any, Callable, Dict, Generator, Iterable, Iterator, List, Optional, Union

import ijson

from litemeta.errors import InputError, ValidationError
from litemeta.model.codec import Record, proposals_of, record_from_obj
from litemeta.model.jsontext import loads, loads_strict, std_loads
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.registry import Registry
from litemeta.sources import exports
from litemeta.sources.file_recovery import is_sink_layout, recover

try:  # the C backend is ~10x faster than the pure-Python one
    _ijson: Any = ijson.get_backend("yajl2_c")
except Exception:  # pragma: no cover - depends on the installed wheel
    _ijson = ijson

Item = Union[Record, InputError, ValidationError]
ProposalItem = Union[Proposal, InputError, ValidationError]

STDIN = "-"
FILE_SUFFIXES = (".json", ".jsonl")
_BOM = b"\xef\xbb\xbf"
_HEAD = 4096
_BUF = 1 << 16


# Who wants to hear how far the file readers have got: ``(path, byte position)`` after each record
# whose reading moved the position, and the file's size at its end (a progress bar with an ETA).
ReadWatcher = Callable[[str, int], None]
_WATCHER: ContextVar[Optional[ReadWatcher]] = ContextVar("litemeta_read_watcher", default=None)


@contextmanager
def watch_reads(watcher: ReadWatcher) -> Iterator[None]:
    """Within this block, files read (in this thread) report ``watcher(path, position)``."""
    token = _WATCHER.set(watcher)
    try:
        yield
    finally:
        _WATCHER.reset(token)


# --------------------------------------------------------------------------------- public API
def read_records(paths: Iterable[str]) -> Iterator[Item]:
    """Records of every path in turn (files, folders, ``-``), with errors in place of bad parts."""
    for path in paths:
        yield from read_path(str(path))


def read_proposals(paths: Iterable[str], registry: Registry) -> Iterator[ProposalItem]:
    """Like :func:`read_records`, with legacy MCEs expanded into one proposal per aspect."""
    for item in read_records(paths):
        if isinstance(item, Exception):
            yield item
            continue
        try:
            yield from proposals_of(item, registry)
        except ValidationError as e:
            yield e


def read_path(path: str) -> Iterator[Item]:
    """Records of one path, read by the reader :func:`input_kind` picks."""
    kind = input_kind(path)
    reader = READERS.get(kind)
    if reader is None:  # pragma: no cover - a sniffer without a reader is a programming error
        yield InputError(f"no reader for input kind {kind!r}", file=path)
        return
    yield from reader(path)


def input_kind(path: str) -> str:
    """What ``path`` holds: ``stdin``, ``directory``, ``missing``, ``jsonl``, ``json``, or a kind a sniffer names.

    The content of ``json`` files (array, object, JSON Lines without the suffix) is sniffed when
    read. Sniffers in :data:`SNIFFERS` are asked first, in order, with the path.
    """
    for sniff in SNIFFERS:
        kind = sniff(path)
        if kind:
            return kind
    if path == STDIN:
        return "stdin"
    if os.path.isdir(path):
        return "directory"
    if not os.path.exists(path):
        return "missing"
    if path.endswith(".jsonl"):
        return "jsonl"
    return "json"


# ------------------------------------------------------------------------------------- readers
def _read_missing(path: str) -> Iterator[Item]:
    yield InputError("no such file or directory", file=path)


def _read_directory(path: str) -> Iterator[Item]:
    try:
        names = sorted(n for n in os.listdir(path) if n.endswith(FILE_SUFFIXES))
    except OSError as e:
        yield InputError(f"cannot list the folder: {e.strerror or e}", file=path)
        return
    for name in names:
        full = os.path.join(path, name)
        if os.path.isfile(full):
            yield from read_path(full)


def _read_stdin(path: str) -> Iterator[Item]:
    # Spooled to a temporary file: sniffing peeks and error recovery re-reads from the start.
    with tempfile.TemporaryFile() as spool:
        shutil.copyfileobj(sys.stdin.buffer, spool, _BUF)
        spool.seek(0)
        yield from _read_stream(spool, STDIN, force_lines=False)


def _read_json_file(path: str) -> Iterator[Item]:
    yield from _open_and_read(path, force_lines=False)


def _read_jsonl_file(path: str) -> Iterator[Item]:
    yield from _open_and_read(path, force_lines=True)


def _open_and_read(path: str, force_lines: bool) -> Iterator[Item]:
    try:
        f = open(path, "rb")
    except OSError as e:
        yield InputError(f"cannot open: {e.strerror or e}", file=path)
        return
    with f:
        watcher = _WATCHER.get()
        if watcher is None:
            yield from _read_stream(f, path, force_lines)
            return
        last = 0
        for item in _read_stream(f, path, force_lines):
            yield item
            pos = f.tell()  # the buffered reader's position: moves a chunk at a time
            if pos != last:
                watcher(path, pos)
                last = pos
        watcher(path, os.fstat(f.fileno()).st_size)


ReaderFn = Callable[[str], Iterator[Item]]
READERS: Dict[str, ReaderFn] = {
    "stdin": _read_stdin,
    "directory": _read_directory,
    "missing": _read_missing,
    "jsonl": _read_jsonl_file,
    "json": _read_json_file,
    exports.EXPORT_KIND: exports.read_export_records,
}
SNIFFERS: List[Callable[[str], Optional[str]]] = [exports.sniff_kind]


# ---------------------------------------------------------------------------- content sniffing
def _read_stream(f: IO[bytes], name: str, force_lines: bool) -> Iterator[Item]:
    """Sniff an open binary file (seekable) and read it as an array, objects or JSON Lines."""
    try:
        head = f.read(_HEAD)
    except OSError as e:
        yield InputError(f"cannot read: {e.strerror or e}", file=name)
        return
    base = len(_BOM) if head.startswith(_BOM) else 0
    stripped = head[base:].lstrip()
    if not stripped:
        f.seek(base)
        if not f.read(1 << 20).strip():  # whitespace only (the head may be a long blank prefix)
            yield InputError("empty file: expected a JSON array, a JSON object or JSON Lines", file=name)
            return
    first = stripped[:1]
    f.seek(base)
    if force_lines:
        yield from _read_lines(f, name, base)
    elif first == b"[":
        yield from _read_array(f, name, base)
    elif first == b"{":
        if _looks_like_lines(f, base):
            f.seek(base)
            yield from _read_lines(f, name, base)
        else:
            f.seek(base)
            yield from _read_values(f, name, base)
    elif is_sink_layout(f, base):  # DataHub's file-sink layout whose "[" is damaged: every record is read
        yield from recover(f, name, base, elem_depth=1, skip=0, first_error="", record=_record, chunk=_CHUNK)
    else:
        yield InputError(
            f"not a metadata file: starts with {stripped[:20]!r}; expected '[' (a JSON array), "
            "'{' (an object) or JSON Lines",
            file=name,
            position="byte 0",
        )


def _looks_like_lines(f: IO[bytes], base: int) -> bool:
    """JSON Lines when the first line is one complete object and more content follows."""
    f.seek(base)
    line = f.readline(64 << 20)
    try:
        std_loads(line.decode("utf-8"))
    except ValueError:  # (a NestingError or a UnicodeDecodeError too)
        return False
    rest = f.read(_HEAD)
    return bool(rest.strip())


# --------------------------------------------------------------------------------------- array
def _record(obj: Any, origin: Origin) -> Item:
    try:
        return record_from_obj(obj, origin)
    except ValidationError as e:
        return e
    except Exception as e:  # noqa: BLE001 - a reader never raises for bad input
        return ValidationError(f"unreadable record ({type(e).__name__}: {e})", file=origin.file, index=origin.index)


def _read_array(f: IO[bytes], name: str, base: int) -> Iterator[Item]:
    """The records of a JSON array, streamed: the file sink's layout fast, anything else with ijson."""
    done = yield from _read_sink_layout(f, name, base)
    if done is None:
        return
    f.seek(base)
    yield from _read_items(f, name, base, prefix="item", multiple=False, elem_depth=1, skip=done)


_WS = b" \t\r\n"
_CHUNK = 1 << 22


def _read_sink_layout(f: IO[bytes], name: str, base: int) -> Generator[Item, None, Optional[int]]:
    """The records of an array in DataHub's file-sink layout, each parsed whole by orjson.

    The file sink writes ``[``, then each record as ``json.dumps(record, indent=4)``, joined by
    ``,\\n``, then ``]``: a record starts with ``{`` and ends with the first ``}`` in column 0
    after it (JSON strings hold no raw newline). Each such slice must parse as one JSON value and
    be followed by ``,`` or the closing ``]``, so the records read here are exactly the array's
    elements. At the first slice that does not fit (another layout, invalid JSON, text orjson
    refuses), this returns how many records it yielded and the caller reads the rest with ijson
    (which also reports errors); None when it read the whole file.
    """
    reader = _Buffer(f)
    if not reader.skip_space() or reader.peek() != b"[":
        return 0
    reader.pos += 1
    index = 0
    comma = False  # the previous record was followed by a comma
    while True:
        if not reader.skip_space():
            return index  # unclosed array
        lead = reader.peek()
        if lead == b"]" and not comma:
            reader.pos += 1
            return None if not reader.skip_space() else index  # None: nothing but space follows
        if lead != b"{":
            return index
        end = reader.find(b"\n}")
        if end < 0:
            return index
        raw = memoryview(reader.buf)[reader.pos : end + 2]
        try:
            obj = loads_strict(raw)
        except ValueError:
            # Text orjson refuses but the standard library reads (NaN, integers beyond 64 bits,
            # lone surrogate escapes) is read here, as the streaming parser's recovery would read
            # it; validation then judges the values. Anything else goes to the streaming parser.
            try:
                obj = std_loads(bytes(raw).decode("utf-8"))
            except ValueError:
                return index
        yield _record(obj, Origin(name, index))
        index += 1
        reader.pos = end + 2
        if not reader.skip_space():
            return index
        comma = reader.peek() == b","
        if comma:
            reader.pos += 1
        elif reader.peek() != b"]":
            return index


class _Buffer:
    """A window on a binary file read in large chunks: ``buf[pos:]`` is what is left to read."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.buf = b""
        self.pos = 0
        self.eof = False

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.f.read(_CHUNK)
        self.eof = not chunk
        self.buf, self.pos = self.buf[self.pos :] + chunk, 0
        return bool(chunk)

    def skip_space(self) -> bool:
        """Move past whitespace; False at the end of the file."""
        while True:
            buf, pos, n = self.buf, self.pos, len(self.buf)
            while pos < n and buf[pos] in _WS:
                pos += 1
            self.pos = pos
            if pos < n:
                return True
            if not self._more():
                return False

    def peek(self) -> bytes:
        return self.buf[self.pos : self.pos + 1]

    def find(self, needle: bytes) -> int:
        """Index in ``buf`` of the next ``needle`` at or after ``pos`` (reading more as needed), or -1."""
        start = self.pos
        while True:
            at = self.buf.find(needle, start)
            if at >= 0:
                return at
            start = max(self.pos, len(self.buf) - len(needle) + 1)
            shift = self.pos
            if not self._more():
                return -1
            start -= shift


def _read_values(f: IO[bytes], name: str, base: int) -> Iterator[Item]:
    """Concatenated top-level JSON values (JSON Lines, or one object), streamed."""
    return _read_items(f, name, base, prefix="", multiple=True, elem_depth=0)


def _read_items(
    f: IO[bytes], name: str, base: int, *, prefix: str, multiple: bool, elem_depth: int, skip: int = 0
) -> Iterator[Item]:
    index = 0
    try:
        for obj in _ijson.items(f, prefix, use_float=True, multiple_values=multiple, buf_size=_BUF):
            if index >= skip:  # the first ``skip`` records were read by the fast path already
                yield _record(obj, Origin(name, index))
            index += 1
        return
    except OSError as e:
        yield InputError(f"read error: {e.strerror or e}", file=name, index=index)
        return
    except (ijson.JSONError, ValueError) as e:  # IncompleteJSONError and UTF-8 errors derive from these
        first_error = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    yield from recover(
        f, name, base, elem_depth=elem_depth, skip=index, first_error=first_error, record=_record, chunk=_CHUNK
    )


# ---------------------------------------------------------------------------------- JSON Lines
def _read_lines(f: IO[bytes], name: str, base: int) -> Iterator[Item]:
    index = 0
    offset = base
    for lineno, line in enumerate(f, start=1):
        at = offset
        offset += len(line)
        if not line.strip():
            continue
        where = f"line {lineno} (byte {at})"
        try:
            obj = loads(line)
        except UnicodeDecodeError as e:
            yield InputError(
                f"not valid UTF-8 (byte {at + e.start}): line skipped", file=name, index=index, position=where
            )
        except ValueError as e:
            yield InputError(
                f"invalid JSON ({getattr(e, 'msg', e)}): line skipped", file=name, index=index, position=where
            )
        else:
            yield _record(obj, Origin(name, index))
        index += 1
