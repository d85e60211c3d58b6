"""Benchmark of litemeta's search index (litemeta.followers.search) on an SDK-built corpus.

    python benchmarks/bench_search.py [--entities 15000] [--dir /tmp/bench-search]

Builds ~15,000 entities with realistic aspects (datasets with schemas, tags, terms, owners,
domains, containers, sub types; charts, dashboards, data flows and jobs, containers, users) as
Pegasus JSON from acryl-datahub's classes, then measures: the index build (one ``apply``), 50
varied word / phrase / name / field queries (p50, p95), and ``*`` with all facets.
Issue targets: build ≤ 30 s, p50 ≤ 30 ms, p95 ≤ 150 ms, ``*`` with facets ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import datahub.metadata.schema_classes as m
from datahub.emitter.mce_builder import (
    make_container_urn,
    make_data_flow_urn,
    make_data_job_urn,
    make_dataset_urn,
    make_domain_urn,
    make_tag_urn,
    make_term_urn,
    make_user_urn,
)
from datahub.emitter.serialization_helper import pre_json_transform

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from litemeta.followers.search.index import SearchIndex  # noqa: E402
from litemeta.model.registry import load_registry  # noqa: E402

WORDS = (
    "customer order invoice payment account user session event click page product item cart "
    "shipment delivery warehouse stock price discount campaign email marketing revenue profit "
    "region country city store employee salary department ledger transaction refund review rating "
    "subscription plan trial churn forecast budget supplier vendor contract ticket support "
    "device sensor reading metric log audit fraud risk score model feature label"
).split()
PLATFORMS = ["hive", "snowflake", "bigquery", "postgres", "mysql", "kafka", "s3", "redshift"]
ENVS = ["PROD", "DEV", "STAGING"]
TAGS = ["pii", "gold", "silver", "bronze", "deprecated", "sensitive", "finance", "marketing", "core", "raw"]
TERMS = [
    "Classification.Confidential",
    "Classification.Public",
    "Finance.Revenue",
    "Customer.Email",
    "Customer.Address",
    "Sales.Order",
]
USERS = [f"user{i:03d}" for i in range(200)]
DOMAINS = ["sales", "finance", "marketing", "operations", "engineering"]
SUBTYPES = ["Table", "View", "Topic"]
COL_TYPES = [
    (m.StringTypeClass(), "varchar"),
    (m.NumberTypeClass(), "bigint"),
    (m.BooleanTypeClass(), "boolean"),
    (m.DateTypeClass(), "date"),
]

Aspects = Dict[str, Dict[str, Any]]


def pj(obj: Any) -> Dict[str, Any]:
    """Pegasus JSON of an SDK aspect object."""
    return pre_json_transform(obj.to_obj())


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _audit() -> m.AuditStampClass:
    return m.AuditStampClass(time=1700000000000, actor="urn:li:corpuser:datahub")


def _common(rng: random.Random, aspects: Aspects) -> None:
    if rng.random() < 0.5:
        aspects["globalTags"] = pj(
            m.GlobalTagsClass(
                tags=[m.TagAssociationClass(tag=make_tag_urn(t)) for t in rng.sample(TAGS, rng.randint(1, 3))]
            )
        )
    if rng.random() < 0.3:
        aspects["glossaryTerms"] = pj(
            m.GlossaryTermsClass(
                terms=[
                    m.GlossaryTermAssociationClass(urn=make_term_urn(t)) for t in rng.sample(TERMS, rng.randint(1, 2))
                ],
                auditStamp=_audit(),
            )
        )
    if rng.random() < 0.7:
        aspects["ownership"] = pj(
            m.OwnershipClass(
                owners=[
                    m.OwnerClass(owner=make_user_urn(u), type=m.OwnershipTypeClass.TECHNICAL_OWNER)
                    for u in rng.sample(USERS, rng.randint(1, 2))
                ]
            )
        )
    if rng.random() < 0.4:
        aspects["domains"] = pj(m.DomainsClass(domains=[make_domain_urn(rng.choice(DOMAINS))]))
    aspects["status"] = pj(m.StatusClass(removed=rng.random() < 0.02))


def make_corpus(n: int = 15000, seed: int = 7) -> List[Tuple[str, Aspects]]:
    """``n`` entities (2/3 datasets) as (urn, {aspect name: Pegasus JSON})."""
    rng = random.Random(seed)
    out: List[Tuple[str, Aspects]] = []
    n_containers = max(1, n // 30)
    containers = []
    for i in range(n_containers):
        urn = make_container_urn(f"guid{i}")
        containers.append(urn)
        a: Aspects = {
            "containerProperties": pj(
                m.ContainerPropertiesClass(name=f"{rng.choice(WORDS)}_db_{i}", description=_sentence(rng, 8))
            )
        }
        a["subTypes"] = pj(m.SubTypesClass(typeNames=["Database"]))
        a["dataPlatformInstance"] = pj(m.DataPlatformInstanceClass(platform=f"urn:li:dataPlatform:{PLATFORMS[i % 8]}"))
        _common(rng, a)
        out.append((urn, a))
    n_datasets = (n * 2) // 3
    for i in range(n_datasets):
        platform = rng.choice(PLATFORMS)
        table = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{i}"
        name = f"{rng.choice(WORDS)}_db.{rng.choice(['public', 'analytics', 'staging'])}.{table}"
        urn = make_dataset_urn(platform, name, rng.choice(ENVS))
        cols = []
        for c in range(rng.randint(5, 30)):
            t, native = rng.choice(COL_TYPES)
            tags = (
                m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=make_tag_urn("pii"))])
                if rng.random() < 0.05
                else None
            )
            cols.append(
                m.SchemaFieldClass(
                    fieldPath=f"{rng.choice(WORDS)}_{rng.choice(WORDS)}" if c else "id",
                    type=m.SchemaFieldDataTypeClass(type=t),
                    nativeDataType=native,
                    description=_sentence(rng, 6) if rng.random() < 0.4 else None,
                    globalTags=tags,
                )
            )
        a = {
            "datasetProperties": pj(
                m.DatasetPropertiesClass(
                    name=table,
                    qualifiedName=name,
                    description=_sentence(rng, 15) if rng.random() < 0.8 else None,
                    customProperties={"owner_team": rng.choice(DOMAINS), "retention": str(rng.randint(1, 365))},
                )
            ),
            "schemaMetadata": pj(
                m.SchemaMetadataClass(
                    schemaName=table,
                    platform=f"urn:li:dataPlatform:{platform}",
                    version=0,
                    hash="",
                    platformSchema=m.OtherSchemaClass(rawSchema=""),
                    fields=cols,
                )
            ),
            "subTypes": pj(m.SubTypesClass(typeNames=[rng.choice(SUBTYPES)])),
            "container": pj(m.ContainerClass(container=rng.choice(containers))),
            "dataPlatformInstance": pj(m.DataPlatformInstanceClass(platform=f"urn:li:dataPlatform:{platform}")),
        }
        if rng.random() < 0.1:
            a["editableDatasetProperties"] = pj(m.EditableDatasetPropertiesClass(description=_sentence(rng, 10)))
        _common(rng, a)
        out.append((urn, a))
    rest = n - len(out)
    for i in range(rest):
        kind = i % 5
        if kind in (0, 1):
            urn = f"urn:li:chart:(looker,chart_{i})"
            a = {
                "chartInfo": pj(
                    m.ChartInfoClass(
                        title=f"{_sentence(rng, 3)} chart {i}",
                        description=_sentence(rng, 10),
                        lastModified=m.ChangeAuditStampsClass(),
                    )
                )
            }
        elif kind == 2:
            urn = f"urn:li:dashboard:(looker,dashboard_{i})"
            a = {
                "dashboardInfo": pj(
                    m.DashboardInfoClass(
                        title=f"{_sentence(rng, 2)} dashboard {i}",
                        description=_sentence(rng, 10),
                        lastModified=m.ChangeAuditStampsClass(),
                    )
                )
            }
        elif kind == 3:
            flow = make_data_flow_urn("airflow", f"dag_{i % 97}")
            urn = make_data_job_urn("airflow", f"dag_{i % 97}", f"task_{i}")
            a = {
                "dataJobInfo": pj(
                    m.DataJobInfoClass(
                        name=f"{rng.choice(WORDS)}_task_{i}",
                        type="COMMAND",
                        description=_sentence(rng, 8),
                        flowUrn=flow,
                    )
                )
            }
        else:
            user = f"person{i}"
            urn = make_user_urn(user)
            first, last = rng.choice(WORDS).title(), rng.choice(WORDS).title()
            a = {
                "corpUserInfo": pj(
                    m.CorpUserInfoClass(
                        active=True,
                        displayName=f"{first} {last}",
                        fullName=f"{first} {last}",
                        email=f"{user}@example.com",
                        title="Engineer",
                    )
                )
            }
        _common(rng, a)
        out.append((urn, a))
    return out


def _queries(corpus: List[Tuple[str, Aspects]], rng: random.Random) -> List[str]:
    names = [a["datasetProperties"]["name"] for _, a in corpus if "datasetProperties" in a]
    qs: List[str] = []
    qs += rng.sample(WORDS, 12)  # single words
    qs += [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(8)]  # two words
    qs += [f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"' for _ in range(5)]  # phrases
    qs += rng.sample(names, 10)  # exact dataset names
    qs += [f"{rng.choice(WORDS)[:4]}*" for _ in range(4)]  # wildcards
    qs += [
        "tags:pii",
        "platform:snowflake",
        "fieldPaths:customer_id",
        "origin:PROD",
        "tags:urn:li:tag:gold",
        "owners:user007",
        "glossaryTerms:Revenue",
        "typeNames:Topic",
    ]
    qs += ["customer email", "order payment refund", "fraud"]
    return qs[:50]


def main(argv: List[str] | None = None) -> int:
    """Run the benchmark and print the numbers."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=15000)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args(argv)
    directory = args.dir or tempfile.mkdtemp(prefix="litemeta-bench-search-")
    shutil.rmtree(directory, ignore_errors=True)
    t = time.perf_counter()
    corpus = make_corpus(args.entities)
    print(f"corpus: {len(corpus)} entities built in {time.perf_counter() - t:.1f} s")
    registry = load_registry()
    ix = SearchIndex.open(directory, registry)
    t, c = time.perf_counter(), time.process_time()
    ix.apply(corpus)
    build, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"index build: {build:.1f} s wall, {cpu:.1f} s CPU ({ix.doc_count()} documents)   target <= 30 s")
    t = time.perf_counter()
    ix.search("warmup")
    print(f"first search (opens searcher): {(time.perf_counter() - t) * 1000:.0f} ms")
    times, cpus = [], []
    for q in _queries(corpus, random.Random(3)):
        t, c = time.perf_counter(), time.process_time()
        r = ix.search(q)
        times.append((time.perf_counter() - t) * 1000)
        cpus.append((time.process_time() - c) * 1000)
        assert r.total >= 0
    for label, xs in (("wall", sorted(times)), ("CPU", sorted(cpus))):
        p50 = statistics.median(xs)
        p95 = xs[int(len(xs) * 0.95) - 1]
        print(
            f"{len(xs)} queries ({label}): p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {xs[-1]:.1f} ms"
            "   targets p50 <= 30 ms, p95 <= 150 ms"
        )
    ix.apply([corpus[0]])  # a change: the next search refreshes the searcher and its caches
    star = []
    for _ in range(5):
        t = time.perf_counter()
        r = ix.search("*", facets=True)
        star.append((time.perf_counter() - t) * 1000)
    print(
        f"'*' with all facets: first (after a change) {star[0]:.0f} ms, then median {statistics.median(star[1:]):.0f} ms "
        f"(total {r.total})   target <= 500 ms"
    )
    t = time.perf_counter()
    ix.autocomplete("cust")
    print(f"autocomplete: {(time.perf_counter() - t) * 1000:.1f} ms")
    ix.close()
    if not args.dir:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
