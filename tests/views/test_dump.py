"""litemeta.views.dump: DataHub file-sink JSON of the store, read back by the SDK and by a fresh store."""

from __future__ import annotations

import io
import pathlib
from typing import Any, Dict, List

import datahub.metadata.schema_classes as S
import pytest
from datahub.emitter.mce_builder import make_dataset_urn, make_user_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W
from datahub.ingestion.source.file import read_metadata_file

from litemeta.errors import UnknownEntityError
from litemeta.store import open_store
from litemeta.views.dump import dump_file, dump_proposals

DS = make_dataset_urn("hive", "db.orders")
DS2 = make_dataset_urn("hive", "db.gone")
USER = make_user_urn("alice")


def sm(t: int, run: str = "run-1") -> S.SystemMetadataClass:
    return S.SystemMetadataClass(lastObserved=t, runId=run)


def tags(*names: str) -> S.GlobalTagsClass:
    return S.GlobalTagsClass(tags=[S.TagAssociationClass(f"urn:li:tag:{n}") for n in names])


@pytest.fixture
def source(tmp_path: pathlib.Path) -> Any:
    store = open_store(str(tmp_path / "src.db"))
    writes = [
        [W(entityUrn=DS, aspect=tags("a"), systemMetadata=sm(1_000))],
        [
            W(entityUrn=DS, aspect=S.DatasetPropertiesClass(name="orders"), systemMetadata=sm(2_000)),
            W(entityUrn=USER, aspect=S.CorpUserInfoClass(active=True), systemMetadata=sm(2_000)),
        ],
        [W(entityUrn=DS, aspect=tags("a", "b"), systemMetadata=sm(3_000, "run-2"))],
        [W(entityUrn=DS2, aspect=S.StatusClass(removed=True), systemMetadata=sm(4_000))],
        [
            W(entityUrn=DS, aspect=S.DatasetProfileClass(timestampMillis=10, rowCount=1), systemMetadata=sm(5_000)),
            W(entityUrn=DS, aspect=S.DatasetProfileClass(timestampMillis=20, rowCount=2), systemMetadata=sm(5_000)),
        ],
        [W(entityUrn=DS, aspect=tags("c"), systemMetadata=sm(6_000, "run-3"))],
    ]
    for batch in writes:
        report = store.ingest(batch)
        assert report.failed == 0, report.errors
    yield store
    store.close()


def state(store: Any) -> Dict[str, Dict[str, Any]]:
    return {u: store.get(u) for u in store.list_urns()}


def histories(store: Any) -> Dict[tuple, List[tuple]]:
    out = {}
    for u in store.list_urns():
        for name in store.get(u):
            if not store.registry.aspect(name).timeseries:
                out[(u, name)] = [(r.value, r.created_on) for r in store.history(u, name)]
    return out


def test_current_state_reads_with_the_sdk_and_rebuilds_the_store(source: Any, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "dump.json"
    report = dump_file(source, str(path))
    assert report.entities == 3 and report.timeseries == 2
    sdk = list(read_metadata_file(path))  # DataHub's file source reader
    assert len(sdk) == report.records
    assert all(type(r).__name__ == "MetadataChangeProposalWrapper" and r.changeType == "UPSERT" for r in sdk)
    assert not any(r.aspectName in ("datasetKey", "corpUserKey") for r in sdk)  # R1.22: DataHub rebuilds keys
    with open_store(str(tmp_path / "copy.db")) as copy:
        assert copy.ingest([str(path)]).failed == 0
        assert state(copy) == state(source)
        assert copy.timeseries(DS, "datasetProfile") == source.timeseries(DS, "datasetProfile")
        assert copy.get(DS2)["status"] == {"removed": True}  # soft-deleted entities are kept


def test_current_state_keeps_system_metadata(source: Any) -> None:
    by_aspect = {(p.entity_urn, p.aspect_name): p for p in dump_proposals(source, timeseries=False)}
    tags_p = by_aspect[(DS, "globalTags")]
    assert tags_p.aspect == {"tags": [{"tag": "urn:li:tag:c"}]}
    assert tags_p.system_metadata["runId"] == "run-3" and tags_p.system_metadata["lastObserved"] == 6_000


def test_all_versions_replays_the_history(source: Any, tmp_path: pathlib.Path) -> None:
    """Oldest first, as UPSERTs: a fresh store ends with the same versions and createdon times."""
    path = tmp_path / "history.json"
    dump_file(source, str(path), all_versions=True)
    records = list(read_metadata_file(path))
    tag_values = [r.aspect.tags[0].tag for r in records if r.aspectName == "globalTags"]
    assert tag_values == ["urn:li:tag:a", "urn:li:tag:a", "urn:li:tag:c"]
    times = [r.systemMetadata.lastObserved for r in records if r.aspectName != "datasetProfile"]
    assert times == sorted(times)
    with open_store(str(tmp_path / "copy.db")) as copy:
        assert copy.ingest([str(path)]).failed == 0
        assert histories(copy) == histories(source)
        assert state(copy) == state(source)


def test_entity_type_filter_and_stream_output(source: Any) -> None:
    buf = io.StringIO()
    report = dump_file(source, buf, entity_type="corpuser")
    assert report.entities == 1
    assert all(p.entity_urn == USER for p in dump_proposals(source, entity_type="corpuser"))
    assert buf.getvalue().startswith("[\n{") and buf.getvalue().endswith("}\n]")
    with pytest.raises(UnknownEntityError):
        list(dump_proposals(source, entity_type="nope"))


def test_no_timeseries(source: Any) -> None:
    assert not any(p.aspect_name == "datasetProfile" for p in dump_proposals(source, timeseries=False))
