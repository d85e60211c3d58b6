"""Structured property assignments, checked as DataHub's ``StructuredPropertiesValidator`` does.

    >>> definition = {"qualifiedName": "io.tier", "valueType": "urn:li:dataType:datahub.string",
    ...               "cardinality": "SINGLE", "entityTypes": ["urn:li:entityType:datahub.dataset"]}
    >>> value = {"properties": [{"propertyUrn": "urn:li:structuredProperty:io.tier",
    ...                          "values": [{"string": "gold"}]}]}
    >>> check_structured_properties(value, lambda urn: (definition, None))
    >>> check_structured_properties(value, lambda urn: (None, None))
    Traceback (most recent call last):
    ...
    litemeta.errors.SchemaError: at /properties/0/propertyUrn: structured property urn:li:structuredProperty:io.tier has no propertyDefinition ...

Pure: the caller passes ``lookup(property_urn) -> (propertyDefinition value or None, status value
or None)``, read from the store (ingest) or from the records of the same input seen so far
(``check``). The rules follow DataHub's
``metadata-io/.../structuredproperties/validation/StructuredPropertiesValidator.java``
(``validateProposedUpserts``), which runs on UPSERT, CREATE and CREATE_ENTITY (not on PATCH):

- every ``propertyUrn`` is a ``structuredProperty`` urn, named once per aspect;
- its definition exists and is not soft-deleted (``status.removed``, ``softDeleteCheck``);
- cardinality ``SINGLE`` takes at most one value;
- each value has the definition's logical type (``StructuredPropertyUtils.getLogicalValueType``:
  ``string``, ``rich_text``, ``date`` (``YYYY-MM-DD``, 1000-01-01 to 9999-12-31) and ``urn``
  (with ``typeQualifier.allowedTypes``) take a string; ``number`` a double or a string that
  parses as one; any other type is "not yet implemented", an error);
- with ``allowedValues``, each value is one of them.

Immutable properties (``validateImmutable``, pre-commit) are not checked.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from litemeta.errors import InvalidUrnError, SchemaError
from litemeta.model.pegasus_validation import show
from litemeta.model.urns import parse_urn

ASPECT = "structuredProperties"
DEFINITION = "propertyDefinition"
CHECKED_CHANGE_TYPES = frozenset(("UPSERT", "UPDATE", "CREATE", "CREATE_ENTITY"))  # UPDATE is UPSERT here

# property urn -> (propertyDefinition value, status value), each None when absent
Lookup = Callable[[str], Tuple[Optional[Mapping[str, Any]], Optional[Mapping[str, Any]]]]

_STRING_TYPES = ("string", "rich_text", "date", "urn")


def property_urns(value: Any) -> List[str]:
    """The property urns a ``structuredProperties`` value assigns (for reading their definitions
    first; only those a store can look up: Unicode text)."""
    props = value.get("properties") if isinstance(value, dict) else None
    urns = [
        a["propertyUrn"]
        for a in (props if isinstance(props, list) else ())
        if isinstance(a, dict) and isinstance(a.get("propertyUrn"), str)
    ]
    return [u for u in urns if _unicode(u)]


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def check_structured_properties(value: Any, lookup: Lookup) -> None:
    """Raise :class:`SchemaError` (with a path into the aspect) at the first assignment DataHub rejects."""
    props = value.get("properties") if isinstance(value, dict) else None
    seen: Dict[str, int] = {}
    for i, assignment in enumerate(props or ()):
        urn = assignment["propertyUrn"]
        where = f"/properties/{i}"
        if urn in seen:
            raise SchemaError(
                f"structured property {urn} has multiple entries ({seen[urn]} and {i})", path=f"{where}/propertyUrn"
            )
        seen[urn] = i
        try:
            entity_type = parse_urn(urn).entity_type
        except InvalidUrnError as e:
            raise SchemaError(e.message, path=f"{where}/propertyUrn") from None
        if entity_type != "structuredProperty":
            raise SchemaError(
                f"unexpected entity type: expected structuredProperty, found {entity_type} ({urn})",
                path=f"{where}/propertyUrn",
            )
        definition, status = lookup(urn)
        if status is not None and status.get("removed"):
            raise SchemaError(
                f"cannot apply a value of the soft-deleted structured property {urn}", path=f"{where}/propertyUrn"
            )
        if definition is None:
            raise SchemaError(
                f"structured property {urn} has no {DEFINITION} (DataHub's StructuredPropertiesValidator "
                f"rejects values of undefined properties); write its definition first",
                path=f"{where}/propertyUrn",
            )
        values = assignment.get("values") or []
        if definition.get("cardinality") == "SINGLE" and len(values) > 1:
            raise SchemaError(
                f"structured property {urn} has cardinality SINGLE, but {len(values)} values were assigned",
                path=f"{where}/values",
            )
        for j, v in enumerate(values):
            problem = _type_problem(definition, v) or _allowed_problem(definition, v)
            if problem:
                raise SchemaError(
                    f"structured property {urn}: value {show(_primitive(v))} {problem}", path=f"{where}/values/{j}"
                )


def _primitive(v: Any) -> Any:
    """The value of a PrimitivePropertyValue union (``{"string": s}`` or ``{"double": d}``)."""
    if isinstance(v, dict) and len(v) == 1:
        return next(iter(v.values()))
    return v


def _type_id(value_type: Any) -> Optional[str]:
    """``StructuredPropertyUtils.getValueTypeId``: the urn's id without ``datahub.``, lower case."""
    if not isinstance(value_type, str):
        return None
    try:
        parts = parse_urn(value_type).parts
    except InvalidUrnError:
        return None
    type_id = parts[0]
    if type_id.startswith("datahub."):
        type_id = type_id.split(".")[1]
    return type_id.lower()


def _type_problem(definition: Mapping[str, Any], v: Any) -> Optional[str]:
    kind = _type_id(definition.get("valueType"))
    string = v.get("string") if isinstance(v, dict) else None
    if kind in _STRING_TYPES:
        if not isinstance(string, str):
            return "should be a string"
        if kind == "date" and not _valid_date(string):
            return "should be a date with format YYYY-MM-DD"
        if kind == "urn":
            try:
                target = parse_urn(string).entity_type
            except InvalidUrnError:
                return "should be an urn"
            allowed = (definition.get("typeQualifier") or {}).get("allowedTypes")
            if allowed is not None and not any(target.lower() == (_type_id(t) or "") for t in allowed):
                return f"is not of any supported urn types: {', '.join(map(str, allowed))}"
        return None
    if kind == "number":
        number = v.get("double") if isinstance(v, dict) else None
        if isinstance(number, (int, float)):
            return None
        try:
            float(string if isinstance(string, str) else "")  # Double.parseDouble of the string
        except ValueError:
            return "should be a number"
        return None
    return f"cannot be checked: validation support for type {definition.get('valueType')} is not yet implemented"


def _valid_date(text: str) -> bool:
    """``StructuredPropertyUtils.isValidDate``: 10 characters, a date from 1000-01-01 to 9999-12-31."""
    if len(text) != 10 or not _DATE.fullmatch(text):
        return False
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return day >= datetime.date(1000, 1, 1)


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _allowed_problem(definition: Mapping[str, Any], v: Any) -> Optional[str]:
    allowed = definition.get("allowedValues")
    if allowed is None:
        return None
    choices = [a.get("value") for a in allowed if isinstance(a, dict)]
    if any(_same(c, v) for c in choices):
        return None
    return "should be one of " + ", ".join(show(_primitive(c), 40) for c in choices)


def _same(a: Any, b: Any) -> bool:
    """PrimitivePropertyValue equality: the same member with an equal value (1 == 1.0 for doubles)."""
    return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and a == b


class SeenDefinitions:
    """The property definitions and statuses of the records read so far (``check``, which has no
    store): :meth:`note` each valid proposal in order, :meth:`lookup` is a :data:`Lookup`."""

    def __init__(self) -> None:
        self._aspects: Dict[Tuple[str, str], Optional[Mapping[str, Any]]] = {}

    def note(self, urn: str, aspect: Optional[str], change_type: Optional[str], value: Any) -> None:
        """Remember what a valid proposal leaves as the current value of its aspect."""
        if aspect == "structuredPropertyKey" and change_type == "DELETE":  # the entity is gone
            self._aspects.pop((urn, DEFINITION), None)
            self._aspects.pop((urn, "status"), None)
        elif aspect in (DEFINITION, "status") and change_type in CHECKED_CHANGE_TYPES | {"DELETE"}:
            self._aspects[(urn, aspect)] = value if change_type != "DELETE" and isinstance(value, dict) else None

    def lookup(self, urn: str) -> Tuple[Optional[Mapping[str, Any]], Optional[Mapping[str, Any]]]:
        """(propertyDefinition, status) of a property urn as the records so far leave them."""
        return self._aspects.get((urn, DEFINITION)), self._aspects.get((urn, "status"))
