"""A small lineage graph built with the SDK, shared by tests/test_graph.py and tests/cli/test_read_commands.py.

    a ─┐                      ┌────────────── dash (datasetEdges a)
       ├─► c ─► job ─► d ─► chart ─► dash
    b ─┘ (b soft-deleted)

Field level: a.id ─► c.id ─► d.customer_id ─► chart.cust (fineGrainedLineages of c and of the job,
then the chart's inputFields).
"""

from __future__ import annotations

from typing import Any, List

import datahub.metadata.schema_classes as S
from datahub.emitter.mce_builder import make_data_job_urn, make_dataset_urn, make_schema_field_urn
from datahub.emitter.mcp import MetadataChangeProposalWrapper as W

A = make_dataset_urn("hive", "raw.a")
B = make_dataset_urn("hive", "raw.b")
C = make_dataset_urn("hive", "stg.c")
D = make_dataset_urn("snowflake", "mart.d")
JOB = make_data_job_urn("airflow", "etl", "build_d")
CHART = "urn:li:chart:(looker,sales_chart)"
DASH = "urn:li:dashboard:(looker,sales)"
LONELY = make_dataset_urn("hive", "raw.lonely")


def _audit() -> S.AuditStampClass:
    return S.AuditStampClass(time=0, actor="urn:li:corpuser:unknown")


def lineage_records() -> List[Any]:
    """SDK MCPWs building the graph above (plus an entity with no lineage)."""
    return [
        W(
            entityUrn=C,
            aspect=S.UpstreamLineageClass(
                upstreams=[
                    S.UpstreamClass(dataset=A, type=S.DatasetLineageTypeClass.TRANSFORMED),
                    S.UpstreamClass(dataset=B, type=S.DatasetLineageTypeClass.TRANSFORMED),
                ],
                fineGrainedLineages=[
                    S.FineGrainedLineageClass(
                        upstreamType=S.FineGrainedLineageUpstreamTypeClass.FIELD_SET,
                        downstreamType=S.FineGrainedLineageDownstreamTypeClass.FIELD,
                        upstreams=[make_schema_field_urn(A, "id")],
                        downstreams=[make_schema_field_urn(C, "id")],
                    )
                ],
            ),
        ),
        W(
            entityUrn=JOB,
            aspect=S.DataJobInputOutputClass(
                inputDatasets=[],
                outputDatasets=[D],
                inputDatasetEdges=[S.EdgeClass(destinationUrn=C)],
                fineGrainedLineages=[
                    S.FineGrainedLineageClass(
                        upstreamType=S.FineGrainedLineageUpstreamTypeClass.FIELD_SET,
                        downstreamType=S.FineGrainedLineageDownstreamTypeClass.FIELD,
                        upstreams=[make_schema_field_urn(C, "id")],
                        downstreams=[make_schema_field_urn(D, "customer_id")],
                    )
                ],
            ),
        ),
        W(
            entityUrn=CHART,
            aspect=S.ChartInfoClass(title="Sales", description="", lastModified=S.ChangeAuditStampsClass(), inputs=[D]),
        ),
        W(
            entityUrn=CHART,
            aspect=S.InputFieldsClass(
                fields=[
                    S.InputFieldClass(
                        schemaFieldUrn=make_schema_field_urn(D, "customer_id"),
                        schemaField=S.SchemaFieldClass(
                            fieldPath="cust",
                            type=S.SchemaFieldDataTypeClass(S.StringTypeClass()),
                            nativeDataType="string",
                        ),
                    )
                ]
            ),
        ),
        W(
            entityUrn=DASH,
            aspect=S.DashboardInfoClass(
                title="Sales",
                description="",
                lastModified=S.ChangeAuditStampsClass(),
                charts=[CHART],
                datasetEdges=[S.EdgeClass(destinationUrn=A)],
            ),
        ),
        W(entityUrn=B, aspect=S.StatusClass(removed=True)),
        W(entityUrn=A, aspect=S.StatusClass(removed=False)),
        W(entityUrn=LONELY, aspect=S.StatusClass(removed=False)),
    ]
