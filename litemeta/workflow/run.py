"""The pipeline: pull records from a source, transform them, write them; report per step.

    >>> from litemeta.workflow.run import Pipeline
    >>> p = Pipeline.create({"source": {"type": "file", "config": {"path": "examples/sample.json"}},
    ...                      "sink": {"type": "litemeta", "config": {"db": "meta.db"}}})   # doctest: +SKIP
    >>> p.run().raise_from_status()                                                        # doctest: +SKIP
    >>> p.summary()["steps"][0]["records"]                                                 # doctest: +SKIP

The run, in OpenMetadata's shape (peers.md §3): for each item the source yields, the pipeline
makes a record of it (file-sink dicts and acryl-datahub objects are decoded; errors become
source failures), stamps its system metadata as DataHub's ``AutoSystemMetadata`` does (``runId``
= the recipe's run id, ``lastObserved`` when missing, ``pipelineName`` when the recipe names
one), passes it through the transformers in order, then to the sink and/or the stage. When the
source is exhausted each transformer's end-of-stream records flow through the transformers after
it; then the steps are closed and the bulk sink publishes what the stage wrote.

Failures are data: an exception while handling one record is a failure of that step (error,
stack trace and the record) and the run goes on. Only a bad recipe (:class:`ConfigurationError`,
raised by :meth:`Pipeline.create`) stops it before it starts.
"""

from __future__ import annotations

import copy
import time
from dataclasses import replace
from typing import Any, Callable, Dict, List, Mapping, Optional

from litemeta.errors import ConfigurationError, LitemetaError, PipelineError, ValidationError
from litemeta.model.codec import LegacyMCE, record_from_obj, record_to_obj
from litemeta.model.proposal import Origin, Proposal
from litemeta.workflow.masking import Secrets
from litemeta.workflow.recipe import Recipe, RecipeInput, StepConfig, load_recipe
from litemeta.workflow.status import Status, format_table, summary
from litemeta.workflow.steps import BulkSink, PipelineContext, Processor, Record, Sink, Source, Stage, Step, create_step


def with_db(recipe: Recipe, db: Optional[str]) -> Recipe:
    """The recipe with ``db`` as the store of its ``litemeta`` sink and ``litemeta-bulk`` bulk sink."""
    if not db:
        return recipe
    changes: Dict[str, Any] = {}
    if recipe.sink is not None and recipe.sink.type == "litemeta":
        changes["sink"] = replace(recipe.sink, config={**recipe.sink.config, "db": db})
    if recipe.bulk_sink is not None and recipe.bulk_sink.type == "litemeta-bulk":
        changes["bulk_sink"] = replace(recipe.bulk_sink, config={**recipe.bulk_sink.config, "db": db})
    return replace(recipe, **changes)


class Pipeline:
    """One run of a recipe. Build with :meth:`create`, then :meth:`run`."""

    def __init__(
        self,
        recipe: Recipe,
        *,
        dry_run: bool = False,
        preview: Optional[int] = None,
        progress: Optional[Callable[[int], None]] = None,
    ) -> None:
        self.recipe = recipe
        self.dry_run = dry_run
        self.preview = preview
        self.progress = progress
        self.ctx = PipelineContext(recipe.run_id, recipe.pipeline_name, dry_run, db=_store_db(recipe))
        self._secrets = Secrets(recipe.secrets)
        self.seconds = 0.0
        self._ran = False
        self.steps: List[Step] = []
        try:
            self._build()
        except BaseException:
            self._close_all()
            raise

    @classmethod
    def create(
        cls,
        recipe: RecipeInput,
        overrides: Optional[Mapping[str, Any]] = None,
        *,
        db: Optional[str] = None,
        dry_run: bool = False,
        preview: Optional[int] = None,
        environ: Optional[Mapping[str, str]] = None,
        progress: Optional[Callable[[int], None]] = None,
    ) -> "Pipeline":
        """Build a pipeline from a recipe (a path, or a dict in DataHub's recipe shape).

        ``overrides`` are merged into the recipe (dotted keys allowed, e.g. ``{"run_id": "r1"}``);
        ``db`` replaces the store of the ``litemeta`` sink / ``litemeta-bulk`` bulk sink. Raises
        :class:`ConfigurationError` for a bad recipe or step config.
        """
        r = recipe if isinstance(recipe, Recipe) else load_recipe(recipe, overrides=overrides, environ=environ)
        try:
            return cls(with_db(r, db), dry_run=dry_run, preview=preview, progress=progress)
        except LitemetaError as e:  # (a step's config, a store that cannot be opened): no secret in the message
            e.args = (Secrets(r.secrets).text(str(e)),)
            raise

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        r = self.recipe
        self.sink: Optional[Sink] = self._make("sink", r.sink) if r.sink else None  # type: ignore[assignment]
        self.bulk_sink: Optional[BulkSink] = (
            self._make("bulk_sink", r.bulk_sink)  # type: ignore[assignment]
            if r.bulk_sink
            else None
        )
        for target in (self.sink, self.bulk_sink):
            reader = target.graph() if target is not None else None
            if reader is not None and self.ctx.graph is None:
                self.ctx.graph = reader
        self.source: Source = self._make("source", r.source)  # type: ignore[assignment]
        self.transformers: List[Processor] = [self._make("transformer", t) for t in r.transformers]  # type: ignore[misc]
        self.stage: Optional[Stage] = self._make("stage", r.stage) if r.stage else None  # type: ignore[assignment]
        order: List[Optional[Step]] = [self.source, *self.transformers, self.sink, self.stage, self.bulk_sink]
        self.steps = [s for s in order if s is not None]

    def _make(self, role: str, sc: StepConfig) -> Step:
        step = create_step(role, sc.type, sc.config, self.ctx)
        step.status.mask = self._secrets.obj
        self.steps.append(step)  # so that a later failure while building closes it
        return step

    # ------------------------------------------------------------------------------- running
    def run(self) -> "Pipeline":
        """Run the pipeline once; the outcome is in :meth:`status` / :meth:`summary`."""
        if self._ran:
            raise ConfigurationError("a pipeline runs once; create another one")
        self._ran = True
        t0 = time.perf_counter()
        try:
            pulled = 0
            items = iter(self.source.records())
            while self.preview is None or pulled < self.preview:
                try:
                    item = next(items)
                except StopIteration:
                    break
                except Exception as e:  # the source broke: what it yielded so far is kept
                    self.source.status.failed_exception(f"{self.source.name} (stopped)", e)
                    break
                pulled += 1
                if self.progress is not None:
                    self.progress(1)
                record = self._record_of(item, pulled - 1)
                if record is not None:
                    self._send(self._stamp(record), 0)
            for i, t in enumerate(self.transformers):
                try:
                    extra = list(t.end_of_stream())
                except Exception as e:
                    t.status.failed_exception(f"{t.name} end of stream", e)
                    continue
                for rec in extra:
                    self._send(rec, i + 1)
        finally:
            self._close_all()
            if self.bulk_sink is not None and self.stage is not None:
                self._run_bulk()
            self._run_end()
            self.seconds = time.perf_counter() - t0
        return self

    def _record_of(self, item: Any, index: int) -> Optional[Record]:
        st = self.source.status
        if isinstance(item, (Proposal, LegacyMCE)):
            st.scanned()
            return item
        if isinstance(item, ValidationError):
            st.failed(_where(item.file, item.index, item.urn), item.message, details=item.as_dict())
            return None
        if isinstance(item, LitemetaError):
            st.failed(getattr(item, "file", None) or self.source.name, str(item))
            return None
        if hasattr(item, "describe") and not hasattr(item, "to_obj"):  # a CorruptionReport
            st.failed(getattr(item, "file", self.source.name), item.describe())
            return None
        try:
            if isinstance(item, Mapping):
                obj: Any = dict(item)
            elif hasattr(item, "to_obj"):
                obj = _sdk_obj(item)
            else:
                raise TypeError(
                    f"a source yielded a {type(item).__name__}; expected a Proposal, a file-sink dict "
                    f"or an acryl-datahub MCP/MCE"
                )
            rec = record_from_obj(obj, Origin(f"<{self.source.name}>", index))
        except ValidationError as e:
            st.failed(_where(e.file, e.index, e.urn), e.message, record=_jsonable(item), details=e.as_dict())
            return None
        except Exception as e:
            st.failed_exception(f"<{self.source.name}>#{index}", e, record=_jsonable(item))
            return None
        st.scanned()
        return rec

    def _stamp(self, record: Record) -> Record:
        sm: Dict[str, Any] = dict(record.system_metadata or {})
        sm["runId"] = self.ctx.run_id
        if not sm.get("lastObserved"):
            sm["lastObserved"] = int(time.time() * 1000)
        if self.ctx.pipeline_name:
            sm["pipelineName"] = self.ctx.pipeline_name
        if isinstance(record, Proposal):
            return record.with_(system_metadata=sm)
        return replace(record, system_metadata=sm)

    def _send(self, record: Record, start: int) -> None:
        """Pass ``record`` through transformers ``start..`` then to the sink and stage."""
        batch = [record]
        for t in self.transformers[start:]:
            out: List[Record] = []
            for r in batch:
                t.status.scanned()
                try:
                    out.extend(t.process(r))
                except Exception as e:
                    t.status.failed_exception(_describe(r), e, record=_obj(r))
            batch = out
            if not batch:
                return
        for r in batch:
            for step, call in ((self.sink, "write"), (self.stage, "stage")):
                if step is None:
                    continue
                try:
                    getattr(step, call)(r)
                except Exception as e:
                    step.status.failed_exception(_describe(r), e, record=_obj(r))

    def _close_all(self) -> None:
        for step in self.steps:
            if step is self.bulk_sink:
                continue
            try:
                step.close()
            except Exception as e:
                step.status.failed_exception(f"{step.name} close", e)

    def _run_end(self) -> None:
        failures, warnings = self.has_failures(), self.has_warnings()
        for step in self.steps:
            try:
                step.on_run_end(failures, warnings)
            except Exception as e:
                step.status.failed_exception(f"{step.name} end of run", e)

    def _run_bulk(self) -> None:
        assert self.bulk_sink is not None and self.stage is not None
        try:
            self.bulk_sink.run(self.stage.location)
        except Exception as e:
            self.bulk_sink.status.failed_exception(f"{self.bulk_sink.name} run", e)
        finally:
            try:
                self.bulk_sink.close()
            except Exception as e:
                self.bulk_sink.status.failed_exception(f"{self.bulk_sink.name} close", e)

    # -------------------------------------------------------------------------------- status
    def status(self) -> List[Status]:
        """Each step's status, in pipeline order."""
        return [s.status for s in self.steps]

    def summary(self, limit: Optional[int] = 10) -> Dict[str, Any]:
        """The run's summary (the ``--json`` output): totals and each step's counts and first failures.
        The recipe's secrets are masked everywhere in it, its pipeline name and run id included (the
        store keeps those as configured: they are the run's identity, which ``runs`` and rollback use)."""
        return self._secrets.obj(
            summary(
                self.status(),
                pipeline_name=self.recipe.pipeline_name,  # type: ignore[no-any-return]
                run_id=self.recipe.run_id,
                dry_run=self.dry_run,
                seconds=self.seconds,
                limit=limit,
            )
        )

    def pretty_summary(self) -> str:
        """The summary as a text table."""
        return format_table(self.summary())

    def has_failures(self) -> bool:
        """Whether any step failed on any record."""
        return any(s.failures for s in self.status())

    def has_warnings(self) -> bool:
        """Whether any step reported a warning."""
        return any(s.warnings for s in self.status())

    def exit_code(self, strict_warnings: bool = False) -> int:
        """0 on success, 1 on failures (or on warnings when ``strict_warnings``)."""
        return 1 if self.has_failures() or (strict_warnings and self.has_warnings()) else 0

    def raise_from_status(self, raise_warnings: bool = False) -> None:
        """Raise :class:`PipelineError` naming the failed steps if the run had failures (or warnings)."""
        bad = [s for s in self.status() if s.failures or (raise_warnings and s.warnings)]
        if bad:
            parts = [
                f"{s.step}: {len(s.failures)} failures, {len(s.warnings)} warnings"
                + (f" (first: {s.failures[0]['name']}: {s.failures[0]['error']})" if s.failures else "")
                for s in bad
            ]
            raise PipelineError(
                "pipeline finished with "
                + ("failures" if any(s.failures for s in bad) else "warnings")
                + "; "
                + "; ".join(parts)
            )


def _store_db(recipe: Recipe) -> Optional[str]:
    """The ``db`` of the recipe's ``litemeta`` sink or ``litemeta-bulk`` bulk sink, when it names one."""
    for sc, kind in ((recipe.sink, "litemeta"), (recipe.bulk_sink, "litemeta-bulk")):
        if sc is not None and sc.type == kind and isinstance(sc.config.get("db"), str):
            return str(sc.config["db"])
    return None


def _sdk_obj(obj: Any) -> Any:
    if type(obj).__name__ == "MetadataChangeProposalWrapper":
        return obj.to_obj(simplified_structure=True)
    return obj.to_obj()


def _obj(r: Any) -> Any:
    try:
        return record_to_obj(r)
    except Exception:  # a step produced something that is not a record: keep its text
        return repr(r)


def _jsonable(item: Any) -> Any:
    if isinstance(item, Mapping):
        return copy.deepcopy(dict(item))
    try:
        return _sdk_obj(item) if hasattr(item, "to_obj") else repr(item)
    except Exception:
        return repr(item)


def _describe(r: Any) -> str:
    if isinstance(r, Proposal):
        return " ".join(x for x in (str(r.origin), r.entity_urn, r.aspect_name or "") if x)
    if isinstance(r, LegacyMCE):
        return f"{r.origin} {r.urn}"
    return repr(r)[:200]


def _where(file: Optional[str], index: Optional[int], urn: Optional[str]) -> str:
    return " ".join(x for x in (f"{file or '<input>'}#{index if index is not None else '?'}", urn) if x)


def run_pipeline(recipe: RecipeInput, **kwargs: Any) -> Pipeline:
    """Create and run a pipeline; return it (for its status)."""
    return Pipeline.create(recipe, **kwargs).run()


__all__ = ["Pipeline", "PipelineError", "run_pipeline", "with_db"]
