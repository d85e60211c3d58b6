"""sources.exports: which inputs are topic exports, and what reading one yields."""
from __future__ import annotations

import json
from pathlib import Path

from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as sc

from litemeta.errors import InputError
from litemeta.followers.export import export, read_export
from litemeta.model.events import MCL_VERSIONED_TOPIC, MCP_TOPIC, TopicRecord
from litemeta.model.proposal import Origin, Proposal
from litemeta.sources.exports import read_export_records, sniff_export

URN = "urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)"


def _mcp_record(offset: int) -> TopicRecord:
    mcp = MCPW(entityUrn=URN, aspect=sc.StatusClass(removed=bool(offset % 2)),
               systemMetadata=sc.SystemMetadataClass(lastObserved=1_700_000_000_000 + offset, runId="r")).make_mcp()
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
    mcl = TopicRecord(MCL_VERSIONED_TOPIC, 0, 0, 1, URN, {**recs[0].value, "created": {"time": 1, "actor": "urn:li:corpuser:x"}})
    export(recs + [mcl], tmp_path)
    got = list(read_export_records(str(tmp_path), read_export))
    assert all(isinstance(p, Proposal) for p in got)
    assert [(p.origin, p.aspect) for p in got] == [(Origin(str(tmp_path), i), {"removed": bool(i % 2)}) for i in range(4)]


def test_without_an_installed_reader_an_error_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("litemeta.sources.exports._reader", None)
    (item,) = list(read_export_records(str(tmp_path)))
    assert isinstance(item, InputError) and "install" in str(item)
