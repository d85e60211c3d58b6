"""The pure half of the ``sqlalchemy`` source: configuration, urns and container keys, view SQL.

    >>> cfg = SqlAlchemySourceConfig.from_dict({"platform": "sqlite", "connect_uri": "sqlite:///shop.db"})
    >>> cfg.table_pattern.allowed("main.orders")
    True
    >>> referenced_tables("select * from main.orders o join customers c on o.c = c.id")
    [('main', 'orders'), ('customers',)]
    >>> dataset_urn("sqlite", "main.orders", None, "PROD")
    'urn:li:dataset:(urn:li:dataPlatform:sqlite,main.orders,PROD)'

No SQLAlchemy here (design.md: SQLAlchemy lives in ``storage/`` and ``sources/database.py``):
these are the decisions :mod:`litemeta.sources.database` takes from values, testable without a
database. Names, defaults and algorithms are DataHub's (acryl-datahub 1.7.0.17:
``configuration/common.py``, ``emitter/mce_builder.py``, ``emitter/mcp_builder.py``,
``ingestion/source/sql/sql_config.py``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import quote

from litemeta.errors import ConfigurationError

# Environments DataHub knows (FabricType); containerProperties.env is set only for these.
ENV_TYPES = frozenset(
    {
        "CERT",
        "CORP",
        "DEV",
        "EI",
        "NON_PROD",
        "PRD",
        "PRE",
        "PROD",
        "QA",
        "RVW",
        "SANDBOX",
        "SBX",
        "SIT",
        "STG",
        "TEST",
        "TST",
        "UAT",
    }
)
_URN_RESERVED = {",", "(", ")", "\u241f"}  # datahub.utilities.urn_encoder.RESERVED_CHARS
INGESTION_ACTOR = "urn:li:corpuser:_ingestion"


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class AllowDenyPattern:
    """DataHub's AllowDenyPattern: regexes matched at the start of the name; deny wins."""

    allow: Tuple[str, ...] = (".*",)
    deny: Tuple[str, ...] = ()
    ignore_case: bool = True

    @classmethod
    def from_config(cls, value: Any, key: str) -> "AllowDenyPattern":
        """Parse ``{allow: [...], deny: [...], ignoreCase: bool}``; errors name ``key``."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ConfigurationError(f"{key}: expected a mapping with allow/deny/ignoreCase, got {value!r}")
        unknown = set(value) - {"allow", "deny", "ignoreCase"}
        if unknown:
            raise ConfigurationError(f"{key}: unknown key(s) {sorted(unknown)}; allowed: allow, deny, ignoreCase")
        pattern = cls(
            tuple(value.get("allow", [".*"])), tuple(value.get("deny", [])), bool(value.get("ignoreCase", True))
        )
        for regex in pattern.allow + pattern.deny:
            try:
                re.compile(regex)
            except re.error as e:
                raise ConfigurationError(f"{key}: invalid regex {regex!r}: {e}") from e
        return pattern

    def allowed(self, name: str) -> bool:
        """True when no deny regex and at least one allow regex matches the start of ``name``."""
        flags = re.IGNORECASE if self.ignore_case else 0
        if any(re.match(p, name, flags) for p in self.deny):
            return False
        return any(re.match(p, name, flags) for p in self.allow)


@dataclass(frozen=True)
class ProfilingConfig:
    """The part of DataHub's ``profiling`` block litemeta implements (same names and defaults)."""

    enabled: bool = False
    profile_table_level_only: bool = False
    include_field_null_count: bool = True
    include_field_distinct_count: bool = True
    include_field_min_value: bool = True
    include_field_max_value: bool = True
    include_field_mean_value: bool = True
    include_field_median_value: bool = True
    include_field_stddev_value: bool = True
    include_field_sample_values: bool = True
    field_sample_values_limit: int = 20
    max_number_of_fields_to_profile: Optional[int] = None


# DataHub keys accepted so that DataHub recipes run unchanged, but without effect in litemeta
# (each use is reported as a warning): stateful ingestion, domains and classification need a
# DataHub server; column-level lineage needs DataHub's SQL parser.
IGNORED_KEYS = frozenset(
    {
        "classification",
        "domain",
        "include_table_location_lineage",
        "include_view_column_lineage",
        "incremental_lineage",
        "stateful_ingestion",
        "use_file_backed_cache",
    }
)
IGNORED_PROFILING_KEYS = frozenset(
    {
        "catch_exceptions",
        "include_field_distinct_value_frequencies",
        "include_field_histogram",
        "include_field_quantiles",
        "limit",
        "max_distinct_per_statement",
        "max_queries_to_combine",
        "max_workers",
        "nested_field_max_depth",
        "offset",
        "operation_config",
        "partition_datetime",
        "partition_profiling_enabled",
        "profile_external_tables",
        "profile_if_updated_since_days",
        "profile_nested_fields",
        "profile_table_row_count_estimate_only",
        "profile_table_row_limit",
        "profile_table_size_limit",
        "profiling_isolation_level",
        "query_combiner_enabled",
        "query_combiner_flatten_enabled",
        "query_timeout_seconds",
        "report_dropped_profiles",
        "sample_size",
        "tags_to_ignore_sampling",
        "turn_off_expensive_profiling_metrics",
        "use_sampling",
    }
)


@dataclass(frozen=True)
class SqlAlchemySourceConfig:
    """Configuration of the ``sqlalchemy`` source, with DataHub's key names."""

    connect_uri: str
    platform: str
    env: str = "PROD"
    platform_instance: Optional[str] = None
    include_tables: bool = True
    include_views: bool = True
    include_view_lineage: bool = True
    table_pattern: AllowDenyPattern = AllowDenyPattern()
    view_pattern: AllowDenyPattern = AllowDenyPattern()
    schema_pattern: AllowDenyPattern = AllowDenyPattern()
    profile_pattern: AllowDenyPattern = AllowDenyPattern()
    convert_urns_to_lowercase: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    profiling: ProfilingConfig = ProfilingConfig()
    ignored_keys: Tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> "SqlAlchemySourceConfig":
        """Parse a recipe's ``source.config``; unknown keys raise ConfigurationError naming them."""
        own = {f.name for f in fields(cls)} - {"ignored_keys"}
        unknown = sorted(set(config) - own - IGNORED_KEYS)
        if unknown:
            raise ConfigurationError(
                f"sqlalchemy source: unknown config key(s) {unknown}; allowed: {sorted(own | IGNORED_KEYS)}"
            )
        for required in ("connect_uri", "platform"):
            if not isinstance(config.get(required), str) or not config[required]:
                raise ConfigurationError(f"sqlalchemy source: {required!r} is required (a non-empty string)")
        values: Dict[str, Any] = {k: v for k, v in config.items() if k in own}
        ignored = [k for k in config if k in IGNORED_KEYS]
        for key in ("table_pattern", "view_pattern", "schema_pattern", "profile_pattern"):
            if key in values:
                values[key] = AllowDenyPattern.from_config(values[key], key)
        if "view_pattern" not in config and "table_pattern" in values:
            values["view_pattern"] = values["table_pattern"]  # as DataHub's SQLFilterConfig does
        profiling = dict(config.get("profiling") or {})
        allowed_profiling = {f.name for f in fields(ProfilingConfig)}
        unknown = sorted(set(profiling) - allowed_profiling - IGNORED_PROFILING_KEYS)
        if unknown:
            raise ConfigurationError(
                f"sqlalchemy source: unknown profiling key(s) {unknown}; "
                f"allowed: {sorted(allowed_profiling | IGNORED_PROFILING_KEYS)}"
            )
        ignored += [f"profiling.{k}" for k in profiling if k in IGNORED_PROFILING_KEYS]
        values["profiling"] = ProfilingConfig(**{k: v for k, v in profiling.items() if k in allowed_profiling})
        values["ignored_keys"] = tuple(ignored)
        return cls(**values)


# ---------------------------------------------------------------- urns and container keys


def datahub_guid(obj: Mapping[str, Any]) -> str:
    """``mce_builder.datahub_guid``: md5 of the key's fields as sorted, compact JSON."""
    text = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def encode_urn_part(value: str) -> str:
    """``UrnEncoder.encode_string``: percent-encode ``, ( ) \u241f`` only."""
    return "".join(quote(c) if c in _URN_RESERVED else c for c in value)


def platform_urn(platform: str) -> str:
    """``urn:li:dataPlatform:<platform>`` (a urn is passed through)."""
    return platform if platform.startswith("urn:li:") else f"urn:li:dataPlatform:{encode_urn_part(platform)}"


def platform_instance_urn(platform: str, instance: str) -> str:
    """``make_dataplatform_instance_urn``."""
    if instance.startswith("urn:li:dataPlatformInstance"):
        return instance
    return f"urn:li:dataPlatformInstance:({platform_urn(platform)},{instance})"


def dataset_urn(platform: str, name: str, instance: Optional[str], env: str, lower: bool = False) -> str:
    """``make_dataset_urn_with_platform_instance``: the instance prefixes the name."""
    full = f"{instance}.{name}" if instance else name
    if lower:
        full = full.lower()
    return f"urn:li:dataset:({platform_urn(platform)},{encode_urn_part(full)},{env.upper()})"


def schema_field_urn(parent: str, field_path: str) -> str:
    """``make_schema_field_urn``."""
    return f"urn:li:schemaField:({parent},{encode_urn_part(field_path)})"


def container_key(
    platform: str, instance: Optional[str], env: Optional[str], database: str, schema: Optional[str] = None
) -> Tuple[str, Dict[str, str]]:
    """(container urn, customProperties) of ``DatabaseKey``/``SchemaKey`` with
    ``backcompat_env_as_instance=True`` as ``sql_utils.gen_database_key``/``gen_schema_key`` build them.

    The guid covers platform, instance (the env when there is no instance: upstream's backward
    compatible bug), database and schema; the properties are the key's fields without the flag.
    """
    guid = {"platform": platform, "database": database}
    props = {"platform": platform}
    if instance is not None:
        props["instance"] = instance
    if env is not None:
        props["env"] = env
    props["database"] = database
    if schema is not None:
        guid["schema"] = props["schema"] = schema
    if instance is not None:
        guid["instance"] = instance
    elif env is not None:
        guid["instance"] = env
    return f"urn:li:container:{datahub_guid(guid)}", props


# ---------------------------------------------------------------- view definitions

_TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'
    |(?P<q>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    |(?P<w>[A-Za-z_][A-Za-z0-9_$#@]*)|(?P<p>[^\s])""",
    re.S | re.X,
)
_NOT_ALIAS = frozenset(
    """where join on using group order having limit offset union intersect except
    left right inner outer full cross natural window qualify lateral fetch for with as set values
    returning straight_join""".split()
)


def referenced_tables(sql: str) -> List[Tuple[str, ...]]:
    """Names (as tuples of identifier parts) read by the FROM and JOIN clauses of ``sql``.

    A small tokenizer, not a parser: it skips strings and comments, unquotes identifiers, follows
    comma-separated FROM lists, ignores subqueries and table functions and drops CTE names.
    Callers keep only names that resolve to real tables, so a stray match does no harm.
    """
    toks: List[Tuple[str, str]] = []
    for m in _TOKEN.finditer(sql):
        if m.group("q"):
            q = m.group("q")
            toks.append(("id", q[1:-1].replace(q[0] * 2, q[0]) if q[0] != "[" else q[1:-1]))
        elif m.group("w"):
            toks.append(("w", m.group("w")))
        elif m.group("p"):
            toks.append(("p", m.group("p")))
    kw = [v.lower() if k == "w" else None for k, v in toks]
    ctes = {
        toks[i][1].lower()
        for i in range(len(toks) - 2)
        if toks[i][0] in ("w", "id") and kw[i + 1] == "as" and toks[i + 2] == ("p", "(")
    }
    found: List[Tuple[str, ...]] = []
    i = 0
    while i < len(toks):
        if kw[i] not in ("from", "join"):
            i += 1
            continue
        in_from = kw[i] == "from"
        i += 1
        while i < len(toks) and toks[i][0] in ("w", "id"):
            parts = [toks[i][1]]
            i += 1
            while i + 1 < len(toks) and toks[i] == ("p", ".") and toks[i + 1][0] in ("w", "id"):
                parts.append(toks[i + 1][1])
                i += 2
            if i < len(toks) and toks[i] == ("p", "("):
                break  # a table function, not a table
            if not (len(parts) == 1 and parts[0].lower() in ctes):
                found.append(tuple(parts))
            if i < len(toks) and kw[i] == "as":
                i += 2
            elif i < len(toks) and (toks[i][0] == "id" or (toks[i][0] == "w" and kw[i] not in _NOT_ALIAS)):
                i += 1
            if in_from and i < len(toks) and toks[i] == ("p", ","):
                i += 1
                continue
            break
    return found


# ---------------------------------------------------------------- report


@dataclass
class SqlAlchemySourceReport:
    """What a run did: counts, filtered names, and warnings and failures as data (never raised)."""

    schemas: int = 0
    tables: int = 0
    views: int = 0
    profiles: int = 0
    proposals: int = 0
    filtered: List[str] = field(default_factory=list)
    warnings: List[Dict[str, str]] = field(default_factory=list)
    failures: List[Dict[str, str]] = field(default_factory=list)

    def warn(self, context: str, message: str) -> None:
        """Record a warning about ``context`` (a schema, table or column name)."""
        self.warnings.append({"context": context, "message": message})

    def fail(self, context: str, message: str) -> None:
        """Record a failure about ``context``; the run goes on."""
        self.failures.append({"context": context, "message": message})
