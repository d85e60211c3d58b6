"""Fixtures of the browser view's tests: a store built with the DataHub SDK, served with the UI.

The store holds the SDK corpus (tests/sdkcorpus.py: datasets with schemas, foreign keys, tags,
terms, owners and lineage, charts, dashboards, pipelines, tasks, users, groups, glossary, domains,
containers) plus a few records made for these tests: a dataset whose description and name carry
HTML, and two datasets joined by column-level lineage (``fineGrainedLineages``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pytest

from tests.serve.ui.browser import browser  # noqa: F401 - the headless Chromium fixture, for every test here

os.environ.setdefault("DATAHUB_TELEMETRY_ENABLED", "false")

HOSTILE = "urn:li:dataset:(urn:li:dataPlatform:hive,web.<b>bold</b>_table,PROD)"
HOSTILE_DESCRIPTION = "Loaded by <script>window.pwned = 1</script> and <img src=x onerror=alert(1)>."
SRC = "urn:li:dataset:(urn:li:dataPlatform:postgres,shop.public.orders,PROD)"
DST = "urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.mart.order_facts,PROD)"


def field_urn(ds: str, path: str) -> str:
    return f"urn:li:schemaField:({ds},{path})"


def special_records() -> List[Any]:
    """SDK objects for the HTML-escaping and column-lineage tests."""
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    def schema(ds: str, names: List[str], fks: Any = None) -> Any:
        return m.SchemaMetadataClass(
            schemaName=ds,
            platform="urn:li:dataPlatform:hive",
            version=0,
            hash="",
            platformSchema=m.OtherSchemaClass(rawSchema=""),
            fields=[
                m.SchemaFieldClass(
                    fieldPath=n,
                    type=m.SchemaFieldDataTypeClass(m.StringTypeClass()),
                    nativeDataType="VARCHAR",
                    isPartOfKey=i == 0,
                )
                for i, n in enumerate(names)
            ],
            foreignKeys=fks,
        )

    return [
        MCPW(
            entityUrn=HOSTILE,
            aspect=m.DatasetPropertiesClass(name="<b>bold</b> table", description=HOSTILE_DESCRIPTION),
        ),
        MCPW(entityUrn=SRC, aspect=m.DatasetPropertiesClass(name="orders", description="Orders as placed.")),
        MCPW(entityUrn=SRC, aspect=schema(SRC, ["order_id", "customer_id", "amount"])),
        MCPW(entityUrn=DST, aspect=m.DatasetPropertiesClass(name="order_facts", description="One row per order.")),
        MCPW(
            entityUrn=DST,
            aspect=schema(
                DST,
                ["order_key", "revenue"],
                [
                    m.ForeignKeyConstraintClass(
                        name="fk_order",
                        foreignFields=[field_urn(SRC, "order_id")],
                        sourceFields=[field_urn(DST, "order_key")],
                        foreignDataset=SRC,
                    )
                ],
            ),
        ),
        MCPW(
            entityUrn=DST,
            aspect=m.UpstreamLineageClass(
                upstreams=[m.UpstreamClass(dataset=SRC, type=m.DatasetLineageTypeClass.TRANSFORMED)],
                fineGrainedLineages=[
                    m.FineGrainedLineageClass(
                        upstreamType="FIELD_SET",
                        downstreamType="FIELD",
                        upstreams=[field_urn(SRC, "order_id")],
                        downstreams=[field_urn(DST, "order_key")],
                    ),
                    m.FineGrainedLineageClass(
                        upstreamType="FIELD_SET",
                        downstreamType="FIELD",
                        upstreams=[field_urn(SRC, "amount")],
                        downstreams=[field_urn(DST, "revenue")],
                    ),
                ],
            ),
        ),
    ]


@pytest.fixture(scope="package")
def ui_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file with the SDK corpus and the special records (built once for the package)."""
    from litemeta.store import open_store
    from tests.sdkcorpus import build_records

    path = tmp_path_factory.mktemp("ui") / "litemeta.db"
    with open_store(str(path)) as store:
        report = store.ingest(build_records(600, seed=3) + special_records())
        assert report.proposals > 300
        store.reindex()
    return path


@pytest.fixture(scope="package")
def ui_server(ui_store_path: Path) -> Iterator[Tuple[str, Any]]:
    """``(base URL, app)`` of ``litemeta serve`` with the browser view over the package's store."""
    from litemeta.serve import ui
    from litemeta.serve.app import create_app
    from litemeta.serve.runner import ServerThread

    app = create_app(str(ui_store_path), extra_routes=ui.routes(), events_helper=False)
    with ServerThread(app) as server:
        yield server.url, app
