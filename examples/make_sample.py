#!/usr/bin/env python3
"""Regenerate examples/sample.json with the acryl-datahub SDK (``pip install -e .[test]``).

The sample is a small, realistic shop catalogue: users, tags, glossary terms, a domain, Hive and
Snowflake tables with schemas, owners, tags and lineage, a chart and a dashboard, a PATCH, a
timeseries profile, a legacy MCE and a DELETE. It is written by the SDK's own file sink writer,
so it is exactly what ``datahub ingest ... sink: file`` produces.
"""

from __future__ import annotations

import sys
from pathlib import Path

from datahub.emitter import mce_builder as b
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.ingestion.sink.file import write_metadata_file
from datahub.metadata import schema_classes as m
from datahub.specific.dataset import DatasetPatchBuilder

T0 = 1_700_000_000_000


def sm(i: int) -> m.SystemMetadataClass:
    return m.SystemMetadataClass(lastObserved=T0 + i * 1000, runId="sample-run-1")


def field(path: str, native: str, kind: type, desc: str) -> m.SchemaFieldClass:
    return m.SchemaFieldClass(
        fieldPath=path, nativeDataType=native, description=desc, type=m.SchemaFieldDataTypeClass(type=kind())
    )


def build() -> list:
    recs: list = []
    n = 0

    def emit(urn: str, aspect: object) -> None:
        nonlocal n
        n += 1
        recs.append(MCPW(entityUrn=urn, aspect=aspect, systemMetadata=sm(n)))

    alice, bob = b.make_user_urn("alice"), b.make_user_urn("bob")
    emit(
        alice,
        m.CorpUserInfoClass(active=True, displayName="Alice Martin", email="alice@example.com", title="Data Engineer"),
    )
    emit(bob, m.CorpUserInfoClass(active=True, displayName="Bob Chen", email="bob@example.com", title="Analyst"))
    pii, gold = b.make_tag_urn("pii"), b.make_tag_urn("gold")
    emit(pii, m.TagPropertiesClass(name="pii", description="Personally identifiable information"))
    emit(gold, m.TagPropertiesClass(name="gold", description="Curated, production quality"))
    revenue = b.make_term_urn("Finance.Revenue")
    emit(
        revenue, m.GlossaryTermInfoClass(definition="Income from sales of goods", termSource="INTERNAL", name="Revenue")
    )
    sales = b.make_domain_urn("sales")
    emit(sales, m.DomainPropertiesClass(name="Sales", description="Everything about selling"))

    orders = b.make_dataset_urn("hive", "shop.orders")
    customers = b.make_dataset_urn("hive", "shop.customers")
    daily = b.make_dataset_urn("snowflake", "analytics.public.daily_revenue")
    for urn, name, desc, fields in [
        (
            customers,
            "customers",
            "One row per registered customer",
            [
                field("id", "BIGINT", m.NumberTypeClass, "Customer id"),
                field("email", "VARCHAR(255)", m.StringTypeClass, "Login e-mail address"),
                field("country_code", "CHAR(2)", m.StringTypeClass, "ISO country of the billing address"),
            ],
        ),
        (
            orders,
            "orders",
            "Customer orders placed in the web shop",
            [
                field("order_id", "BIGINT", m.NumberTypeClass, "Order id"),
                field("customer_id", "BIGINT", m.NumberTypeClass, "Who ordered"),
                field("total_cents", "BIGINT", m.NumberTypeClass, "Order total in cents"),
                field("ordered_at", "TIMESTAMP", m.TimeTypeClass, "When the order was placed"),
            ],
        ),
        (
            daily,
            "daily_revenue",
            "Revenue per day, all channels",
            [
                field("day", "DATE", m.DateTypeClass, "Calendar day"),
                field("revenue_cents", "NUMBER", m.NumberTypeClass, "Revenue of the day in cents"),
            ],
        ),
    ]:
        emit(urn, m.DatasetPropertiesClass(name=name, description=desc, customProperties={"team": "data-platform"}))
        emit(
            urn,
            m.SchemaMetadataClass(
                schemaName=name,
                platform=urn.split(",")[0].split("(")[1],
                version=0,
                hash="",
                platformSchema=m.OtherSchemaClass(rawSchema=""),
                fields=fields,
            ),
        )
        emit(urn, m.StatusClass(removed=False))
        emit(urn, m.OwnershipClass(owners=[m.OwnerClass(owner=alice, type=m.OwnershipTypeClass.TECHNICAL_OWNER)]))
        emit(urn, m.SubTypesClass(typeNames=["Table"]))
    emit(customers, m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=pii)]))
    emit(
        daily,
        m.GlossaryTermsClass(
            terms=[m.GlossaryTermAssociationClass(urn=revenue)], auditStamp=m.AuditStampClass(time=T0, actor=alice)
        ),
    )
    emit(daily, m.DomainsClass(domains=[sales]))
    emit(
        daily,
        m.UpstreamLineageClass(
            upstreams=[
                m.UpstreamClass(dataset=orders, type=m.DatasetLineageTypeClass.TRANSFORMED),
                m.UpstreamClass(dataset=customers, type=m.DatasetLineageTypeClass.TRANSFORMED),
            ]
        ),
    )
    # A second, different description: a new version of datasetProperties.
    emit(
        orders,
        m.DatasetPropertiesClass(
            name="orders",
            description="Customer orders placed in the web shop and the app",
            customProperties={"team": "data-platform"},
        ),
    )
    # PATCH built with the SDK's patch builder: add the gold tag and an owner.
    for mcp in (
        DatasetPatchBuilder(daily)
        .add_tag(m.TagAssociationClass(tag=gold))
        .add_owner(m.OwnerClass(owner=bob, type=m.OwnershipTypeClass.BUSINESS_OWNER))
        .build()
    ):
        n += 1
        mcp.systemMetadata = sm(n)
        recs.append(mcp)
    # A timeseries profile.
    emit(orders, m.DatasetProfileClass(timestampMillis=T0 + 3_600_000, rowCount=120_000, columnCount=4))
    chart = b.make_chart_urn("looker", "revenue_chart")
    emit(
        chart,
        m.ChartInfoClass(
            title="Daily revenue",
            description="Revenue trend chart",
            lastModified=m.ChangeAuditStampsClass(),
            inputs=[daily],
        ),
    )
    dash = b.make_dashboard_urn("looker", "sales_overview")
    emit(
        dash,
        m.DashboardInfoClass(
            title="Sales overview",
            description="Weekly sales review",
            lastModified=m.ChangeAuditStampsClass(),
            charts=[chart],
        ),
    )
    # A legacy MCE (as real sources still emit them).
    recs.append(
        m.MetadataChangeEventClass(
            proposedSnapshot=m.CorpUserSnapshotClass(
                urn=b.make_user_urn("carol"),
                aspects=[
                    m.CorpUserInfoClass(
                        active=True, displayName="Carol Diaz", email="carol@example.com", title="Manager"
                    )
                ],
            )
        )
    )
    # A staging table that is created and then soft-deleted.
    tmp = b.make_dataset_urn("hive", "shop.orders_tmp")
    emit(tmp, m.DatasetPropertiesClass(name="orders_tmp", description="Scratch copy of orders"))
    emit(tmp, m.StatusClass(removed=True))
    return recs


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("sample.json")
    write_metadata_file(out, build())
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
