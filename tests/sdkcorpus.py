"""A realistic, deterministic DataHub "file sink" corpus built with the acryl-datahub SDK (tests only).

Adapted from the project's corpus generator so that a clone of the repository can build its own
test data: ``build_records(size, seed)`` returns the SDK objects, ``write_corpus(path, size, seed)``
writes them with the SDK's ``write_metadata_file``. ``python -m tests.sdkcorpus --size N --seed S
--out FILE`` does the same from the command line (the benchmarks use it).

The output is written with the SDK's own writer
(`datahub.ingestion.sink.file.write_metadata_file`), so it is byte-for-byte the
format that `datahub ingest ... sink: file` produces: a JSON array, one object
per record, `json.dumps(indent=4)`, MCPs in the "simplified" form
(`"aspect": {"json": {...}}`), legacy MCEs as `{"proposedSnapshot": {...}}`.

The output is deterministic for a given (--size, --seed): no wall-clock times,
no uuid4.  Timestamps start at 2023-11-14T22:13:20Z and the corpus spans well
under a year for any --size.  --size is the exact number of top-level records (MCPs + MCEs).

Contents (fractions are approximate):
  * ~55% "base" records creating entities of types dataset, chart, dashboard,
    dataFlow, dataJob, container, corpuser, corpGroup, tag, glossaryTerm,
    glossaryNode, domain with their usual aspects;
  * the rest is a chronological stream of changes: repeated UPSERTs of the same
    aspect with new values (versions accumulate), identical re-UPSERTs (no-op),
    timeseries aspects (datasetProfile, operation), PATCH proposals built with
    the SDK patch builders (DatasetPatchBuilder, ChartPatchBuilder,
    DashboardPatchBuilder, DataJobPatchBuilder), DELETE proposals (aspect
    deletes and a few key-aspect deletes) and legacy MCE snapshots.

Statistics (counts by changeType / aspect / entityType) are printed as JSON on
stdout and, with --stats FILE, written to FILE.
"""

import argparse
import collections
import json
import pathlib
import random
import sys
import time
from typing import Any, Dict, List, Optional

from datahub.emitter import mce_builder as b
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.emitter.mcp_builder import DatabaseKey, SchemaKey
from datahub.ingestion.sink.file import write_metadata_file
from datahub.metadata import schema_classes as m
from datahub.specific.chart import ChartPatchBuilder
from datahub.specific.dashboard import DashboardPatchBuilder
from datahub.specific.datajob import DataJobPatchBuilder
from datahub.specific.dataset import DatasetPatchBuilder

BASE_TS = 1_700_000_000_000  # 2023-11-14T22:13:20Z, fixed for determinism

WORDS = (
    "customer order invoice payment product inventory shipment revenue account "
    "session event click campaign lead contract employee payroll ledger budget "
    "forecast region store supplier refund subscription churn cohort metric "
    "transaction balance risk fraud claim policy patient visit device sensor "
    "reading alert ticket incident deployment build release feature experiment"
).split()
ADJ = (
    "daily weekly monthly raw clean staged curated enriched aggregated legacy "
    "active archived global regional internal external hourly final"
).split()
# A few non-ASCII / punctuation-heavy tokens so consumers meet real-world text.
ODD_WORDS = ["café", "umsätze", "données", "日本語", "naïve", "o'brien", "x-y", "50%"]
FIRST = "alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor walter zoe".split()
LAST = "smith jones garcia müller rossi kim nguyen patel cohen silva novak tanaka".split()
TEAMS = "data-platform analytics finance marketing growth security ml-infra sales support".split()

SQL_PLATFORMS = ["hive", "snowflake", "postgres", "mysql", "bigquery", "redshift"]
OTHER_DS_PLATFORMS = ["kafka", "s3"]
BI_PLATFORMS = ["looker", "tableau", "superset"]
ORCH_PLATFORMS = ["airflow", "dbt"]

NATIVE_TYPES = [
    ("VARCHAR(255)", m.StringTypeClass),
    ("TEXT", m.StringTypeClass),
    ("BIGINT", m.NumberTypeClass),
    ("INTEGER", m.NumberTypeClass),
    ("DECIMAL(18,2)", m.NumberTypeClass),
    ("DOUBLE", m.NumberTypeClass),
    ("BOOLEAN", m.BooleanTypeClass),
    ("DATE", m.DateTypeClass),
    ("TIMESTAMP", m.TimeTypeClass),
    ("ARRAY<STRING>", m.ArrayTypeClass),
    ("STRUCT<a:INT,b:STRING>", m.RecordTypeClass),
    ("BINARY", m.BytesTypeClass),
]


class Gen:
    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.r = random.Random(seed)
        self.ts = BASE_TS
        # The change stream advances the clock by ~step per change so that the
        # whole corpus spans well under a year whatever --size is (no future times).
        self.step = max(2_000, 365 * 86_400_000 // max(size, 1))
        self.records: List[Any] = []
        self.run_no = 0
        # entity pools
        self.users: List[str] = []
        self.groups: List[str] = []
        self.tags: List[str] = []
        self.terms: List[str] = []
        self.nodes: List[str] = []
        self.domains: List[str] = []
        self.containers: Dict[str, List[str]] = {}  # platform -> schema containers
        self.datasets: List[Dict[str, Any]] = []
        self.charts: List[Dict[str, Any]] = []
        self.dashboards: List[Dict[str, Any]] = []
        self.flows: List[Dict[str, Any]] = []
        self.jobs: List[Dict[str, Any]] = []
        # last written value per (urn, aspectName) for identical re-upserts
        self.last: Dict[tuple, Any] = {}
        self.deleted_keys: set = set()

    # ------------------------------------------------------------ helpers
    def tick(self, lo: int = 1, hi: int = 5000) -> int:
        self.ts += self.r.randint(lo, hi)
        return self.ts

    def stamp(self, actor: Optional[str] = None) -> m.AuditStampClass:
        return m.AuditStampClass(
            time=self.ts, actor=actor or (self.r.choice(self.users) if self.users else "urn:li:corpuser:datahub")
        )

    def cas(self) -> m.ChangeAuditStampsClass:
        st = self.stamp()
        return m.ChangeAuditStampsClass(created=st, lastModified=st)

    def edge(self, dst: str) -> m.EdgeClass:
        # explicit stamps: the patch builders would otherwise use the wall clock
        st = self.stamp()
        return m.EdgeClass(destinationUrn=dst, created=st, lastModified=st)

    def sysmeta(self) -> Optional[m.SystemMetadataClass]:
        # ~85% of records carry systemMetadata like a real ingestion pipeline;
        # the rest look like records emitted by hand with the SDK.
        if self.r.random() < 0.15:
            return None
        sm = m.SystemMetadataClass(lastObserved=self.ts, runId=f"file-ingest-{self.run_no:04d}")
        if self.r.random() < 0.2:
            sm.properties = {"appSource": "litemeta-gen", "clientVersion": "1.7.0.17"}
        return sm

    def word(self, odd: float = 0.02) -> str:
        if self.r.random() < odd:
            return self.r.choice(ODD_WORDS)
        return self.r.choice(WORDS)

    def sentence(self, n: int = 8) -> str:
        s = " ".join(self.word(0.03) for _ in range(self.r.randint(max(2, n // 2), n)))
        return s[0].upper() + s[1:] + "."

    def full(self) -> bool:
        return len(self.records) >= self.size

    def emit(self, urn: str, aspect: Any, change: str = m.ChangeTypeClass.UPSERT, sm: Any = "auto") -> None:
        if self.full():
            return
        self.tick(1, 50)
        w = MCPW(entityUrn=urn, aspect=aspect, changeType=change, systemMetadata=self.sysmeta() if sm == "auto" else sm)
        self.records.append(w)
        self.last[(urn, aspect.get_aspect_name())] = aspect

    def emit_raw(self, rec: Any) -> None:
        if self.full():
            return
        self.records.append(rec)

    # ------------------------------------------------------------ base entities
    def make_user(self, i: int) -> None:
        fn, ln = self.r.choice(FIRST), self.r.choice(LAST)
        uname = f"{fn}.{ln}{i}"
        urn = b.make_user_urn(uname)
        self.users.append(urn)
        self.emit(
            urn,
            m.CorpUserInfoClass(
                active=True,
                displayName=f"{fn.title()} {ln.title()}",
                email=f"{uname}@example.com",
                title=self.r.choice(["Data Engineer", "Analyst", "ML Engineer", "Manager", "SRE"]),
                firstName=fn.title(),
                lastName=ln.title(),
                fullName=f"{fn.title()} {ln.title()}",
                departmentName=self.r.choice(TEAMS),
                countryCode=self.r.choice(["US", "DE", "FR", "JP", "IN"]),
            ),
        )
        self.emit(urn, m.StatusClass(removed=False))
        if self.r.random() < 0.5:
            self.emit(
                urn,
                m.CorpUserEditableInfoClass(
                    aboutMe=self.sentence(10),
                    teams=self.r.sample(TEAMS, 2),
                    skills=self.r.sample(WORDS, 3),
                    slack=f"@{uname}",
                ),
            )

    def make_group(self, i: int) -> None:
        name = f"{TEAMS[i % len(TEAMS)]}-{i}"
        urn = b.make_group_urn(name)
        self.groups.append(urn)
        members = self.r.sample(self.users, min(len(self.users), self.r.randint(1, 6)))
        self.emit(
            urn,
            m.CorpGroupInfoClass(
                admins=members[:1],
                members=members,
                groups=[],
                displayName=name.replace("-", " ").title(),
                email=f"{name}@example.com",
                description=self.sentence(12),
            ),
        )
        self.emit(
            urn, m.OwnershipClass(owners=[m.OwnerClass(owner=members[0], type=m.OwnershipTypeClass.TECHNICAL_OWNER)])
        )

    def make_tag(self, i: int) -> None:
        name = [
            "pii",
            "gdpr",
            "sensitive",
            "gold",
            "silver",
            "bronze",
            "deprecated-soon",
            "finance",
            "certified",
            "experimental",
        ][i % 10]
        if i >= 10:
            name = f"{name}_{i}"
        urn = b.make_tag_urn(name)
        self.tags.append(urn)
        self.emit(
            urn,
            m.TagPropertiesClass(
                name=name, description=self.sentence(8), colorHex="#%06x" % self.r.randint(0, 0xFFFFFF)
            ),
        )
        if self.r.random() < 0.5:
            self.emit(
                urn,
                m.OwnershipClass(
                    owners=[m.OwnerClass(owner=self.r.choice(self.users), type=m.OwnershipTypeClass.DATAOWNER)]
                ),
            )

    def make_node(self, i: int) -> None:
        name = ["Finance", "Customer", "Security", "Product", "Operations"][i % 5] + (f" {i}" if i >= 5 else "")
        urn = f"urn:li:glossaryNode:{name.replace(' ', '_').lower()}"
        self.nodes.append(urn)
        self.emit(urn, m.GlossaryNodeInfoClass(definition=self.sentence(15), name=name))

    def make_term(self, i: int) -> None:
        w = self.word(0.05)
        name = f"{w.title()}{i}"
        node = self.r.choice(self.nodes)
        urn = b.make_term_urn(f"{node.split(':')[-1]}.{name}")
        self.terms.append(urn)
        self.emit(
            urn,
            m.GlossaryTermInfoClass(
                definition=self.sentence(20),
                termSource="INTERNAL",
                name=name,
                parentNode=node,
                customProperties={"steward": self.r.choice(TEAMS)},
            ),
        )
        if self.r.random() < 0.6:
            self.emit(
                urn,
                m.OwnershipClass(
                    owners=[m.OwnerClass(owner=self.r.choice(self.users), type=m.OwnershipTypeClass.BUSINESS_OWNER)]
                ),
            )

    def make_domain(self, i: int) -> None:
        name = ["Marketing", "Finance", "Engineering", "Sales", "Supply Chain", "HR"][i % 6] + (
            f" {i}" if i >= 6 else ""
        )
        urn = b.make_domain_urn(name.lower().replace(" ", "-"))
        self.domains.append(urn)
        self.emit(
            urn,
            m.DomainPropertiesClass(
                name=name, description=self.sentence(12), parentDomain=self.domains[0] if i >= 6 else None
            ),
        )

    def make_containers(self, platform: str, n_db: int, n_schema: int) -> None:
        plat = b.make_data_platform_urn(platform)
        self.containers[platform] = []
        for d in range(n_db):
            db = f"{self.word()}_db{d}"
            dkey = DatabaseKey(platform=platform, database=db, env="PROD")
            durn = dkey.as_urn()
            self.emit(
                durn,
                m.ContainerPropertiesClass(
                    name=db,
                    qualifiedName=db,
                    description=self.sentence(8),
                    customProperties={"platform": platform},
                    env="PROD",
                ),
            )
            self.emit(durn, m.SubTypesClass(typeNames=["Database"]))
            self.emit(durn, m.DataPlatformInstanceClass(platform=plat))
            self.emit(durn, m.StatusClass(removed=False))
            self.emit(durn, m.BrowsePathsV2Class(path=[]))
            for s in range(n_schema):
                sch = f"{self.r.choice(ADJ)}_{s}"
                skey = SchemaKey(platform=platform, database=db, schema=sch, env="PROD")
                surn = skey.as_urn()
                self.containers[platform].append(surn)
                self.container_path = getattr(self, "container_path", {})
                self.container_path[surn] = (db, durn, sch)
                self.emit(surn, m.ContainerPropertiesClass(name=sch, qualifiedName=f"{db}.{sch}", env="PROD"))
                self.emit(surn, m.SubTypesClass(typeNames=["Schema"]))
                self.emit(surn, m.DataPlatformInstanceClass(platform=plat))
                self.emit(surn, m.ContainerClass(container=durn))
                self.emit(surn, m.StatusClass(removed=False))
                self.emit(surn, m.BrowsePathsV2Class(path=[m.BrowsePathEntryClass(id=durn, urn=durn)]))

    def schema_fields(self, n: int) -> List[m.SchemaFieldClass]:
        fields = []
        used = set()
        for j in range(n):
            nm = f"{self.word(0.01)}_{self.r.choice(['id', 'name', 'amount', 'ts', 'code', 'flag', 'count', 'value'])}"
            while nm in used:
                nm += f"_{j}"
            used.add(nm)
            native, tcls = self.r.choice(NATIVE_TYPES)
            if tcls is m.ArrayTypeClass:
                t = m.SchemaFieldDataTypeClass(type=m.ArrayTypeClass(nestedType=["string"]))
            else:
                t = m.SchemaFieldDataTypeClass(type=tcls())
            f = m.SchemaFieldClass(
                fieldPath=nm,
                type=t,
                nativeDataType=native,
                nullable=self.r.random() < 0.7,
                description=self.sentence(10) if self.r.random() < 0.6 else None,
                isPartOfKey=(j == 0),
            )
            if self.r.random() < 0.08 and self.tags:
                f.globalTags = m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=self.r.choice(self.tags))])
            if self.r.random() < 0.05 and self.terms:
                f.glossaryTerms = m.GlossaryTermsClass(
                    terms=[m.GlossaryTermAssociationClass(urn=self.r.choice(self.terms))], auditStamp=self.stamp()
                )
            fields.append(f)
            if tcls is m.RecordTypeClass:  # nested struct children, v1 field paths
                for sub, st in (("a", m.NumberTypeClass), ("b", m.StringTypeClass)):
                    fields.append(
                        m.SchemaFieldClass(
                            fieldPath=f"{nm}.{sub}",
                            type=m.SchemaFieldDataTypeClass(type=st()),
                            nativeDataType="INT" if sub == "a" else "STRING",
                            nullable=True,
                        )
                    )
        return fields

    def make_dataset(self, i: int) -> None:
        roll = self.r.random()
        platform = self.r.choice(SQL_PLATFORMS) if roll < 0.85 else self.r.choice(OTHER_DS_PLATFORMS)
        plat = b.make_data_platform_urn(platform)
        container = None
        if platform in self.containers and self.containers[platform]:
            container = self.r.choice(self.containers[platform])
            db, durn, sch = self.container_path[container]
            tname = f"{self.r.choice(ADJ)}_{self.word(0.01)}_{self.word()}_{i}"
            name = f"{db}.{sch}.{tname}"
        elif platform == "kafka":
            tname = f"{self.word()}.{self.word()}.events-{i}"
            name = tname
        else:
            tname = f"{self.word()}/{self.r.choice(ADJ)}/part-{i}.parquet"
            name = f"bucket-{i % 7}/{tname}"
        env = "PROD" if self.r.random() < 0.9 else self.r.choice(["DEV", "QA", "STG"])
        urn = b.make_dataset_urn(platform, name, env)
        is_view = platform in SQL_PLATFORMS and self.r.random() < 0.15
        fields = self.schema_fields(self.r.choice([3, 5, 8, 12, 20, 30, 45, 60, 120]))
        ds = {
            "urn": urn,
            "platform": platform,
            "name": name,
            "fields": [f.fieldPath for f in fields],
            "container": container,
            "n_fields": len(fields),
        }
        self.datasets.append(ds)
        self.emit(
            urn,
            m.DatasetPropertiesClass(
                name=tname.split("/")[-1],
                qualifiedName=name,
                description=self.sentence(18) if self.r.random() < 0.8 else None,
                customProperties={
                    "owner_team": self.r.choice(TEAMS),
                    "retention_days": str(self.r.choice([7, 30, 90, 365])),
                    "format": self.r.choice(["parquet", "orc", "delta", "iceberg"]),
                },
                externalUrl=f"https://{platform}.example.com/{name}" if self.r.random() < 0.4 else None,
                created=m.TimeStampClass(time=self.ts - 86400000 * self.r.randint(1, 900)),
                lastModified=m.TimeStampClass(time=self.ts),
            ),
        )
        self.emit(
            urn,
            m.SchemaMetadataClass(
                schemaName=name,
                platform=plat,
                version=0,
                hash="",
                platformSchema=m.MySqlDDLClass(tableSchema=""),
                fields=fields,
                primaryKeys=[fields[0].fieldPath],
                foreignKeys=self._fks(urn, fields) if self.r.random() < 0.2 else None,
            ),
        )
        self.emit(
            urn, m.SubTypesClass(typeNames=["View" if is_view else ("Topic" if platform == "kafka" else "Table")])
        )
        self.emit(urn, m.StatusClass(removed=False))
        self.emit(urn, m.DataPlatformInstanceClass(platform=plat))
        if container:
            self.emit(urn, m.ContainerClass(container=container))
            db, durn, sch = self.container_path[container]
            self.emit(
                urn,
                m.BrowsePathsV2Class(
                    path=[
                        m.BrowsePathEntryClass(id=durn, urn=durn),
                        m.BrowsePathEntryClass(id=container, urn=container),
                    ]
                ),
            )
        else:
            self.emit(
                urn,
                m.BrowsePathsV2Class(path=[m.BrowsePathEntryClass(id=p) for p in name.split("/")[:-1] or ["default"]]),
            )
        if is_view:
            self.emit(
                urn,
                m.ViewPropertiesClass(
                    materialized=False, viewLanguage="SQL", viewLogic=f"SELECT * FROM {name}_base WHERE 1 = 1"
                ),
            )
        if self.r.random() < 0.8:
            self.emit(urn, self._ownership())
        if self.r.random() < 0.5:
            self.emit(urn, self._tags())
        if self.r.random() < 0.35:
            self.emit(urn, self._terms())
        if self.r.random() < 0.5:
            self.emit(urn, m.DomainsClass(domains=[self.r.choice(self.domains)]))
        if self.r.random() < 0.25:
            self.emit(
                urn,
                m.EditableDatasetPropertiesClass(
                    description=self.sentence(25), created=self.stamp(), lastModified=self.stamp()
                ),
            )
        if self.r.random() < 0.05:
            self.emit(
                urn,
                m.DeprecationClass(
                    deprecated=True,
                    note="Use the v2 table instead.",
                    actor=self.r.choice(self.users),
                    decommissionTime=self.ts + 86400000 * 30,
                ),
            )
        if len(self.datasets) > 3 and self.r.random() < 0.6:
            self.emit(urn, self._lineage(ds))
        if self.r.random() < 0.2:
            self.emit(
                urn,
                m.InstitutionalMemoryClass(
                    elements=[
                        m.InstitutionalMemoryMetadataClass(
                            url=f"https://wiki.example.com/{self.word()}/{i}",
                            description="Runbook",
                            createStamp=self.stamp(),
                        )
                    ]
                ),
            )
        if self.r.random() < 0.4:
            self.emit(urn, self._profile(ds))
        if self.r.random() < 0.4:
            self.emit(urn, self._operation(ds))

    def _fks(self, urn: str, fields: List[m.SchemaFieldClass]) -> List[m.ForeignKeyConstraintClass]:
        other = self.r.choice(self.datasets)
        if not other["fields"]:
            return []
        return [
            m.ForeignKeyConstraintClass(
                name=f"fk_{fields[-1].fieldPath}",
                foreignFields=[b.make_schema_field_urn(other["urn"], other["fields"][0])],
                sourceFields=[b.make_schema_field_urn(urn, fields[-1].fieldPath)],
                foreignDataset=other["urn"],
            )
        ]

    def _ownership(self) -> m.OwnershipClass:
        owners = []
        for _ in range(self.r.randint(1, 3)):
            who = self.r.choice(self.groups) if (self.groups and self.r.random() < 0.3) else self.r.choice(self.users)
            t = self.r.choice(
                [
                    m.OwnershipTypeClass.TECHNICAL_OWNER,
                    m.OwnershipTypeClass.BUSINESS_OWNER,
                    m.OwnershipTypeClass.DATA_STEWARD,
                ]
            )
            if not any(o.owner == who and o.type == t for o in owners):
                owners.append(m.OwnerClass(owner=who, type=t))
        return m.OwnershipClass(owners=owners, ownerTypes={}, lastModified=self.stamp())

    def _tags(self) -> m.GlobalTagsClass:
        return m.GlobalTagsClass(
            tags=[
                m.TagAssociationClass(tag=t)
                for t in self.r.sample(self.tags, min(len(self.tags), self.r.randint(1, 3)))
            ]
        )

    def _terms(self) -> m.GlossaryTermsClass:
        return m.GlossaryTermsClass(
            terms=[
                m.GlossaryTermAssociationClass(urn=t)
                for t in self.r.sample(self.terms, min(len(self.terms), self.r.randint(1, 2)))
            ],
            auditStamp=self.stamp(),
        )

    def _lineage(self, ds: Dict[str, Any]) -> m.UpstreamLineageClass:
        ups = [
            u
            for u in self.r.sample(self.datasets[:-1], min(len(self.datasets) - 1, self.r.randint(1, 4)))
            if u["urn"] != ds["urn"]
        ]
        fgl = []
        if ups and self.r.random() < 0.4 and ups[0]["fields"] and ds["fields"]:
            for k in range(min(3, len(ds["fields"]), len(ups[0]["fields"]))):
                fgl.append(
                    m.FineGrainedLineageClass(
                        upstreamType=m.FineGrainedLineageUpstreamTypeClass.FIELD_SET,
                        downstreamType=m.FineGrainedLineageDownstreamTypeClass.FIELD,
                        upstreams=[b.make_schema_field_urn(ups[0]["urn"], ups[0]["fields"][k])],
                        downstreams=[b.make_schema_field_urn(ds["urn"], ds["fields"][k])],
                        transformOperation=self.r.choice(["IDENTITY", "SUM", "CAST"]),
                        confidenceScore=1.0,
                    )
                )
        return m.UpstreamLineageClass(
            upstreams=[
                m.UpstreamClass(
                    dataset=u["urn"],
                    type=self.r.choice(
                        [
                            m.DatasetLineageTypeClass.TRANSFORMED,
                            m.DatasetLineageTypeClass.COPY,
                            m.DatasetLineageTypeClass.VIEW,
                        ]
                    ),
                    auditStamp=self.stamp(),
                )
                for u in ups
            ],
            fineGrainedLineages=fgl or None,
        )

    def _profile(self, ds: Dict[str, Any]) -> m.DatasetProfileClass:
        rows = self.r.randint(0, 50_000_000)
        fps = []
        for fp in ds["fields"][: self.r.randint(0, min(8, len(ds["fields"])))]:
            nulls = self.r.randint(0, max(1, rows // 10))
            fps.append(
                m.DatasetFieldProfileClass(
                    fieldPath=fp,
                    uniqueCount=self.r.randint(1, max(1, rows)),
                    nullCount=nulls,
                    nullProportion=round(nulls / max(rows, 1), 6),
                    min="0",
                    max=str(self.r.randint(1, 10**6)),
                    sampleValues=[self.word() for _ in range(3)],
                )
            )
        return m.DatasetProfileClass(
            timestampMillis=self.tick(1_000, 60_000),
            rowCount=rows,
            columnCount=ds["n_fields"],
            sizeInBytes=rows * self.r.randint(20, 400),
            fieldProfiles=fps or None,
            partitionSpec=m.PartitionSpecClass(partition="FULL_TABLE_SNAPSHOT", type=m.PartitionTypeClass.FULL_TABLE),
        )

    def _operation(self, ds: Dict[str, Any]) -> m.OperationClass:
        t = self.tick(1_000, 60_000)
        return m.OperationClass(
            timestampMillis=t,
            lastUpdatedTimestamp=t - self.r.randint(0, 60_000),
            operationType=self.r.choice(
                [
                    m.OperationTypeClass.INSERT,
                    m.OperationTypeClass.UPDATE,
                    m.OperationTypeClass.CREATE,
                    m.OperationTypeClass.DELETE,
                    m.OperationTypeClass.ALTER,
                ]
            ),
            actor=self.r.choice(self.users),
            numAffectedRows=self.r.randint(0, 100000),
            customProperties={"query_id": f"q{self.r.randint(1, 10**9)}"},
        )

    def make_chart(self, i: int) -> None:
        platform = self.r.choice(BI_PLATFORMS)
        cid = f"{i}"
        urn = b.make_chart_urn(platform, cid)
        inputs = [d["urn"] for d in self.r.sample(self.datasets, min(len(self.datasets), self.r.randint(1, 3)))]
        title = f"{self.word(0.03).title()} {self.word()} by {self.r.choice(['day', 'week', 'region', 'team'])}"
        self.charts.append({"urn": urn, "platform": platform, "title": title})
        self.emit(
            urn,
            m.ChartInfoClass(
                title=title,
                description=self.sentence(10),
                lastModified=self.cas(),
                inputs=inputs,
                type=self.r.choice(
                    [m.ChartTypeClass.BAR, m.ChartTypeClass.LINE, m.ChartTypeClass.TABLE, m.ChartTypeClass.PIE]
                ),
                chartUrl=f"https://{platform}.example.com/charts/{cid}",
                customProperties={"folder": self.word()},
            ),
        )
        self.emit(urn, m.StatusClass(removed=False))
        self.emit(urn, m.DataPlatformInstanceClass(platform=b.make_data_platform_urn(platform)))
        self.emit(urn, m.BrowsePathsV2Class(path=[m.BrowsePathEntryClass(id=self.r.choice(TEAMS))]))
        if self.r.random() < 0.6:
            self.emit(urn, self._ownership())
        if self.r.random() < 0.3:
            self.emit(urn, self._tags())
        if self.r.random() < 0.3:
            self.emit(urn, m.SubTypesClass(typeNames=[self.r.choice(["Look", "Worksheet", "Chart"])]))

    def make_dashboard(self, i: int) -> None:
        platform = self.r.choice(BI_PLATFORMS)
        urn = b.make_dashboard_urn(platform, f"dash_{i}")
        charts = [c["urn"] for c in self.r.sample(self.charts, min(len(self.charts), self.r.randint(1, 8)))]
        title = f"{self.r.choice(TEAMS).title()} {self.word().title()} Overview"
        self.dashboards.append({"urn": urn, "title": title, "charts": charts})
        self.emit(
            urn,
            m.DashboardInfoClass(
                title=title,
                description=self.sentence(15),
                lastModified=self.cas(),
                charts=charts,
                dashboardUrl=f"https://{platform}.example.com/d/{i}",
                customProperties={"refresh": self.r.choice(["hourly", "daily"])},
            ),
        )
        self.emit(urn, m.StatusClass(removed=False))
        self.emit(urn, m.DataPlatformInstanceClass(platform=b.make_data_platform_urn(platform)))
        self.emit(urn, m.BrowsePathsV2Class(path=[m.BrowsePathEntryClass(id=self.r.choice(TEAMS))]))
        if self.r.random() < 0.7:
            self.emit(urn, self._ownership())
        if self.r.random() < 0.4:
            self.emit(urn, m.DomainsClass(domains=[self.r.choice(self.domains)]))

    def make_flow(self, i: int) -> None:
        orch = self.r.choice(ORCH_PLATFORMS)
        fid = f"{self.word()}_{self.r.choice(ADJ)}_pipeline_{i}"
        urn = b.make_data_flow_urn(orch, fid, "prod")
        self.flows.append({"urn": urn, "orch": orch, "id": fid})
        self.emit(
            urn,
            m.DataFlowInfoClass(
                name=fid,
                description=self.sentence(12),
                project=self.r.choice(TEAMS),
                customProperties={"schedule": self.r.choice(["@daily", "@hourly", "0 3 * * *"])},
                externalUrl=f"https://{orch}.example.com/dags/{fid}",
            ),
        )
        self.emit(urn, m.StatusClass(removed=False))
        self.emit(urn, m.BrowsePathsV2Class(path=[m.BrowsePathEntryClass(id="prod")]))
        if self.r.random() < 0.6:
            self.emit(urn, self._ownership())

    def make_job(self, i: int) -> None:
        flow = self.r.choice(self.flows)
        jid = f"task_{self.word()}_{i}"
        urn = b.make_data_job_urn_with_flow(flow["urn"], jid)
        self.jobs.append({"urn": urn, "flow": flow["urn"]})
        self.emit(
            urn,
            m.DataJobInfoClass(
                name=jid,
                type=m.AzkabanJobTypeClass.COMMAND if flow["orch"] == "airflow" else "SQL",
                description=self.sentence(10),
                flowUrn=flow["urn"],
                customProperties={"operator": self.r.choice(["PythonOperator", "BashOperator", "SqlOperator"])},
            ),
        )
        ins = [d["urn"] for d in self.r.sample(self.datasets, min(len(self.datasets), self.r.randint(1, 3)))]
        outs = [d["urn"] for d in self.r.sample(self.datasets, min(len(self.datasets), self.r.randint(1, 2)))]
        prev_jobs = [j["urn"] for j in self.jobs[:-1] if j["flow"] == flow["urn"]][-1:]
        self.emit(urn, m.DataJobInputOutputClass(inputDatasets=ins, outputDatasets=outs, inputDatajobs=prev_jobs))
        self.emit(urn, m.StatusClass(removed=False))
        self.emit(urn, m.BrowsePathsV2Class(path=[m.BrowsePathEntryClass(id=flow["urn"], urn=flow["urn"])]))
        if self.r.random() < 0.4:
            self.emit(urn, self._ownership())

    # ------------------------------------------------------------ change stream
    def change_upsert(self) -> None:
        ds = self.r.choice(self.datasets)
        urn = ds["urn"]
        k = self.r.random()
        if k < 0.25:
            self.emit(
                urn,
                m.DatasetPropertiesClass(
                    name=ds["name"].split(".")[-1].split("/")[-1],
                    qualifiedName=ds["name"],
                    description=self.sentence(20),
                    customProperties={"owner_team": self.r.choice(TEAMS), "rev": str(self.r.randint(1, 10**6))},
                    lastModified=m.TimeStampClass(time=self.ts),
                ),
            )
        elif k < 0.4:
            self.emit(urn, self._ownership())
        elif k < 0.55:
            self.emit(urn, self._tags())
        elif k < 0.62:
            self.emit(urn, self._terms())
        elif k < 0.72:
            self.emit(
                urn,
                m.EditableDatasetPropertiesClass(
                    description=self.sentence(25), lastModified=self.stamp(), created=self.stamp()
                ),
            )
        elif k < 0.8:
            fields = self.schema_fields(self.r.randint(3, 40))
            ds["fields"] = [f.fieldPath for f in fields]
            ds["n_fields"] = len(fields)
            self.emit(
                urn,
                m.SchemaMetadataClass(
                    schemaName=ds["name"],
                    platform=b.make_data_platform_urn(ds["platform"]),
                    version=0,
                    hash="",
                    platformSchema=m.MySqlDDLClass(tableSchema=""),
                    fields=fields,
                ),
            )
        elif k < 0.85:
            self.emit(
                urn,
                m.DeprecationClass(
                    deprecated=self.r.random() < 0.7, note=self.sentence(8), actor=self.r.choice(self.users)
                ),
            )
        elif k < 0.9:
            self.emit(urn, m.StatusClass(removed=self.r.random() < 0.5))  # soft delete / restore
        elif k < 0.95:
            self.emit(urn, m.DomainsClass(domains=[self.r.choice(self.domains)]))
        else:
            self.emit(urn, self._lineage(ds))

    def change_other_upsert(self) -> None:
        k = self.r.random()
        if k < 0.35 and self.charts:
            c = self.r.choice(self.charts)
            c["title"] = f"{c['title'].split(' (')[0]} (v{self.r.randint(2, 99)})"
            self.emit(
                c["urn"],
                m.ChartInfoClass(
                    title=c["title"],
                    description=self.sentence(10),
                    lastModified=self.cas(),
                    inputs=[d["urn"] for d in self.r.sample(self.datasets, 2)],
                ),
            )
        elif k < 0.55 and self.dashboards:
            d = self.r.choice(self.dashboards)
            self.emit(
                d["urn"],
                m.DashboardInfoClass(
                    title=d["title"],
                    description=self.sentence(15),
                    lastModified=self.cas(),
                    charts=d["charts"][: self.r.randint(0, len(d["charts"]))],
                ),
            )
        elif k < 0.75 and self.jobs:
            j = self.r.choice(self.jobs)
            self.emit(
                j["urn"],
                m.DataJobInputOutputClass(
                    inputDatasets=[d["urn"] for d in self.r.sample(self.datasets, 2)],
                    outputDatasets=[self.r.choice(self.datasets)["urn"]],
                ),
            )
        elif k < 0.85:
            u = self.r.choice(self.users)
            self.emit(
                u,
                m.CorpUserEditableInfoClass(
                    aboutMe=self.sentence(10), teams=self.r.sample(TEAMS, 1), skills=self.r.sample(WORDS, 2)
                ),
            )
        else:
            t = self.r.choice(self.terms)
            self.emit(
                t, m.GlossaryTermInfoClass(definition=self.sentence(25), termSource="INTERNAL", name=t.split(".")[-1])
            )

    def change_identical(self) -> None:
        # Re-send the last value of an aspect unchanged (a no-op for versioning).
        key = self.r.choice(self.last_keys)
        self.emit(key[0], self.last[key])

    def change_timeseries(self) -> None:
        ds = self.r.choice(self.datasets)
        if self.r.random() < 0.5:
            self.emit(ds["urn"], self._profile(ds))
        else:
            self.emit(ds["urn"], self._operation(ds))

    def change_patch(self) -> None:
        k = self.r.random()
        if k < 0.6:
            ds = self.r.choice(self.datasets)
            p = DatasetPatchBuilder(ds["urn"])
            kk = self.r.random()
            if kk < 0.3:
                p.add_tag(m.TagAssociationClass(tag=self.r.choice(self.tags)))
            elif kk < 0.4:
                p.remove_tag(self.r.choice(self.tags))
            elif kk < 0.6:
                p.add_owner(m.OwnerClass(owner=self.r.choice(self.users), type=m.OwnershipTypeClass.TECHNICAL_OWNER))
            elif kk < 0.7:
                p.add_term(m.GlossaryTermAssociationClass(urn=self.r.choice(self.terms)))
            elif kk < 0.85:
                p.set_description(self.sentence(12)).add_custom_property("patched_by", "litemeta-gen")
            else:
                up = self.r.choice(self.datasets)
                if up["urn"] != ds["urn"]:
                    p.add_upstream_lineage(
                        m.UpstreamClass(dataset=up["urn"], type=m.DatasetLineageTypeClass.TRANSFORMED)
                    )
                else:
                    p.add_tag(m.TagAssociationClass(tag=self.r.choice(self.tags)))
            mcps = p.build()
        elif k < 0.75 and self.charts:
            c = self.r.choice(self.charts)
            mcps = (
                ChartPatchBuilder(c["urn"])
                .add_input_edge(self.edge(self.r.choice(self.datasets)["urn"]))
                .add_tag(m.TagAssociationClass(tag=self.r.choice(self.tags)))
                .build()
            )
        elif k < 0.88 and self.dashboards:
            d = self.r.choice(self.dashboards)
            mcps = (
                DashboardPatchBuilder(d["urn"])
                .add_chart_edge(self.edge(self.r.choice(self.charts)["urn"]))
                .add_custom_property("patched", "true")
                .build()
            )
        elif self.jobs:
            j = self.r.choice(self.jobs)
            mcps = (
                DataJobPatchBuilder(j["urn"])
                .add_input_dataset(self.edge(self.r.choice(self.datasets)["urn"]))
                .add_owner(m.OwnerClass(owner=self.r.choice(self.users), type=m.OwnershipTypeClass.DATAOWNER))
                .build()
            )
        else:
            return
        for mcp in mcps:
            self.tick(1, 50)
            if self.r.random() < 0.85:
                mcp.systemMetadata = m.SystemMetadataClass(lastObserved=self.ts, runId=f"file-ingest-{self.run_no:04d}")
            self.emit_raw(mcp)

    def change_delete(self) -> None:
        k = self.r.random()
        self.tick(1, 50)
        if k < 0.85:
            # aspect delete (soft: GMS deletes the aspect's rows)
            key = self.r.choice(self.last_keys)
            if key[1].endswith("Key"):
                return
            self.emit_raw(
                MCPW(
                    entityUrn=key[0],
                    changeType=m.ChangeTypeClass.DELETE,
                    aspectName=key[1],
                    systemMetadata=self.sysmeta(),
                )
            )
        else:
            # key-aspect delete == hard delete of the entity
            ds = self.r.choice(self.datasets)
            if ds["urn"] in self.deleted_keys:
                return
            self.deleted_keys.add(ds["urn"])
            self.emit_raw(
                MCPW(
                    entityUrn=ds["urn"],
                    changeType=m.ChangeTypeClass.DELETE,
                    aspectName="datasetKey",
                    systemMetadata=self.sysmeta(),
                )
            )

    def change_mce(self) -> None:
        k = self.r.random()
        self.tick(1, 50)
        if k < 0.6:
            ds = self.r.choice(self.datasets)
            snap = m.DatasetSnapshotClass(
                urn=ds["urn"],
                aspects=[
                    m.StatusClass(removed=False),
                    m.DatasetPropertiesClass(
                        name=ds["name"].split(".")[-1].split("/")[-1],
                        description=self.sentence(12),
                        customProperties={"source": "legacy-mce"},
                    ),
                    self._ownership(),
                    self._tags(),
                ],
            )
        elif k < 0.8:
            u = self.r.choice(self.users)
            snap = m.CorpUserSnapshotClass(
                urn=u,
                aspects=[
                    m.CorpUserInfoClass(
                        active=self.r.random() < 0.9,
                        displayName=u.split(":")[-1],
                        email=f"{u.split(':')[-1]}@example.com",
                        title=self.r.choice(["Engineer", "Analyst"]),
                    )
                ],
            )
        elif k < 0.9 and self.charts:
            c = self.r.choice(self.charts)
            snap = m.ChartSnapshotClass(
                urn=c["urn"],
                aspects=[
                    m.ChartInfoClass(title=c["title"], description=self.sentence(8), lastModified=self.cas()),
                    m.StatusClass(removed=False),
                ],
            )
        else:
            t = self.r.choice(self.tags)
            snap = m.TagSnapshotClass(
                urn=t, aspects=[m.TagPropertiesClass(name=t.split(":")[-1], description=self.sentence(6))]
            )
        sm = self.sysmeta()
        self.emit_raw(m.MetadataChangeEventClass(proposedSnapshot=snap, systemMetadata=sm))

    # ------------------------------------------------------------ driver
    def run(self) -> List[Any]:
        n = self.size
        base_budget = int(n * 0.55)
        # per-type counts scale with size; datasets dominate
        n_ds = max(4, base_budget // 24)
        counts = dict(
            users=max(3, min(2000, n_ds // 4)),
            groups=max(1, min(200, n_ds // 40)),
            tags=max(3, min(300, n_ds // 20)),
            nodes=max(1, min(20, n_ds // 100)),
            terms=max(3, min(1000, n_ds // 8)),
            domains=max(1, min(30, n_ds // 50)),
        )
        for i in range(counts["users"]):
            self.make_user(i)
        for i in range(counts["groups"]):
            self.make_group(i)
        for i in range(counts["tags"]):
            self.make_tag(i)
        for i in range(counts["nodes"]):
            self.make_node(i)
        for i in range(counts["terms"]):
            self.make_term(i)
        for i in range(counts["domains"]):
            self.make_domain(i)
        n_db = max(1, min(10, n_ds // 150))
        n_sch = max(1, min(12, n_ds // 100))
        for p in SQL_PLATFORMS:
            self.make_containers(p, n_db, n_sch)
        # interleave assets in rough proportions until the base budget is used
        i = 0
        while len(self.records) < base_budget:
            self.make_dataset(i)
            if i % 4 == 3:
                self.make_chart(i // 4)
            if i % 12 == 11:
                self.make_dashboard(i // 12)
            if i % 20 == 0:
                self.make_flow(i // 20)
            if i % 4 == 1 and self.flows:
                self.make_job(i // 4)
            i += 1
        # change stream
        self.last_keys = list(self.last.keys())
        ops = [
            (self.change_upsert, 0.34),
            (self.change_other_upsert, 0.10),
            (self.change_identical, 0.06),
            (self.change_timeseries, 0.25),
            (self.change_patch, 0.12),
            (self.change_delete, 0.06),
            (self.change_mce, 0.07),
        ]
        fns, weights = zip(*ops)
        step = 0
        while not self.full():
            if step % 500 == 0:
                self.run_no += 1
                self.last_keys = list(self.last.keys())
            self.tick(self.step // 2, self.step * 3 // 2)
            self.r.choices(fns, weights)[0]()
            step += 1
        return self.records[: self.size]


def stats(records: List[Any]) -> Dict[str, Any]:
    by_change: collections.Counter = collections.Counter()
    by_aspect: collections.Counter = collections.Counter()
    by_entity: collections.Counter = collections.Counter()
    by_kind: collections.Counter = collections.Counter()
    mce_aspects = 0
    urns = set()
    for r in records:
        if isinstance(r, m.MetadataChangeEventClass):
            by_kind["MCE"] += 1
            mce_aspects += len(r.proposedSnapshot.aspects)
            urns.add(r.proposedSnapshot.urn)
            by_entity[r.proposedSnapshot.urn.split(":")[2]] += 1
            continue
        by_kind[type(r).__name__] += 1
        ct = r.changeType if isinstance(r.changeType, str) else str(r.changeType)
        by_change[ct] += 1
        by_aspect[f"{r.aspectName}"] += 1
        by_entity[r.entityType] += 1
        urns.add(r.entityUrn)
    return {
        "records": len(records),
        "by_record_kind": dict(by_kind.most_common()),
        "mcp_by_changeType": dict(by_change.most_common()),
        "mce_count": by_kind["MCE"],
        "mce_total_aspects": mce_aspects,
        "mcp_by_aspect": dict(by_aspect.most_common()),
        "by_entityType": dict(by_entity.most_common()),
        "distinct_urns": len(urns),
    }


def build_records(size: int, seed: int = 0) -> List[Any]:
    """``size`` SDK records (MCPWs, patch MCPs, DELETEs, MCEs), the same for the same arguments."""
    return Gen(size, seed).run()


def write_corpus(path: "str | pathlib.Path", size: int, seed: int = 0) -> List[Any]:
    """Write a corpus with the SDK's own writer; return the SDK records written."""
    recs = build_records(size, seed)
    write_metadata_file(pathlib.Path(path), recs)
    return recs


def extra_records() -> List[Any]:
    """SDK records of the rarer shapes the generator does not produce, each built with the SDK.

    entityKeyAspect instead of entityUrn, headers (empty and set), an empty aspect, a DELETE of a
    timeseries aspect, PATCHes of both shapes, MCEs whose aspects hold real unions (tagged
    members), floats in every notation, non-ASCII text.
    """
    ds = b.make_dataset_urn("hive", "db.extra", "PROD")
    ds2 = b.make_dataset_urn("snowflake", "db.caf\u00e9_\u65e5\u672c", "DEV")
    job = b.make_data_job_urn("airflow", "flow_x", "task_y")
    chart = b.make_chart_urn("looker", "c1")
    st = m.AuditStampClass(time=BASE_TS, actor="urn:li:corpuser:datahub")
    recs: List[Any] = [
        MCPW(
            entityType="dataset",
            entityKeyAspect=m.DatasetKeyClass(platform="urn:li:dataPlatform:hive", name="db.keyed", origin="PROD"),
            aspect=m.StatusClass(removed=False),
        ),
        MCPW(
            entityUrn=ds,
            aspect=m.StatusClass(removed=True),
            headers={"If-Version-Match": "3"},
            systemMetadata=m.SystemMetadataClass(lastObserved=BASE_TS, runId="run-x"),
        ),
        MCPW(
            entityUrn=ds,
            aspect=m.SubTypesClass(typeNames=["Table"]),
            headers={},
            systemMetadata=m.SystemMetadataClass(),
        ),
        m.MetadataChangeProposalClass(
            entityType="dataset",
            entityUrn=ds,
            changeType="UPSERT",
            aspectName="status",
            aspect=m.GenericAspectClass(value=b"{}", contentType="application/json"),
        ),
        MCPW(entityUrn=ds, changeType=m.ChangeTypeClass.DELETE, aspectName="datasetProfile"),
        MCPW(
            entityUrn=ds2,
            aspect=m.DatasetPropertiesClass(
                description='Caf\u00e9 \u65e5\u672c\u8a9e "quoted" \\ back\nline\ttab',
                customProperties={"\u00fc": "\u00e4", "emoji": "\U0001f600"},
            ),
        ),
        MCPW(
            entityUrn=ds,
            aspect=m.DatasetProfileClass(
                timestampMillis=BASE_TS,
                rowCount=10,
                columnCount=2,
                fieldProfiles=[
                    m.DatasetFieldProfileClass(fieldPath="a", nullProportion=1e-07, uniqueProportion=0.1, nullCount=0),
                    m.DatasetFieldProfileClass(
                        fieldPath="b", nullProportion=1.0, uniqueProportion=123456789.125, nullCount=3
                    ),
                ],
            ),
        ),
        MCPW(
            entityUrn=ds,
            aspect=m.OperationClass(
                timestampMillis=BASE_TS + 1,
                lastUpdatedTimestamp=BASE_TS,
                operationType=m.OperationTypeClass.CUSTOM,
                customOperationType="VACUUM",
            ),
        ),
        m.MetadataChangeEventClass(
            proposedSnapshot=m.DataJobSnapshotClass(
                urn=job,
                aspects=[
                    m.DataJobInfoClass(name="task_y", type="SQL", customProperties={"k": "v"}),
                    m.StatusClass(removed=False),
                ],
            )
        ),
        m.MetadataChangeEventClass(
            proposedSnapshot=m.ChartSnapshotClass(
                urn=chart,
                aspects=[
                    m.ChartInfoClass(
                        title="c",
                        description="d",
                        lastModified=m.ChangeAuditStampsClass(created=st, lastModified=st),
                        inputs=[ds],
                    )
                ],
            ),
            systemMetadata=m.SystemMetadataClass(lastObserved=BASE_TS, runId="mce-run"),
        ),
        m.MetadataChangeEventClass(
            proposedSnapshot=m.DatasetSnapshotClass(
                urn=ds,
                aspects=[
                    m.SchemaMetadataClass(
                        schemaName="t",
                        platform="urn:li:dataPlatform:hive",
                        version=0,
                        hash="",
                        platformSchema=m.OtherSchemaClass(rawSchema="x"),
                        fields=[
                            m.SchemaFieldClass(
                                fieldPath="a",
                                type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass()),
                                nativeDataType="VARCHAR",
                            )
                        ],
                    ),
                    m.UpstreamLineageClass(
                        upstreams=[m.UpstreamClass(dataset=ds2, type=m.DatasetLineageTypeClass.COPY)]
                    ),
                ],
            )
        ),
    ]
    recs += (
        DatasetPatchBuilder(ds)
        .add_owner(m.OwnerClass(owner="urn:li:corpuser:bob", type=m.OwnershipTypeClass.TECHNICAL_OWNER))
        .build()
    )
    recs += DatasetPatchBuilder(ds).set_description("patched").add_custom_property("k", "v").build()
    return recs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, required=True, help="number of top-level records (MCPs + MCEs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True, help="output .json path (DataHub file-sink format)")
    a = ap.parse_args()
    t0 = time.time()
    recs = write_corpus(a.out, a.size, a.seed)
    st = stats(recs)
    st["seconds"] = round(time.time() - t0, 2)
    print(json.dumps(st, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
