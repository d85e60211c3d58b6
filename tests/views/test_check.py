"""views.check: validation of metadata files without a store, errors in their report form
(file, record index, position, urn, aspect, path, message), the same form an ingest reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

from litemeta.errors import InputError, error_dict
from litemeta.store import open_store
from litemeta.views.check import check_paths

GOOD = {
    "entityType": "corpuser",
    "entityUrn": "urn:li:corpuser:a",
    "changeType": "UPSERT",
    "aspectName": "status",
    "aspect": {"json": {"removed": False}},
}


def _sink_layout(records: List[str]) -> bytes:
    """DataHub's file-sink layout: ``[``, records indented by 4, joined by ``,\\n``, ``]``."""
    return ("[\n" + ",\n".join(records) + "\n]").encode("utf-8")


def test_errors_carry_their_record_index_and_position(tmp_path: Path) -> None:
    good = json.dumps(GOOD, indent=4)
    bad_json = good.replace('"removed": false', '"removed": fals')
    bad_model = json.dumps({**GOOD, "aspectName": "noSuchAspect"}, indent=4)
    path = tmp_path / "f.json"
    path.write_bytes(_sink_layout([good, bad_json, bad_model, good]))
    heard: List[Dict[str, Any]] = []
    read: List[int] = []
    summary = check_paths([str(path)], on_error=heard.append, progress=read.append)
    assert (summary["records"], summary["valid"], summary["invalid"]) == (4, 2, 2)
    assert heard == summary["errors"] and sum(read) == 4
    unreadable, invalid = summary["errors"]
    assert (unreadable["file"], unreadable["index"]) == (str(path), 1)
    assert unreadable["position"].startswith("bytes ") and "invalid JSON" in unreadable["message"]
    assert "record #" not in unreadable["message"]  # the index has its own field
    assert (invalid["index"], invalid["aspect"], invalid["urn"]) == (2, "noSuchAspect", "urn:li:corpuser:a")
    with open_store(":memory:") as store:  # an ingest reports the same records the same way
        report = store.ingest([str(path)])
    assert [(e["index"], e.get("position")) for e in report.errors] == [(1, unreadable["position"]), (2, None)]


def test_an_input_error_renders_itself() -> None:
    e = InputError("truncated record", file="a.json", index=7, position="bytes 3-9")
    assert str(e) == "a.json, record #7, bytes 3-9: truncated record"
    assert error_dict(e) == {
        "file": "a.json",
        "index": 7,
        "urn": None,
        "aspect": None,
        "path": None,
        "position": "bytes 3-9",
        "message": "truncated record",
    }
    assert str(InputError("no such file or directory", file="x.json")) == "x.json: no such file or directory"
    assert error_dict(KeyError("k"))["message"] == "KeyError: 'k'"
