"""litemeta's ``sqlalchemy`` source against DataHub's own (acryl-datahub 1.7.0.17), on a real SQLite DB.

DataHub's source runs in-process through its Pipeline into a file sink; both outputs become
(urn, aspectName) -> value maps and are compared order-insensitively, timestamps and run ids
aside. The differences allowed are named one by one in ``ALLOWED_DIFFERENCES`` with the reason.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import sqlite3
from typing import Any, Dict, Iterator, Tuple

import pytest

os.environ["DATAHUB_TELEMETRY_ENABLED"] = "false"  # before datahub is imported: no network

from datahub.configuration.common import AllowDenyPattern as DhPattern  # noqa: E402
from datahub.emitter.mce_builder import make_dataset_urn_with_platform_instance, make_schema_field_urn  # noqa: E402
from datahub.emitter.mcp import MetadataChangeProposalWrapper  # noqa: E402
from datahub.ingestion.source.file import read_metadata_file  # noqa: E402
from datahub.ingestion.source.sql.sql_utils import gen_database_key, gen_schema_key  # noqa: E402
from datahub.metadata.schema_classes import MetadataChangeEventClass  # noqa: E402

from litemeta.errors import ConfigurationError  # noqa: E402
from litemeta.sources.database import (  # noqa: E402
    AllowDenyPattern,
    SqlAlchemySource,
    SqlAlchemySourceConfig,
    container_key,
    dataset_urn,
    field_type,
    referenced_tables,
    schema_field_urn,
)

Key = Tuple[str, str]

# Every difference the comparison tolerates, with the reason. Nothing else may differ.
ALLOWED_DIFFERENCES = {
    "query entities": "DataHub's SqlParsingAggregator (sqlglot) emits a query entity per view "
    "(queryProperties, querySubjects, status, dataPlatformInstance); litemeta has no "
    "SQL parser and emits none",
    "upstreamLineage.fineGrainedLineages": "column-level lineage needs DataHub's SQL parser",
    "upstreamLineage.upstreams[].query": "points at the query entities above",
    "upstreamLineage.upstreams[].dataset": "DataHub's get_db_schema() splits the view name into "
    "db.schema.view and fails on two-part SQLite names (warning "
    "'Failed to get default db and schema names for view'), so "
    "its upstream names lack the schema ('orders' instead of "
    "'main.orders') and point at no dataset; litemeta qualifies "
    "them. The test qualifies DataHub's names and then requires equality",
}

SCHEMA_SQL = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, full_name TEXT,
  country_code CHAR(2), created_at TIMESTAMP);
CREATE TABLE products (id INTEGER PRIMARY KEY, sku VARCHAR(32) NOT NULL, title TEXT,
  price_cents BIGINT NOT NULL, active BOOLEAN DEFAULT 1, weight REAL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, ordered_at TIMESTAMP,
  status TEXT, total_cents BIGINT,
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers(id));
CREATE TABLE order_items (order_id INTEGER NOT NULL, product_id INTEGER NOT NULL, qty INTEGER NOT NULL,
  unit_price_cents BIGINT, PRIMARY KEY (order_id, product_id),
  CONSTRAINT fk_items_order FOREIGN KEY (order_id) REFERENCES orders(id),
  CONSTRAINT fk_items_product FOREIGN KEY (product_id) REFERENCES products(id));
CREATE TABLE payments (id INTEGER PRIMARY KEY, order_id INTEGER, amount DECIMAL(12,2), paid_at DATETIME,
  method VARCHAR(16), CONSTRAINT fk_payments_order FOREIGN KEY (order_id) REFERENCES orders(id));
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, note TEXT);
CREATE VIEW customer_revenue AS SELECT c.id AS customer_id, c.email, SUM(o.total_cents) AS revenue_cents
  FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id, c.email;
CREATE VIEW open_orders AS SELECT * FROM orders WHERE status <> 'shipped';
CREATE VIEW big_customers AS SELECT customer_id FROM customer_revenue WHERE revenue_cents > 1000;
INSERT INTO customers VALUES (1,'a@example.com','Ann','DE','2024-01-01 10:00:00'),
  (2,'b@example.com',NULL,'US',NULL),(3,'c@example.com','Cé',NULL,'2024-03-01 12:30:00');
INSERT INTO products VALUES (1,'SKU-1','Widget',1999,1,0.5),(2,'SKU-2','Gadget',4999,1,NULL),
  (3,'SKU-3',NULL,250,0,2.25);
INSERT INTO orders VALUES (1,1,'2024-01-01','paid',3998),(2,2,'2024-01-02','new',4999),
  (3,1,'2024-02-01','shipped',1999),(4,3,NULL,'new',NULL);
INSERT INTO order_items VALUES (1,1,2,1999),(2,2,1,4999),(3,1,1,1999),(4,3,4,250);
INSERT INTO payments VALUES (1,1,39.98,'2024-01-01','card'),(2,2,49.99,'2024-01-03',NULL);
"""


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    path = tmp_path_factory.mktemp("db") / "shop.db"
    con = sqlite3.connect(str(path))
    con.executescript(SCHEMA_SQL)
    con.commit()
    con.close()
    return path


def _run_datahub(config: Dict[str, Any], out: pathlib.Path, home: pathlib.Path) -> Dict[Key, Any]:
    from datahub.ingestion.run.pipeline import Pipeline

    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(home)  # DataHub reads and may write ~/.datahubenv
    try:
        pipeline = Pipeline.create(
            {
                "source": {"type": "sqlalchemy", "config": config},
                "sink": {"type": "file", "config": {"filename": str(out)}},
            }
        )
        pipeline.run()
        pipeline.raise_from_status()
    finally:
        if old_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old_home
    result: Dict[Key, Any] = {}
    for record in read_metadata_file(out):
        if isinstance(record, MetadataChangeEventClass):  # MCEs expanded into aspects
            mcps = MetadataChangeProposalWrapper.construct_many(
                record.proposedSnapshot.urn, record.proposedSnapshot.aspects
            )
        else:
            mcps = [record]
        for mcp in mcps:
            result[(mcp.entityUrn, mcp.aspectName)] = mcp.to_obj(simplified_structure=True)["aspect"]["json"]
    return result


def _run_litemeta(config: Dict[str, Any]) -> Tuple[Dict[Key, Any], SqlAlchemySource]:
    source = SqlAlchemySource(SqlAlchemySourceConfig.from_dict(config), run_id="test-run")
    result: Dict[Key, Any] = {}
    for p in source.proposals():
        assert p.change_type == "UPSERT"
        assert p.system_metadata is not None and p.system_metadata["runId"] == "test-run"
        result[(p.entity_urn, p.aspect_name)] = p.aspect
    return result, source


def _normalise(outputs: Dict[Key, Any], instance: str = "", schema: str = "main") -> Dict[Key, Any]:
    """Drop timestamps and the allowed differences (ALLOWED_DIFFERENCES) from either output."""
    out: Dict[Key, Any] = {}
    for (urn, aspect), value in outputs.items():
        if urn.startswith("urn:li:query:"):
            continue  # "query entities"
        value = copy.deepcopy(value)
        if aspect == "datasetProfile":
            value.pop("timestampMillis")
        if aspect == "upstreamLineage":
            value.pop("fineGrainedLineages", None)
            for up in value["upstreams"]:
                up["auditStamp"].pop("time")
                up.pop("query", None)
                platform, name, env = up["dataset"][len("urn:li:dataset:(") : -1].split(",")
                prefix = f"{instance}." if instance else ""
                table = name[len(prefix) :]
                if "." not in table:  # "upstreamLineage.upstreams[].dataset"
                    up["dataset"] = f"urn:li:dataset:({platform},{prefix}{schema}.{table},{env})"
            value["upstreams"].sort(key=lambda u: u["dataset"])
        out[(urn, aspect)] = value
    return out


def _diff(dh: Dict[Key, Any], lm: Dict[Key, Any]) -> Iterator[str]:
    for key in sorted(set(dh) | set(lm)):
        if dh.get(key) != lm.get(key):
            yield f"{key}:\n  datahub : {json.dumps(dh.get(key))[:600]}\n  litemeta: {json.dumps(lm.get(key))[:600]}"


CONFIGS = {
    "defaults+profiling": {"profiling": {"enabled": True}},
    "instance+filters": {
        "platform_instance": "shop1",
        "env": "DEV",
        "table_pattern": {"deny": ["main\\.payments$"]},
        "include_views": True,
        "view_pattern": {"allow": ["main\\.open"]},
    },
}


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def both(
    request: pytest.FixtureRequest, shop_db: pathlib.Path, tmp_path_factory: pytest.TempPathFactory
) -> Tuple[Dict[Key, Any], Dict[Key, Any], SqlAlchemySource, str]:
    config = {"platform": "sqlite", "connect_uri": f"sqlite:///{shop_db}", **CONFIGS[request.param]}
    work = tmp_path_factory.mktemp("dh")
    (work / "home").mkdir()
    dh = _run_datahub(config, work / "out.json", work / "home")
    lm, source = _run_litemeta(config)
    return dh, lm, source, config.get("platform_instance", "")


def test_same_entities_as_datahub_sqlalchemy_source(both: Any) -> None:
    """Same (urn, aspect) pairs and values as DataHub's source, ALLOWED_DIFFERENCES aside."""
    dh, lm, source, instance = both
    assert source.report.failures == []
    assert any(u.startswith("urn:li:query:") for u, _ in dh), "DataHub's query entities were expected"
    problems = list(_diff(_normalise(dh, instance), _normalise(lm, instance)))
    assert not problems, "\n".join(problems)


def test_containers_keys_and_foreign_keys_appear(both: Any) -> None:
    """Containers, schema fields, composite primary key and named foreign keys are all there."""
    dh, lm, _, _ = both
    containers = {u for u, a in lm if a == "containerProperties"}
    assert len(containers) == 2 and containers == {u for u, a in dh if a == "containerProperties"}
    items = next(v for (u, a), v in lm.items() if a == "schemaMetadata" and "main.order_items," in u)
    assert [f["fieldPath"] for f in items["fields"] if f["isPartOfKey"]] == ["order_id", "product_id"]
    assert sorted(fk["name"] for fk in items["foreignKeys"]) == ["fk_items_order", "fk_items_product"]
    fields_dh = {(u, f["fieldPath"]) for (u, a), v in dh.items() if a == "schemaMetadata" for f in v["fields"]}
    fields_lm = {(u, f["fieldPath"]) for (u, a), v in lm.items() if a == "schemaMetadata" for f in v["fields"]}
    assert fields_dh == fields_lm and len(fields_lm) > 20


def test_view_lineage_is_qualified_and_resolves_view_on_view(shop_db: pathlib.Path) -> None:
    """Upstreams are real datasets: view -> table and view -> view (big_customers reads a view)."""
    lm, _ = _run_litemeta({"platform": "sqlite", "connect_uri": f"sqlite:///{shop_db}"})
    ups = {u: [x["dataset"] for x in v["upstreams"]] for (u, a), v in lm.items() if a == "upstreamLineage"}
    d = "urn:li:dataset:(urn:li:dataPlatform:sqlite,main.{},PROD)".format
    assert ups == {
        d("customer_revenue"): [d("customers"), d("orders")],
        d("open_orders"): [d("orders")],
        d("big_customers"): [d("customer_revenue")],
    }
    assert all((u, "schemaMetadata") in lm for targets in ups.values() for u in targets)


def test_profile_values_match_sql_counts(shop_db: pathlib.Path) -> None:
    """rowCount, columnCount, null and distinct counts, min/max as computed with plain SQL."""
    lm, _ = _run_litemeta({"platform": "sqlite", "connect_uri": f"sqlite:///{shop_db}", "profiling": {"enabled": True}})
    con = sqlite3.connect(str(shop_db))
    profiles = {u: v for (u, a), v in lm.items() if a == "datasetProfile"}
    assert len(profiles) == 6  # tables only, as DataHub: views are not profiled
    for table in ("customers", "products", "orders", "order_items", "payments", "audit_log"):
        prof = profiles[f"urn:li:dataset:(urn:li:dataPlatform:sqlite,main.{table},PROD)"]
        cols = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
        rows = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        assert (prof["rowCount"], prof["columnCount"]) == (rows, len(cols))
        if rows == 0:  # DataHub's profiler profiles no column of an empty table
            assert "fieldProfiles" not in prof
            continue
        by_name = {f["fieldPath"]: f for f in prof["fieldProfiles"]}
        for col in cols:
            nulls, distinct = con.execute(
                f"SELECT COUNT(*) - COUNT({col}), COUNT(DISTINCT {col}) FROM {table}"
            ).fetchone()
            assert (by_name[col]["nullCount"], by_name[col]["uniqueCount"]) == (nulls, distinct), (table, col)
    weight = {
        f["fieldPath"]: f
        for f in profiles["urn:li:dataset:(urn:li:dataPlatform:sqlite,main.products,PROD)"]["fieldProfiles"]
    }["weight"]
    assert (weight["min"], weight["max"], weight["nullCount"]) == ("0.5", "2.25", 1)


def test_failing_table_is_a_reported_failure_not_a_crash(tmp_path: pathlib.Path) -> None:
    """A view over a dropped table cannot be reflected: reported, and the rest still comes out."""
    path = tmp_path / "broken.db"
    con = sqlite3.connect(str(path))
    con.executescript(
        "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE gone (x INT);"
        "CREATE VIEW bad AS SELECT x FROM gone; CREATE VIEW good AS SELECT id FROM a; DROP TABLE gone;"
    )
    con.close()
    lm, source = _run_litemeta({"platform": "sqlite", "connect_uri": f"sqlite:///{path}"})
    assert [f["context"] for f in source.report.failures] == ["main.bad"]
    assert (source.report.tables, source.report.views) == (1, 1)
    assert ("urn:li:dataset:(urn:li:dataPlatform:sqlite,main.good,PROD)", "schemaMetadata") in lm
    assert not any(",main.bad," in u for u, _ in lm)


def test_unreachable_database_is_a_reported_failure() -> None:
    source = SqlAlchemySource(
        SqlAlchemySourceConfig.from_dict({"platform": "x", "connect_uri": "nosuchdialect://host/db"})
    )
    assert list(source.proposals()) == []
    assert len(source.report.failures) == 1 and "nosuchdialect" in source.report.failures[0]["message"]


def test_500_tables_of_20_columns_all_come_out(tmp_path: pathlib.Path) -> None:
    """Multi-table reflection covers every table (speed is measured by benchmarks/bench_database_source.py)."""
    path = tmp_path / "wide.db"
    cols = ", ".join(["id INTEGER PRIMARY KEY"] + [f"c{c} TEXT" for c in range(1, 20)])
    con = sqlite3.connect(str(path))
    con.executescript("BEGIN;" + "".join(f"CREATE TABLE t{t} ({cols});" for t in range(500)) + "COMMIT;")
    con.close()
    lm, source = _run_litemeta({"platform": "sqlite", "connect_uri": f"sqlite:///{path}"})
    assert source.report.tables == 500 and sum(1 for _, a in lm if a == "schemaMetadata") == 500
    assert all(len(v["fields"]) == 20 for (_, a), v in lm.items() if a == "schemaMetadata")


# ---------------------------------------------------------------- pure pieces against the SDK


@pytest.mark.parametrize("instance", [None, "inst-1"])
@pytest.mark.parametrize("env", ["PROD", "DEV", "weird"])
def test_container_guids_are_the_sdks(instance: Any, env: str) -> None:
    """DatabaseKey / SchemaKey guids and properties (mcp_builder, backcompat_env_as_instance)."""
    db_key = gen_database_key("/x/shop.db", platform="sqlite", platform_instance=instance, env=env)
    urn, props = container_key("sqlite", instance, env, "/x/shop.db")
    assert (urn, props) == (db_key.as_urn(), db_key.property_dict())
    s_key = gen_schema_key(db_name="Dé", schema="main", platform="pg", platform_instance=instance, env=env)
    assert container_key("pg", instance, env, "Dé", "main") == (s_key.as_urn(), s_key.property_dict())


@pytest.mark.parametrize("name", ["main.t", "s.a,b(c)", "Sch.Ünï"])
@pytest.mark.parametrize("instance", [None, "i1"])
def test_dataset_and_field_urns_are_the_sdks(name: str, instance: Any) -> None:
    expected = make_dataset_urn_with_platform_instance("sqlite", name, instance, "dev")
    assert dataset_urn("sqlite", name, instance, "dev") == expected
    assert schema_field_urn(expected, "a,b") == make_schema_field_urn(expected, "a,b")


@pytest.mark.parametrize(
    "pattern",
    [
        {},
        {"allow": ["main\\.a"]},
        {"deny": ["main\\.ab"]},
        {"allow": ["MAIN"], "ignoreCase": False},
        {"allow": ["x", "main.*c$"]},
    ],
)
def test_allow_deny_pattern_matches_datahubs(pattern: Dict[str, Any]) -> None:
    ours, theirs = AllowDenyPattern.from_config(pattern, "p"), DhPattern.model_validate(pattern)
    for name in ["main.a", "main.abc", "MAIN.ab", "other.c", "main.x"]:
        assert ours.allowed(name) == theirs.allowed(name), (pattern, name)


def test_field_types_are_datahubs() -> None:
    import sqlalchemy.types as t
    from datahub.ingestion.source.sql.sql_common import get_column_type
    from datahub.ingestion.source.sql.sql_report import SQLSourceReport
    from sqlalchemy.dialects import postgresql

    for sa_type in [
        t.INTEGER(),
        t.BIGINT(),
        t.DECIMAL(10, 2),
        t.Float(),
        t.BOOLEAN(),
        t.Enum("a"),
        t.LargeBinary(),
        t.ARRAY(t.INTEGER()),
        t.VARCHAR(3),
        t.TEXT(),
        t.DATE(),
        t.TIME(),
        t.DATETIME(),
        t.TIMESTAMP(),
        t.JSON(),
        t.NullType(),
        t.Interval(),
        t.CLOB(),
        postgresql.UUID(),
        postgresql.INET(),
        postgresql.BYTEA(),
        postgresql.INTERVAL(),
    ]:
        expected = get_column_type(SQLSourceReport(), "d", sa_type).to_obj()["type"]
        ours = field_type(sa_type)["type"]
        assert [k.rsplit(".", 1)[1] for k in ours] == [k.rsplit(".", 1)[1] for k in expected], sa_type


def test_config_unknown_key_names_it_and_the_allowed_ones() -> None:
    with pytest.raises(ConfigurationError) as e:
        SqlAlchemySourceConfig.from_dict({"platform": "p", "connect_uri": "sqlite://", "tabel_pattern": {}})
    assert "tabel_pattern" in str(e.value) and "table_pattern" in str(e.value)
    with pytest.raises(ConfigurationError, match="connect_uri"):
        SqlAlchemySourceConfig.from_dict({"platform": "p"})
    with pytest.raises(ConfigurationError, match="profiling key.*enabeld"):
        SqlAlchemySourceConfig.from_dict({"platform": "p", "connect_uri": "sqlite://", "profiling": {"enabeld": True}})
    with pytest.raises(ConfigurationError, match="alow"):
        SqlAlchemySourceConfig.from_dict({"platform": "p", "connect_uri": "sqlite://", "schema_pattern": {"alow": []}})


def test_config_view_pattern_defaults_to_table_pattern_and_ignored_keys_warn() -> None:
    cfg = SqlAlchemySourceConfig.from_dict(
        {
            "platform": "p",
            "connect_uri": "sqlite://",
            "table_pattern": {"deny": ["x"]},
            "stateful_ingestion": {"enabled": True},
        }
    )
    assert cfg.view_pattern == cfg.table_pattern == AllowDenyPattern(deny=("x",))
    assert [w["context"] for w in SqlAlchemySource(cfg).report.warnings] == ["stateful_ingestion"]


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("SELECT * FROM orders WHERE status <> 'from x'", [("orders",)]),
        (
            'select a.id from main.a as a, [d] left join "B c" b on b.id = a.id -- from e\n',
            [("main", "a"), ("d",), ("B c",)],
        ),
        ("WITH r AS (SELECT id FROM t1) SELECT * FROM r JOIN (SELECT 1 FROM t2) s ON 1=1", [("t1",), ("t2",)]),
        ("SELECT * FROM json_each('[1]') /* from t3 */", []),
        ("SELECT x FROM a, b AS bb, c WHERE x IN (SELECT y FROM d)", [("a",), ("b",), ("c",), ("d",)]),
    ],
)
def test_referenced_tables(sql: str, expected: Any) -> None:
    assert referenced_tables(sql) == expected
