"""Recovery of damaged metadata files: every record that parses is read, each damaged one is named.

:func:`recover` takes over when the streaming parser of :mod:`litemeta.sources.files` stops in a
JSON array (or a run of top-level values): it re-scans the file structurally and parses each
record alone, so one broken record costs only itself. A file in DataHub's file-sink layout is
cut at its lines (:func:`_scan_sink_lines`), which survives any damage inside a record and keeps
every record's number; any other layout is cut at bracket depth (:func:`_scan`). Both read the
file in chunks and keep only the current record in memory. Errors are :class:`InputError` naming
the record (``record #N``) and its byte range.
"""

from __future__ import annotations

import re
from typing import IO, Any, Callable, Iterator, List, Optional, Set, Tuple, Union

from litemeta.errors import InputError, ValidationError
from litemeta.model.jsontext import loads, std_loads
from litemeta.model.proposal import Origin

Item = Union[Any, InputError, ValidationError]  # a record (files.Record), or an error in its place
RecordFn = Callable[[Any, Origin], Item]  # a decoded record -> its Record or error (files._record)

_HEAD = 4096
_BUF = 1 << 16
_CHUNK = 1 << 22

# One token: a string that stays on its line (JSON strings cannot hold a raw newline, so a stray
# quote heals at the end of its line), a bracket, or a run of other non-space characters.
_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"|[\[\]{},]|[^\s"\[\]{},]+')


def recover(
    f: IO[bytes],
    name: str,
    base: int,
    *,
    elem_depth: int,
    skip: int,
    first_error: str,
    record: RecordFn,
    chunk: int = _CHUNK,
) -> Iterator[Item]:
    """Re-scan the file structurally after the streaming parser stopped at record ``skip``.

    Each record from ``skip`` on is parsed alone, so one broken record costs only itself. A file
    in DataHub's file-sink layout is cut at its lines (:func:`_scan_sink_lines`: a record starts
    at a line ``{`` and ends at a line ``}`` or ``},``), so a damaged record, whatever its bytes,
    ends at the next record's start and every record after it keeps its number. Any other file
    is cut at bracket depth (:func:`_scan`, strings skipped). Both read the file in chunks and
    keep only the current record in memory.
    """
    reported = False
    separators = True
    events = (
        _scan_sink_lines(f, base) if elem_depth == 1 and is_sink_layout(f, base) else _scan(f, base, elem_depth, chunk)
    )
    for kind, index, start, end, data in _coalesce(events):
        if index is not None and index < skip:
            continue
        if kind == "element":
            item = _parse_slice(data, start, end, name, index, record)
            reported = reported or isinstance(item, InputError)
            yield item
            continue
        if kind == "separator":
            separators = False
            continue
        reported = True
        if kind == "truncated":
            yield InputError(
                f"truncated record: it starts at byte {start} and the file ends at byte {end} before it closes",
                file=name,
                index=index,
            )
        elif kind == "broken":
            yield InputError(
                "broken record: its brackets do not balance before the next top-level record; skipped",
                file=name,
                index=index,
                position=f"bytes {start}-{end}",
            )
        elif kind == "junk":
            yield InputError(
                f"unexpected content {data!r} outside any record; skipped", file=name, position=f"bytes {start}-{end}"
            )
        elif kind == "unclosed":
            yield InputError(
                "the JSON array is not closed: the file ends before its ']'", file=name, position=f"byte {end}"
            )
    if not reported and not separators:
        # Every record was recovered, but the records are not separated as JSON wants (a missing
        # or extra comma): say what the streaming parser objected to. (When the separators are
        # right, it objected to text the standard library reads, NaN or a number beyond 64 bits,
        # and validation judges those values.)
        yield InputError(f"not valid JSON: {first_error}", file=name, position=f"after record #{skip - 1}")


def is_sink_layout(f: IO[bytes], base: int) -> bool:
    """The file is laid out as DataHub's file sink writes: a line ``[``, then records that start with
    a line ``{`` followed by a key indented by 4 (the first record, or the ``[``, may be damaged)."""
    f.seek(base)
    head = f.read(_BUF).replace(b"\r\n", b"\n").lstrip(b" \t\n")
    first, _, rest = head.partition(b"\n")
    return len(first) <= 4 and (rest.startswith(b'{\n    "') or b'\n},\n{\n    "' in head)


def _scan_sink_lines(f: IO[bytes], base: int) -> Iterator[ScanEvent]:
    """:data:`ScanEvent` tuples of a file in the file-sink layout, cut at its lines.

    json.dumps(indent=4) indents everything nested, so only a record's own braces sit in column
    0: a record runs from a line ``{`` to a line ``},`` (or ``}`` before the closing ``]``). A
    damaged record is cut the same way: it ends where the next line ``{`` begins; content after
    an end line that is not a record start belongs to the record when the record does not parse
    without it (a brace line written into it), else it is the next record, whose ``{`` line was
    damaged. Every record keeps its number, whatever the damage of another.
    """
    f.seek(base)
    pos = base
    index = 0
    start = -1  # file offset of the open record, -1 between records
    piece = bytearray()
    ended = False  # the open record's last non-blank line is an end line
    opened = closed = False
    comma = False  # the last record ended with "},"
    records = 0
    headless = False  # the open record did not start with a "{" line (damaged, or junk after the last one)
    promised = False  # ... and the record before it ended with "," (so this is a record, not junk)

    def elements(end: int) -> List[ScanEvent]:
        """The open record as ScanEvents: one, or more when a damaged separator hides inside it."""
        out: List[ScanEvent] = []
        for offset, part in _split_at_damaged_separators(bytes(piece)):
            data = part.rstrip()
            out.append(
                (
                    "element",
                    index + len(out),
                    start + offset,
                    start + offset + len(part),
                    data[:-1] if data.endswith(b",") else data,
                )
            )
        return out

    for line in f:
        at = pos
        pos += len(line)
        bare = line.rstrip(b"\r\n")
        s = bare.strip()
        if start >= 0 and ended and s and bare != b"{":
            if bare.rstrip() == b"]":
                done = elements(at)
                yield from done
                index += len(done)
                start, piece, ended = -1, bytearray(), False
            elif _parses(bytes(piece).rstrip().rstrip(b",")):
                done = elements(at)  # this record is whole: what follows is a record with a damaged start
                yield from done
                index += len(done)
                start, piece, ended, records, headless = at, bytearray(), False, records + 1, True
                promised = comma
            else:
                ended = False  # the end line was damage inside the record
        if bare == b"{" and not closed:
            if start >= 0:
                done = elements(at)
                yield from done
                index += len(done)
            elif records and not comma:
                yield ("separator", None, at, at, b"")
            start, piece, ended, comma, headless = at, bytearray(line), False, False, False
            records += 1
            continue
        if start >= 0:
            piece += line
            if bare in (b"}", b"},"):
                ended, comma = True, bare == b"},"
            continue
        if not s:
            continue
        if not opened and not records and s != b"[":  # the array's "[" line is damaged: the records go on
            opened = True
            yield ("junk", None, at, at + len(bare), s[:_SNIPPET])
        elif s == b"[" and not opened:
            opened = True
        elif s == b"]" and opened and not closed:
            closed = True
            if comma:
                yield ("separator", None, at, at, b"")
        elif opened and not closed:  # a record whose "{" line is damaged
            start, piece, ended, records, headless = at, bytearray(line), False, records + 1, True
            promised = comma or records == 1
        else:
            yield ("junk", None, at, at + len(bare), s[:_SNIPPET])
    if start >= 0 and not ended and headless:
        # Lines that never had a "{" line, up to the end: a record (when the one before it ended
        # with ",", or when they parse: a scalar, an array) or junk, then the array's "]".
        body = bytes(piece).rstrip()
        last = body.rfind(b"\n")
        if body[last + 1 :].rstrip(b"\r") == b"]":
            body, closed = body[: last + 1], True
        if promised or _parses(body.rstrip().rstrip(b",")):
            piece = bytearray(body)
            yield from elements(start + len(body))
        elif body.strip():
            yield ("junk", None, start, start + len(body), body.strip()[:_SNIPPET])
        if not closed:
            yield ("unclosed", None, pos, pos, b"")
        return
    if start >= 0 and not ended:
        yield ("truncated", index, start, pos, b"")
        return
    if start >= 0:
        yield from elements(pos)
    if opened and not closed:
        yield ("unclosed", None, pos, pos, b"")


def _separator_variants() -> "re.Pattern[bytes]":
    """The file sink's separator between two records (``\\n},\\n{\\n``) with one byte changed,
    dropped or added: inside a record, whose nested lines are all indented, nothing looks like
    it, so a record that holds one is two records whose separator was damaged."""
    sep = b"\n},\n{\n"
    variants: Set[bytes] = set()
    for i in range(len(sep) + 1):
        if i < len(sep):
            variants.add(re.escape(sep[:i]) + b"." + re.escape(sep[i + 1 :]))  # changed
            variants.add(re.escape(sep[:i] + sep[i + 1 :]))  # dropped
        variants.add(re.escape(sep[:i]) + b"." + re.escape(sep[i:]))  # added
    return re.compile(b"|".join(sorted(variants, key=lambda v: -len(bytes(v)))), re.DOTALL)


_DAMAGED_SEPARATOR = _separator_variants()


def _split_at_damaged_separators(data: bytes) -> List[Tuple[int, bytes]]:
    """``data`` (one record's lines) cut where a damaged separator shows a second record starting:
    ``(offset, bytes)`` pairs. The cut is at the second record's ``{`` (when the damage spared it),
    so the bytes of neither record change: a damaged byte still costs the record it belongs to."""
    out: List[Tuple[int, bytes]] = []
    begin = 0
    for m in _DAMAGED_SEPARATOR.finditer(data, 1):
        brace = data.rfind(b"{", m.start(), m.end())
        cut = brace if brace > m.start() else m.end()
        out.append((begin, data[begin:cut]))
        begin = cut
    out.append((begin, data[begin:]))
    return out


def _parses(data: bytes) -> bool:
    try:
        loads(data)
    except ValueError:
        return False
    return True


def _parse_slice(raw: bytes, start: int, end: int, name: str, index: Optional[int], record: RecordFn) -> Item:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return InputError(
            f"not valid UTF-8 (byte {start + e.start}): record skipped",
            file=name,
            index=index,
            position=f"bytes {start}-{end}",
        )
    try:
        obj = std_loads(text)
    except ValueError as e:  # (a NestingError too)
        msg = getattr(e, "msg", str(e))
        at = start + len(text[: getattr(e, "pos", 0)].encode("utf-8"))
        return InputError(
            f"invalid JSON ({msg} at byte {at}): record skipped",
            file=name,
            index=index,
            position=f"bytes {start}-{end}",
        )
    return record(obj, Origin(name, index))


# (kind, record index or None, start byte, end byte, bytes: the record, or a snippet of junk)
ScanEvent = Tuple[str, Optional[int], int, int, bytes]
_SNIPPET = 40


def _coalesce(events: Iterator[ScanEvent]) -> Iterator[ScanEvent]:
    """Merge runs of adjacent ``junk`` events into one."""
    pending: Optional[ScanEvent] = None
    for ev in events:
        if ev[0] == "junk":
            pending = (
                ev if pending is None else ("junk", None, pending[2], ev[3], (pending[4] + b" " + ev[4])[:_SNIPPET])
            )
            continue
        if pending is not None:
            yield pending
            pending = None
        yield ev
    if pending is not None:
        yield pending


def _scan(f: IO[bytes], base: int, elem_depth: int, chunk: int = _CHUNK) -> Iterator[ScanEvent]:
    """Yield the top-level records of ``f`` (from byte ``base``) as :data:`ScanEvent` tuples.

    kinds: ``element`` (balanced, to be parsed), ``broken`` (cut short by a column-0 brace),
    ``truncated`` (the file ends inside it), ``junk`` (non-record content at the top level),
    ``unclosed`` (the array never closes). Tokens never cross a newline, so the file is scanned
    in chunks cut after a newline.
    """
    f.seek(base)
    buf = bytearray()
    buf_at = base  # file offset of buf[0]
    pos = base  # file offset where scanning resumes
    depth = index = 0
    start = -1  # file offset of the current record, -1 between records
    pretty: Optional[bool] = None
    in_array = elem_depth == 0  # values have no enclosing array
    closed = False
    eof = False
    need_comma = trailing = False  # between array elements: one comma each, none after the last
    while not eof:
        data = f.read(chunk)
        eof = not data
        buf += data
        if eof:
            limit = buf_at + len(buf)
        else:
            nl = buf.rfind(b"\n", pos - buf_at)
            if nl < 0:
                continue  # no complete line yet
            limit = buf_at + nl + 1
        for m in _TOKEN.finditer(buf, pos - buf_at, limit - buf_at):
            i = m.start()
            at = buf_at + i
            c = buf[i]
            col0 = at == base or buf[i - 1] == 0x0A
            if c == 0x7B or c == 0x5B:  # { [
                if not in_array and depth == 0 and elem_depth == 1:
                    if c == 0x5B and not closed:
                        in_array, depth = True, 1
                    else:
                        yield ("junk", None, at, buf_at + m.end(), bytes(buf[i : i + _SNIPPET]))
                    continue
                if depth == elem_depth:
                    start = at
                    if need_comma and elem_depth == 1:
                        yield ("separator", None, at, at, b"")
                    need_comma = trailing = False
                    if pretty is None:
                        pretty = col0 and c == 0x7B and buf[m.end() : m.end() + 6] == b'\n    "'
                elif pretty and col0 and c == 0x7B and start >= 0:
                    # a new top-level record begins: the current one never balanced
                    yield ("broken", index, start, at, b"")
                    index += 1
                    start, depth = at, elem_depth
                depth += 1
            elif c == 0x7D or c == 0x5D:  # } ]
                if depth <= elem_depth:
                    if elem_depth == 1 and depth == 1 and c == 0x5D:
                        depth, in_array, closed = 0, False, True
                        if trailing:
                            yield ("separator", None, at, at, b"")
                    else:
                        yield ("junk", None, at, buf_at + m.end(), bytes(buf[i : i + _SNIPPET]))
                    continue
                if pretty and col0 and c == 0x7D and depth > elem_depth + 1:
                    depth = elem_depth + 1  # a column-0 brace closes the top-level record
                depth -= 1
                if depth == elem_depth:
                    yield ("element", index, start, buf_at + m.end(), bytes(buf[start - buf_at : m.end()]))
                    index += 1
                    start = -1
                    need_comma = True
            elif c == 0x2C:  # , (only the commas between the array's elements matter)
                if depth == elem_depth and in_array and elem_depth == 1:
                    if not need_comma:
                        yield ("separator", None, at, at, b"")
                    need_comma, trailing = False, True
            elif depth == elem_depth and in_array:  # a scalar (or garbage) where a record belongs
                if need_comma and elem_depth == 1:
                    yield ("separator", None, at, at, b"")
                yield ("element", index, at, buf_at + m.end(), bytes(m.group()))
                index += 1
                need_comma, trailing = True, False
            elif depth < elem_depth or not in_array:
                yield ("junk", None, at, buf_at + m.end(), bytes(m.group()[:_SNIPPET]))
        pos = limit
        keep = (start if start >= 0 else pos) - 1  # one byte more, for the column-0 test
        if keep > buf_at:
            del buf[: keep - buf_at]
            buf_at = keep
    end = buf_at + len(buf)
    if depth > elem_depth and start >= 0:
        yield ("truncated", index, start, end, b"")
    elif elem_depth == 1 and in_array:
        yield ("unclosed", None, end, end, b"")
