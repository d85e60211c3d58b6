"""The emitter facade receives acryl-datahub's own objects, as DataHub's emitters do (issue 3, item 7)."""

from __future__ import annotations

from typing import Any, List, Tuple

import pytest
from datahub.emitter.emit_mode import EmitMode as SdkEmitMode
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m
from datahub.specific.dataset import DatasetPatchBuilder

from litemeta.emitter import EmitMode, LitemetaEmitter
from litemeta.errors import EmitError

DS = "urn:li:dataset:(urn:li:dataPlatform:hive,shop.orders,PROD)"


def test_emit_accepts_mcpw_mcp_and_mce_with_callbacks(store: Any) -> None:
    calls: List[Tuple[Any, str]] = []
    em = LitemetaEmitter(store)
    em.emit(MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)), callback=lambda e, msg: calls.append((e, msg)))
    for mcp in DatasetPatchBuilder(DS).add_tag(m.TagAssociationClass(tag="urn:li:tag:t")).build():
        em.emit_mcp(mcp)  # a MetadataChangeProposalClass (PATCH)
    em.emit(
        m.MetadataChangeEventClass(
            proposedSnapshot=m.DatasetSnapshotClass(
                urn=DS, aspects=[m.DatasetPropertiesClass(description="from an MCE")]
            )
        )
    )
    assert calls == [(None, "success")]
    got = store.get(DS)
    assert got["status"] == {"removed": False}
    assert got["globalTags"] == {"tags": [{"tag": "urn:li:tag:t"}]}
    assert got["datasetProperties"]["description"] == "from an MCE"


def test_emit_mcps_returns_batches_and_accepts_the_sdk_emit_mode(store: Any) -> None:
    em = LitemetaEmitter(store)
    n = em.emit_mcps(
        [MCPW(entityUrn=f"urn:li:corpuser:u{i}", aspect=m.StatusClass(removed=False)) for i in range(5)],
        emit_mode=SdkEmitMode.SYNC_PRIMARY,
    )
    assert n == 1 and len(store.list_urns("corpuser")) == 5


def test_async_is_queued_until_flush(store: Any) -> None:
    em = LitemetaEmitter(store, emit_mode=EmitMode.ASYNC)
    em.emit(MCPW(entityUrn=DS, aspect=m.StatusClass(removed=False)))
    assert not store.exists(DS)
    em.flush()
    assert store.exists(DS)


def test_rejected_item_raises_and_calls_back_with_the_error(store: Any) -> None:
    em = LitemetaEmitter(store)
    seen: List[Any] = []
    bad = {
        "entityType": "dataset",
        "entityUrn": DS,
        "changeType": "UPSERT",
        "aspectName": "noSuchAspect",
        "aspect": {"json": {}},
    }
    with pytest.raises(EmitError) as err:
        em.emit(bad, callback=lambda e, msg: seen.append(e))
    assert "noSuchAspect" in str(err.value) and isinstance(seen[0], EmitError)
    assert len(store.read_topic("failed")) == 1
