"""``POST /api/graphql``: the search queries acryl-datahub sends, executed by graphql-core against a
schema declared here with DataHub's names (``scrollAcrossEntities``, ``searchAcrossEntities``,
``EntityType``, ``AndFilterInput``, ``SearchFlags``...).

The schema is a subset of DataHub's: the search roots, their inputs and results, the ``Entity``
interface with an object type for every entity type of the registry (so fragments such as
``... on Dataset`` validate), and on ``Dataset`` the fields the SDK's scroll queries select
(``schemaMetadata(version: 0) { fields { fieldPath nativeDataType } }``) plus a few common ones. A
query selecting anything else gets GraphQL's own validation error naming the field, as DataHub
answers an unknown field. Search runs through :meth:`MetadataStore.search` only.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Optional, Sequence

from graphql import GraphQLSchema, build_schema, graphql_sync
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from litemeta.errors import LitemetaError
from litemeta.model.urns import key_aspect_from_urn
from litemeta.serve.state import Served, json_response
from litemeta.serve.wire import HttpError, criterion, json_body

# DataHub's GraphQL names where they are not the entity type in UPPER_SNAKE / its class form
# (datahub.ingestion.graph.client.entity_type_to_graphql, and the GraphQL type names).
_ENUM_SPECIAL = {
    "corpuser": "CORP_USER",
    "mlModel": "MLMODEL",
    "mlModelGroup": "MLMODEL_GROUP",
    "mlFeatureTable": "MLFEATURE_TABLE",
    "mlFeature": "MLFEATURE",
    "mlPrimaryKey": "MLPRIMARY_KEY",
}
_TYPE_SPECIAL = {
    "corpuser": "CorpUser",
    "mlModel": "MLModel",
    "mlModelGroup": "MLModelGroup",
    "mlFeatureTable": "MLFeatureTable",
    "mlFeature": "MLFeature",
    "mlPrimaryKey": "MLPrimaryKey",
    "mlModelDeployment": "MLModelDeployment",
    "query": "QueryEntity",
    "role": "Role",
    "test": "Test",
    "api": "Api",
    "entityType": "EntityTypeEntity",
    "schemaField": "SchemaFieldEntity",
    "dataType": "DataTypeEntity",
    "structuredProperty": "StructuredPropertyEntity",
}


def enum_name(entity_type: str) -> str:
    """The ``EntityType`` enum value of an entity type (``dataFlow`` -> ``DATA_FLOW``)."""
    if entity_type in _ENUM_SPECIAL:
        return _ENUM_SPECIAL[entity_type]
    name = "".join("_" + c.lower() if c.isupper() else c for c in entity_type).lstrip("_").upper()
    return name[len("DATA_HUB_") :] if name.startswith("DATA_HUB_") else name


def type_name(entity_type: str) -> str:
    """The GraphQL object type of an entity type (``dataset`` -> ``Dataset``)."""
    return _TYPE_SPECIAL.get(entity_type) or entity_type[0].upper() + entity_type[1:]


SDL = """
scalar Long

enum FilterOperator { EQUAL IEQUAL CONTAIN START_WITH END_WITH EXISTS IN GREATER_THAN
  GREATER_THAN_OR_EQUAL_TO LESS_THAN LESS_THAN_OR_EQUAL_TO DESCENDANTS_INCL ANCESTORS_INCL RELATED_INCL }
enum SortOrder { ASCENDING DESCENDING }

input FacetFilterInput { field: String! value: String values: [String!] negated: Boolean condition: FilterOperator }
input AndFilterInput { and: [FacetFilterInput!] }
input SearchFlags { skipCache: Boolean maxAggValues: Int fulltext: Boolean skipHighlighting: Boolean
  skipAggregates: Boolean getSuggestions: Boolean includeSoftDeleted: Boolean includeRestricted: Boolean
  fetchExtraFields: [String!] filterNonLatestVersions: Boolean }
input SortCriterion { field: String! sortOrder: SortOrder! }
input SearchSortInput { sortCriterion: SortCriterion sortCriteria: [SortCriterion!] }
input ScrollAcrossEntitiesInput { types: [EntityType!] query: String! scrollId: String keepAlive: String count: Int
  orFilters: [AndFilterInput!] viewUrn: String searchFlags: SearchFlags sortInput: SearchSortInput }
input SearchAcrossEntitiesInput { types: [EntityType!] query: String! start: Int count: Int
  filters: [FacetFilterInput!] orFilters: [AndFilterInput!] viewUrn: String searchFlags: SearchFlags
  sortInput: SearchSortInput }

type MatchedField { name: String! value: String! }
type ExtraProperty { name: String! value: String! }
type AggregationMetadata { value: String! count: Long! displayName: String entity: Entity }
type FacetMetadata { field: String! displayName: String aggregations: [AggregationMetadata!]! }
type SearchResult { entity: Entity! matchedFields: [MatchedField!]! extraProperties: [ExtraProperty!] }
type ScrollResults { nextScrollId: String count: Int! total: Int! searchResults: [SearchResult!]!
  facets: [FacetMetadata!] }
type SearchResults { start: Int! count: Int! total: Int! searchResults: [SearchResult!]! facets: [FacetMetadata!] }

interface Entity { urn: String! type: EntityType! }

type SchemaField { fieldPath: String! nativeDataType: String description: String nullable: Boolean! }
type SchemaMetadata { name: String platformUrn: String version: Long fields: [SchemaField!]! }
type CustomPropertiesEntry { key: String! value: String }
type DatasetProperties { name: String qualifiedName: String description: String
  customProperties: [CustomPropertiesEntry!] externalUrl: String }
type Status { removed: Boolean! }

type Query {
  scrollAcrossEntities(input: ScrollAcrossEntitiesInput!): ScrollResults
  searchAcrossEntities(input: SearchAcrossEntitiesInput!): SearchResults
}
"""


def _entity_sdl(entity_types: Sequence[str]) -> str:
    enum = "enum EntityType { " + " ".join(sorted({enum_name(e) for e in entity_types})) + " }\n"
    types = []
    for et in entity_types:
        extra = ""
        if et == "dataset":
            extra = (
                " name: String! origin: String platform: DataPlatform properties: DatasetProperties"
                " schemaMetadata(version: Long): SchemaMetadata status: Status"
            )
        elif et == "dataPlatform":
            extra = " name: String!"
        types.append(f"type {type_name(et)} implements Entity {{ urn: String! type: EntityType!{extra} }}")
    return enum + "\n".join(types)


class EntityNode:
    """An entity in a result: ``urn`` and ``type`` at hand, other fields read from its aspects on demand."""

    def __init__(self, store: Any, urn: str, entity_type: str) -> None:
        self.urn = urn
        self.entity_type = entity_type
        self.type = enum_name(entity_type)
        self._store = store

    @functools.cached_property
    def _aspects(self) -> Dict[str, Any]:
        return self._store.get(self.urn)  # type: ignore[no-any-return]

    def _key(self) -> Dict[str, Any]:
        ent = self._store.registry.entities[self.entity_type]
        key = self._aspects.get(ent.key_aspect)
        if key is None:  # an entity only referred to (a platform): its key is its urn's parts
            try:
                _, key = key_aspect_from_urn(self.urn, self._store.registry)
            except LitemetaError:
                key = {}
        return key  # type: ignore[no-any-return]

    def name(self, info: Any) -> Optional[str]:
        props = self._aspects.get("datasetProperties") or {}
        key = self._key()
        return props.get("name") or key.get("name") or key.get("platformName")

    def origin(self, info: Any) -> Optional[str]:
        return self._key().get("origin")

    def platform(self, info: Any) -> Optional["EntityNode"]:
        p = self._key().get("platform")
        return EntityNode(self._store, p, "dataPlatform") if p else None

    def properties(self, info: Any) -> Optional[Dict[str, Any]]:
        props = self._aspects.get("datasetProperties")
        if props is None:
            return None
        return {
            **props,
            "customProperties": [{"key": k, "value": v} for k, v in (props.get("customProperties") or {}).items()],
        }

    def schemaMetadata(self, info: Any, version: int = 0) -> Optional[Dict[str, Any]]:  # noqa: N802 (GraphQL name)
        value = (
            self._aspects.get("schemaMetadata")
            if not version
            else self._store.get(self.urn, ["schemaMetadata"], version=version).get("schemaMetadata")
        )
        if value is None:
            return None
        return {
            "name": value.get("schemaName"),
            "platformUrn": value.get("platform"),
            "version": value.get("version"),
            "fields": value.get("fields") or [],
        }

    def status(self, info: Any) -> Optional[Dict[str, Any]]:
        return self._aspects.get("status")  # type: ignore[no-any-return]


class GraphQLService:
    """The schema (built once, on first use) and the root resolvers over a :class:`Served`."""

    def __init__(self, served: Served) -> None:
        self.served = served
        registry = served.registry
        self.entity_types = sorted(registry.entities)
        self.by_enum = {enum_name(e): e for e in self.entity_types}
        self.schema: GraphQLSchema = build_schema(SDL + _entity_sdl(self.entity_types))
        entity = self.schema.get_type("Entity")
        entity.resolve_type = self._resolve_type  # type: ignore[union-attr]

    def _resolve_type(self, value: Any, info: Any, abstract: Any) -> str:
        return type_name(value.entity_type)

    def execute(self, query: str, variables: Optional[Dict[str, Any]], operation: Optional[str]) -> Dict[str, Any]:
        """Run one GraphQL request; errors in DataHub's form (``{"errors": [{"message", ...}]}``)."""
        root = {"scrollAcrossEntities": self.scroll, "searchAcrossEntities": self.search}
        result = graphql_sync(self.schema, query, root_value=root, variable_values=variables, operation_name=operation)
        return result.formatted  # type: ignore[return-value]

    # ------------------------------------------------------------ roots
    def scroll(self, info: Any, input: Dict[str, Any]) -> Dict[str, Any]:
        start = int(input.get("scrollId") or 0)
        page = self._search(input, start)
        total, count = page["total"], len(page["searchResults"])
        nxt = start + count
        return {**page, "nextScrollId": str(nxt) if count and nxt < total else None}

    def search(self, info: Any, input: Dict[str, Any]) -> Dict[str, Any]:
        start = int(input.get("start") or 0)
        return {**self._search(input, start), "start": start}

    def _search(self, input: Dict[str, Any], start: int) -> Dict[str, Any]:
        types = [self.by_enum[t] for t in input.get("types") or [] if t in self.by_enum] or None
        alternatives = [[criterion(c) for c in (alt.get("and") or [])] for alt in (input.get("orFilters") or [])]
        if input.get("filters"):
            plain = [criterion(c) for c in input["filters"]]
            alternatives = [a + plain for a in alternatives] if alternatives else [plain]
        flags = input.get("searchFlags") or {}
        mentions_removed = any(c["field"] == "removed" for alt in alternatives for c in alt)
        include_removed = bool(flags.get("includeSoftDeleted")) or mentions_removed
        filters = {"or": [{"and": alt} for alt in alternatives]} if alternatives else None
        count = input.get("count")
        count = 10 if count is None else int(count)
        want_facets = not flags.get("skipAggregates")
        try:
            result = self.served.search(
                input.get("query") or "*", types, filters, want_facets, start, count, include_removed
            )
        except LitemetaError as exc:
            raise ValueError(str(exc)) from None  # a GraphQL error naming the bad filter
        store = self.served.store
        hits = [
            {
                "entity": EntityNode(store, h.urn, h.entity_type),
                "matchedFields": [{"name": f, "value": v} for f, v in h.matched_fields],
                "extraProperties": [],
            }
            for h in result.results
        ]
        facets = (
            [
                {
                    "field": f,
                    "displayName": f,
                    "aggregations": [{"value": v, "count": n, "displayName": v} for v, n in values.items()],
                }
                for f, values in (result.facets or {}).items()
            ]
            if want_facets
            else []
        )
        return {"count": len(hits), "total": result.total, "searchResults": hits, "facets": facets}


async def graphql_endpoint(request: Request) -> Response:
    """``POST /api/graphql`` (``{"query", "variables"?, "operationName"?}``)."""
    app_state = request.app.state
    served: Served = app_state.served
    service = getattr(app_state, "graphql", None)
    if service is None:
        service = app_state.graphql = GraphQLService(served)
    body = json_body(await request.body())
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise HttpError(400, "the body must be an object with a query string")
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise HttpError(400, "variables must be an object")
    out = await run_in_threadpool(service.execute, body["query"], variables, body.get("operationName"))
    return json_response(out)
