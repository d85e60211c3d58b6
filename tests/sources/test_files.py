"""Streaming readers: every input shape, bad input, bounded memory (formats.md §1)."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys
import textwrap
from typing import Any, Callable, List, Tuple

import pytest
from datahub.ingestion.sink.file import _to_obj_for_file
from datahub.metadata import schema_classes as m

from litemeta.errors import InputError
from litemeta.model.codec import LegacyMCE, record_to_obj, write_metadata_file
from litemeta.model.proposal import Proposal
from litemeta.sources import files
from litemeta.sources.files import input_kind, read_proposals, read_records
from tests.sdkcorpus import build_records

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"


def _mcp(i: int) -> dict:
    return {
        "entityType": "corpuser",
        "entityUrn": f"urn:li:corpuser:u{i}",
        "changeType": "UPSERT",
        "aspectName": "status",
        "aspect": {"json": {"removed": False}},
    }


def _split(items: List[Any]) -> Tuple[List[Any], List[Exception]]:
    return [x for x in items if not isinstance(x, Exception)], [x for x in items if isinstance(x, Exception)]


def _urns(records: List[Any]) -> List[str]:
    return [r.urn if isinstance(r, LegacyMCE) else r.entity_urn for r in records]


def _sdk_urns(records: List[Any]) -> List[str]:
    return [r.proposedSnapshot.urn if isinstance(r, m.MetadataChangeEventClass) else r.entityUrn for r in records]


# ------------------------------------------------------------------------------- valid inputs
@pytest.mark.parametrize("size,seed", [(400, 1), (1200, 11)])
def test_read_then_write_is_byte_identical(
    corpus_file: Callable[..., pathlib.Path], size: int, seed: int, tmp_path: pathlib.Path
) -> None:
    """formats.md §1: SDK corpus -> litemeta reader -> litemeta writer gives the SDK's bytes back."""
    path = corpus_file(size, seed)
    items = list(read_records([str(path)]))
    records, errors = _split(items)
    assert errors == []
    assert [r.origin.index for r in records] == list(range(size))
    assert {r.origin.file for r in records} == {str(path)}
    out = tmp_path / "out.json"
    write_metadata_file(out, records)
    assert out.read_bytes() == path.read_bytes()


def test_folder_is_read_sorted_json_and_jsonl_only(tmp_path: pathlib.Path) -> None:
    (tmp_path / "b.json").write_text(json.dumps([_mcp(1), _mcp(2)]))
    (tmp_path / "a.jsonl").write_text(json.dumps(_mcp(0)) + "\n")
    (tmp_path / "c.json").write_text(json.dumps(_mcp(3)))
    (tmp_path / "notes.txt").write_text("not metadata")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.json").write_text(json.dumps([_mcp(9)]))
    assert input_kind(str(tmp_path)) == "directory"
    records, errors = _split(list(read_records([str(tmp_path)])))
    assert errors == []
    assert _urns(records) == [f"urn:li:corpuser:u{i}" for i in range(4)]
    assert [pathlib.Path(r.origin.file).name for r in records] == ["a.jsonl", "b.json", "b.json", "c.json"]


def test_stdin(monkeypatch: pytest.MonkeyPatch, corpus_file: Callable[..., pathlib.Path]) -> None:
    path = corpus_file(300, 4)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    records, errors = _split(list(read_records(["-"])))
    assert errors == [] and len(records) == 300
    assert records[5].origin.file == "-" and records[5].origin.index == 5
    assert _urns(records) == _sdk_urns(build_records(300, 4))


def test_json_lines_by_suffix_and_by_content(tmp_path: pathlib.Path) -> None:
    objs = [_to_obj_for_file(r) for r in build_records(200, 2)]
    text = "\n".join(json.dumps(o) for o in objs) + "\n"
    for name in ("x.jsonl", "x.json"):
        (tmp_path / name).write_text(text)
        records, errors = _split(list(read_records([str(tmp_path / name)])))
        assert errors == []
        assert [record_to_obj(r) for r in records] == objs


def test_single_top_level_object(tmp_path: pathlib.Path) -> None:
    """DataHub's file source accepts a single object instead of an array."""
    (tmp_path / "one.json").write_text(json.dumps(_mcp(1), indent=4))
    records, errors = _split(list(read_records([str(tmp_path / "one.json")])))
    assert errors == [] and _urns(records) == ["urn:li:corpuser:u1"]


def test_utf8_bom_is_skipped(tmp_path: pathlib.Path) -> None:
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([_mcp(1)]).encode())
    records, errors = _split(list(read_records([str(tmp_path / "bom.json")])))
    assert errors == [] and len(records) == 1


def test_read_proposals_expands_mces(corpus_file: Callable[..., pathlib.Path], registry: Any) -> None:
    sdk = build_records(600, 8)
    path = corpus_file(600, 8)
    expected = sum(len(r.proposedSnapshot.aspects) if isinstance(r, m.MetadataChangeEventClass) else 1 for r in sdk)
    items = list(read_proposals([str(path)], registry))
    assert all(isinstance(p, Proposal) for p in items)
    assert len(items) == expected > 600


# --------------------------------------------------------------------------------- bad inputs
def _records_of(path: pathlib.Path) -> List[bytes]:
    """Byte slices of the top-level records of an SDK-written file (split at the SDK's separator)."""
    body = path.read_bytes()[2:-2]
    parts = body.split(b"\n},\n{")
    return [(b"" if i == 0 else b"{") + p + (b"" if i == len(parts) - 1 else b"\n}") for i, p in enumerate(parts)]


def _rewrite(path: pathlib.Path, parts: List[bytes]) -> None:
    path.write_bytes(b"[\n" + b",\n".join(parts) + b"\n]")


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda rec: rec.replace(b'"aspectName"', b'"aspectName" ### [[[{{', 1), id="unbalanced-garbage"),
        pytest.param(lambda rec: rec.replace(b'"changeType"', b'"changeType\x00\x01 "lone', 1), id="stray-quote"),
        pytest.param(lambda rec: rec.replace(b'"entityUrn": "', b'"entityUrn": "\xff\xfe', 1), id="non-utf8"),
        pytest.param(lambda rec: rec[: len(rec) // 2], id="cut-in-half"),
    ],
)
@pytest.mark.parametrize("chunk", [None, 97], ids=["chunk-4MB", "chunk-97B"])
def test_broken_record_in_the_middle_costs_only_itself(
    corpus_file: Callable[..., pathlib.Path], damage: Any, chunk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunk:
        monkeypatch.setattr(files, "_CHUNK", chunk)  # the recovery scan must not depend on chunk boundaries
    path = corpus_file(400, 3)
    parts = _records_of(path)
    k = 150
    parts[k] = damage(parts[k])
    _rewrite(path, parts)
    records, errors = _split(list(read_records([str(path)])))
    assert len(errors) == 1, [str(e) for e in errors]
    err = errors[0]
    assert isinstance(err, InputError) and err.file == str(path) and f"record #{k}" in str(err)
    assert "byte" in str(err)
    sdk_urns = _sdk_urns(build_records(400, 3))
    assert _urns(records) == sdk_urns[:k] + sdk_urns[k + 1 :]
    assert [r.origin.index for r in records] == [i for i in range(400) if i != k]


def test_truncated_array_yields_everything_before(corpus_file: Callable[..., pathlib.Path]) -> None:
    path = corpus_file(300, 6)
    data = path.read_bytes()
    parts = _records_of(path)
    cut = len(b"[\n" + b",\n".join(parts[:200])) + 40  # inside record 200
    path.write_bytes(data[:cut])
    records, errors = _split(list(read_records([str(path)])))
    assert len(records) == 200
    assert len(errors) == 1 and "record #200" in str(errors[0]) and "truncated" in str(errors[0])
    assert f"file ends at byte {cut}" in str(errors[0])


def test_unclosed_array_keeps_all_records(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "open.json"
    p.write_text("[\n" + ",\n".join(json.dumps(_mcp(i), indent=4) for i in range(5)))
    records, errors = _split(list(read_records([str(p)])))
    assert len(records) == 5 and len(errors) == 1 and "not closed" in str(errors[0])


def test_trailing_garbage_after_array(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "t.json"
    p.write_text(json.dumps([_mcp(0), _mcp(1)]) + ' {"x": [1, 2]} tail')
    records, errors = _split(list(read_records([str(p)])))
    assert len(records) == 2
    assert len(errors) == 1 and "unexpected content" in str(errors[0]) and "bytes " in str(errors[0])


def test_compact_array_with_garbage_resyncs(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "c.json"
    p.write_text("[" + ",".join(json.dumps(_mcp(i)) for i in range(3)) + ", {### }, " + json.dumps(_mcp(3)) + "]")
    items = list(read_records([str(p)]))
    records, errors = _split(items)
    assert _urns(records) == [f"urn:li:corpuser:u{i}" for i in range(4)]
    assert len(errors) == 1 and "record #3" in str(errors[0]) and "invalid JSON" in str(errors[0])


def test_records_of_unknown_shape_are_reported_and_skipped(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "u.json"
    p.write_text(json.dumps([_mcp(0), {"bucket": 1}, {"hello": "world"}, 42, _mcp(1)]))
    items = list(read_records([str(p)]))
    assert [type(x).__name__ for x in items] == [
        "Proposal",
        "ValidationError",
        "ValidationError",
        "ValidationError",
        "Proposal",
    ]
    assert items[2].index == 2 and items[2].file == str(p) and "hello" in str(items[2])
    assert "UsageAggregation" in str(items[1])


def test_json_lines_bad_line_is_skipped(tmp_path: pathlib.Path) -> None:
    p = tmp_path / "l.jsonl"
    p.write_bytes(b"\n".join([json.dumps(_mcp(0)).encode(), b"{not json", b"\xff\xfe", json.dumps(_mcp(1)).encode()]))
    records, errors = _split(list(read_records([str(p)])))
    assert _urns(records) == ["urn:li:corpuser:u0", "urn:li:corpuser:u1"]
    assert [e.position.split(" (")[0] for e in errors] == ["line 2", "line 3"]
    assert [e.index for e in errors] == [1, 2]  # issue 15: the record is named
    assert "UTF-8" in str(errors[1])


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "empty file"),
        (b"   \n\t ", "empty file"),
        (b"hello world", "not a metadata file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a metadata file"),
    ],
)
def test_unreadable_files(tmp_path: pathlib.Path, content: bytes, expected: str) -> None:
    p = tmp_path / "bad.json"
    p.write_bytes(content)
    items = list(read_records([str(p), str(tmp_path / "missing.json")]))
    assert len(items) == 2 and all(isinstance(x, InputError) for x in items)
    assert expected in str(items[0]) and items[0].file == str(p)
    assert "no such file" in str(items[1]) and items[1].file == str(tmp_path / "missing.json")


def test_sniffer_extension_point(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A later format registers a sniffer and a reader; read_records dispatches to it."""
    p = tmp_path / "x.custom"
    p.write_text("anything")
    monkeypatch.setattr(files, "SNIFFERS", [lambda path: "custom" if path.endswith(".custom") else None])
    monkeypatch.setitem(files.READERS, "custom", lambda path: iter([InputError("custom reader", file=path)]))
    assert input_kind(str(p)) == "custom"
    assert str(next(read_records([str(p)]))).endswith("custom reader")


# ------------------------------------------------------------------------------------- memory
@pytest.mark.slow
def test_large_array_is_streamed_in_bounded_memory(tmp_path: pathlib.Path) -> None:
    """A ~50 MB array is read with a small, size-independent memory footprint (peak RSS delta),
    also when it is truncated and the reader falls back to its recovery scan."""
    unit = [json.dumps(_to_obj_for_file(r), indent=4) for r in build_records(1000, 12)]
    big = tmp_path / "big.json"
    n = 0
    with open(big, "w") as f:
        f.write("[\n")
        while f.tell() < 50 * 1024 * 1024:
            for u in unit:
                f.write(",\n" if n else "")
                f.write(u)
                n += 1
        f.write("\n]")
    size = big.stat().st_size
    script = textwrap.dedent(f"""
        import resource, sys
        from litemeta.sources.files import read_records
        import litemeta.model.codec, litemeta.errors
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        count = errors = 0
        for item in read_records([{str(big)!r}]):
            count += 1
            errors += isinstance(item, Exception)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(count, errors, (after - before) * 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    count, errors, delta = int(out[0]), int(out[1]), int(out[2])
    assert (count, errors) == (n, 0)
    assert delta < min(size // 5, 20 * 1024 * 1024), f"peak RSS grew by {delta} bytes reading a {size}-byte file"

    os.truncate(big, size * 3 // 5)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    count, errors, delta = int(out[0]), int(out[1]), int(out[2])
    assert errors == 1 and n * 3 // 5 - 2 <= count - errors <= n * 3 // 5 + 2
    assert delta < min(size // 5, 20 * 1024 * 1024), f"peak RSS grew by {delta} bytes recovering a truncated file"


# ------------------------------------------------------------- the file-sink layout fast path
def _ijson_only(monkeypatch: pytest.MonkeyPatch, path: pathlib.Path) -> List[Any]:
    """What the streaming parser alone reads (the fast path switched off)."""
    with monkeypatch.context() as mp:
        mp.setattr(files, "_read_sink_layout", _no_fast)
        return list(read_records([str(path)]))


def _no_fast(f: Any, name: str, base: int) -> Any:
    return 0  # hands the whole array to the streaming parser
    yield  # pragma: no cover - makes this a generator


def _shown(items: List[Any]) -> List[Any]:
    return [(type(x).__name__, str(x)) if isinstance(x, Exception) else (type(x).__name__, x) for x in items]


@pytest.mark.parametrize("chunk", [None, 97], ids=["chunk-4MB", "chunk-97B"])
def test_sink_layout_is_read_without_the_streaming_parser(
    corpus_file: Callable[..., pathlib.Path], chunk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK's file sink layout (formats.md §1) is read whole by the fast path, with the very
    records the streaming parser gives."""
    path = corpus_file(600, 4)
    expected = _shown(_ijson_only(monkeypatch, path))
    if chunk:
        monkeypatch.setattr(files, "_CHUNK", chunk)

    def no_ijson(*a: Any, **k: Any) -> Any:
        raise AssertionError("the streaming parser was used for a file-sink file")

    monkeypatch.setattr(files._ijson, "items", no_ijson)
    assert _shown(list(read_records([str(path)]))) == expected
    assert len(expected) == 600 and all(kind in ("Proposal", "LegacyMCE") for kind, _ in expected)


def _layouts(records: List[dict]) -> dict:
    sink = b"[\n" + b",\n".join(json.dumps(r, indent=4).encode() for r in records) + b"\n]"
    return {
        "sink": sink,
        "crlf": sink.replace(b"\n", b"\r\n"),
        "indent-0": json.dumps(records, indent=0).encode(),  # every brace in column 0
        "indent-2": json.dumps(records, indent=2).encode(),
        "compact": json.dumps(records).encode(),
        "nan-in-record-3": sink.replace(b'"urn:li:corpuser:u3",', b'"urn:li:corpuser:u3", "n": NaN,', 1),
        "trailing-comma": sink[:-2] + b",\n]",
        "junk-after": sink + b"\n]]",
        "space-after": sink + b"\n\n  \t",
        "empty": b"[\n]",
        "not-an-object-at-2": sink.replace(json.dumps(records[2], indent=4).encode(), b"42", 1),
        "truncated": sink[: len(sink) * 2 // 3],
        "broken-record-4": sink.replace(b'"entityUrn": "urn:li:corpuser:u4"', b'"entityUrn" "urn:li:corpuser:u4"', 1),
    }


@pytest.mark.parametrize("layout", list(_layouts([_mcp(i) for i in range(8)])))
@pytest.mark.parametrize("chunk", [None, 61], ids=["chunk-4MB", "chunk-61B"])
def test_any_other_layout_reads_as_the_streaming_parser_reads_it(
    tmp_path: pathlib.Path, layout: str, chunk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the fast path stops (another layout, text orjson refuses, a broken record), the
    streaming parser goes on after the records already read: same records, same errors."""
    records = [_mcp(i) for i in range(8)]
    data = _layouts(records)[layout]
    path = tmp_path / f"{layout}.json"
    path.write_bytes(data)
    expected = _shown(_ijson_only(monkeypatch, path))
    if chunk:
        monkeypatch.setattr(files, "_CHUNK", chunk)
    assert _shown(list(read_records([str(path)]))) == expected


# ------------------------------------------------- damaged file-sink files (issue 15 item 3)
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(
            lambda rec: rec.replace(b'\n    "changeType"', b'\n}   "changeType"', 1), id="brace-over-column-0"
        ),
        pytest.param(
            lambda rec: rec.replace(b'\n    "aspectName"', b'\n}\n    "aspectName"', 1), id="brace-line-inserted"
        ),
        pytest.param(
            lambda rec: rec.replace(b'\n    "aspectName"', b'\n},\n    "aspectName"', 1), id="record-end-inserted"
        ),
        pytest.param(lambda rec: rec.replace(b"{\n", b"#\n", 1), id="record-start-overwritten"),
    ],
)
@pytest.mark.parametrize("k", [0, 150, 399])
def test_a_damaged_record_costs_only_itself_and_every_later_record_keeps_its_number(
    corpus_file: Callable[..., pathlib.Path], damage: Any, k: int
) -> None:
    """Issue 15 item 3: a `}` in column 0 inside a record used to make the records after it be
    reported as one skipped byte range. The file-sink layout is cut at its lines, so the reader
    resynchronises at the next record and names the damaged span by record number."""
    path = corpus_file(400, 3)
    parts = _records_of(path)
    parts[k] = damage(parts[k])
    _rewrite(path, parts)
    records, errors = _split(list(read_records([str(path)])))
    sdk_urns = _sdk_urns(build_records(400, 3))
    others = [i for i in range(400) if i != k]
    assert [r.origin.index for r in records] == others
    assert _urns(records) == [sdk_urns[i] for i in others]
    assert len(errors) == 1, [str(e) for e in errors]
    assert f"record #{k}" in str(errors[0]) and "bytes " in str(errors[0])


@pytest.mark.parametrize("layout", ["sink", "compact"])
@pytest.mark.parametrize("value", [b"NaN", b"-Infinity", b"1180591620717411303424", b'"\\udc80"'])
def test_values_only_the_standard_library_reads_are_records_not_file_errors(
    tmp_path: pathlib.Path, layout: str, value: bytes
) -> None:
    """Issue 15 items 1 and 4: a record with NaN, an integer beyond 64 bits or a lone surrogate
    escape is read as a record (validation then rejects it, naming the field), never reported as
    a broken file with an extra error that counts the record twice."""
    records = [_mcp(i) for i in range(5)]
    data = _layouts(records)["sink"] if layout == "sink" else json.dumps(records).encode()
    data = data.replace(b'"removed": false', b'"removed": ' + value, 1)
    path = tmp_path / "v.json"
    path.write_bytes(data)
    items = list(read_records([str(path)]))
    assert [type(x).__name__ for x in items] == ["Proposal"] * 5
