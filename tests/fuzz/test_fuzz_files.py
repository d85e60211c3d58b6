"""Property-based fuzzing of ``check metadata-file`` and ``ingest`` (issue 15, "beyond the fixes").

A small valid DataHub file (SDK-built records of distinct entities: MCPs of versioned and
timeseries aspects, a legacy MCE) is damaged two ways:

- **record mutations** (:func:`test_record_mutations`): one record gets hostile values at one of
  its paths (wrong types, missing and unknown fields, bad urns, huge and deeply nested values,
  NaN and infinities, lone surrogates, NUL and control characters), written as the file sink
  writes it, as one compact array, or as JSON Lines;
- **byte damage** (:func:`test_byte_damage`, :func:`test_truncation_at_every_byte`): a byte
  flipped, a NUL or invalid UTF-8 byte inserted, a byte dropped, or the file cut short.

Each example goes through the real CLI (``CliRunner`` with ``catch_exceptions=False``: a traceback
fails the example) into a fresh store, and these properties are checked:

1. no traceback;
2. the exit code is non-zero iff something was rejected (the report's ``failed``);
3. every rejected record is named (its index in range; counts never exceed the file's records),
   and ``check`` rejects exactly the records ``ingest`` rejects;
4. every record the damage did not touch is stored, with its value;
5. a rejected record leaves no aspect, MCL or platform event.

Examples per property: 20 in the normal suite (profile ``quick``), 500 with ``-m slow``
(profile ``slow``, tests/conftest.py); truncation covers every byte of the file with ``-m slow``.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import tempfile
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest
from click.testing import CliRunner
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m
from hypothesis import assume, given, note
from hypothesis import strategies as st

from litemeta.cli import main
from litemeta.model.events import MCL_TIMESERIES_TOPIC, MCL_VERSIONED_TOPIC, PLATFORM_EVENT_TOPIC
from litemeta.store import open_store

pytestmark = pytest.mark.slow

T0 = 1_700_000_000_000


def _ds(name: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:hive,fuzz.{name},PROD)"


def _base_records() -> List[Dict[str, Any]]:
    """Valid records of distinct urns, as the SDK writes them (file-sink dicts)."""
    sm = m.SystemMetadataClass(lastObserved=T0, runId="fuzz")
    mcps = [
        MCPW(
            entityUrn=_ds("a"),
            aspect=m.DatasetPropertiesClass(description="table a", customProperties={"k": "v"}),
            systemMetadata=sm,
        ),
        MCPW(
            entityUrn="urn:li:corpuser:fuzz.b",
            aspect=m.CorpUserInfoClass(active=True, displayName="B", email="b@example.com"),
            systemMetadata=sm,
        ),
        MCPW(
            entityUrn=_ds("c"),
            aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag="urn:li:tag:pii")]),
            systemMetadata=sm,
        ),
        MCPW(
            entityUrn=_ds("d"),
            aspect=m.DatasetProfileClass(
                timestampMillis=T0,
                rowCount=10,
                fieldProfiles=[m.DatasetFieldProfileClass(fieldPath="x", nullProportion=0.25)],
            ),
            systemMetadata=sm,
        ),
    ]
    records = [dict(p.to_obj(simplified_structure=True)) for p in mcps]
    mce = m.MetadataChangeEventClass(
        proposedSnapshot=m.ChartSnapshotClass(
            urn="urn:li:chart:(looker,fuzz.e)",
            aspects=[
                m.ChartInfoClass(title="E", description="chart e", lastModified=m.ChangeAuditStampsClass()),
                m.StatusClass(removed=False),
            ],
        ),
        systemMetadata=sm,
    )
    records.insert(2, mce.to_obj())
    records.append(
        dict(
            MCPW(entityUrn=_ds("f"), aspect=m.StatusClass(removed=False), systemMetadata=sm).to_obj(
                simplified_structure=True
            )
        )
    )
    return records


BASE = _base_records()


def _expected(rec: Dict[str, Any]) -> List[Tuple[str, str, Any]]:
    """(urn, aspect, value) a valid record stores."""
    if "proposedSnapshot" in rec:
        ((_, snap),) = rec["proposedSnapshot"].items()
        out = []
        for a in snap["aspects"]:
            ((cls, value),) = a.items()
            name = {
                "com.linkedin.pegasus2avro.chart.ChartInfo": "chartInfo",
                "com.linkedin.pegasus2avro.common.Status": "status",
            }[cls]
            out.append((snap["urn"], name, value))
        return out
    return [(rec["entityUrn"], rec["aspectName"], rec["aspect"]["json"])]


def _urn_of(rec: Any) -> Optional[str]:
    if not isinstance(rec, dict):
        return None
    if isinstance(rec.get("proposedSnapshot"), dict) and len(rec["proposedSnapshot"]) == 1:
        snap = next(iter(rec["proposedSnapshot"].values()))
        return snap.get("urn") if isinstance(snap, dict) and isinstance(snap.get("urn"), str) else None
    urn = rec.get("entityUrn")
    return urn if isinstance(urn, str) else None


# ----------------------------------------------------------------------------- hostile values
_DEEP = "\x00deep:{}\x00"  # a placeholder the writer replaces with N nested arrays (json.dumps cannot write them)

urns = st.sampled_from(
    [
        "urn:li:dataset:(notaplatformurn,x,PROD)",
        "urn:li:dataset:(urn:li:dataPlatform:hive,a\nb,PROD)",
        "urn:li:dataset:(urn:li:dataPlatform:hive,\udc80,PROD)",
        "urn:li:corpuser:\x00",
        " urn:li:corpuser:x",
        "urn:li:corpuser:x\u241f",
        "urn:li:dataset:(urn:li:dataPlatform:hive,x)",
        "urn:li:nosuchentity:x",
        "urn:li:dataset:(urn:li:dataPlatform:hive,x,NOTANENV)",
        "urn:li:corpuser:" + "x" * 600,
        "urn",
        "",
        "urn:li:dataJob:(urn:li:dataset:(urn:li:dataPlatform:hive,x,PROD),j)",
        "urn:li:corpuser:fuzz.fresh",
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -0.0, 253_402_300_800_000, -1, 2**63]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec=None, categories=("Cs", "Cc")), min_size=1, max_size=5),
    st.sampled_from(["x" * 100_000, "\x00", "UPSERT", "PATCH", "DELETE", "CREATE", "RESTATE", "yesterday"]),
    urns,
    st.integers(min_value=1000, max_value=3000).map(lambda n: _DEEP.format(n)),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: Tuple[Any, ...] = ()) -> Iterator[Tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw: Any) -> Tuple[int, Dict[str, Any], Any, str]:
    """(index of the mutated record, the records, a description, the layout)."""
    records = json.loads(json.dumps(BASE))
    k = draw(st.integers(0, len(records) - 1))
    rec = records[k]
    paths = [p for p in _paths(rec) if p]
    kind = draw(st.sampled_from(["set", "set", "set", "delete", "add", "replace"]))
    if kind == "replace":
        records[k] = draw(values)
        what: Any = ("replace", records[k])
    else:
        path = draw(st.sampled_from(paths))
        parent = rec
        for p in path[:-1]:
            parent = parent[p]
        if kind == "set":
            parent[path[-1]] = draw(values)
        elif kind == "delete":
            if isinstance(parent, dict):
                del parent[path[-1]]
            else:
                parent.pop(path[-1])
        else:
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else rec
            target[draw(st.text(min_size=1, max_size=10))] = draw(values)
        what = (kind, path)
    layout = draw(st.sampled_from(["sink", "compact", "jsonl"]))
    return k, records, what, layout


def _render(records: List[Any], layout: str) -> bytes:
    """The file as DataHub's file sink (json.dumps(indent=4), ASCII escapes), one array or JSON Lines."""
    if layout == "sink":
        text = "[\n" + ",\n".join(json.dumps(r, indent=4) for r in records) + "\n]"
    elif layout == "compact":
        text = json.dumps(records)
    else:
        text = "\n".join(json.dumps(r) for r in records) + "\n"
    text = re.sub(r'"\\u0000deep:(\d+)\\u0000"', lambda mt: "[" * int(mt.group(1)) + "]" * int(mt.group(1)), text)
    return text.encode("utf-8")


# ----------------------------------------------------------------------------------- running
class Run:
    """One example: ``check`` and ``ingest`` of a file into a fresh store, and what they said."""

    def __init__(self, data: bytes, suffix: str = ".json") -> None:
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="litemeta-fuzz-"))
        self.file = self.dir / f"in{suffix}"
        self.file.write_bytes(data)
        self.db = str(self.dir / "s.db")
        runner = CliRunner()
        checked = runner.invoke(main, ["check", "metadata-file", str(self.file), "--json"], catch_exceptions=False)
        ingested = runner.invoke(main, ["ingest", str(self.file), "--db", self.db, "--json"], catch_exceptions=False)
        for r in (checked, ingested):  # property 1: no traceback
            assert "Traceback" not in r.output, r.output
        self.check_code, self.check = checked.exit_code, json.loads(checked.output.splitlines()[-1])
        self.code, self.report = ingested.exit_code, json.loads(ingested.output.splitlines()[-1])

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def rejected(self) -> Set[int]:
        return {e["index"] for e in self.report["errors"] if e.get("index") is not None}

    def check_rejected(self) -> Set[int]:
        return {e["index"] for e in self.check["errors"] if e.get("index") is not None}

    def exit_codes_say_what_was_rejected(self) -> None:
        """Property 2."""
        assert (self.code != 0) == (self.report["failed"] > 0), self.report
        assert (self.check_code != 0) == bool(self.check["invalid"] or self.check["errors"]), self.check

    def stored(self, store: Any, urn: str, aspect: str, value: Any) -> bool:
        if aspect == "datasetProfile":
            return value in store.timeseries(urn, aspect)
        return store.get(urn, [aspect]).get(aspect) == value

    def no_trace(self, store: Any, urn: str) -> None:
        """Property 5: nothing of ``urn`` in the rows, the change log or the platform events."""
        assert store.get(urn) == {}, urn
        for topic in (MCL_VERSIONED_TOPIC, MCL_TIMESERIES_TOPIC):
            assert [r for r in store.read_topic(topic) if r.key == urn] == [], urn
        assert [r for r in store.read_topic(PLATFORM_EVENT_TOPIC) if urn in r.key] == [], urn


# ------------------------------------------------------------------------------ the properties
@given(mutated())
def test_record_mutations(case: Tuple[int, List[Any], Any, str]) -> None:
    """One hostile record among valid ones, in each layout: properties 1-5."""
    k, records, what, layout = case
    note(f"record {k} {what} layout {layout}")
    run = Run(_render(records, layout), ".jsonl" if layout == "jsonl" else ".json")
    try:
        run.exit_codes_say_what_was_rejected()
        n = len(records)
        # property 3: only the mutated record can be rejected, by index, once; check agrees
        assert run.rejected() <= {k}, run.report["errors"]
        assert all(e.get("index") is not None for e in run.report["errors"]), run.report["errors"]
        assert run.report["records"] == n and run.check["records"] == n
        assert run.check_rejected() == run.rejected(), (run.check["errors"], run.report["errors"])
        mutated_urn = _urn_of(records[k])
        with open_store(run.db, read_only=True) as store:
            for j, rec in enumerate(records):
                if j == k:
                    continue
                for urn, aspect, value in _expected(rec):  # property 4: the neighbours are stored
                    if urn == mutated_urn:
                        continue  # (the mutation gave record k a neighbour's urn)
                    assert run.stored(store, urn, aspect, value), (j, urn, aspect)
            neighbours = {u for j, r in enumerate(records) if j != k for u in [_urn_of(r)]}
            if (
                k in run.rejected()
                and mutated_urn
                and mutated_urn not in neighbours
                and "proposedSnapshot" not in records[k]
                and _encodable(mutated_urn)
            ):
                run.no_trace(store, mutated_urn)  # property 5
    finally:
        run.close()


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


SINK = _render(BASE, "sink")


def _spans(data: bytes) -> List[Tuple[int, int]]:
    """Each record's byte range in the file-sink layout: from its '{' line to its '}' line."""
    starts = [mt.start() + 1 for mt in re.finditer(rb"\n\{\n", data)]
    ends = [mt.start() + 2 for mt in re.finditer(rb"\n\}(?=,\n|\n\])", data)]
    assert len(starts) == len(ends) == len(BASE)
    return list(zip(starts, ends))


SPANS = _spans(SINK)


def _touched(at: int) -> Set[int]:
    """The records a damaged byte may cost: the record it belongs to; for a byte between two
    records (their separator, the lines "[" and "]"), the records on either side of it."""
    for i, (start, end) in enumerate(SPANS):
        if at < start:
            return {j for j in (i - 1, i) if j >= 0}
        if at < end:
            return {i}
    return {len(SPANS) - 1}


def _check_damaged(data: bytes, touched: Set[int]) -> None:
    """Properties 1-5 for a file-sink file whose damage is confined to the records ``touched``."""
    run = Run(data)
    try:
        run.exit_codes_say_what_was_rejected()
        assert run.rejected() <= touched, (touched, run.report["errors"])
        assert run.check_rejected() == run.rejected(), (run.check["errors"], run.report["errors"])
        assert run.report["records"] <= len(BASE) + 1 and run.report["failed"] <= len(touched) + 2
        with open_store(run.db, read_only=True) as store:
            for j, rec in enumerate(BASE):
                if j in touched:
                    continue
                for urn, aspect, value in _expected(rec):
                    assert run.stored(store, urn, aspect, value), (j, urn, aspect, run.report["errors"])
            for j in run.rejected():
                urn = _urn_of(BASE[j])
                if urn and "proposedSnapshot" not in BASE[j]:
                    run.no_trace(store, urn)  # property 5 (no other record has this urn)
    finally:
        run.close()


@given(
    st.integers(0, len(SINK) - 1),
    st.sampled_from(["flip", "nul", "invalid-utf8", "drop", "insert"]),
    st.integers(1, 255),
)
def test_byte_damage(at: int, how: str, byte: int) -> None:
    """One byte of a file-sink file changed, dropped or added: only the record owning it may suffer."""
    data = bytearray(SINK)
    if how == "flip":
        assume(data[at] != byte)
        data[at] = byte
    elif how == "nul":
        data.insert(at, 0)
    elif how == "invalid-utf8":
        data.insert(at, 0xFF)
    elif how == "drop":
        del data[at]
    else:
        data.insert(at, byte)
    touched = _touched(at)
    note(f"{how} {byte} at {at} (records {touched}): {bytes(SINK[max(0, at - 20) : at + 20])!r}")
    _check_damaged(bytes(data), touched)


def test_truncation_at_every_byte(request: pytest.FixtureRequest) -> None:
    """The file cut at each byte (every 37th without -m slow): the records before the cut are
    stored, the cut one is named, and the exit code says so."""
    from tests.conftest import slow_run

    step = 1 if slow_run(request.config) else 37
    for cut in range(0, len(SINK) + 1, step):
        whole = [i for i, (_, end) in enumerate(SPANS) if end <= cut]
        touched = set(range(len(BASE))) - set(whole)
        run = Run(SINK[:cut])
        try:
            run.exit_codes_say_what_was_rejected()
            assert (run.code == 0) == (cut == len(SINK)), (cut, run.report)
            assert run.rejected() <= touched
            with open_store(run.db, read_only=True) as store:
                for j in whole:
                    for urn, aspect, value in _expected(BASE[j]):
                        assert run.stored(store, urn, aspect, value), (cut, j)
        except AssertionError:
            raise AssertionError(f"cut at byte {cut}") from None
        finally:
            run.close()
