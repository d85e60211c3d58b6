"""Edits made in the browser, as PATCH proposals for the server's one writer (pure until submitted).

    >>> p = edit_proposal("urn:li:dataset:(urn:li:dataPlatform:hive,t,PROD)", "add_tag", {"value": "pii"})
    >>> p.aspect_name, p.change_type, p.aspect
    ('globalTags', 'PATCH', [{'op': 'add', 'path': '/tags/urn:li:tag:pii', 'value': {'tag': 'urn:li:tag:pii'}}])

Each edit is the PATCH the DataHub SDK's patch builders send for it (``add_tag``, ``remove_tag``,
``add_term``, ``remove_term``, ``add_owner``, ``remove_owner``; paths escaped as JSON pointers),
so it takes the ordinary write path: validated, versioned, logged as an MCL, turned into platform
events, indexed for search. A description goes where DataHub's UI writes it, the entity's
editable properties aspect (a generic patch: those aspects have no patch template), or the
definition of a glossary term or node, or a domain's description.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from litemeta.errors import InvalidUrnError
from litemeta.model.proposal import Origin, Proposal
from litemeta.model.urns import parse_urn
from litemeta.serve.ui.entity import EDITABLE_DESCRIPTION

OWNER_TYPES = ("TECHNICAL_OWNER", "BUSINESS_OWNER", "DATA_STEWARD", "NONE")
ACTIONS = ("add_tag", "remove_tag", "add_term", "remove_term", "add_owner", "remove_owner", "set_description")
# Where a description is edited for entity types without an editable properties aspect: (aspect, field)
_DESCRIPTION_TARGETS: Dict[str, Tuple[str, str]] = {
    "glossaryTerm": ("glossaryTermInfo", "definition"),
    "glossaryNode": ("glossaryNodeInfo", "definition"),
    "domain": ("domainProperties", "description"),
    "tag": ("tagProperties", "description"),
    "corpGroup": ("corpGroupEditableInfo", "description"),
    "corpuser": ("corpUserEditableInfo", "aboutMe"),
    "dataProduct": ("dataProductProperties", "description"),
}
_GENERIC = {"tagProperties", "corpGroupEditableInfo", "corpUserEditableInfo", *EDITABLE_DESCRIPTION.values()}


class EditError(ValueError):
    """An edit that cannot be made (shown to the user, nothing written)."""


def _pointer(text: str) -> str:
    # RFC 6901 escaping, as the SDK's MetadataPatchProposal.quote does
    return text.replace("~", "~0").replace("/", "~1")


def as_urn(value: str, entity_type: str, extra_types: Tuple[str, ...] = ()) -> str:
    """A urn from what a user typed: a urn of an allowed type, or a bare name of ``entity_type``."""
    v = (value or "").strip()
    if not v:
        raise EditError(f"a {entity_type} is needed (a name or a urn:li:{entity_type}:... urn)")
    if not v.startswith("urn:"):
        v = f"urn:li:{entity_type}:{v}"
    try:
        u = parse_urn(v)
    except InvalidUrnError as err:
        raise EditError(str(err)) from None
    if u.entity_type not in (entity_type,) + extra_types:
        allowed = " or ".join((entity_type,) + extra_types)
        raise EditError(f"expected a {allowed} urn, got a {u.entity_type} urn: {v}")
    return v


def description_target(entity_type: str) -> Optional[Tuple[str, str]]:
    """``(aspect, field)`` where a description of this entity type is edited, or None."""
    if entity_type in EDITABLE_DESCRIPTION:
        return EDITABLE_DESCRIPTION[entity_type], "description"
    return _DESCRIPTION_TARGETS.get(entity_type)


def edit_proposal(urn: str, action: str, form: Mapping[str, Any]) -> Proposal:
    """The PATCH proposal for one edit; :class:`EditError` for an action or value that cannot be."""
    origin = Origin(f"<browser edit {action} {urn}>", 0)
    value = str(form.get("value") or "")
    if action in ("add_tag", "remove_tag"):
        tag = as_urn(value, "tag")
        op: Dict[str, Any] = {"op": "add", "path": f"/tags/{_pointer(tag)}", "value": {"tag": tag}}
        return Proposal(urn, "globalTags", "PATCH", [op if action == "add_tag" else _remove(op)], origin=origin)
    if action in ("add_term", "remove_term"):
        term = as_urn(value, "glossaryTerm")
        op = {"op": "add", "path": f"/terms/{_pointer(term)}", "value": {"urn": term}}
        return Proposal(urn, "glossaryTerms", "PATCH", [op if action == "add_term" else _remove(op)], origin=origin)
    if action == "add_owner":
        owner = as_urn(value, "corpuser", ("corpGroup",))
        kind = str(form.get("owner_type") or "TECHNICAL_OWNER")
        if kind not in OWNER_TYPES:
            raise EditError(f"owner type must be one of {', '.join(OWNER_TYPES)}, got {kind!r}")
        op = {"op": "add", "path": f"/owners/{_pointer(owner)}/{kind}", "value": {"owner": owner, "type": kind}}
        return Proposal(urn, "ownership", "PATCH", [op], origin=origin)
    if action == "remove_owner":
        owner = as_urn(value, "corpuser", ("corpGroup",))
        return Proposal(
            urn, "ownership", "PATCH", [{"op": "remove", "path": f"/owners/{_pointer(owner)}"}], origin=origin
        )
    if action == "set_description":
        et = urn.split(":", 3)[2] if urn.count(":") >= 3 else ""
        target = description_target(et)
        if target is None:
            raise EditError(f"descriptions of {et} entities cannot be edited here")
        aspect, field = target
        ops = [{"op": "add", "path": f"/{field}", "value": str(form.get("description") or "")}]
        body: Any = {"patch": ops, "forceGenericPatch": True} if aspect in _GENERIC else ops
        return Proposal(urn, aspect, "PATCH", body, origin=origin)
    raise EditError(f"unknown edit {action!r}: expected one of {', '.join(ACTIONS)}")


def _remove(op: Mapping[str, Any]) -> Dict[str, Any]:
    return {"op": "remove", "path": op["path"]}
