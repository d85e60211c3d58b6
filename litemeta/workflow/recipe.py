"""Recipes: DataHub's recipe shape, read from YAML or JSON (or given as a dict), validated strictly.

    >>> r = parse_recipe({"source": {"type": "file", "config": {"path": "in.json"}},
    ...                   "transformers": [{"type": "simple_add_dataset_tags",
    ...                                     "config": {"tag_urns": ["urn:li:tag:pii"]}}],
    ...                   "run_id": "nightly-1"}, environ={})
    >>> r.source.type, r.transformers[0].type, r.sink.type, r.run_id
    ('file', 'simple_add_dataset_tags', 'litemeta', 'nightly-1')

Top-level keys: ``source`` (required), ``transformers``, ``sink`` (default ``litemeta``, the store),
``stage`` and ``bulk_sink`` (OpenMetadata's staged pattern), ``pipeline_name``, ``run_id`` (default
``<source type>-<YYYY_MM_DD-HH_MM_SS>-<6 random chars>``, as DataHub generates it). Each step is
``{type, config}``. Any other key is a :class:`ConfigurationError` naming the key and the allowed ones.

Environment variables are expanded in string values the way DataHub's ``EnvResolver`` does: a
value containing ``${...}`` is expanded fully and an unset variable without a default
(``${VAR:-default}``) is an error; a value starting with ``$`` is expanded when its variables are
set and kept as written otherwise; ``\\$`` is a literal dollar. Other strings are left alone.

PyYAML is imported only here (design.md: one home per third-party library).
"""

from __future__ import annotations

import datetime
import json
import os
import random
import re
import string
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import yaml

from litemeta import config as cfg
from litemeta.errors import ConfigurationError

TOP_LEVEL_KEYS = ("source", "transformers", "sink", "stage", "bulk_sink", "pipeline_name", "run_id")
STEP_KEYS = ("type", "config")
DEFAULT_SINK = "litemeta"

RecipeInput = Union[str, "os.PathLike[str]", Mapping[str, Any]]


@dataclass(frozen=True)
class StepConfig:
    """One step of a recipe: its plugin type, its config dict, and where it sits (``transformers[1]``)."""

    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    where: str = ""


@dataclass(frozen=True)
class Recipe:
    """A validated recipe (environment variables already expanded)."""

    source: StepConfig
    sink: Optional[StepConfig]
    transformers: Tuple[StepConfig, ...] = ()
    stage: Optional[StepConfig] = None
    bulk_sink: Optional[StepConfig] = None
    pipeline_name: Optional[str] = None
    run_id: str = ""
    path: Optional[str] = None
    # what its ${VAR} references expanded to: masked in every message and report (workflow/masking.py)
    secrets: Tuple[str, ...] = field(default=(), repr=False, compare=False)


def load_recipe(
    recipe: RecipeInput, *, overrides: Optional[Mapping[str, Any]] = None, environ: Optional[Mapping[str, str]] = None
) -> Recipe:
    """Read (a path) or take (a mapping) a recipe, apply ``overrides``, expand variables, validate.

    ``overrides`` is deep-merged into the raw recipe before validation; its keys may be dotted
    paths (``{"sink.config.db": "meta.db"}``) or nested dicts.
    """
    path: Optional[str] = None
    if isinstance(recipe, Mapping):
        raw: Any = _plain(recipe)
    else:
        path = os.fspath(recipe)
        raw = read_recipe_file(path)
    if not isinstance(raw, dict):
        raise ConfigurationError(
            f"{path or 'recipe'}: a recipe must be a mapping with a 'source' key, found {type(raw).__name__}"
        )
    if overrides:
        raw = merge_overrides(raw, overrides)
    return parse_recipe(raw, environ=environ, path=path)


def read_recipe_file(path: str) -> Any:
    """The decoded content of a YAML (or JSON) recipe file; errors name the file and the line."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ConfigurationError(f"{path}: cannot read the recipe: {e.strerror or e}") from None
    if path.endswith(".json"):
        try:
            return json.loads(text)
        except ValueError as e:
            raise ConfigurationError(f"{path}: not valid JSON: {e}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigurationError(f"{path}:{where}: not valid YAML: {problem}") from None


def merge_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> Dict[str, Any]:
    """``raw`` with ``overrides`` deep-merged (dotted keys are paths; dicts merge, other values replace)."""
    out: Dict[str, Any] = _plain(raw)
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = out
        for p in parts[:-1]:
            nxt = node.get(p)
            if not isinstance(nxt, dict):
                nxt = {}
                node[p] = nxt
            node = nxt
        last = parts[-1]
        if isinstance(value, Mapping) and isinstance(node.get(last), dict):
            node[last] = merge_overrides(node[last], value)
        else:
            node[last] = _plain(value)
    return out


def parse_recipe(
    raw: Mapping[str, Any], *, environ: Optional[Mapping[str, str]] = None, path: Optional[str] = None
) -> Recipe:
    """Validate a decoded recipe and expand its environment variables."""
    where = f"{path}: " if path else ""
    _check_keys(raw, TOP_LEVEL_KEYS, "recipe", where)
    env = cfg.environ() if environ is None else environ
    secrets: List[str] = []
    expanded = _expand_tree(_plain(raw), env, "", secrets)
    if "source" not in expanded or expanded["source"] is None:
        raise ConfigurationError(
            f"{where}the recipe has no 'source' section; expected source: {{type: ..., config: {{...}}}}"
        )
    source = _step(expanded["source"], "source", where)
    sink = _step(expanded["sink"], "sink", where) if expanded.get("sink") is not None else None
    transformers_raw = expanded.get("transformers") or []
    if not isinstance(transformers_raw, list):
        raise ConfigurationError(
            f"{where}transformers must be a list of {{type, config}}, found {_kind(transformers_raw)}"
        )
    transformers = tuple(_step(t, f"transformers[{i}]", where) for i, t in enumerate(transformers_raw))
    stage = _step(expanded["stage"], "stage", where) if expanded.get("stage") is not None else None
    bulk = _step(expanded["bulk_sink"], "bulk_sink", where) if expanded.get("bulk_sink") is not None else None
    if bulk is not None and stage is None:
        raise ConfigurationError(f"{where}bulk_sink needs a stage: it publishes what the stage wrote")
    if sink is None and stage is None:
        sink = StepConfig(DEFAULT_SINK, {}, "sink")
    for key in ("pipeline_name", "run_id"):
        v = expanded.get(key)
        if v is not None and not isinstance(v, str):
            raise ConfigurationError(f"{where}{key} must be a string, found {_kind(v)}")
    run_id = expanded.get("run_id") or generate_run_id(source.type)
    return Recipe(source, sink, transformers, stage, bulk, expanded.get("pipeline_name"), run_id, path, tuple(secrets))


def generate_run_id(source_type: Optional[str] = None) -> str:
    """DataHub's default run id: ``<source type>-<YYYY_MM_DD-HH_MM_SS>-<6 random [a-z0-9]>``."""
    stamp = datetime.datetime.now().strftime("%Y_%m_%d-%H_%M_%S")
    suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
    return f"{source_type or 'ingestion'}-{stamp}-{suffix}"


def _step(value: Any, name: str, where: str) -> StepConfig:
    if isinstance(value, str):  # DataHub accepts a bare type for a sink; so do we, everywhere
        value = {"type": value}
    if not isinstance(value, dict):
        raise ConfigurationError(f"{where}{name} must be a mapping with 'type' and 'config', found {_kind(value)}")
    _check_keys(value, STEP_KEYS, name, where)
    t = value.get("type")
    if not isinstance(t, str) or not t:
        raise ConfigurationError(f"{where}{name}.type is missing; expected the name of a {_role(name)}")
    conf = value.get("config")
    if conf is None:
        conf = {}
    if not isinstance(conf, dict):
        raise ConfigurationError(f"{where}{name}.config must be a mapping, found {_kind(conf)}")
    return StepConfig(t, conf, name)


def _role(name: str) -> str:
    return {"source": "source", "sink": "sink", "stage": "stage", "bulk_sink": "bulk sink"}.get(name, "transformer")


def _check_keys(d: Mapping[str, Any], allowed: Tuple[str, ...], name: str, where: str) -> None:
    unknown = [k for k in d if k not in allowed]
    if unknown:
        raise ConfigurationError(
            f"{where}unknown key{'s' if len(unknown) > 1 else ''} {', '.join(repr(str(k)) for k in unknown)} "
            f"in {name}; allowed keys: {', '.join(allowed)}"
        )


# ------------------------------------------------------------------------- environment variables
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACED = re.compile(r"\$\{.+\}")


class _Unbound(Exception):
    pass


def expand_value(text: str, environ: Mapping[str, str], where: str = "value", used: Optional[List[str]] = None) -> str:
    """Expand one string as DataHub's ``EnvResolver._resolve_element`` does (see the module doc);
    the values of the variables it used are appended to ``used``."""
    if _BRACED.search(text):
        try:
            return _expand(text, environ, used)
        except _Unbound as e:
            raise ConfigurationError(
                f"{where}: environment variable {e.args[0]} is not set "
                f"(in {text!r}; give a default with ${{{e.args[0]}:-default}})"
            ) from None
    if text.startswith("$"):
        try:
            return _expand(text, environ, used)
        except _Unbound:
            return text  # DataHub keeps such values as written
    return text


def _expand(text: str, environ: Mapping[str, str], used: Optional[List[str]] = None) -> str:
    out: List[str] = []
    used = used if used is not None else []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and text.startswith("$", i + 1):
            out.append("$")
            i += 2
        elif c == "$" and text.startswith("{", i + 1):
            close = _matching_brace(text, i + 1)
            m = _NAME.match(text, i + 2) if close > 0 else None
            if m is None:
                out.append(c)
                i += 1
                continue
            name, rest = m.group(0), text[m.end() : close]
            value = environ.get(name)
            op = next((o for o in (":-", "-", ":=", "=") if rest.startswith(o)), None) if rest else None
            if rest and op is None:
                out.append(text[i : close + 1])  # an operator litemeta does not know: left as written
            elif op is not None:
                # ${VAR:-d}: default when unset or empty; ${VAR-d}: default when unset (bash semantics).
                if value is None or (op.startswith(":") and value == ""):
                    out.append(_expand(rest[len(op) :], environ, used))
                else:
                    out.append(value)
                    used.append(value)
            elif value is None:
                raise _Unbound(name)
            else:
                out.append(value)
                used.append(value)
            i = close + 1
        elif c == "$" and (m := _NAME.match(text, i + 1)) is not None:
            value = environ.get(m.group(0))
            if value is None:
                raise _Unbound(m.group(0))
            out.append(value)
            used.append(value)
            i = m.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1


def _expand_tree(value: Any, environ: Mapping[str, str], where: str, used: List[str]) -> Any:
    if isinstance(value, dict):
        return {k: _expand_tree(v, environ, f"{where}.{k}" if where else str(k), used) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_tree(v, environ, f"{where}[{i}]", used) for i, v in enumerate(value)]
    if isinstance(value, str):
        return expand_value(value, environ, where or "value", used)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_KINDS: Dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}


def _kind(v: Any) -> str:
    return _KINDS.get(type(v), type(v).__name__)


def recipe_steps(recipe: Recipe) -> List[StepConfig]:
    """Every step of the recipe in pipeline order (source, transformers, sink, stage, bulk sink)."""
    steps = [recipe.source, *recipe.transformers]
    steps += [s for s in (recipe.sink, recipe.stage, recipe.bulk_sink) if s is not None]
    return steps
