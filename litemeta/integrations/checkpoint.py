"""DataHub's stateful ingestion with the checkpoints kept in a litemeta store (``state_provider: litemeta``).

    source:
      type: file
      config:
        path: in.json
        stateful_ingestion: {enabled: true, remove_stale_metadata: true}
    pipeline_name: nightly            # stateful ingestion needs one
    sink: {type: litemeta, config: {db: meta.db}}

Registered under ``datahub.ingestion.checkpointing_provider.plugins`` as ``litemeta``. Config:
``db`` (default: the ``litemeta`` sink's store when the recipe has one, else ``$LITEMETA_DB`` or
``./litemeta.db``). With the ``litemeta`` sink a recipe need not name the provider: a
``stateful_ingestion`` section without ``state_provider`` gets this one on the sink's store
(:func:`route_default_provider`), since DataHub's default provider needs a GMS.

Checkpoints are kept as DataHub's own provider keeps them in GMS: each job's
``datahubIngestionCheckpoint`` (a timeseries aspect) on the data job
``urn:li:dataJob:(urn:li:dataFlow:(datahub,<pipeline>,prod),<job>)``, soft-deleted with
``status.removed = true`` so that it stays out of search, and the latest one for the pipeline is
found by ``pipelineName``. The urns are DataHub's (orchestrator ``datahub``), so a store pushed to a
real DataHub (``litemeta push``) carries its checkpoints along, and DataHub's own provider picks
them up there.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, List, Optional

from datahub.emitter.mce_builder import SYSTEM_ACTOR
from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.emitter.serialization_helper import post_json_transform
from datahub.ingestion.api.common import PipelineContext
from datahub.ingestion.api.ingestion_job_checkpointing_provider_base import (
    IngestionCheckpointingProviderBase,
    IngestionCheckpointingProviderConfig,
    JobId,
)
from datahub.metadata.schema_classes import AuditStampClass, DatahubIngestionCheckpointClass, StatusClass
from pydantic import Field

from litemeta.errors import LitemetaError
from litemeta.store import open_store

logger = logging.getLogger(__name__)

CHECKPOINT_ASPECT = "datahubIngestionCheckpoint"
PROVIDER_TYPE = "litemeta"
SINK_TYPE = "litemeta"


class LitemetaCheckpointingProviderConfig(IngestionCheckpointingProviderConfig):
    """``state_provider.config`` of ``type: litemeta``."""

    db: Optional[str] = Field(
        default=None,
        description="The store keeping the checkpoints (default: the litemeta "
        "sink's, else $LITEMETA_DB or ./litemeta.db).",
    )


class LitemetaCheckpointingProvider(IngestionCheckpointingProviderBase):
    """Reads and commits stateful-ingestion checkpoints in a litemeta store (see the module doc)."""

    orchestrator_name: str = "datahub"  # DataHub's own urns: checkpoints survive a push to a real DataHub

    def __init__(self, db: Optional[str]) -> None:
        super().__init__(self.__class__.__name__)
        self.db = db

    @classmethod
    def create(cls, config_dict: Dict[str, Any], ctx: PipelineContext) -> "LitemetaCheckpointingProvider":
        """Build from the recipe's ``state_provider.config``; the store defaults to the ``litemeta`` sink's."""
        config = LitemetaCheckpointingProviderConfig.model_validate(config_dict or {})
        return cls(config.db or sink_db(ctx))

    def get_latest_checkpoint(self, pipeline_name: str, job_name: JobId) -> Optional[DatahubIngestionCheckpointClass]:
        """The newest checkpoint the pipeline committed for the job, or None."""
        urn = self.get_data_job_urn(self.orchestrator_name, pipeline_name, job_name)
        with open_store(self.db) as store:
            values = store.timeseries(urn, CHECKPOINT_ASPECT)  # newest first
        for value in values:
            if isinstance(value, dict) and value.get("pipelineName") == pipeline_name:
                logger.debug("latest checkpoint of %s/%s: %s", pipeline_name, job_name, value.get("timestampMillis"))
                return DatahubIngestionCheckpointClass.from_obj(post_json_transform(value))
        return None

    def commit(self) -> None:
        """Write each job's checkpoint (and the soft delete that hides its data job) in one transaction."""
        if not self.state_to_commit:
            logger.warning(f"No state available to commit for {self.name}")
            return
        now = int(time.time() * 1000)
        mcps: List[MetadataChangeProposalWrapper] = []
        for job_name, checkpoint in self.state_to_commit.items():
            urn = self.get_data_job_urn(self.orchestrator_name, checkpoint.pipelineName, job_name)
            # As DataHub's provider: a fresh lifecycle stamp keeps the soft delete from being a no-op.
            mcps.append(
                MetadataChangeProposalWrapper(
                    entityUrn=urn,
                    aspect=StatusClass(
                        removed=True, lifecycleLastUpdated=AuditStampClass(time=now, actor=SYSTEM_ACTOR)
                    ),
                )
            )
            mcps.append(MetadataChangeProposalWrapper(entityUrn=urn, aspect=checkpoint))
        self.committed = False
        with open_store(self.db) as store:
            report = store.ingest(mcps)
        if report.failed:
            raise LitemetaError(
                f"the litemeta store {self.db or '(default)'} rejected a checkpoint: "
                + "; ".join(e.get("message", "") for e in report.errors[:3])
            )
        self.committed = True


def sink_db(ctx: PipelineContext) -> Optional[str]:
    """The ``db`` of the recipe's ``litemeta`` sink, when the recipe has one."""
    sink = getattr(ctx.pipeline_config, "sink", None)
    if sink is None or getattr(sink, "type", None) != SINK_TYPE:
        return None
    db = (sink.config or {}).get("db")
    return str(db) if db else None


def route_default_provider(ctx: PipelineContext, db: Optional[str]) -> None:
    """Give a recipe's ``stateful_ingestion`` without a ``state_provider`` litemeta's provider on ``db``.

    DataHub fills a missing provider with ``datahub``, which needs a GMS (a ``datahub_api`` or a REST
    sink); the litemeta sink has none, so such a recipe would fail. A recipe that names a provider,
    or that configures ``datahub_api``, is left alone. The sink calls this before the source reads
    its config.
    """
    pc = ctx.pipeline_config
    if pc is None or getattr(pc, "datahub_api", None) is not None:
        return
    source_config = getattr(pc.source, "config", None)
    stateful = source_config.get("stateful_ingestion") if isinstance(source_config, dict) else None
    if not isinstance(stateful, dict) or str(stateful.get("enabled")).lower() != "true":
        return
    if stateful.get("state_provider"):
        return
    stateful["state_provider"] = {"type": PROVIDER_TYPE, "config": {"db": db} if db else {}}
    logger.info("stateful ingestion: checkpoints are kept in the litemeta store %s", db or "(default)")


__all__ = ["LitemetaCheckpointingProvider", "LitemetaCheckpointingProviderConfig", "route_default_provider", "sink_db"]
