"""Entity change events (ECE) and relationship change events: DataHub's generators, as pure functions.

    >>> from litemeta.core.changes import entity_change_events
    >>> entity_change_events(
    ...     entity_urn="urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)", entity_type="dataset",
    ...     aspect_name="globalTags", change_type="UPSERT", previous=None,
    ...     new={"tags": [{"tag": "urn:li:tag:pii"}]},
    ...     audit_stamp={"actor": "urn:li:corpuser:datahub", "time": 1})[0]["operation"]
    'ADD'

Rules: datahub-semantics.md R3.1–R3.10 and R8.10–R8.13. The hook (``PlatformEventGeneratorHook``)
acts on CREATE, UPSERT and DELETE MCLs (never RESTATE) of the aspects in :data:`ELIGIBLE_ASPECTS`
for entity types not excluded (default ``schemaField``), and runs every generator registered for
the aspect (:data:`GENERATORS`, R8.13). The ECE auditStamp is the MCL's ``created``.

DataHub sources read for this module (``datahub-project/datahub``; commit where known):

- ``metadata-jobs/mae-consumer/.../hook/event/PlatformEventGeneratorHook.java@9ea65ebc``: eligible
  aspects, change types, exclusions, ``convertRawEventToChangeEvent`` (payload fields), the
  relationship events (removed edges first, then added ones; no change-type filter).
- ``metadata-io/.../graph/GraphIndexUtils.java`` (``computeAspectEdgeDiff``; ``Edge`` identity is
  source, destination, relationshipType, lifecycleOwner, via: ``entity-registry/.../graph/Edge.java``).
- ``metadata-models/.../platform/event/v1/EntityChangeEvent.pdl`` and ``RelationshipChangeEvent.pdl``.
- ``metadata-service/factories/.../EntityChangeEventGeneratorRegistryFactory.java`` (registry;
  datasetProperties is registered twice with two instances in a HashSet, so DataHub runs it twice
  and every datasetProperties ECE comes out twice. That is an accident of the factory, not a
  meaning: litemeta runs it once and documents the difference).
- ``metadata-io/.../timeline/eventgenerator/``: ``GlobalTags…@3c9d031d`` with
  ``data/entity/TagChangeEvent.java@6413bb60`` (parameters tagUrn, context, sourceDetails) and
  ``data/entity/ChangeEventParameterUtils.java@3b39f913``; ``GlossaryTerms…@01047708``;
  ``Ownership…@519b6139`` with ``OwnerChangeEvent.java@3b75762a`` (category renamed OWNERSHIP,
  R8.11); ``SingleDomain…@45ef0479`` with ``DomainChangeEvent.java``; ``Deprecation…@45ef0479``
  and ``@bf2cbe21`` (no modifier, parameter ``status``); ``EditableDatasetProperties…@217e5eb4``;
  ``DatasetProperties…@65c240a3``; ``SchemaMetadata…`` (the revision with moved field groups and
  ``previousDescription``) with ``ChangeEventGeneratorUtils`` (the revision with
  ``convertEntityDocumentationChangeEvent``), ``DatasetSchemaFieldChangeEvent.java@1ceb8263`` and
  ``metadata-utils/.../SchemaFieldUtils.java@1d4c082b``; ``EditableSchemaMetadata…@0b9aa54d``;
  ``InstitutionalMemory…@2a80ad98``; ``StructuredProperties…@032a441f`` with
  ``StructuredPropertyChangeEvent.java``; ``BusinessAttributeInfo…@1d4c082b``,
  ``BusinessAttributeAssociation…@0ba227c7``, ``BusinessAttributes…@1c9bde6a`` and their event
  classes; ``EntityKey…@06ffbee8``; ``Status…@168747d4`` (and a later reformatted revision: the
  R3.7 quirk is still there: any non-removed status, even on DELETE, gives LIFECYCLE/REINSTATE);
  ``AssertionRunEvent…@06ffbee8``; ``DataProcessInstanceRunEvent…@05a1c74b``;
  ``data/SemanticChangeType.java``; ``TimelineServiceImpl.java`` (``getGroupSemanticVersion``).

Not copied / litemeta's choices:

- Description texts stay internal to DataHub's timeline; ECE payloads never carry them, so none is
  produced here.
- Where DataHub iterates a HashSet (structured properties, primary keys, graph edges) litemeta
  uses a sorted or first-seen order, so output is deterministic.
- ``DataProcessInstanceRunEvent`` reads ``dataProcessInstanceRelationships`` through the entity
  client and throws when it is missing; here the caller may pass it in ``related``, and a missing
  one only drops the parent parameters.
- ``GlossaryTermInfo`` is registered but not in the hook's list (R8.13), so it never yields an
  ECE; no generator is provided for it. InstitutionalMemory likewise never reaches the hook, but
  its generator is here for the timeline (:func:`aspect_change_events`).
- The relationship platform event name: ``Constants.RELATIONSHIP_PLATFORM_EVENT_NAME`` was not
  found in the stored sources; DataHub's actions framework reads ``"relationshipChangeEvent"``
  (``RELATIONSHIP_CHANGE_EVENT_NAME`` in datahub-actions' event source), which is used here.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from litemeta.core.changes_base import (
    SEMVER_ORDER,
    Event,
    description_diff,
    event_stamp,
    raw_event,
    tag_diffs,
    term_diffs,
)
from litemeta.core.changes_schema import editable_schema_metadata_events, schema_metadata_events
from litemeta.model.jsontext import dumps

ENTITY_CHANGE_EVENT_NAME = "entityChangeEvent"
RELATIONSHIP_CHANGE_EVENT_NAME = "relationshipChangeEvent"
ECE_CHANGE_TYPES = frozenset({"CREATE", "UPSERT", "DELETE"})
DEFAULT_EXCLUDED_ENTITY_TYPES = ("schemaField",)
CATEGORY_ALIASES = {"OWNER": "OWNERSHIP"}

KEY_ASPECTS = (
    "datasetKey",
    "dashboardKey",
    "chartKey",
    "containerKey",
    "dataFlowKey",
    "dataJobKey",
    "glossaryTermKey",
    "domainKey",
    "tagKey",
    "businessAttributeKey",
)
# PlatformEventGeneratorHook.ENTITY_CHANGE_SUPPORTED_ASPECT_NAMES (R8.12).
ELIGIBLE_ASPECTS: frozenset = frozenset(
    (
        "globalTags",
        "glossaryTerms",
        "containerProperties",
        "editableContainerProperties",
        "ownership",
        "domains",
        "editableSchemaMetadata",
        "schemaMetadata",
        "deprecation",
        "datasetProperties",
        "editableDatasetProperties",
        "assertionRunEvent",
        "dataProcessInstanceRunEvent",
        "businessAttributeInfo",
        "businessAttributes",
        "structuredProperties",
        "status",
    )
    + KEY_ASPECTS
)

Value = Optional[Mapping[str, Any]]
Generator = Callable[[str, Value, Value, Mapping[str, Any]], List[Event]]


# --- generators: (entity_urn, previous, new, related) -> raw events ------------------------------


def _global_tags(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    return tag_diffs(prev, new, urn)


def _glossary_terms(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    return term_diffs(prev, new, urn)


def _owner_params(owner: Mapping[str, Any]) -> Dict[str, Any]:
    params = {"ownerUrn": owner["owner"], "ownerType": owner.get("type")}
    if owner.get("typeUrn") is not None:
        params["ownerTypeUrn"] = owner["typeUrn"]
    return params


def _ownership(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    base = sorted((prev or {}).get("owners") or [], key=lambda o: o["owner"])
    target = sorted((new or {}).get("owners") or [], key=lambda o: o["owner"])
    out: List[Event] = []
    i = j = 0
    while i < len(base) and j < len(target):
        b, t = base[i], target[j]
        if b["owner"] == t["owner"]:
            if b.get("type") != t.get("type"):
                out.append(raw_event(urn, "OWNERSHIP", "MODIFY", t.get("type"), _owner_params(t), "PATCH"))
            i += 1
            j += 1
        elif b["owner"] < t["owner"]:
            out.append(raw_event(urn, "OWNERSHIP", "REMOVE", b["owner"], _owner_params(b), "MINOR"))
            i += 1
        else:
            out.append(raw_event(urn, "OWNERSHIP", "ADD", t["owner"], _owner_params(t), "MINOR"))
            j += 1
    out += [raw_event(urn, "OWNERSHIP", "REMOVE", b["owner"], _owner_params(b), "MINOR") for b in base[i:]]
    out += [raw_event(urn, "OWNERSHIP", "ADD", t["owner"], _owner_params(t), "MINOR") for t in target[j:]]
    return out


def _domains(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    # SingleDomainChangeEventGenerator: only the first domain of each side counts.
    b = ((prev or {}).get("domains") or [None])[0]
    t = ((new or {}).get("domains") or [None])[0]

    def ev(op: str, d: str) -> Event:
        return raw_event(urn, "DOMAIN", op, d, {"domainUrn": d})

    if b is None and t is not None:
        return [ev("ADD", t)]
    if b is not None and t is None:
        return [ev("REMOVE", b)]
    if b is not None and b != t:
        return [ev("REMOVE", b), ev("ADD", t)]
    return []


def _deprecation(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    was, now = bool(prev and prev.get("deprecated")), bool(new and new.get("deprecated"))
    if now and not was:
        return [raw_event(urn, "DEPRECATION", "MODIFY", None, {"status": "DEPRECATED"})]
    if was and not now:
        return [raw_event(urn, "DEPRECATION", "MODIFY", None, {"status": "ACTIVE"})]
    return []


def _description(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    # (Editable)DatasetPropertiesChangeEventGenerator: MODIFY is MINOR there.
    e = description_diff((prev or {}).get("description"), (new or {}).get("description"), urn)
    return [e] if e is not None else []


def _schema_metadata(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    return schema_metadata_events(prev, new, urn)


def _editable_schema_metadata(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    return editable_schema_metadata_events(prev, new, urn)


def _institutional_memory(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    base = sorted((prev or {}).get("elements") or [], key=lambda e: e["url"])
    target = sorted((new or {}).get("elements") or [], key=lambda e: e["url"])
    out: List[Event] = []
    i = j = 0
    while i < len(base) and j < len(target):
        b, t = base[i], target[j]
        if b["url"] == t["url"]:
            if b.get("description") != t.get("description"):
                out.append(raw_event(urn, "DOCUMENTATION", "MODIFY", b["url"], None, "PATCH"))
            i += 1
            j += 1
        elif b["url"] < t["url"]:
            out.append(raw_event(urn, "DOCUMENTATION", "REMOVE", b["url"], None, "MINOR"))
            i += 1
        else:
            out.append(raw_event(urn, "DOCUMENTATION", "ADD", t["url"], None, "MINOR"))
            j += 1
    out += [raw_event(urn, "DOCUMENTATION", "REMOVE", b["url"], None, "MINOR") for b in base[i:]]
    out += [raw_event(urn, "DOCUMENTATION", "ADD", t["url"], None, "MINOR") for t in target[j:]]
    return out


def _structured_properties(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    def as_map(v: Value) -> Dict[str, List[Any]]:
        return {a["propertyUrn"]: a.get("values") or [] for a in (v or {}).get("properties") or []}

    def ev(prop: str, op: str) -> Event:
        return raw_event(urn, "STRUCTURED_PROPERTY", op, prop, {"propertyUrn": prop}, "MINOR")

    base, target = as_map(prev), as_map(new)
    out: List[Event] = []
    for prop, values in target.items():
        old = base.get(prop, [])
        if any(v not in old for v in values):
            out.append(ev(prop, "ADD"))  # one event per property and direction
        if any(v not in values for v in old):
            out.append(ev(prop, "REMOVE"))
    out += [ev(prop, "REMOVE") for prop in base if prop not in target]
    return out


def _business_attribute_info(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    bd, td = (prev or {}).get("description"), (new or {}).get("description")
    out: List[Event] = []
    if bd is None and td is not None:
        out.append(raw_event(urn, "DOCUMENTATION", "ADD", (new or {}).get("fieldPath"), None, "MINOR"))
    if bd is not None and td is None:
        out.append(raw_event(urn, "DOCUMENTATION", "REMOVE", (prev or {}).get("fieldPath"), None, "MINOR"))
    if bd is not None and bd != td:
        # DataHub also gives MODIFY after REMOVE here (the branches are not exclusive); copied.
        out.append(raw_event(urn, "DOCUMENTATION", "MODIFY", (new or {}).get("fieldPath"), None, "MINOR"))
    out += term_diffs((prev or {}).get("glossaryTerms"), (new or {}).get("glossaryTerms"), urn)
    out += tag_diffs((prev or {}).get("globalTags"), (new or {}).get("globalTags"), urn)
    return out


def _business_attribute_association(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    def ev(op: str, dest: str) -> Event:
        return raw_event(urn, "BUSINESS_ATTRIBUTE", op, dest, {"businessAttributeUrn": dest}, "MINOR")

    if prev is not None and new is None:
        return [ev("REMOVE", prev["destinationUrn"])]
    if prev is None and new is not None:
        return [ev("ADD", new["destinationUrn"])]
    return []


def _business_attributes(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    b = (prev or {}).get("businessAttribute")
    t = (new or {}).get("businessAttribute")

    def ev(op: str, assoc: Mapping[str, Any]) -> Event:
        attr = assoc["businessAttributeUrn"]
        # Urn.getIdAsUrn(): the schemaField urn's first key part, the dataset.
        dataset = urn[urn.index("(") + 1 : urn.rindex(",")] if "(" in urn else urn
        params = {"parentUrn": urn, "businessAttributeUrn": attr, "datasetUrn": dataset}
        return raw_event(urn, "BUSINESS_ATTRIBUTE", op, attr, params, "MINOR")

    if b is not None and t is None:
        return [ev("REMOVE", b)]
    if b is None and t is not None:
        return [ev("ADD", t)]
    return []


def _entity_key(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    if prev is None and new is not None:
        return [raw_event(urn, "LIFECYCLE", "CREATE")]
    if prev is not None and new is None:
        return [raw_event(urn, "LIFECYCLE", "HARD_DELETE")]
    return []


def _status(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    # R3.7: the previous value is ignored; a non-removed (or absent) new status is a REINSTATE.
    if new is not None and new.get("removed"):
        return [raw_event(urn, "LIFECYCLE", "SOFT_DELETE")]
    return [raw_event(urn, "LIFECYCLE", "REINSTATE")]


def _assertion_run_event(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    def complete(v: Value) -> bool:
        return v is not None and v.get("status") == "COMPLETE"

    if not complete(new) or complete(prev):
        return []
    assert new is not None
    params: Dict[str, Any] = {"asserteeUrn": new["asserteeUrn"], "runId": new["runId"], "runResult": new["status"]}
    if new.get("result") is not None:
        params["assertionResult"] = new["result"]["type"]
    return [raw_event(urn, "RUN", "COMPLETED", None, dict(sorted(params.items())))]


def _dpi_run_event(urn: str, prev: Value, new: Value, related: Mapping[str, Any]) -> List[Event]:
    status = (new or {}).get("status")
    if status is None or status == (prev or {}).get("status"):
        return []
    assert new is not None
    params: Dict[str, Any] = {}
    if new.get("attempt") is not None:
        params["attempt"] = new["attempt"]
    if new.get("result") is not None:
        params["runResult"] = new["result"]["type"]
    rel = related.get("dataProcessInstanceRelationships") or {}
    if rel.get("parentInstance") is not None:
        params["parentInstanceUrn"] = rel["parentInstance"]
    template = rel.get("parentTemplate")
    if template is not None:
        kind = template.split(":", 3)[2] if template.count(":") >= 3 else ""
        if kind == "dataFlow":
            params["dataFlowUrn"] = template
        elif kind == "dataJob":
            params["dataJobUrn"] = template
    op = "COMPLETED" if status == "COMPLETE" else "STARTED"
    return [raw_event(urn, "RUN", op, None, params)]


# EntityChangeEventGeneratorRegistryFactory@032a441f (R8.13), in registration order.
GENERATORS: Dict[str, Tuple[Generator, ...]] = {
    "schemaMetadata": (_schema_metadata,),
    "editableSchemaMetadata": (_editable_schema_metadata,),
    "globalTags": (_global_tags,),
    "glossaryTerms": (_glossary_terms,),
    "ownership": (_ownership,),
    "institutionalMemory": (_institutional_memory,),
    "datasetProperties": (_description,),  # DataHub registers it twice; litemeta once (module doc)
    "domains": (_domains,),
    "editableDatasetProperties": (_description,),
    "businessAttributeInfo": (_business_attribute_info,),
    "businessAttributeAssociation": (_business_attribute_association,),
    "businessAttributes": (_business_attributes,),
    "structuredProperties": (_structured_properties,),
    "status": (_status,),
    "deprecation": (_deprecation,),
    "assertionRunEvent": (_assertion_run_event,),
    "dataProcessInstanceRunEvent": (_dpi_run_event,),
    **{k: (_entity_key,) for k in KEY_ASPECTS + ("corpGroupKey",)},
}


def _entity_type(urn: str) -> str:
    return urn.split(":", 3)[2]


def _payload(e: Event, stamp: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "entityType": _entity_type(e["entityUrn"]),
        "entityUrn": e["entityUrn"],
        "category": e["category"],
        "operation": e["operation"],
    }
    if e["modifier"] is not None:
        out["modifier"] = e["modifier"]
    if e["parameters"] is not None:
        out["parameters"] = e["parameters"]
    out["auditStamp"] = stamp
    out["version"] = 0
    if e.get("_semver") is not None:
        out["_semver"] = e["_semver"]
    return out


def aspect_change_events(
    *,
    entity_urn: str,
    aspect_name: str,
    previous: Value,
    new: Value,
    audit_stamp: Mapping[str, Any],
    related: Optional[Mapping[str, Any]] = None,
    with_semver: bool = False,
) -> List[Dict[str, Any]]:
    """Run every registered generator for ``aspect_name`` (no hook filter): for the timeline.

    With ``with_semver`` each event also carries ``_semver`` (the generator's SemanticChangeType,
    absent where DataHub sets none), which :func:`semantic_change` prefers.
    """
    gens = GENERATORS.get(aspect_name)
    if not gens:
        return []
    stamp = event_stamp(audit_stamp)
    rel = related or {}
    out = []
    for gen in gens:
        for e in gen(entity_urn, previous, new, rel):
            if not with_semver:
                e["_semver"] = None
            out.append(_payload(e, stamp))
    return out


def entity_change_events(
    *,
    entity_urn: str,
    entity_type: str,
    aspect_name: str,
    change_type: str,
    previous: Value,
    new: Value,
    audit_stamp: Mapping[str, Any],
    excluded_entity_types: Sequence[str] = DEFAULT_EXCLUDED_ENTITY_TYPES,
    related: Optional[Mapping[str, Any]] = None,
) -> List[Dict[str, Any]]:
    """The EntityChangeEvent payloads DataHub's hook emits for one MCL (R3.1–R3.10, R8.12).

    ``previous``/``new`` are Pegasus JSON aspect values (None for create/delete; a DELETE MCL runs
    with ``new=None``). ``audit_stamp`` is the MCL's ``created``. ``related`` may hold other aspects
    of the entity a generator looks up (``dataProcessInstanceRelationships``). Output order is the
    generators' order; the same input always gives the same list.
    """
    if (
        aspect_name not in ELIGIBLE_ASPECTS
        or change_type not in ECE_CHANGE_TYPES
        or entity_type in excluded_entity_types
    ):
        return []
    return aspect_change_events(
        entity_urn=entity_urn,
        aspect_name=aspect_name,
        previous=previous,
        new=new,
        audit_stamp=audit_stamp,
        related=related,
    )


# --- envelope, filters, timeline ---------------------------------------------------------------


def payload_text(payload: Mapping[str, Any]) -> str:
    """An event payload as compact JSON text, fields in R3.4 order (the timeline's ``_semver`` left out)."""
    if "_semver" in payload:  # the timeline's private annotation (the only "_" key) is not part of the event
        payload = {k: v for k, v in payload.items() if not k.startswith("_")}
    return dumps(payload)


def platform_event(name: str, payload: Mapping[str, Any], timestamp_ms: int) -> Dict[str, Any]:
    """The PlatformEvent value (design.md choice 8); the payload is compact JSON text, fields in R3.4 order."""
    return {
        "header": {"timestampMillis": timestamp_ms},
        "name": name,
        "payload": {"value": payload_text(payload), "contentType": "application/json"},
    }


def matches_category(event: Mapping[str, Any], categories: Optional[Iterable[str]]) -> bool:
    """Whether an ECE's category is one of ``categories`` (None = all); OWNER means OWNERSHIP."""
    if categories is None:
        return True
    wanted = {CATEGORY_ALIASES.get(c.upper(), c.upper()) for c in categories}
    return CATEGORY_ALIASES.get(event.get("category", ""), event.get("category")) in wanted


def event_semver(event: Mapping[str, Any]) -> str:
    """The SemanticChangeType DataHub's generator assigns to one event.

    Uses ``_semver`` when present, else infers it from the payload: TECHNICAL_SCHEMA REMOVE and
    type/primary-key MODIFY are MAJOR, ADD and RENAME are MINOR; OWNERSHIP MODIFY and field-level
    (schemaField entity or ``fieldPath``) or institutional-memory (no parameters) DOCUMENTATION
    MODIFY are PATCH; other TAG,
    GLOSSARY_TERM, OWNERSHIP, DOCUMENTATION, STRUCTURED_PROPERTY and BUSINESS_ATTRIBUTE events are
    MINOR. DOMAIN, DEPRECATION, LIFECYCLE and RUN events carry no level in DataHub: NONE.
    """
    if event.get("_semver"):
        return event["_semver"]
    cat, op, params = event.get("category"), event.get("operation"), event.get("parameters") or {}
    if cat == "TECHNICAL_SCHEMA":
        if op == "REMOVE" or (op == "MODIFY" and params.get("modificationCategory") != "RENAME"):
            return "MAJOR"
        return "MINOR"
    if cat == "DOCUMENTATION" and op == "MODIFY":
        field_level = "fieldPath" in params or str(event.get("entityUrn", "")).startswith("urn:li:schemaField:")
        return "PATCH" if (field_level or not params) else "MINOR"
    if cat in ("OWNERSHIP", "OWNER") and op == "MODIFY":
        return "PATCH"
    if cat in (
        "TAG",
        "GLOSSARY_TERM",
        "OWNERSHIP",
        "OWNER",
        "DOCUMENTATION",
        "STRUCTURED_PROPERTY",
        "BUSINESS_ATTRIBUTE",
    ):
        return "MINOR"
    return "NONE"


def semantic_change(events: Iterable[Mapping[str, Any]]) -> str:
    """The change level of one change transaction: the highest of its events (NONE if none)."""
    return max((event_semver(e) for e in events), key=SEMVER_ORDER.index, default="NONE")


def semantic_versions(levels: Iterable[str]) -> List[str]:
    """``TimelineServiceImpl.getGroupSemanticVersion``: the first transaction is 0.0.0; then MAJOR
    bumps major (minor, patch reset), MINOR bumps minor (patch reset), PATCH bumps patch, NONE keeps
    the version. Versions carry DataHub's ``-computed`` qualifier."""
    out: List[str] = []
    v: Optional[List[int]] = None
    for level in levels:
        if v is None:
            v = [0, 0, 0]
        elif level == "MAJOR":
            v = [v[0] + 1, 0, 0]
        elif level == "MINOR":
            v = [v[0], v[1] + 1, 0]
        elif level == "PATCH":
            v = [v[0], v[1], v[2] + 1]
        out.append(f"{v[0]}.{v[1]}.{v[2]}-computed")
    return out
