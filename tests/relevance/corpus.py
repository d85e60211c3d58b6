"""A realistic metadata corpus for the search relevance set, shaped like real connector output.

Deterministic for a seed: about 1,150 entities built with the DataHub SDK (``MetadataChangeProposalWrapper``):

- dbt projects (``stg_``/``int_``/``fct_``/``dim_``/``rpt_`` models with dbt-style descriptions),
  SQL source tables (Postgres, Snowflake, BigQuery, MySQL) with column descriptions, Kafka topics
  and S3 JSON files whose schemas carry JSON-schema field names ("Billing Address", "Column With
  Space"), German and French tables with accented names;
- a glossary of business terms ("Cost of Goods Sold", "Days Sales Outstanding") with definitions;
- tags ("PII", "Tier 1"), people with accented names (owners), dashboards and charts.

Every entity is an :class:`Entity` record holding the source values (name, description, columns,
tags, terms, owners), from which :mod:`tests.relevance.generate` derives queries and their expected
entity. Nothing here looks at litemeta.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from datahub.emitter import mce_builder as b
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m

SYSTEMS = [
    "Salesforce",
    "SAP",
    "Stripe",
    "Shopify",
    "Zendesk",
    "HubSpot",
    "Workday",
    "NetSuite",
    "Segment",
    "Marketo",
    "Snowplow",
    "Braze",
    "Jira",
    "Greenhouse",
    "Intercom",
    "Adyen",
    "Magento",
    "Oracle EBS",
]

# business object -> (plural, attributes as column names, attribute words for descriptions)
OBJECTS: Dict[str, Tuple[str, List[str]]] = {
    "customer": (
        "customers",
        [
            "customer_id",
            "first_name",
            "last_name",
            "email_address",
            "phone_number",
            "date_of_birth",
            "signup_date",
            "loyalty_tier",
            "country_code",
            "marketing_opt_in",
        ],
    ),
    "order": (
        "orders",
        [
            "order_id",
            "customer_id",
            "order_date",
            "order_status",
            "order_total",
            "currency_code",
            "discount_amount",
            "shipping_method",
            "channel",
            "is_gift",
        ],
    ),
    "order line": (
        "order lines",
        [
            "order_line_id",
            "order_id",
            "product_id",
            "quantity",
            "unit_price",
            "line_total",
            "tax_amount",
            "returned_quantity",
        ],
    ),
    "product": (
        "products",
        [
            "product_id",
            "sku",
            "product_name",
            "category",
            "brand",
            "list_price",
            "cost_price",
            "weight_grams",
            "launch_date",
            "is_active",
        ],
    ),
    "invoice": (
        "invoices",
        [
            "invoice_id",
            "account_id",
            "invoice_date",
            "due_date",
            "amount_due",
            "amount_paid",
            "invoice_status",
            "payment_terms",
        ],
    ),
    "payment": (
        "payments",
        [
            "payment_id",
            "invoice_id",
            "payment_method",
            "amount",
            "captured_at",
            "processor_fee",
            "card_brand",
            "failure_reason",
        ],
    ),
    "shipment": (
        "shipments",
        [
            "shipment_id",
            "order_id",
            "carrier",
            "tracking_number",
            "shipped_at",
            "delivered_at",
            "warehouse_id",
            "shipping_cost",
        ],
    ),
    "refund": ("refunds", ["refund_id", "payment_id", "refund_amount", "refund_reason", "refunded_at", "approved_by"]),
    "subscription": (
        "subscriptions",
        [
            "subscription_id",
            "customer_id",
            "plan_code",
            "billing_period",
            "started_at",
            "cancelled_at",
            "monthly_amount",
            "trial_end_date",
        ],
    ),
    "supplier": (
        "suppliers",
        ["supplier_id", "supplier_name", "country_code", "payment_terms", "lead_time_days", "quality_rating"],
    ),
    "warehouse": ("warehouses", ["warehouse_id", "warehouse_name", "city", "capacity_pallets", "manager_id"]),
    "inventory snapshot": (
        "inventory snapshots",
        ["snapshot_date", "warehouse_id", "sku", "on_hand_units", "reserved_units", "reorder_point"],
    ),
    "employee": (
        "employees",
        [
            "employee_id",
            "full_name",
            "department",
            "hire_date",
            "job_title",
            "manager_id",
            "salary_band",
            "termination_date",
        ],
    ),
    "campaign": (
        "campaigns",
        ["campaign_id", "campaign_name", "channel", "budget_amount", "start_date", "end_date", "target_segment"],
    ),
    "lead": (
        "leads",
        ["lead_id", "lead_source", "company_name", "lead_score", "created_at", "converted_at", "owner_id"],
    ),
    "opportunity": (
        "opportunities",
        ["opportunity_id", "account_id", "stage_name", "amount", "close_date", "probability", "forecast_category"],
    ),
    "account": (
        "accounts",
        ["account_id", "account_name", "industry", "annual_revenue", "employee_count", "billing_country"],
    ),
    "support ticket": (
        "support tickets",
        [
            "ticket_id",
            "requester_id",
            "priority",
            "ticket_status",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "satisfaction_score",
        ],
    ),
    "web session": (
        "web sessions",
        [
            "session_id",
            "anonymous_id",
            "landing_page",
            "referrer",
            "utm_campaign",
            "session_start",
            "page_view_count",
            "device_type",
        ],
    ),
    "page view": ("page views", ["event_id", "session_id", "page_url", "page_title", "viewed_at", "time_on_page"]),
    "sensor reading": (
        "sensor readings",
        ["device_id", "reading_time", "temperature_celsius", "humidity_percent", "battery_level"],
    ),
    "ledger entry": (
        "ledger entries",
        ["entry_id", "account_number", "posting_date", "debit_amount", "credit_amount", "cost_center", "fiscal_period"],
    ),
    "budget line": ("budget lines", ["budget_id", "cost_center", "fiscal_year", "planned_amount", "approved_amount"]),
    "exchange rate": ("exchange rates", ["rate_date", "from_currency", "to_currency", "rate", "source"]),
    "promotion": (
        "promotions",
        ["promotion_id", "promo_code", "discount_percent", "valid_from", "valid_to", "min_order_value"],
    ),
    "product review": (
        "product reviews",
        ["review_id", "product_id", "rating", "review_text", "reviewed_at", "verified_purchase"],
    ),
    "insurance claim": (
        "insurance claims",
        ["claim_id", "policy_id", "claim_amount", "incident_date", "claim_status", "adjuster_id"],
    ),
    "patient visit": (
        "patient visits",
        ["visit_id", "patient_id", "visit_date", "department", "diagnosis_code", "length_of_stay"],
    ),
}
CONTEXTS = [
    "catalogue",
    "web shop",
    "mobile app",
    "point of sale system",
    "partner portal",
    "billing platform",
    "data warehouse",
    "loyalty programme",
    "marketplace",
    "call centre",
]
PERIODS = ["night", "hour", "fifteen minutes", "morning", "weekend", "day at noon", "Monday"]
GRAINS = ["day", "week", "month", "hour", "fiscal quarter", "store", "region", "country"]
PURPOSES = [
    "finance reporting",
    "the board pack",
    "demand forecasting",
    "fraud monitoring",
    "capacity planning",
    "the churn model",
    "marketing attribution",
    "regulatory filings",
    "margin analysis",
]
TEAMS = ["Finance", "Growth", "Supply Chain", "Customer Success", "Risk", "Data Platform", "Marketing Analytics"]
EVENTS = ["created", "updated", "cancelled", "returned", "disputed", "escalated", "archived"]

DESCRIPTIONS = [
    "A {obj} in the {context}, with its {a1} and {a2}.",
    "{Obj} master record synchronised from {system} every {period}.",
    "One row per {obj} per {grain}, deduplicated on the {a1}.",
    "This table has basic information about a {obj}, as well as some derived facts based on the {a2}.",
    "Staging model for {system} {objs}: renames columns and casts types.",
    "Daily snapshot of the {objs} reported by {system}, used for {purpose}.",
    "All {objs} that were {event} in the last {n} days, by {grain}.",
    "Aggregated {a1} of {objs} by {grain} for the {team} team.",
    "Raw {system} export of {objs}; not for direct use in reports.",
    "The history of every change to a {obj} in {system}, as slowly changing dimension type 2.",
    "Intermediate model joining {objs} to their {a2} before the {grain} rollup.",
    "Cleaned {objs} from the {context} with test accounts and duplicates removed.",
    "Reconciliation of {system} {objs} against the general ledger at the end of each {grain}.",
    "Features of each {obj} for {purpose}, refreshed every {period}.",
]
GLOSSARY = [
    ("Cost of Goods Sold", "The direct cost of producing the goods sold by a company in a period."),
    ("Gross Margin", "Revenue minus the cost of goods sold, as a share of revenue."),
    ("Annual Recurring Revenue", "The yearly value of all active subscriptions at the end of a period."),
    ("Monthly Recurring Revenue", "The monthly value of all active subscriptions, normalised to one month."),
    ("Customer Lifetime Value", "The revenue a customer is expected to bring over the whole relationship."),
    ("Customer Acquisition Cost", "What it costs on average to win one new customer."),
    ("Days Sales Outstanding", "The average number of days it takes to collect payment after a sale."),
    ("Net Promoter Score", "The share of promoters minus the share of detractors among survey answers."),
    ("Churn Rate", "The share of customers who cancel in a period, of those active at its start."),
    ("Average Order Value", "Total revenue divided by the number of orders in the same period."),
    ("Return on Ad Spend", "Revenue attributed to an advertising campaign divided by its cost."),
    ("Earnings Before Interest and Taxes", "Operating profit before interest and income tax expenses."),
    ("Point of Sale", "The place and the system where a retail transaction is completed."),
    ("Bill of Materials", "The list of parts and quantities needed to build one unit of a product."),
    ("Stock Keeping Unit", "An identifier for a distinct product variant that is kept in stock."),
    ("Service Level Agreement", "A commitment between a provider and a client on the level of a service."),
    ("Personally Identifiable Information", "Any data that can be used to identify a specific person."),
    ("Right to be Forgotten", "The right of a person to have their personal data erased."),
    ("Total Addressable Market", "The whole revenue opportunity available for a product or service."),
    ("Weighted Average Cost of Capital", "The average rate a company pays to finance its assets."),
    ("Free Cash Flow", "Cash from operations minus capital expenditure in a period."),
    ("Accounts Receivable", "Money owed to the company by its customers for goods already delivered."),
    ("Accounts Payable", "Money the company owes to its suppliers for goods and services received."),
    ("First Contact Resolution", "The share of support tickets solved in the first interaction."),
    ("Mean Time to Recovery", "The average time it takes to restore a service after an incident."),
    ("Click Through Rate", "The share of people who click a link among those who see it."),
    ("Cost per Acquisition", "The advertising cost of one conversion, such as a sale or a sign-up."),
    ("Inventory Turnover", "How many times the stock is sold and replaced over a period."),
    ("Order to Cash", "The business process from receiving an order to collecting its payment."),
    ("Procure to Pay", "The business process from requesting goods to paying the supplier for them."),
    ("Umsatzsteuer", "Die Steuer auf den Umsatz von Waren und Dienstleistungen in Deutschland."),
    ("Chiffre d'affaires", "Le montant total des ventes réalisées par une entreprise sur une période."),
    ("Key Performance Indicator", "A measurable value that shows how well an objective is being met."),
    ("Data Retention Period", "How long a kind of record is kept before it is deleted or archived."),
    ("Golden Record", "The single, trusted version of an entity built from several source systems."),
    ("Fiscal Year", "The twelve months a company uses for its accounting and budgeting."),
    ("Backorder", "An order for a product that is temporarily out of stock."),
    ("Dunning", "The process of reminding customers of overdue invoices."),
    ("Chargeback", "A payment reversed by the card issuer after the customer disputes it."),
    ("Write-off", "An amount removed from the books because it will not be collected."),
]
TAGS = [
    "PII",
    "GDPR",
    "Tier 1",
    "Tier 2",
    "Certified",
    "Deprecated",
    "Sensitive",
    "Finance",
    "Marketing",
    "Experimental",
    "Gold",
    "Raw Zone",
    "Needs Review",
    "Contains Health Data",
    "Public",
]
FIRST = [
    "José",
    "Zoë",
    "Søren",
    "François",
    "Ingrid",
    "Aarav",
    "Mei",
    "Chinedu",
    "Łukasz",
    "Ana",
    "Björn",
    "Chloé",
    "Dmitri",
    "Elif",
    "Fatima",
    "Giulia",
    "Hiroshi",
    "Irène",
    "Jonas",
    "Kateřina",
    "Liam",
    "Małgorzata",
    "Noah",
    "Olivia",
    "Priya",
    "Quentin",
    "Renée",
    "Sven",
    "Tomás",
    "Ugo",
]
LAST = [
    "Álvarez",
    "Müller",
    "Kierkegaard",
    "Dupont",
    "Ølstad",
    "Sharma",
    "Chen",
    "Okafor",
    "Wiśniewski",
    "Silva",
    "Andersson",
    "Lefèvre",
    "Volkov",
    "Yılmaz",
    "Haddad",
    "Rossi",
    "Tanaka",
    "Dubois",
    "Schmidt",
    "Nováková",
    "O'Brien",
    "Kowalska",
    "Williams",
    "García",
    "Iyer",
    "Girard",
    "Fontaine",
    "Lindqvist",
    "Núñez",
    "Bianchi",
]
CHART_TITLES = [
    "{Metric} by {grain}",
    "Weekly {objs} trend",
    "Top {objs} by {a1}",
    "{Metric} versus target",
    "{Objs} funnel for the {context}",
    "{Metric} forecast for next {grain}",
]
METRICS = [g[0] for g in GLOSSARY[:30]] + [
    "Revenue",
    "Active Customers",
    "Open Tickets",
    "Late Shipments",
    "Refund Volume",
    "Stock Cover",
    "Conversion Rate",
]
JSON_FIELDS = [
    "Column With Space",
    "Billing Address",
    "Shipping Address",
    "Customer Reference",
    "Order Notes",
    "Delivery Window",
    "Gift Message",
    "Preferred Language",
    "Tax Exemption Code",
    "Loyalty Card Number",
]
LEGACY = ["ref", "raw", "legacy", "src", "old", "ext", "override", "checksum", "batch_key", "load_ts"]
GERMAN = [
    ("Ölpreis täglich", "Täglicher Ölpreis je Barrel aus dem Rohstoffmarkt."),
    ("Umsätze je Filiale", "Die Umsätze jeder Filiale je Tag, ohne Umsatzsteuer."),
    ("Kündigungen Verträge", "Alle Kündigungen von Verträgen im laufenden Geschäftsjahr."),
    ("Données clients", "Les données des clients issues du système de fidélité."),
    ("Chiffre d'affaires régional", "Le chiffre d'affaires par région et par mois, hors taxes."),
    ("Lieferanten Stammdaten", "Stammdaten der Lieferanten mit Zahlungsbedingungen."),
]


@dataclass
class Entity:
    """One entity's source metadata (what queries and expected answers are derived from)."""

    urn: str
    kind: str
    name: str
    description: str = ""
    columns: List[str] = field(default_factory=list)
    tags: List[str] = field(default_factory=list)
    terms: List[str] = field(default_factory=list)
    owners: List[str] = field(default_factory=list)


def _field(path: str, description: Optional[str]) -> m.SchemaFieldClass:
    return m.SchemaFieldClass(
        fieldPath=path,
        nativeDataType="VARCHAR",
        description=description,
        type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass()),
    )


class _Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.entities: List[Entity] = []
        self.records: List[Any] = []
        self.users: List[Tuple[str, str]] = []  # (urn, display name)
        self.term_urns: Dict[str, str] = {}
        self.tag_urns: Dict[str, str] = {}
        self.urns: set = set()

    def describe(self, obj: str, system: str) -> str:
        plural, attrs = OBJECTS[obj]
        a1, a2 = self.r.sample(attrs, 2)
        text = self.r.choice(DESCRIPTIONS).format(
            obj=obj,
            Obj=obj[0].upper() + obj[1:],
            objs=plural,
            system=system,
            context=self.r.choice(CONTEXTS),
            period=self.r.choice(PERIODS),
            grain=self.r.choice(GRAINS),
            purpose=self.r.choice(PURPOSES),
            team=self.r.choice(TEAMS),
            event=self.r.choice(EVENTS),
            n=self.r.choice([7, 14, 30, 90, 365]),
            a1=a1.replace("_", " "),
            a2=a2.replace("_", " "),
        )
        return text

    def people(self) -> None:
        seen = set()
        while len(self.users) < 80:
            first, last = self.r.choice(FIRST), self.r.choice(LAST)
            if (first, last) in seen:
                continue
            seen.add((first, last))
            display = f"{first} {last}"
            username = f"{first}.{last}".lower().replace("'", "")
            urn = b.make_user_urn(username)
            self.users.append((urn, display))
            team = self.r.choice(TEAMS)
            self.records.append(
                MCPW(
                    entityUrn=urn,
                    aspect=m.CorpUserInfoClass(
                        active=True,
                        displayName=display,
                        fullName=display,
                        firstName=first,
                        lastName=last,
                        email=f"{username}@example.com",
                        title=self.r.choice(["Analytics Engineer", "Data Steward", "Controller", "Product Manager"]),
                        departmentName=team,
                    ),
                )
            )
            self.entities.append(Entity(urn, "person", display, f"{team} team"))

    def glossary(self) -> None:
        node = "urn:li:glossaryNode:business"
        self.records.append(
            MCPW(
                entityUrn=node,
                aspect=m.GlossaryNodeInfoClass(name="Business Glossary", definition="Terms the business agrees on."),
            )
        )
        for name, definition in GLOSSARY:
            urn = b.make_term_urn("Business." + "".join(w.capitalize() for w in name.replace("'", " ").split()))
            self.term_urns[name] = urn
            owner = self.r.choice(self.users)[0]
            self.records.append(
                MCPW(
                    entityUrn=urn,
                    aspect=m.GlossaryTermInfoClass(
                        name=name, definition=definition, termSource="INTERNAL", parentNode=node
                    ),
                )
            )
            self.records.append(
                MCPW(
                    entityUrn=urn,
                    aspect=m.OwnershipClass(
                        owners=[m.OwnerClass(owner=owner, type=m.OwnershipTypeClass.BUSINESS_OWNER)]
                    ),
                )
            )
            self.entities.append(Entity(urn, "term", name, definition, owners=[owner]))

    def tags(self) -> None:
        for name in TAGS:
            urn = b.make_tag_urn(name.lower().replace(" ", "-"))
            self.tag_urns[name] = urn
            description = f"Assets marked {name}: see the data handling policy."
            self.records.append(MCPW(entityUrn=urn, aspect=m.TagPropertiesClass(name=name, description=description)))
            self.entities.append(Entity(urn, "tag", name, description))

    def dataset(
        self,
        platform: str,
        qualified: str,
        name: str,
        description: str,
        columns: List[str],
        column_docs: Dict[str, str],
        subtype: str,
    ) -> None:
        urn = b.make_dataset_urn(platform, qualified, "PROD")
        if urn in self.urns:  # the same table drawn twice: one entity, written once
            return
        self.urns.add(urn)
        tags = self.r.sample(TAGS, self.r.choice([0, 0, 1, 1, 2]))
        terms = self.r.sample(list(self.term_urns), self.r.choice([0, 0, 0, 1, 2]))
        owners = [u for u, _ in self.r.sample(self.users, self.r.choice([1, 1, 2]))]
        self.records.append(
            MCPW(
                entityUrn=urn,
                aspect=m.DatasetPropertiesClass(
                    name=name,
                    qualifiedName=qualified,
                    description=description,
                    customProperties={"materialized": subtype.lower()},
                ),
            )
        )
        self.records.append(
            MCPW(
                entityUrn=urn,
                aspect=m.SchemaMetadataClass(
                    schemaName=qualified,
                    platform=b.make_data_platform_urn(platform),
                    version=0,
                    hash="",
                    platformSchema=m.OtherSchemaClass(rawSchema=""),
                    fields=[_field(c, column_docs.get(c)) for c in columns],
                ),
            )
        )
        self.records.append(MCPW(entityUrn=urn, aspect=m.SubTypesClass(typeNames=[subtype])))
        if tags:
            self.records.append(
                MCPW(
                    entityUrn=urn,
                    aspect=m.GlobalTagsClass(tags=[m.TagAssociationClass(tag=self.tag_urns[t]) for t in tags]),
                )
            )
        if terms:
            self.records.append(
                MCPW(
                    entityUrn=urn,
                    aspect=m.GlossaryTermsClass(
                        terms=[m.GlossaryTermAssociationClass(urn=self.term_urns[t]) for t in terms],
                        auditStamp=m.AuditStampClass(time=1_700_000_000_000, actor="urn:li:corpuser:datahub"),
                    ),
                )
            )
        self.records.append(
            MCPW(
                entityUrn=urn,
                aspect=m.OwnershipClass(
                    owners=[m.OwnerClass(owner=o, type=m.OwnershipTypeClass.TECHNICAL_OWNER) for o in owners]
                ),
            )
        )
        self.entities.append(Entity(urn, "dataset", name, description, columns, tags, terms, owners))

    def columns(self, obj: str, system: str) -> Tuple[List[str], Dict[str, str]]:
        _plural, attrs = OBJECTS[obj]
        cols = attrs[:2] + self.r.sample(attrs[2:], min(len(attrs) - 2, self.r.randint(3, 7)))
        if self.r.random() < 0.4:  # a source-specific column, as real tables carry
            cols.append(f"{system.lower().replace(' ', '_')}_{self.r.choice(attrs)}_{self.r.choice(LEGACY)}")
        docs = {c: f"The {c.replace('_', ' ')} of the {obj}." for c in cols if self.r.random() < 0.5}
        return cols, docs

    def dbt(self) -> None:
        layers = [("stg", "View"), ("int", "View"), ("fct", "Table"), ("dim", "Table"), ("rpt", "Table")]
        for project in ("jaffle_shop", "finance_mart", "growth_analytics", "ops_core", "supply_chain", "risk_models"):
            for obj in OBJECTS:
                for layer, subtype in self.r.sample(layers, 3):
                    system = self.r.choice(SYSTEMS)
                    grain = self.r.choice(["", "_daily", "_weekly", "_monthly", "_by_region", "_snapshot"])
                    model = f"{layer}_{OBJECTS[obj][0].replace(' ', '_')}{grain}"
                    if layer == "stg":
                        model = f"stg_{system.lower().replace(' ', '_')}__{OBJECTS[obj][0].replace(' ', '_')}"
                    qualified = f"analytics.{project}.{model}"
                    cols, docs = self.columns(obj, system)
                    self.dataset("dbt", qualified, model, self.describe(obj, system), cols, docs, subtype)

    def sources(self) -> None:
        for platform, db in (
            ("postgres", "shop"),
            ("snowflake", "raw"),
            ("bigquery", "warehouse"),
            ("mysql", "legacy_erp"),
        ):
            for obj in OBJECTS:
                for schema in self.r.sample(["public", "sales", "finance", "crm", "ops", "archive"], 3):
                    system = self.r.choice(SYSTEMS)
                    table = OBJECTS[obj][0].replace(" ", "_") + self.r.choice(["", "_v2", "_hist", "_raw", "_clean"])
                    qualified = f"{db}.{schema}.{table}"
                    cols, docs = self.columns(obj, system)
                    self.dataset(platform, qualified, table, self.describe(obj, system), cols, docs, "Table")

    def files_and_topics(self) -> None:
        for i, obj in enumerate(OBJECTS):
            system = self.r.choice(SYSTEMS)
            cols, docs = self.columns(obj, system)
            extra = self.r.sample(JSON_FIELDS, 2)
            topic = f"{system.lower().replace(' ', '-')}.{OBJECTS[obj][0].replace(' ', '-')}.changes"
            self.dataset("kafka", topic, topic, self.describe(obj, system), cols + extra, docs, "Topic")
            path = f"landing/{system.lower().replace(' ', '_')}/{obj.replace(' ', '_')}_{i}.json"
            self.dataset("s3", path, path.rsplit("/", 1)[-1], self.describe(obj, system), cols + extra, docs, "File")
        for name, description in GERMAN:
            qualified = "eu_reporting.de." + name.lower().replace(" ", "_").replace("'", "")
            self.dataset("snowflake", qualified, name, description, ["datum", "betrag", "région"], {}, "Table")

    def dashboards(self) -> None:
        for i in range(150):
            obj = self.r.choice(list(OBJECTS))
            plural, attrs = OBJECTS[obj]
            title = self.r.choice(CHART_TITLES).format(
                Metric=self.r.choice(METRICS),
                grain=self.r.choice(GRAINS),
                objs=plural,
                Objs=plural.capitalize(),
                a1=self.r.choice(attrs).replace("_", " "),
                context=self.r.choice(CONTEXTS),
            )
            description = self.describe(obj, self.r.choice(SYSTEMS))
            kind = "chart" if i % 3 else "dashboard"
            urn = f"urn:li:{kind}:(looker,{kind}_{i})"
            aspect: Any
            if kind == "chart":
                aspect = m.ChartInfoClass(title=title, description=description, lastModified=m.ChangeAuditStampsClass())
            else:
                aspect = m.DashboardInfoClass(
                    title=title, description=description, lastModified=m.ChangeAuditStampsClass()
                )
            self.records.append(MCPW(entityUrn=urn, aspect=aspect))
            self.entities.append(Entity(urn, kind, title, description))


def build(seed: int = 14) -> Tuple[List[Entity], List[Any]]:
    """The corpus: its entities' source metadata and the SDK records that write it."""
    g = _Gen(seed)
    g.people()
    g.glossary()
    g.tags()
    g.dbt()
    g.sources()
    g.files_and_topics()
    g.dashboards()
    seen: Dict[str, Entity] = {}
    for e in g.entities:  # a urn generated twice keeps its last write, as the store does
        seen[e.urn] = e
    return list(seen.values()), g.records
