"""The ``sqlalchemy`` source: introspect any SQLAlchemy URL into DataHub proposals.

    >>> cfg = SqlAlchemySourceConfig.from_dict({"platform": "sqlite", "connect_uri": "sqlite:///shop.db"})
    >>> source = SqlAlchemySource(cfg)                                   # doctest: +SKIP
    >>> for proposal in source.proposals(): ...                          # doctest: +SKIP
    >>> source.report.tables, source.report.failures                     # doctest: +SKIP

It reproduces what DataHub's own generic ``sqlalchemy`` source (acryl-datahub 1.7.0.17,
``ingestion/source/sql/sql_common.py``) and its pipeline's browse-path processor emit, so the same
database ingested by either gives the same entities: the database and each schema become
containers (urns from ``mcp_builder.DatabaseKey`` / ``SchemaKey`` guids), tables and views become
datasets named ``<schema>.<name>`` with ``status``, ``datasetProperties``, ``schemaMetadata``
(primary and foreign keys), ``subTypes``, ``container``, ``browsePathsV2``, views also
``viewProperties`` and a table-level ``upstreamLineage``; with ``profiling.enabled`` tables get a
``datasetProfile`` computed as DataHub's SQLAlchemy profiler computes it.

Deliberate differences from upstream, documented in the README:
- view lineage is table-level only (no ``fineGrainedLineages``, no ``query`` entities; upstream
  needs its sqlglot-based parser for those) and lists only tables and views that exist;
- upstream names are qualified with the view's schema (upstream's ``get_db_schema`` cannot split a
  two-part name such as ``main.orders`` and leaves them unqualified, pointing at no dataset);
- an unnamed foreign key is named ``<table>_<columns>_fkey`` (upstream emits ``null``, which fails
  its own Avro validation and aborts the run).
Reflection uses SQLAlchemy 2.0's multi-table calls (one per schema), falling back to one call per
table when a dialect cannot, so that one bad table is a reported failure and not a crash.

The decisions taken from values alone (configuration, urns and container keys, the view-SQL
tokenizer, the report) live in :mod:`litemeta.sources.database_model`, which needs no SQLAlchemy.
Profiling (a table's ``datasetProfile``, as DataHub's SQLAlchemy profiler computes it) lives in
:mod:`litemeta.sources.database_profile`.
"""

from __future__ import annotations

import os
import random
import re
import string
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import types as pg_types
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import Inspector, ObjectKind
from sqlalchemy.sql import sqltypes as st

from litemeta.model.proposal import Origin, Proposal
from litemeta.sources.database_model import (
    ENV_TYPES,
    IGNORED_KEYS,
    IGNORED_PROFILING_KEYS,
    INGESTION_ACTOR,
    AllowDenyPattern,
    ProfilingConfig,
    SqlAlchemySourceConfig,
    SqlAlchemySourceReport,
    container_key,
    datahub_guid,
    dataset_urn,
    encode_urn_part,
    platform_instance_urn,
    platform_urn,
    referenced_tables,
    schema_field_urn,
)
from litemeta.sources.database_profile import profile_table, rollback

# The pure parts live in database_model; they stay importable from here (their historical path).
__all__ = [
    "ENV_TYPES",
    "IGNORED_KEYS",
    "IGNORED_PROFILING_KEYS",
    "INGESTION_ACTOR",
    "AllowDenyPattern",
    "ProfilingConfig",
    "SqlAlchemySource",
    "SqlAlchemySourceConfig",
    "SqlAlchemySourceReport",
    "container_key",
    "datahub_guid",
    "dataset_urn",
    "encode_urn_part",
    "field_type",
    "native_type",
    "platform_instance_urn",
    "platform_urn",
    "referenced_tables",
    "schema_field_urn",
]


# ---------------------------------------------------------------- column types

# sql_common._field_type_mapping, in its order (first isinstance match wins).
_TYPE_MAP: Sequence[Tuple[type, str]] = (
    (st.Integer, "NumberType"),
    (st.Numeric, "NumberType"),
    (st.Boolean, "BooleanType"),
    (st.Enum, "EnumType"),
    (st._Binary, "BytesType"),
    (st.LargeBinary, "BytesType"),
    (st.PickleType, "BytesType"),
    (st.ARRAY, "ArrayType"),
    (st.String, "StringType"),
    (st.Date, "DateType"),
    (st.DATE, "DateType"),
    (st.Time, "TimeType"),
    (st.DateTime, "TimeType"),
    (st.DATETIME, "TimeType"),
    (st.TIMESTAMP, "TimeType"),
    (st.JSON, "RecordType"),
    (pg_types.BYTEA, "BytesType"),
    (st.DOUBLE_PRECISION, "NumberType"),
    (pg_types.INET, "StringType"),
    (pg_types.MACADDR, "StringType"),
    (pg_types.MONEY, "NumberType"),
    (pg_types.OID, "StringType"),
    (pg_types.REGCLASS, "BytesType"),
    (pg_types.TIMESTAMP, "TimeType"),
    (pg_types.TIME, "TimeType"),
    (pg_types.INTERVAL, "TimeType"),
    (pg_types.BIT, "BytesType"),
    (st.UUID, "StringType"),
    (pg_types.TSVECTOR, "BytesType"),
    (sa.dialects.postgresql.ENUM, "EnumType"),
    (st.NullType, "NullType"),
)


def field_type(sa_type: Any) -> Dict[str, Any]:
    """SchemaFieldDataType (Pegasus JSON) of a reflected SQLAlchemy type; unknown types map to NullType."""
    name = next((dh for cls, dh in _TYPE_MAP if isinstance(sa_type, cls)), "NullType")
    return {"type": {f"com.linkedin.schema.{name}": {}}}


def native_type(sa_type: Any, dialect: Any) -> str:
    """``get_native_data_type_for_sqlalchemy_type``: the type compiled for the dialect."""
    if isinstance(sa_type, st.NullType):
        return str(sa_type.__visit_name__)
    try:
        return str(sa_type.compile(dialect=dialect))
    except Exception:  # a type the dialect cannot render: fall back as upstream does
        return str(getattr(sa_type, "__visit_name__", None) or repr(sa_type))


# ---------------------------------------------------------------- the source


@dataclass
class _Relation:
    schema: str
    name: str
    is_view: bool
    urn: str
    columns: List[Dict[str, Any]] = field(default_factory=list)
    pk: List[str] = field(default_factory=list)
    fks: List[Dict[str, Any]] = field(default_factory=list)
    comment: Optional[str] = None


def _default_run_id() -> str:
    stamp = datetime.now().strftime("%Y_%m_%d-%H_%M_%S")
    return f"sqlalchemy-{stamp}-{''.join(random.choices(string.ascii_lowercase + string.digits, k=6))}"


class SqlAlchemySource:
    """Reads one database through SQLAlchemy and yields DataHub proposals (see the module doc)."""

    def __init__(
        self, config: SqlAlchemySourceConfig, *, run_id: Optional[str] = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.run_id = run_id if run_id is not None else _default_run_id()
        self._clock = clock
        self.report = SqlAlchemySourceReport()
        try:  # what proposals' origins show: the URL without its password
            self._where = sa.engine.make_url(config.connect_uri).render_as_string(hide_password=True)
        except Exception:
            self._where = "<sqlalchemy source>"
        for key in config.ignored_keys:
            self.report.warn(key, "DataHub config key accepted but not supported by litemeta; ignored")

    # -- helpers
    def _now(self) -> int:
        return int(self._clock() * 1000)

    def _p(self, urn: str, aspect_name: str, value: Dict[str, Any]) -> Proposal:
        self.report.proposals += 1
        return Proposal(
            urn,
            aspect_name,
            aspect=value,
            origin=Origin(self._where, None),
            system_metadata={"lastObserved": self._now(), "runId": self.run_id},
        )

    def _dataset_urn(self, name: str) -> str:
        c = self.config
        return dataset_urn(c.platform, name, c.platform_instance, c.env, c.convert_urns_to_lowercase)

    def _browse(self, path: List[str]) -> Dict[str, Any]:
        c = self.config
        entries = [{"id": u, "urn": u} for u in path]
        if c.platform_instance:  # auto_browse_path_v2._prepend_platform_instance
            inst = platform_instance_urn(c.platform, c.platform_instance)
            entries.insert(0, {"id": inst, "urn": inst})
        return {"path": entries}

    def _container(
        self, urn: str, props: Dict[str, str], name: str, sub_type: str, parents: List[str]
    ) -> Iterator[Proposal]:
        """``mcp_builder.gen_containers`` plus the pipeline's browsePathsV2."""
        c = self.config
        if parents:
            yield self._p(urn, "container", {"container": parents[-1]})
        properties: Dict[str, Any] = {"customProperties": props, "name": name}
        if c.env in ENV_TYPES:
            properties["env"] = c.env
        yield self._p(urn, "containerProperties", properties)
        yield self._p(urn, "status", {"removed": False})
        dpi = {"platform": platform_urn(c.platform)}
        if c.platform_instance:
            dpi["instance"] = platform_instance_urn(c.platform, c.platform_instance)
        yield self._p(urn, "dataPlatformInstance", dpi)
        yield self._p(urn, "subTypes", {"typeNames": [sub_type]})
        yield self._p(urn, "browsePathsV2", self._browse(parents))

    # -- the run
    def proposals(self) -> Iterator[Proposal]:
        """Yield every proposal of one run: containers, datasets, view lineage, then profiles."""
        c = self.config
        missing = _missing_sqlite_file(c.connect_uri)
        if missing:  # SQLite would create an empty file and the run would find nothing
            self.report.fail(c.connect_uri, f"SQLite database file {missing} does not exist")
            return
        try:
            engine = sa.create_engine(c.connect_uri, **dict(c.options))
        except Exception as e:  # bad URL or missing driver: the whole run fails, as data
            self.report.fail(self._where, f"cannot create engine: {e}")
            return
        try:
            with engine.connect() as conn:
                yield from self._run(conn, engine.url.database)
        except sa.exc.SQLAlchemyError as e:
            self.report.fail(self._where, f"cannot read database: {e}")
        finally:
            engine.dispose()

    def _run(self, conn: Connection, url_database: Optional[str]) -> Iterator[Proposal]:
        c = self.config
        inspector = sa.inspect(conn)
        database = "" if url_database is None else str(url_database).strip('"')
        db_urn, db_props = container_key(c.platform, c.platform_instance, c.env, database)
        yield from self._container(db_urn, db_props, database, "Database", [])
        known: Dict[Tuple[str, str], _Relation] = {}
        views: List[Tuple[_Relation, str]] = []
        profile_targets: List[_Relation] = []
        for schema in inspector.get_schema_names():
            if not c.schema_pattern.allowed(schema):
                self.report.filtered.append(f"{schema}.*")
                continue
            self.report.schemas += 1
            schema_urn, schema_props = container_key(c.platform, c.platform_instance, c.env, database, schema)
            yield from self._container(schema_urn, schema_props, schema, "Schema", [db_urn])
            for rel, definition in self._schema_relations(conn, inspector, schema, known):
                yield from self._dataset(rel, definition, [db_urn, schema_urn], inspector)
                if rel.is_view:
                    views.append((rel, definition))
                elif c.profiling.enabled and c.profile_pattern.allowed(f"{rel.schema}.{rel.name}"):
                    profile_targets.append(rel)
        if not known:
            self.report.warn(
                c.connect_uri,
                "found no tables or views"
                + (
                    f" (schemas {', '.join(self.report.filtered)} left out by schema_pattern)"
                    if self.report.filtered
                    else " (the database is empty, or table_pattern/view_pattern leave nothing)"
                ),
            )
        if c.include_view_lineage:
            for rel, definition in views:
                lineage = self._view_lineage(rel, definition, known)
                if lineage:
                    yield self._p(rel.urn, "upstreamLineage", lineage)
        for rel in profile_targets:
            try:
                profile = profile_table(conn, rel.schema, rel.name, rel.columns, c.profiling, self._now)
            except Exception as e:
                self.report.fail(f"{rel.schema}.{rel.name}", f"profiling failed: {e}")
                rollback(conn)
                continue
            self.report.profiles += 1
            yield self._p(rel.urn, "datasetProfile", profile)

    def _schema_relations(
        self, conn: Connection, inspector: Inspector, schema: str, known: Dict[Tuple[str, str], _Relation]
    ) -> Iterator[Tuple[_Relation, str]]:
        """The schema's allowed tables, then views, with their reflected columns and view SQL."""
        c = self.config
        kinds: List[Tuple[bool, List[str]]] = []
        for is_view, lister in ((False, inspector.get_table_names), (True, inspector.get_view_names)):
            try:
                names = list(dict.fromkeys(lister(schema)))
            except Exception as e:
                self.report.fail(schema, f"cannot list {'views' if is_view else 'tables'}: {e}")
                rollback(conn)
                names = []
            for name in names:  # every relation counts for resolving view lineage, even filtered ones
                known.setdefault(
                    (schema, name), _Relation(schema, name, is_view, self._dataset_urn(f"{schema}.{name}"))
                )
            if not (c.include_views if is_view else c.include_tables):
                continue
            pattern = c.view_pattern if is_view else c.table_pattern
            allowed = []
            for name in names:
                if pattern.allowed(f"{schema}.{name}"):
                    allowed.append(name)
                else:
                    self.report.filtered.append(f"{schema}.{name}")
            kinds.append((is_view, allowed))
        for is_view, names in kinds:
            if not names:
                continue
            reflected = self._reflect(conn, inspector, schema, names, is_view)
            for name in names:
                info = reflected.get(name)
                if info is None:
                    continue  # reported by _reflect
                rel = known[(schema, name)]
                rel.columns, rel.pk, rel.fks = info["columns"], info["pk"], info["fks"]
                comment = info["comment"]
                rel.comment = comment.get("text") if isinstance(comment, Mapping) else None
                if is_view:
                    self.report.views += 1
                else:
                    self.report.tables += 1
                yield rel, (self._view_definition(conn, inspector, schema, name) if is_view else "")

    def _reflect(
        self, conn: Connection, inspector: Inspector, schema: str, names: List[str], is_view: bool
    ) -> Dict[str, Dict[str, Any]]:
        """columns, pk and fks per name: one multi-table call per kind, else one call per table."""
        kind = ObjectKind.VIEW if is_view else ObjectKind.TABLE
        out: Dict[str, Dict[str, Any]] = {}
        try:
            cols = inspector.get_multi_columns(schema=schema, filter_names=names, kind=kind)
            pks = {} if is_view else inspector.get_multi_pk_constraint(schema=schema, filter_names=names, kind=kind)
            fks = {} if is_view else inspector.get_multi_foreign_keys(schema=schema, filter_names=names, kind=kind)
            comments = self._comments(inspector, schema, names, kind)
            for (_, name), columns in cols.items():
                out[name] = {
                    "columns": columns,
                    "pk": _pk_cols(_lookup(pks, schema, name)),
                    "fks": _lookup(fks, schema, name) or [],
                    "comment": _lookup(comments, schema, name),
                }
        except Exception:
            rollback(conn)
            out = {}
            for name in names:  # one table's failure must not lose the others
                try:
                    out[name] = {
                        "columns": inspector.get_columns(name, schema),
                        "pk": [] if is_view else _pk_cols(inspector.get_pk_constraint(name, schema)),
                        "fks": [] if is_view else inspector.get_foreign_keys(name, schema),
                        "comment": _lookup(self._comments(inspector, schema, [name], kind), schema, name),
                    }
                except Exception as e:
                    self.report.fail(f"{schema}.{name}", f"cannot reflect {'view' if is_view else 'table'}: {e}")
                    rollback(conn)
        for name in names:
            if name not in out:
                continue
            if not out[name]["columns"]:
                self.report.warn(f"{schema}.{name}", "missing column information")
        return out

    def _comments(self, inspector: Inspector, schema: str, names: List[str], kind: ObjectKind) -> Dict[Any, Any]:
        try:
            return dict(inspector.get_multi_table_comment(schema=schema, filter_names=names, kind=kind))
        except NotImplementedError:
            return {}

    def _view_definition(self, conn: Connection, inspector: Inspector, schema: str, view: str) -> str:
        try:
            definition = inspector.get_view_definition(view, schema)
            return str(definition) if definition else ""
        except (NotImplementedError, sa.exc.NoSuchTableError):
            return ""
        except Exception as e:
            self.report.warn(f"{schema}.{view}", f"cannot read view definition: {e}")
            rollback(conn)
            return ""

    def _dataset(self, rel: _Relation, definition: str, parents: List[str], inspector: Inspector) -> Iterator[Proposal]:
        """The aspects upstream's ``_process_table`` / ``_process_view`` and the pipeline emit."""
        c = self.config
        name = f"{rel.schema}.{rel.name}"
        yield self._p(rel.urn, "container", {"container": parents[-1]})
        yield self._p(rel.urn, "status", {"removed": False})
        props: Dict[str, Any] = {"customProperties": {}, "name": rel.name, "tags": []}
        if rel.is_view:
            props["customProperties"] = {"is_view": "True", "view_definition": definition}
        if rel.comment:
            props["description"] = rel.comment
        yield self._p(rel.urn, "datasetProperties", props)
        yield self._p(rel.urn, "schemaMetadata", self._schema_metadata(name, rel, inspector))
        if c.platform_instance:
            yield self._p(
                rel.urn,
                "dataPlatformInstance",
                {
                    "platform": platform_urn(c.platform),
                    "instance": platform_instance_urn(c.platform, c.platform_instance),
                },
            )
        yield self._p(rel.urn, "subTypes", {"typeNames": ["View" if rel.is_view else "Table"]})
        if rel.is_view:
            yield self._p(
                rel.urn, "viewProperties", {"materialized": False, "viewLogic": definition, "viewLanguage": "SQL"}
            )
        yield self._p(rel.urn, "browsePathsV2", self._browse(parents))

    def _schema_metadata(self, name: str, rel: _Relation, inspector: Inspector) -> Dict[str, Any]:
        fields_: List[Dict[str, Any]] = []
        for col in rel.columns:
            f: Dict[str, Any] = {
                "fieldPath": col["name"],
                "nullable": bool(col["nullable"]),
                "type": field_type(col["type"]),
            }
            if col.get("comment"):
                f["description"] = col["comment"]
            full = col.get("full_type")
            f["nativeDataType"] = full if full is not None else native_type(col["type"], inspector.dialect)
            f["recursive"] = False
            f["isPartOfKey"] = col["name"] in rel.pk
            fields_.append(f)
        unknown = "urn:li:corpuser:unknown"
        out: Dict[str, Any] = {
            "schemaName": name,
            "platform": platform_urn(self.config.platform),
            "version": 0,
            "created": {"time": 0, "actor": unknown},
            "lastModified": {"time": 0, "actor": unknown},
            "hash": "",
            "platformSchema": {"com.linkedin.schema.MySqlDDL": {"tableSchema": ""}},
            "fields": fields_,
        }
        keys = [self._foreign_key(rel, fk) for fk in rel.fks]
        if keys:
            out["foreignKeys"] = keys
        return out

    def _foreign_key(self, rel: _Relation, fk: Mapping[str, Any]) -> Dict[str, Any]:
        """``get_foreign_key_metadata``; an unnamed key gets ``<table>_<columns>_fkey``."""
        referred = self._dataset_urn(f"{fk.get('referred_schema') or rel.schema}.{fk['referred_table']}")
        name = fk.get("name") or f"{rel.name}_{'_'.join(fk['constrained_columns'])}_fkey"
        return {
            "name": name,
            "foreignFields": [schema_field_urn(referred, f) for f in fk["referred_columns"]],
            "sourceFields": [schema_field_urn(rel.urn, f) for f in fk["constrained_columns"]],
            "foreignDataset": referred,
        }

    def _view_lineage(
        self, view: _Relation, definition: str, known: Dict[Tuple[str, str], _Relation]
    ) -> Optional[Dict[str, Any]]:
        """Table-level upstreamLineage (type VIEW) to the tables and views the definition reads."""
        body = re.sub(r"(?is)^\s*create\s+.*?\bview\b.*?\bas\b", "", definition, count=1) if definition else ""
        lowered = {(s.lower(), n.lower()): r for (s, n), r in known.items()}
        upstreams: Dict[str, Dict[str, Any]] = {}
        names = referenced_tables(body)
        for parts in names:
            schema = parts[-2] if len(parts) >= 2 else view.schema
            target = known.get((schema, parts[-1])) or lowered.get((schema.lower(), parts[-1].lower()))
            if target is None or target is view:
                continue
            upstreams[target.urn] = {
                "auditStamp": {"time": self._now(), "actor": INGESTION_ACTOR},
                "created": {"time": 0, "actor": INGESTION_ACTOR},
                "dataset": target.urn,
                "type": "VIEW",
            }
        if names and not upstreams:
            self.report.warn(f"{view.schema}.{view.name}", "no upstream table of the view could be resolved")
        return {"upstreams": [upstreams[u] for u in sorted(upstreams)]} if upstreams else None


def _missing_sqlite_file(connect_uri: str) -> Optional[str]:
    """The file of a ``sqlite:///path`` URL when that file does not exist (else None)."""
    try:
        url = sa.engine.make_url(connect_uri)
    except Exception:  # a bad URL is reported when the engine is created
        return None
    path = url.database
    if url.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return None
    return None if os.path.exists(path) else path


def _lookup(multi: Mapping[Any, Any], schema: str, name: str) -> Any:
    """A multi-reflection result: keys are (schema, name), or (None, name) for the default schema."""
    return multi.get((schema, name), multi.get((None, name)))


def _pk_cols(pk: Any) -> List[str]:
    return list(pk.get("constrained_columns") or []) if isinstance(pk, Mapping) else []
