"""The steps of a pipeline as small interfaces, and their discovery by entry points.

    >>> from litemeta.workflow.steps import Processor
    >>> class DropStatus(Processor):
    ...     '''Drop every status aspect.'''
    ...     def process(self, record):
    ...         if getattr(record, "aspect_name", None) != "status":
    ...             yield record

A pipeline pulls records from a :class:`Source`, passes each through the :class:`Processor` steps
(transformers) in order, then hands what comes out to a :class:`Sink` and/or a :class:`Stage`; at
the end a :class:`BulkSink` publishes what the stage wrote (OpenMetadata's Step API, peers.md §3).

A record is a :class:`~litemeta.model.proposal.Proposal` or a
:class:`~litemeta.model.codec.LegacyMCE`. Sources may also yield file-sink dicts, acryl-datahub
objects (anything with ``to_obj``) or errors (a :class:`~litemeta.errors.LitemetaError` or a
``CorruptionReport``-like object with ``describe()``); the pipeline turns those into records or
source failures.

Steps are found by type name in the entry-point groups ``litemeta.sources``,
``litemeta.transformers``, ``litemeta.sinks`` (sinks, stages and bulk sinks share the group);
litemeta's built-ins are declared there too, in its own ``pyproject.toml`` (so the package must be
installed, ``pip install -e .`` for a checkout). Finally a type may be a dotted path
``package.module:Class`` or ``package.module.Class`` (:func:`import_object`). A user's package
adds a step by declaring, in its own ``pyproject.toml``::

    [project.entry-points."litemeta.transformers"]
    my_transformer = "my_pkg.transformers:MyTransformer"
"""

from __future__ import annotations

import importlib
import importlib.metadata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, Type, TypeVar, Union

from litemeta.errors import ConfigurationError
from litemeta.model.codec import LegacyMCE
from litemeta.model.proposal import Proposal
from litemeta.model.registry import Registry, load_registry
from litemeta.workflow.status import Status

Record = Union[Proposal, LegacyMCE]

GROUPS = {
    "source": "litemeta.sources",
    "transformer": "litemeta.transformers",
    "sink": "litemeta.sinks",
    "stage": "litemeta.sinks",
    "bulk_sink": "litemeta.sinks",
}
# Entry points resolving step types no group names (DataHub's own sources and transformers).
RESOLVERS = "litemeta.step_resolvers"

# Reads the current value of an aspect in the target store ("the server" of DataHub's PATCH
# transformer semantics): (urn, aspect name) -> value or None.
AspectReader = Callable[[str, str], Optional[Dict[str, Any]]]


@dataclass
class PipelineContext:
    """What every step may know about the run."""

    run_id: str
    pipeline_name: Optional[str] = None
    dry_run: bool = False
    graph: Optional[AspectReader] = None
    db: Optional[str] = None  # the store the recipe writes into (its litemeta sink's or bulk sink's db), if named
    _registry: Optional[Registry] = field(default=None, repr=False)

    @property
    def registry(self) -> Registry:
        """DataHub's entity and aspect registry (loaded once)."""
        if self._registry is None:
            self._registry = load_registry()
        return self._registry


class Step(ABC):  # noqa: B024 - abstract as a family; each role's base adds the abstract method
    """Common lifecycle: created from a config dict and the context; owns a :class:`Status`."""

    kind = "step"

    def __init__(self, config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> None:
        self.config: Dict[str, Any] = dict(config)
        self.ctx = ctx
        self.name = name or type(self).__name__
        self.status = Status(self.name, self.kind)

    @classmethod
    def create(cls: Type["S"], config: Mapping[str, Any], ctx: PipelineContext, name: Optional[str] = None) -> "S":
        """Build the step from its recipe ``config``; raise :class:`ConfigurationError` for a bad one."""
        return cls(config, ctx, name)

    def close(self) -> None:  # noqa: B027 - a hook: most steps hold nothing to release
        """Release resources; flush anything buffered. Called once at the end of the run."""

    def on_run_end(self, failures: bool, warnings: bool) -> None:  # noqa: B027 - a hook, like close
        """Called once after every step closed (and the bulk sink ran), with whether any step failed or
        warned: DataHub's commit phase (a stateful source commits its checkpoints here)."""


S = TypeVar("S", bound=Step)


class Source(Step):
    """Reads somewhere and yields records (or dicts, SDK objects, errors; see the module doc)."""

    kind = "source"

    @abstractmethod
    def records(self) -> Iterable[Any]:
        """Yield the source's records in order. Bad input is yielded as an error, not raised."""


class Processor(Step):
    """Maps one record to zero or more records (a transformer)."""

    kind = "transformer"

    @abstractmethod
    def process(self, record: Record) -> Iterable[Record]:
        """The records that replace ``record`` (none drops it)."""

    def end_of_stream(self) -> Iterable[Record]:
        """Records to emit once the source is exhausted (DataHub's ``handle_end_of_stream``)."""
        return ()


class Sink(Step):
    """Writes records. May buffer; must report each record's outcome in its status by ``close``."""

    kind = "sink"

    @abstractmethod
    def write(self, record: Record) -> None:
        """Accept one record."""

    def graph(self) -> Optional[AspectReader]:
        """A reader of current values in the sink's target, when it has one (for PATCH semantics)."""
        return None


class Stage(Step):
    """Writes records to a staging location that a :class:`BulkSink` publishes at the end."""

    kind = "stage"

    @abstractmethod
    def stage(self, record: Record) -> None:
        """Stage one record."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the staged records are (after :meth:`close`)."""


class BulkSink(Step):
    """Publishes everything a stage wrote, once, at the end of the run."""

    kind = "bulk_sink"

    @abstractmethod
    def run(self, staged: str) -> None:
        """Publish the staged records at ``staged``."""

    def graph(self) -> Optional[AspectReader]:
        """A reader of current values in the target, when it has one (for PATCH semantics)."""
        return None


# ----------------------------------------------------------------------------------- discovery
def entry_points(group: str) -> Dict[str, importlib.metadata.EntryPoint]:
    """The installed entry points of ``group`` by name (a later distribution does not shadow an earlier one)."""
    found: Dict[str, importlib.metadata.EntryPoint] = {}
    for ep in importlib.metadata.entry_points(group=group):
        found.setdefault(ep.name, ep)
    return found


def available(role: str) -> Dict[str, str]:
    """Every step type usable as ``role`` (source, transformer, sink...) -> where it comes from."""
    return dict(sorted((name, ep.value) for name, ep in entry_points(GROUPS[role]).items()))


def resolve(role: str, type_name: str) -> Type[Step]:
    """The step class for ``type_name``: an entry point (litemeta's built-ins are entry points too),
    else a dotted import path."""
    if role not in GROUPS:
        raise ConfigurationError(f"unknown step role {role!r}; expected one of {', '.join(GROUPS)}")
    target: Any = None
    ep = entry_points(GROUPS[role]).get(type_name)
    if ep is not None:
        try:
            target = ep.load()
        except Exception as e:
            raise ConfigurationError(
                f"{role} {type_name!r}: cannot load entry point {ep.value!r}: {type(e).__name__}: {e}"
            ) from e
    elif "." in type_name or ":" in type_name:
        target = import_object(type_name, role, type_name)
    else:
        target = _plugin_step(role, type_name)
        if target is None:
            names = ", ".join(available(role))
            raise ConfigurationError(
                f"unknown {role} type {type_name!r}; available: {names} "
                f"(or a dotted path package.module:Class"
                + (", or any of DataHub's own types" if role in ("source", "transformer") else "")
                + ")"
            )
    wanted = _BASES[role]
    if not (isinstance(target, type) and issubclass(target, wanted)):
        raise ConfigurationError(
            f"{role} {type_name!r} resolves to {target!r}, which is not a "
            f"{wanted.__module__}.{wanted.__name__} subclass"
        )
    return target


def _plugin_step(role: str, type_name: str) -> Optional[Type[Step]]:
    """A step another package resolves: each entry point of ``litemeta.step_resolvers`` is a callable
    ``(role, type_name) -> step class or None`` (litemeta's own: DataHub's sources and transformers
    through acryl-datahub's plugin registry, ``litemeta.integrations.datahub_steps``). Found through
    entry points, so the workflow never imports the integrations that build on it."""
    for name, ep in entry_points(RESOLVERS).items():
        try:
            resolver = ep.load()
        except Exception as e:
            raise ConfigurationError(
                f"{role} {type_name!r}: cannot load step resolver {name!r} ({ep.value}): {type(e).__name__}: {e}"
            ) from e
        found = resolver(role, type_name)
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


def import_object(path: str, role: str, type_name: str) -> Any:
    """The object at ``package.module:attr`` or ``package.module.attr``; a failure is a
    :class:`ConfigurationError` naming the step (``role type_name``) and what could not be found."""
    module, _, attr = path.partition(":") if ":" in path else path.rpartition(".")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as e:
        raise ConfigurationError(f"{role} {type_name!r}: cannot import {module!r}: {e}") from e
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigurationError(f"{role} {type_name!r}: {module!r} has no attribute {attr!r}") from None
    return obj


_BASES: Dict[str, Type[Step]] = {
    "source": Source,
    "transformer": Processor,
    "sink": Sink,
    "stage": Stage,
    "bulk_sink": BulkSink,
}


def create_step(role: str, type_name: str, config: Mapping[str, Any], ctx: PipelineContext) -> Step:
    """Resolve and build one step; any error while building is a :class:`ConfigurationError` naming the step."""
    cls = resolve(role, type_name)
    try:
        return cls.create(config, ctx, type_name)
    except ConfigurationError as e:
        raise ConfigurationError(f"{role} {type_name!r}: {e}") from e
    except (TypeError, ValueError, KeyError) as e:
        raise ConfigurationError(f"{role} {type_name!r}: bad config: {type(e).__name__}: {e}") from e


REQUIRED: Any = object()  # marks a config key without a default


def read_config(config: Mapping[str, Any], spec: Mapping[str, Tuple[Any, Any]], step: str) -> Dict[str, Any]:
    """Check a step's config against ``spec`` (``key -> (type or tuple of types, default or REQUIRED)``).

    Unknown keys, missing required keys and values of the wrong type are a
    :class:`ConfigurationError` naming the step, the key, the allowed keys, expected and found.
    """
    unknown = [k for k in config if k not in spec]
    if unknown:
        raise ConfigurationError(
            f"{step}: unknown config key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(str(k)) for k in unknown)}; allowed keys: "
            f"{', '.join(spec) or '(none)'}"
        )
    out: Dict[str, Any] = {}
    for key, (types, default) in spec.items():
        if key not in config or config[key] is None:
            if default is REQUIRED:
                raise ConfigurationError(f"{step}: config key {key!r} is required")
            out[key] = default() if callable(default) and not isinstance(default, type) else default
            continue
        value = config[key]
        if types is not None and not isinstance(value, types) or (isinstance(value, bool) and types in (int, float)):
            names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
            raise ConfigurationError(
                f"{step}: config key {key!r} must be {names}, found {type(value).__name__} {value!r}"
            )
        out[key] = value
    return out
