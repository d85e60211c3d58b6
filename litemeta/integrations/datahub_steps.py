"""DataHub's own source types and transformers as steps of litemeta's pipeline (``litemeta ingest -c``).

    # recipe.yml, run with: litemeta ingest -c recipe.yml --db meta.db
    source: {type: postgres, config: {host_port: localhost:5432, database: shop}}
    transformers: [{type: simple_add_dataset_ownership, config: {owner_urns: [urn:li:corpuser:ann]}}]

A type that litemeta does not know itself (its entry points, built-ins, a dotted path) is looked up
in acryl-datahub's plugin registries (``datahub.ingestion.source.plugins``,
``datahub.ingestion.transformer.plugins``: every DataHub source and transformer, including other
packages' plugins), built with DataHub's ``create(config, ctx)`` and run inside litemeta's pipeline:
the source's workunits become records (with the workunit id as their origin), the transformer sees
DataHub record envelopes and ``EndOfStream``. What DataHub's source reports (failures, warnings) is
copied into the step's status, so ``litemeta ingest`` reports it with everything else. Without
acryl-datahub such a type is an error that names the package to install.

Stateful ingestion works as under ``datahub ingest`` with the ``litemeta`` sink: a source config
enabling ``stateful_ingestion`` without a ``state_provider`` keeps its checkpoints in the recipe's
store (:mod:`litemeta.integrations.checkpoint`), committed after the run unless the commit policy
forbids it (failures or warnings in any step). Transformers with ``semantics: PATCH`` read current
values from the store (:class:`StoreGraph`).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Type

from litemeta.errors import ConfigurationError, LitemetaError, ValidationError
from litemeta.integrations.sdk import DATAHUB_HINT, datahub_installed, record_from_sdk, sdk_from_record
from litemeta.model.codec import Record
from litemeta.model.proposal import Origin
from litemeta.workflow.steps import AspectReader, PipelineContext, Processor, Source, Step

ROLES = ("source", "transformer")


def resolve(role: str, type_name: str) -> Optional[Type[Step]]:
    """The litemeta step running DataHub's plugin ``type_name`` as ``role``, or None when DataHub has none.

    Raises :class:`ConfigurationError` naming the package when acryl-datahub is missing, or DataHub's
    own reason when the plugin cannot load (a missing dependency: ``pip install 'acryl-datahub[X]'``).
    """
    if role not in ROLES:
        return None
    if not datahub_installed():
        from litemeta.workflow.steps import available

        raise ConfigurationError(
            f"unknown {role} type {type_name!r}: not one of litemeta's ({', '.join(available(role))}); "
            f"DataHub's own {role} types need acryl-datahub: {DATAHUB_HINT}"
        )
    registry = _registry(role)
    if type_name not in registry.mapping:
        return None
    try:
        cls = registry.get(type_name)
    except Exception as e:  # DataHub's ConfigurationError: a plugin whose dependencies are missing
        cause = f" ({e.__cause__})" if e.__cause__ is not None else ""
        raise ConfigurationError(f"DataHub's {role} {type_name!r} cannot load: {e}{cause}") from e
    base: Type[Step] = DataHubSource if role == "source" else DataHubTransformer
    return type(
        f"DataHub_{type_name}",
        (base,),
        {
            "datahub_type": type_name,
            "datahub_class": cls,
            "__doc__": f"DataHub's {role} {type_name!r} ({cls.__module__}).",
        },
    )


def datahub_types(role: str) -> List[str]:
    """DataHub's registered type names for ``role`` (empty without acryl-datahub)."""
    if role not in ROLES or not datahub_installed():
        return []
    return sorted(_registry(role).mapping)


def _registry(role: str) -> Any:
    if role == "source":
        from datahub.ingestion.source.source_registry import source_registry

        return source_registry
    from datahub.ingestion.transformer.transform_registry import transform_registry

    return transform_registry


def _datahub_context(ctx: PipelineContext, graph: Any = None) -> Any:
    from datahub.ingestion.api.common import PipelineContext as DataHubContext

    # DataHub logs each failure it reports (with its traceback) before the step's status carries it; without
    # a handler of the user's, Python's last-resort handler would print those on stderr.
    if not any(isinstance(h, logging.NullHandler) for h in logging.getLogger("datahub").handlers):
        logging.getLogger("datahub").addHandler(logging.NullHandler())

    return DataHubContext(run_id=ctx.run_id, pipeline_name=ctx.pipeline_name, dry_run=ctx.dry_run, graph=graph)


def _create(cls: Any, config: Mapping[str, Any], dh_ctx: Any, what: str) -> Any:
    try:
        return cls.create(dict(config), dh_ctx)
    except LitemetaError:
        raise
    except Exception as e:  # pydantic's validation errors, DataHub's ConfigurationError...
        raise ConfigurationError(f"{what}: {type(e).__name__}: {e}") from e


# ------------------------------------------------------------------------------------------- sources
class DataHubSource(Source):
    """A DataHub source run by litemeta's pipeline (the concrete class is made per type by :func:`resolve`)."""

    datahub_type: str = ""
    datahub_class: Any = None

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        from litemeta.integrations.checkpoint import PROVIDER_TYPE

        conf = _plain(self.config)
        stateful = conf.get("stateful_ingestion")
        if (
            isinstance(stateful, dict)
            and str(stateful.get("enabled")).lower() == "true"
            and not stateful.get("state_provider")
        ):
            # DataHub's default provider needs a GMS: keep the checkpoints in the recipe's store instead
            stateful["state_provider"] = {"type": PROVIDER_TYPE, "config": {"db": ctx.db} if ctx.db else {}}
        self.dh_ctx = _datahub_context(ctx)
        self.source = _create(self.datahub_class, conf, self.dh_ctx, f"DataHub source {self.datahub_type!r}")
        self._copied = False

    def records(self) -> Iterator[Any]:
        """Each workunit's record (MCPW, MCP or MCE) as a litemeta record; unreadable ones as errors."""
        index = 0
        for wu in self.source.get_workunits():
            item = getattr(wu, "metadata", None)
            try:
                yield record_from_sdk(item, Origin(str(wu.id), index))
            except ValidationError as e:
                yield e
            index += 1
        self._close_source()

    def _close_source(self) -> None:
        if self._copied:
            return
        self._copied = True
        try:
            self.source.close()  # a stateful source builds its new checkpoint state here
        finally:
            _copy_report(self.source.get_report(), self.status)

    def close(self) -> None:
        """Close DataHub's source (when the run stopped early) and copy its report into the status."""
        self._close_source()

    def on_run_end(self, failures: bool, warnings: bool) -> None:
        """DataHub's commit phase: commit stateful-ingestion checkpoints the commit policy allows."""
        from datahub.ingestion.api.committable import CommitPolicy

        for name, committable in self.dh_ctx.get_committables():
            policy = committable.commit_policy
            if (policy == CommitPolicy.ON_NO_ERRORS_AND_NO_WARNINGS and (failures or warnings)) or (
                policy == CommitPolicy.ON_NO_ERRORS and failures
            ):
                self.status.warning(name, "checkpoint not committed: the run had failures or warnings")
                continue
            committable.commit()


def _copy_report(report: Any, status: Any) -> None:
    for level, add in (("failures", status.failed), ("warnings", status.warning)):
        for entry in getattr(report, level, None) or []:
            title = getattr(entry, "title", None)
            message = getattr(entry, "message", None) or str(entry)
            context = list(getattr(entry, "context", None) or [])
            key = "; ".join(str(c) for c in context[:3]) or title or "source"
            add(key, f"{title}: {message}" if title and title != message else message)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# -------------------------------------------------------------------------------------- transformers
class DataHubTransformer(Processor):
    """A DataHub transformer run by litemeta's pipeline (the concrete class is made per type by :func:`resolve`)."""

    datahub_type: str = ""
    datahub_class: Any = None

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        super().__init__(config, ctx, name)
        graph = StoreGraph(ctx.graph) if ctx.graph is not None else None
        self.transformer = _create(
            self.datahub_class,
            _plain(self.config),
            _datahub_context(ctx, graph),
            f"DataHub transformer {self.datahub_type!r}",
        )

    def process(self, record: Record) -> Iterable[Record]:
        """The records DataHub's transformer makes of this one (it may hold some back until the end)."""
        from datahub.ingestion.api.common import RecordEnvelope

        envelope = RecordEnvelope(sdk_from_record(record), {"workunit_id": str(record.origin)})
        return self._records(self.transformer.transform([envelope]), record.origin)

    def end_of_stream(self) -> Iterable[Record]:
        """What DataHub's transformer emits on ``EndOfStream`` (aspects for entities it saw without them)."""
        from datahub.ingestion.api.common import EndOfStream, RecordEnvelope

        envelope = RecordEnvelope(EndOfStream(), {"workunit_id": "end-of-stream"})
        return self._records(self.transformer.transform([envelope]), Origin(f"<{self.name}>", None))

    def _records(self, envelopes: Iterable[Any], origin: Origin) -> List[Record]:
        from datahub.ingestion.api.common import ControlRecord

        out: List[Record] = []
        for env in envelopes:
            if isinstance(env.record, ControlRecord):
                continue
            wu = env.metadata.get("workunit_id") if isinstance(env.metadata, dict) else None
            out.append(record_from_sdk(env.record, origin if wu in (None, str(origin)) else Origin(str(wu), None)))
        return out


class StoreGraph:
    """The reads DataHub's transformers make of ``ctx.graph`` (``semantics: PATCH``), served by the target
    store: ``get_aspect`` and its typed shortcuts. Writes are not offered."""

    def __init__(self, reader: AspectReader) -> None:
        self.reader = reader

    def get_config(self) -> Dict[str, Any]:
        """No server configuration (DataHub's context asks for it when it is given a graph)."""
        return {}

    def get_aspect(self, entity_urn: str, aspect_type: Any, version: int = 0) -> Any:
        """The current value of ``aspect_type`` for the urn as DataHub's class, or None."""
        from datahub.emitter.serialization_helper import post_json_transform

        value = self.reader(entity_urn, aspect_type.ASPECT_NAME)
        return aspect_type.from_obj(post_json_transform(value)) if value is not None else None

    def _typed(self, entity_urn: str, class_name: str) -> Any:
        from datahub.metadata import schema_classes

        return self.get_aspect(entity_urn, getattr(schema_classes, class_name))


# DataHubGraph's typed shortcuts that transformers call, each get_aspect of one class
for _method, _class in (
    ("get_ownership", "OwnershipClass"),
    ("get_tags", "GlobalTagsClass"),
    ("get_glossary_terms", "GlossaryTermsClass"),
    ("get_domain", "DomainsClass"),
    ("get_schema_metadata", "SchemaMetadataClass"),
    ("get_dataset_properties", "DatasetPropertiesClass"),
    ("get_browse_path", "BrowsePathsClass"),
):

    def _shortcut(self: StoreGraph, entity_urn: str, _name: str = _class) -> Any:
        return self._typed(entity_urn, _name)

    _shortcut.__name__ = _method
    _shortcut.__doc__ = f"The entity's current {_class[:-5]} (DataHubGraph.{_method})."
    setattr(StoreGraph, _method, _shortcut)


__all__ = ["resolve", "datahub_types", "DataHubSource", "DataHubTransformer", "StoreGraph"]
