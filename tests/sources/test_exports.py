"""sources.exports: which inputs are topic exports, and what reading one yields."""

from __future__ import annotations

import json
from pathlib import Path

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as sc

from litemeta.followers.export import export
from litemeta.model.events import MCL_VERSIONED_TOPIC, MCP_TOPIC, TopicRecord
from litemeta.model.proposal import Origin, Proposal
from litemeta.sources.exports import read_export_records, sniff_export

URN = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"


def _mcp_record(offset: int) -> TopicRecord:
    mcp = MCPW(
        entityUrn=URN,
        aspect=sc.StatusClass(removed=bool(offset % 2)),
        systemMetadata=sc.SystemMetadataClass(lastObserved=1_700_000_000_000 + offset, runId="r"),
    ).make_mcp()
    return TopicRecord(MCP_TOPIC, 0, offset, 1_700_000_000_000 + offset, URN, json.loads(json.dumps(mcp.to_obj())))


def test_exports_are_recognised_and_ordinary_metadata_files_are_not(tmp_path: Path) -> None:
    recs = [_mcp_record(i) for i in range(3)]
    for fmt in ("kafka-log", "avro", "jsonl"):
        export(recs, tmp_path / fmt, fmt)
        assert sniff_export(str(tmp_path / fmt))
    assert sniff_export(str(tmp_path / "kafka-log" / f"{MCP_TOPIC}-0"))
    assert sniff_export(str(next((tmp_path / "kafka-log" / f"{MCP_TOPIC}-0").glob("*.log"))))
    assert sniff_export(str(tmp_path / "avro" / f"{MCP_TOPIC}.avro"))
    renamed = tmp_path / "mine.jsonl"
    renamed.write_bytes((tmp_path / "jsonl" / f"{MCP_TOPIC}.jsonl").read_bytes())
    assert sniff_export(str(renamed))  # by content: topic records
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.json").write_text("[]")
    (plain / "b.jsonl").write_text(json.dumps({"entityUrn": URN, "aspectName": "status"}) + "\n")
    assert not sniff_export(str(plain)) and not sniff_export(str(plain / "b.jsonl"))
    assert not sniff_export(str(plain / "a.json")) and not sniff_export("-") and not sniff_export(str(tmp_path / "no"))


def test_proposals_carry_their_topic_offset_and_other_topics_are_ignored(tmp_path: Path) -> None:
    recs = [_mcp_record(i) for i in range(4)]
    mcl = TopicRecord(
        MCL_VERSIONED_TOPIC, 0, 0, 1, URN, {**recs[0].value, "created": {"time": 1, "actor": "urn:li:corpuser:x"}}
    )
    export(recs + [mcl], tmp_path)
    got = list(read_export_records(str(tmp_path)))
    assert all(isinstance(p, Proposal) for p in got)
    assert [(p.origin, p.aspect) for p in got] == [
        (Origin(str(tmp_path), i), {"removed": bool(i % 2)}) for i in range(4)
    ]


def test_the_file_readers_read_exports_without_any_wiring(tmp_path: Path) -> None:
    """sources.files sniffs exports itself (no reader injected by the store): a fresh interpreter
    that imports only sources.files reads an export folder's proposals."""
    import subprocess
    import sys

    export([_mcp_record(i) for i in range(3)], tmp_path, "jsonl")
    code = (
        "import sys; from litemeta.sources.files import read_records; "
        "print(sum(1 for r in read_records([sys.argv[1]]) if not isinstance(r, Exception)))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def test_a_plain_json_file_does_not_load_the_export_codecs() -> None:
    """Only an export path imports the export layouts and their codecs (about 50 ms of start-up)."""
    import subprocess
    import sys

    sample = Path(__file__).resolve().parents[2] / "examples" / "sample.json"
    code = (
        "import sys; from litemeta.sources.files import read_records; n = sum(1 for _ in read_records([sys.argv[1]])); "
        "print(n > 0, 'litemeta.formats.export_layout' in sys.modules, 'fastavro' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(sample)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False", "False"]
