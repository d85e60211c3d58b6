"""What a store holds, as comparable data: every aspect row (all versions), every timeseries row and
every topic record, without the fields DataHub's REST client fills in itself
(``systemMetadata.properties.clientId`` / ``clientVersion``)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

from litemeta.store import MetadataStore

CLIENT_FIELDS = ("clientId", "clientVersion")


def norm_sm(sm: Any) -> Any:
    """systemMetadata without the REST client's own properties (an emptied ``properties`` goes too)."""
    if not isinstance(sm, dict):
        return sm
    out = dict(sm)
    props = out.get("properties")
    if isinstance(props, dict):
        props = {k: v for k, v in props.items() if k not in CLIENT_FIELDS}
        if props:
            out["properties"] = props
        else:
            out.pop("properties")
    return out


def _norm_record(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in ("systemMetadata", "previousSystemMetadata"):
                out[k] = norm_sm(v)
            elif k == "metadataChangeProposal":
                out[k] = _norm_record(v)
            else:
                out[k] = v
        return out
    return value


def snapshot(store: MetadataStore) -> Dict[str, Any]:
    """Aspect rows, timeseries rows and topic records (values normalised as above)."""
    with store.db.read() as conn:
        rows = [
            (r[0], r[1], r[2], json.loads(r[3]), norm_sm(json.loads(r[4]) if r[4] else None), str(r[5]), r[6])
            for r in conn.exec_driver_sql(
                "SELECT urn, aspect, version, metadata, systemmetadata, createdon, createdby "
                "FROM metadata_aspect_v2 ORDER BY urn, aspect, version"
            )
        ]
        ts = [
            (r[0], r[1], r[2], json.loads(r[3]), norm_sm(json.loads(r[4]) if r[4] else None))
            for r in conn.exec_driver_sql(
                "SELECT urn, aspect, timestampmillis, metadata, systemmetadata FROM metadata_timeseries "
                "ORDER BY urn, aspect, timestampmillis"
            )
        ]
    topics: Dict[str, List[Tuple[str, int, Any]]] = {}
    for topic in sorted(store.end_offsets()):
        topics[topic] = [(r.key, r.timestamp, _norm_record(r.value)) for r in store.read_topic(topic)]
    return {"rows": rows, "timeseries": ts, "topics": topics}


def assert_same(served: MetadataStore, reference: MetadataStore) -> None:
    """The served store equals the reference, table by table and topic by topic."""
    a, b = snapshot(served), snapshot(reference)
    for part in ("rows", "timeseries"):
        _same(a[part], b[part], part)
    assert sorted(a["topics"]) == sorted(b["topics"])
    for topic in a["topics"]:
        _same(a["topics"][topic], b["topics"][topic], topic)


def _same(got: List[Any], want: List[Any], what: str) -> None:
    for i, (x, y) in enumerate(zip(got, want)):
        assert x == y, f"{what} #{i} differs:\nserved:    {x}\nreference: {y}"
    assert len(got) == len(want), f"{what}: {len(got)} served, {len(want)} in the reference"


def journal_equals_store(store: MetadataStore, tmp_path: Any) -> None:
    """An ingest of the proposals the served store accepted (its MCP topic, design.md choice 5) into
    a fresh store gives the same store: the HTTP path wrote what the ingest path writes."""
    import litemeta

    with litemeta.open_store(str(tmp_path / "journal-ref.db")) as ref:
        report = ref.ingest([dict(r.value) for r in store.read_topic("mcp")])
        assert report.failed == 0, report.errors
        assert_same(store, ref)
