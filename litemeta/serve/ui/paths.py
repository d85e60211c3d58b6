"""DataHub's browser URL scheme: ``/{path name}/{urn, percent-encoded}[/{tab}]`` (pure).

    >>> entity_url("urn:li:dataFlow:(airflow,daily,prod)")
    '/pipelines/urn%3Ali%3AdataFlow%3A%28airflow%2Cdaily%2Cprod%29'
    >>> entity_url("urn:li:dataset:(urn:li:dataPlatform:hive,db.t,PROD)", "Schema")
    '/dataset/urn%3Ali%3Adataset%3A%28urn%3Ali%3AdataPlatform%3Ahive%2Cdb.t%2CPROD%29/Schema'
    >>> split_entity_path("dataset", "urn:li:dataset:(urn:li:dataPlatform:s3,a/b,PROD)/Lineage")
    ('urn:li:dataset:(urn:li:dataPlatform:s3,a/b,PROD)', 'Lineage')

The path names are those of DataHub's web app (each entity class's ``getPathName()`` in
``datahub-web-react``): a link copied from litemeta opens the same entity in a DataHub UI and back.
An entity type the table does not name uses its own type name.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple
from urllib.parse import quote, unquote

# entity type -> DataHub UI path name
PATH_NAMES: Dict[str, str] = {
    "dataset": "dataset",
    "chart": "chart",
    "dashboard": "dashboard",
    "dataFlow": "pipelines",
    "dataJob": "tasks",
    "corpuser": "user",
    "corpGroup": "group",
    "glossaryTerm": "glossaryTerm",
    "glossaryNode": "glossaryNode",
    "domain": "domain",
    "container": "container",
    "tag": "tag",
    "mlModel": "mlModels",
    "mlModelGroup": "mlModelGroup",
    "mlFeatureTable": "featureTables",
    "mlFeature": "features",
    "mlPrimaryKey": "mlPrimaryKeys",
    "dataProduct": "dataProduct",
    "notebook": "notebook",
    "dataPlatform": "platform",
    "dataProcessInstance": "dataProcessInstance",
    "schemaField": "schemaField",
    "businessAttribute": "business-attribute",
    "structuredProperty": "structured-property",
    "erModelRelationship": "erModelRelationship",
    "application": "application",
    "query": "query",
}
ENTITY_TYPES: Dict[str, str] = {v: k for k, v in PATH_NAMES.items()}

# Entity page tabs, in display order: (URL name, label). DataHub capitalises its tab names in URLs.
TABS: Tuple[Tuple[str, str], ...] = (
    ("Properties", "Properties"),
    ("Schema", "Schema"),
    ("Ownership", "Ownership"),
    ("Tags", "Tags & terms"),
    ("Lineage", "Lineage"),
    ("History", "History"),
    ("Timeline", "Timeline"),
    ("Aspects", "Raw aspects"),
)
TAB_NAMES = {name.lower(): name for name, _ in TABS}
DEFAULT_TAB = "Properties"


def path_name(entity_type: str) -> str:
    """The UI path name of an entity type (``dataFlow`` -> ``pipelines``)."""
    return PATH_NAMES.get(entity_type, entity_type)


def entity_type_for(path: str) -> Optional[str]:
    """The entity type a path name stands for (a type name stands for itself), or None."""
    return ENTITY_TYPES.get(path)


def entity_url(urn: str, tab: Optional[str] = None) -> str:
    """The page of ``urn`` (every reserved character percent-encoded, so a urn holding ``/`` or
    ``?`` stays one path segment), on ``tab`` when given."""
    et = urn.split(":", 3)[2] if urn.count(":") >= 3 else "entity"
    url = f"/{path_name(et)}/{quote(urn, safe='')}"
    return f"{url}/{tab}" if tab else url


def split_entity_path(path_name_: str, rest: str, raw_rest: Optional[str] = None) -> Tuple[str, Optional[str]]:
    """``(urn, tab or None)`` from what follows ``/{path name}/``.

    ``raw_rest`` is the same text still percent-encoded (the request's raw path): there, a ``/``
    inside the urn is ``%2F`` and only a real separator is ``/``. Without it (a hand-typed link
    with the urn unencoded), a last segment that names a tab is the tab."""
    if raw_rest is not None and "/" in raw_rest.strip("/"):
        head, _, last = raw_rest.rstrip("/").rpartition("/")
        if last.lower() in TAB_NAMES:
            return unquote(head), TAB_NAMES[last.lower()]
        return unquote(raw_rest.rstrip("/")), None
    if raw_rest is not None:
        return unquote(raw_rest.rstrip("/")), None
    head, _, last = rest.rstrip("/").rpartition("/")
    if head and last.lower() in TAB_NAMES:
        return head, TAB_NAMES[last.lower()]
    return rest.rstrip("/"), None


def search_url(query: str = "", **filters: str) -> str:
    """``/search?query=...&filter_<field>=...`` (DataHub's search page parameters)."""
    from urllib.parse import urlencode

    params = [("query", query)] + [(f"filter_{k}", v) for k, v in filters.items()]
    return "/search?" + urlencode(params)
