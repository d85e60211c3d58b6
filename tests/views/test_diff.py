"""litemeta.views.diff against DataHub's own MCPDiff (datahub/testing/mcp_diff.py, compare_metadata_json.py).

Each pair of files is written with the SDK's write_metadata_file and compared both ways: DataHub's
``diff_metadata_json(output=actual, golden=expected)`` and litemeta's ``diff_files(actual, expected)``
must give the same verdict, the same urns added and removed, and the same (urn, aspect) pairs
added, removed and changed.
"""

from __future__ import annotations

import copy
import json
import pathlib
import random
from typing import Any, Dict, List, Sequence, Set, Tuple

import datahub.metadata.schema_classes as S
import pytest
from datahub.emitter.mce_builder import make_dataset_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.sink.file import write_metadata_file
from datahub.testing.compare_metadata_json import diff_metadata_json
from datahub.testing.mcp_diff import MCPDiff

from litemeta.views.diff import convert_path, diff_files, diff_objects
from tests.sdkcorpus import build_records

DS = make_dataset_urn("hive", "db.t")
DS2 = make_dataset_urn("hive", "db.u")


def _write(path: pathlib.Path, objs: List[Dict[str, Any]]) -> pathlib.Path:
    path.write_text(json.dumps(objs, indent=2))
    return path


def datahub_sets(actual: List[Any], expected: List[Any], ignore: Sequence[str] = ()) -> Dict[str, Any]:
    d = diff_metadata_json(output=actual, golden=expected, ignore_paths=list(ignore))
    assert isinstance(d, MCPDiff)
    golden: Set[Tuple[str, str]] = {(o["entityUrn"], o["aspectName"]) for o in expected}
    output: Set[Tuple[str, str]] = {(o["entityUrn"], o["aspectName"]) for o in actual}
    status: Dict[str, Set[Tuple[str, str]]] = {"added": set(), "removed": set(), "changed": set()}
    for urn, aspects in d.aspect_changes.items():
        for name in aspects:
            k = (urn, name)
            status["added" if k not in golden else "removed" if k not in output else "changed"].add(k)
    return {"different": bool(d), "urns_added": set(d.urns_added), "urns_removed": set(d.urns_removed), **status}


def litemeta_sets(
    tmp: pathlib.Path, actual: List[Any], expected: List[Any], ignore: Sequence[str] = ()
) -> Dict[str, Any]:
    d = diff_files(str(_write(tmp / "actual.json", actual)), str(_write(tmp / "expected.json", expected)), ignore)
    return {
        "different": bool(d),
        "urns_added": set(d.urns_added),
        "urns_removed": set(d.urns_removed),
        **{s: set(d.aspects_with(s)) for s in ("added", "removed", "changed")},
    }


def sdk_objs(records: List[Any], tmp: pathlib.Path, name: str) -> List[Dict[str, Any]]:
    path = tmp / name
    write_metadata_file(path, records)
    return json.loads(path.read_text())


def test_convert_path_matches_datahub() -> None:
    for p in [
        r"root\[\d+\]\['aspect'\]\['json'\]\['x'\]",
        r"root\[3\]\['aspect'\]\['value'\]\['y'\]",
        r"root\[\d+\].*\['auditStamp'\]\['time'\]",
    ]:
        assert convert_path(p) == MCPDiff.convert_path(p)


def test_equal_after_reordering_records_and_lists(tmp_path: pathlib.Path) -> None:
    """MCPDiff groups by urn and aspect and DeepDiffs with ignore_order=True (lists too)."""
    recs = [
        W(
            entityUrn=DS,
            aspect=S.GlobalTagsClass(
                tags=[S.TagAssociationClass("urn:li:tag:a"), S.TagAssociationClass("urn:li:tag:b")]
            ),
        ),
        W(entityUrn=DS2, aspect=S.StatusClass(removed=False)),
    ]
    expected = sdk_objs(recs, tmp_path, "e.json")
    actual = copy.deepcopy(expected[::-1])
    actual[1]["aspect"]["json"]["tags"].reverse()
    assert datahub_sets(actual, expected)["different"] is False
    assert litemeta_sets(tmp_path, actual, expected)["different"] is False


def test_default_ignore_paths_and_system_metadata(tmp_path: pathlib.Path) -> None:
    """Top-level timestampMillis/lastModified/created, upstreams[*].created.time and systemMetadata
    (not part of AspectForDiff) do not count, as in compare_metadata_json.default_exclude_paths."""
    recs = [
        W(entityUrn=DS, aspect=S.DatasetProfileClass(timestampMillis=1, rowCount=5)),
        W(
            entityUrn=DS,
            aspect=S.UpstreamLineageClass(
                upstreams=[
                    S.UpstreamClass(
                        dataset=DS2, type="TRANSFORMED", created=S.AuditStampClass(time=1, actor="urn:li:corpuser:x")
                    )
                ]
            ),
        ),
        W(
            entityUrn=DS2,
            aspect=S.DatasetPropertiesClass(name="u", lastModified=S.TimeStampClass(time=1)),
            systemMetadata=S.SystemMetadataClass(lastObserved=1, runId="r1"),
        ),
    ]
    expected = sdk_objs(recs, tmp_path, "e.json")
    actual = copy.deepcopy(expected)
    actual[0]["aspect"]["json"]["timestampMillis"] = 2
    actual[1]["aspect"]["json"]["upstreams"][0]["created"]["time"] = 2
    actual[2]["aspect"]["json"]["lastModified"]["time"] = 2
    actual[2]["systemMetadata"] = {"lastObserved": 2, "runId": "r2", "properties": {"x": "y"}}
    assert datahub_sets(actual, expected)["different"] is False
    assert litemeta_sets(tmp_path, actual, expected)["different"] is False
    # ... but a real change in the same aspects is seen by both
    actual[0]["aspect"]["json"]["rowCount"] = 6
    assert datahub_sets(actual, expected) == litemeta_sets(tmp_path, actual, expected)
    assert litemeta_sets(tmp_path, actual, expected)["changed"] == {(DS, "datasetProfile")}


def test_user_ignore_paths_both_syntaxes(tmp_path: pathlib.Path) -> None:
    recs = [W(entityUrn=DS, aspect=S.DatasetPropertiesClass(name="t", customProperties={"run_at": "1", "k": "v"}))]
    expected = sdk_objs(recs, tmp_path, "e.json")
    actual = copy.deepcopy(expected)
    actual[0]["aspect"]["json"]["customProperties"]["run_at"] = "2"
    deep = r"root\[\d+\]\['aspect'\]\['json'\]\['customProperties'\]\['run_at'\]"
    assert datahub_sets(actual, expected, [deep])["different"] is False
    assert litemeta_sets(tmp_path, actual, expected, [deep])["different"] is False
    assert litemeta_sets(tmp_path, actual, expected, ["customProperties.run_at"])["different"] is False
    assert litemeta_sets(tmp_path, actual, expected, ["customProperties.*"])["different"] is False
    assert litemeta_sets(tmp_path, actual, expected, ["customProperties.k"])["different"] is True


def test_urns_and_aspects_added_removed_changed(tmp_path: pathlib.Path) -> None:
    recs = [
        W(entityUrn=DS, aspect=S.StatusClass(removed=False)),
        W(entityUrn=DS, aspect=S.DatasetPropertiesClass(name="t", description="one")),
        W(entityUrn=DS2, aspect=S.StatusClass(removed=False)),
    ]
    expected = sdk_objs(recs, tmp_path, "e.json")
    actual = copy.deepcopy(expected[:2])
    actual[1]["aspect"]["json"]["description"] = "two"
    actual.append(
        sdk_objs(
            [
                W(entityUrn=DS, aspect=S.SubTypesClass(typeNames=["Table"])),
                W(entityUrn="urn:li:corpuser:new", aspect=S.StatusClass(removed=False)),
            ],
            tmp_path,
            "x.json",
        )
    )
    actual = actual[:2] + actual[2]
    ours, theirs = litemeta_sets(tmp_path, actual, expected), datahub_sets(actual, expected)
    assert ours == theirs
    assert ours["urns_added"] == {"urn:li:corpuser:new"} and ours["urns_removed"] == {DS2}
    assert ours["changed"] == {(DS, "datasetProperties")}
    assert (DS, "subTypes") in ours["added"]
    d = diff_files(str(tmp_path / "actual.json"), str(tmp_path / "expected.json"))
    change = [a for u in d.urns for a in u.aspects if a.aspect == "datasetProperties"][0].changes
    assert [(c.path, c.kind, c.old, c.new) for c in change] == [("['description']", "changed", "one", "two")]


def _leaves(v: Any, path: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    if isinstance(v, dict):
        return [p for k, x in v.items() for p in _leaves(x, path + (k,))]
    if isinstance(v, list):
        return [p for i, x in enumerate(v) for p in _leaves(x, path + (i,))]
    return [path] if isinstance(v, str) else []


def _mutate(objs: List[Dict[str, Any]], rng: random.Random) -> List[Dict[str, Any]]:
    out = copy.deepcopy(objs)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["leaf", "drop", "copy", "rename", "key"])
        i = rng.randrange(len(out))
        if kind == "leaf":
            leaves = _leaves(out[i]["aspect"]["json"])
            if leaves:
                p = rng.choice(leaves)
                node = out[i]["aspect"]["json"]
                for k in p[:-1]:
                    node = node[k]
                node[p[-1]] = node[p[-1]] + "-changed"
        elif kind == "drop":
            out.pop(i)
        elif kind == "copy":
            out.append(copy.deepcopy(out[i]))
        elif kind == "rename":
            out[i]["entityUrn"] = out[i]["entityUrn"].replace("urn:li:", "urn:li:", 1)[:-1] + "x)"
        elif kind == "key" and isinstance(out[i]["aspect"]["json"], dict):
            out[i]["aspect"]["json"]["litemetaExtra"] = rng.randint(0, 3)
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_random_mutations_agree_with_mcpdiff(tmp_path: pathlib.Path, seed: int) -> None:
    """SDK corpus (MCPW UPSERTs), randomly mutated: same verdict and sets as DataHub's MCPDiff."""
    recs = [
        r
        for r in build_records(60, seed)
        if type(r).__name__ == "MetadataChangeProposalWrapper" and r.aspect is not None
    ]
    expected = sdk_objs(recs, tmp_path, "e.json")
    rng = random.Random(seed)
    actual = _mutate(expected, rng)
    assert litemeta_sets(tmp_path, actual, expected) == datahub_sets(actual, expected)


def test_mces_are_expanded_into_aspects() -> None:
    """litemeta's choice: an MCE is compared aspect by aspect (DataHub falls back to a file DeepDiff)."""
    mce = {
        "proposedSnapshot": {
            "com.linkedin.pegasus2avro.metadata.snapshot.DatasetSnapshot": {
                "urn": DS,
                "aspects": [{"com.linkedin.pegasus2avro.common.Status": {"removed": False}}],
            }
        }
    }
    mcp = {
        "entityType": "dataset",
        "entityUrn": DS,
        "changeType": "UPSERT",
        "aspectName": "status",
        "aspect": {"json": {"removed": False}},
    }
    assert not diff_objects([mce], [mcp])
    mcp2 = copy.deepcopy(mcp)
    mcp2["aspect"]["json"]["removed"] = True
    assert diff_objects([mce], [mcp2]).aspects_with("changed") == [(DS, "status")]


def test_types_are_compared_strictly() -> None:
    """DeepDiff reports 1 vs 1.0 as a type change; so does litemeta."""
    a = {
        "entityUrn": DS,
        "changeType": "UPSERT",
        "aspectName": "datasetProfile",
        "aspect": {"json": {"timestampMillis": 0, "rowCount": 1}},
    }
    b = copy.deepcopy(a)
    b["aspect"]["json"]["rowCount"] = 1.0
    d = diff_objects([a], [b])
    assert [c.kind for u in d.urns for x in u.aspects for c in x.changes] == ["type_changed"]
