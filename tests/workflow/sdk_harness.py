"""Run a DataHub SDK transformer and litemeta's on the same SDK-built stream, in comparable forms."""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Tuple

from datahub.emitter.aspect import ASPECT_MAP
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.ingestion.api.common import EndOfStream, RecordEnvelope
from datahub.ingestion.api.common import PipelineContext as DHContext
from datahub.metadata import schema_classes as S
from datahub.specific.dataset import DatasetPatchBuilder

from litemeta.model.codec import LegacyMCE, record_from_obj, record_to_obj
from litemeta.model.proposal import Origin
from litemeta.workflow.steps import PipelineContext, create_step


def ds(name: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:hive,db.{name},PROD)"


def sdk_stream() -> List[Any]:
    """A varied stream: aspects present, entities seen without them, other types, a PATCH, MCEs."""
    stamp = S.AuditStampClass(time=1700000000000, actor="urn:li:corpuser:x")
    W = MetadataChangeProposalWrapper
    sm = S.SystemMetadataClass(lastObserved=1700000000000, runId="r0")
    mce_e = S.MetadataChangeEventClass(
        proposedSnapshot=S.DatasetSnapshotClass(
            urn=ds("e"),
            aspects=[
                S.GlobalTagsClass(tags=[S.TagAssociationClass("urn:li:tag:mce")]),
                S.OwnershipClass(owners=[S.OwnerClass("urn:li:corpuser:m", S.OwnershipTypeClass.TECHNICAL_OWNER)]),
                S.StatusClass(removed=True),
            ],
        ),
        systemMetadata=sm,
    )
    mce_f = S.MetadataChangeEventClass(
        proposedSnapshot=S.DatasetSnapshotClass(urn=ds("f"), aspects=[S.UpstreamLineageClass(upstreams=[])])
    )
    patch = list(DatasetPatchBuilder(ds("d")).add_tag(S.TagAssociationClass("urn:li:tag:p")).build())
    return [
        W(entityUrn=ds("a"), aspect=S.StatusClass(removed=False), systemMetadata=sm),
        W(
            entityUrn=ds("a"),
            aspect=S.GlobalTagsClass(
                tags=[S.TagAssociationClass("urn:li:tag:old"), S.TagAssociationClass("urn:li:tag:pii")]
            ),
        ),
        W(
            entityUrn=ds("a"),
            aspect=S.GlossaryTermsClass(
                terms=[S.GlossaryTermAssociationClass("urn:li:glossaryTerm:T0")], auditStamp=stamp
            ),
        ),
        W(
            entityUrn=ds("a"),
            aspect=S.OwnershipClass(
                owners=[S.OwnerClass("urn:li:corpuser:o", S.OwnershipTypeClass.DATAOWNER)], lastModified=stamp
            ),
        ),
        W(entityUrn=ds("a"), aspect=S.DomainsClass(domains=["urn:li:domain:old"])),
        W(entityUrn=ds("a"), aspect=S.DatasetPropertiesClass(name="a", customProperties={"k": "v", "keep": "1"})),
        W(entityUrn=ds("a"), aspect=S.BrowsePathsClass(paths=["/old/path"])),
        W(entityUrn=ds("b"), aspect=S.SubTypesClass(typeNames=["view"]), systemMetadata=sm),
        W(entityUrn="urn:li:chart:(looker,c1)", aspect=S.StatusClass(removed=False)),
        W(entityUrn="urn:li:container:c0ffee", aspect=S.StatusClass(removed=False)),
        W(entityUrn="urn:li:corpuser:bob", aspect=S.StatusClass(removed=False)),
        *patch,
        mce_e,
        mce_f,
        W(entityUrn=ds("b"), aspect=S.StatusClass(removed=False)),
    ]


def litemeta_records(stream: List[Any]) -> List[Any]:
    """The same stream as litemeta records (through the file-sink form, as the file source reads it)."""
    out = []
    for i, r in enumerate(stream):
        obj = r.to_obj(simplified_structure=True) if isinstance(r, MetadataChangeProposalWrapper) else r.to_obj()
        out.append(record_from_obj(obj, Origin("s", i)))
    return out


class FakeGraph:
    """The DataHubGraph methods DataHub's transformers call, over ``{urn: {aspect: pegasus JSON}}``."""

    def __init__(self, state: Dict[str, Dict[str, Any]]) -> None:
        self.state = state

    def _get(self, urn: str, aspect: str) -> Any:
        v = self.state.get(urn, {}).get(aspect)
        return None if v is None else ASPECT_MAP[aspect].from_obj(copy.deepcopy(v))

    def get_config(self) -> Dict[str, Any]:
        return {}

    def get_tags(self, entity_urn: str) -> Any:
        return self._get(entity_urn, "globalTags")

    def get_glossary_terms(self, entity_urn: str) -> Any:
        return self._get(entity_urn, "glossaryTerms")

    def get_ownership(self, entity_urn: str) -> Any:
        return self._get(entity_urn, "ownership")

    def get_domain(self, entity_urn: str) -> Any:
        return self._get(entity_urn, "domains")

    def get_browse_path(self, entity_urn: str) -> Any:
        return self._get(entity_urn, "browsePaths")

    def get_dataset_properties(self, entity_urn: str) -> Any:
        return self._get(entity_urn, "datasetProperties")

    def get_domain_properties(self, entity_urn: str) -> Any:
        return self._get(entity_urn, "domainProperties")

    def get_aspect(self, entity_urn: str, aspect_type: Any) -> Any:
        return self._get(entity_urn, aspect_type.ASPECT_NAME)

    def reader(self, urn: str, aspect: str) -> Optional[Dict[str, Any]]:
        v = self.state.get(urn, {}).get(aspect)
        return copy.deepcopy(v)


def _norm_aspect(name: str, value: Any) -> Any:
    obj = ASPECT_MAP[name].from_obj(copy.deepcopy(value)).to_obj() if name in ASPECT_MAP else value
    if name == "glossaryTerms":
        obj["auditStamp"].pop("time", None)  # DataHub stamps the wall clock for new terms aspects
    return obj


Row = Tuple[Any, ...]


def sdk_rows(out: List[Any]) -> List[Row]:
    rows: List[Row] = []
    for r in out:
        if isinstance(r, MetadataChangeProposalWrapper):
            rows.append(
                (
                    "mcp",
                    r.entityUrn,
                    r.changeType,
                    r.aspectName,
                    _norm_aspect(r.aspectName, r.aspect.to_obj()),
                    r.systemMetadata.to_obj() if r.systemMetadata else None,
                )
            )
        elif isinstance(r, S.MetadataChangeEventClass):
            rows.append(("mce", S.MetadataChangeEventClass.from_obj(r.to_obj()).to_obj()))
        else:  # a raw MCP (PATCH): compare its file-sink form
            rows.append(("raw", r.entityUrn, r.changeType, r.aspectName))
    return rows


def litemeta_rows(out: List[Any]) -> List[Row]:
    rows: List[Row] = []
    for r in out:
        if isinstance(r, LegacyMCE):
            rows.append(("mce", S.MetadataChangeEventClass.from_obj(record_to_obj(r)).to_obj()))
        elif r.change_type == "UPSERT" and r.content_type == "application/json":
            rows.append(
                (
                    "mcp",
                    r.entity_urn,
                    r.change_type,
                    r.aspect_name,
                    _norm_aspect(r.aspect_name, r.aspect),
                    S.SystemMetadataClass.from_obj(r.system_metadata).to_obj() if r.system_metadata else None,
                )
            )
        else:
            rows.append(("raw", r.entity_urn, r.change_type, r.aspect_name))
    return rows


def run_sdk(cls: Any, config: Dict[str, Any], stream: List[Any], graph: Optional[FakeGraph] = None) -> List[Row]:
    ctx = DHContext(run_id="t", graph=graph)  # type: ignore[arg-type]
    t = cls.create(copy.deepcopy(config), ctx)
    envs = [RecordEnvelope(copy.deepcopy(r), metadata={}) for r in stream]
    envs.append(RecordEnvelope(EndOfStream(), metadata={}))
    return sdk_rows([e.record for e in t.transform(envs) if not isinstance(e.record, EndOfStream)])


def run_litemeta(
    type_name: str, config: Dict[str, Any], stream: List[Any], graph: Optional[FakeGraph] = None
) -> List[Row]:
    ctx = PipelineContext("t", graph=graph.reader if graph is not None else None)
    t = create_step("transformer", type_name, copy.deepcopy(config), ctx)
    out: List[Any] = []
    for r in litemeta_records(stream):
        out.extend(t.process(r))  # type: ignore[attr-defined]
    out.extend(t.end_of_stream())  # type: ignore[attr-defined]
    return litemeta_rows(out)
