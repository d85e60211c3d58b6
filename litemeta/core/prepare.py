"""What can reject a proposal, decided before anything of it is planned (issue 15 item 5).

:func:`prepare` looks at a proposal against the batch's state (row 0 of its aspect, whether its
entity exists, structured property definitions) and raises what the write would raise, so the
write itself can no longer fail: a rejected proposal then leaves no trace (no row, no MCL, no
default aspect of an entity it would have created, R1.23). It returns what the write reuses.
:func:`dead_letter` is what a rejected proposal does leave: its FailedMetadataChangeProposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Protocol, Tuple

from litemeta.core import structured as S
from litemeta.core import versions as V
from litemeta.core.validate import value_text
from litemeta.errors import ConflictError
from litemeta.model import proposal as P
from litemeta.model.avro import validate_aspect
from litemeta.model.codec import proposal_to_mcp_value
from litemeta.model.jsontext import dumps
from litemeta.model.proposal import Proposal
from litemeta.model.registry import AspectSpec
from litemeta.storage.aspects import StoredRow


class BatchState(Protocol):
    """What :func:`prepare` reads of a batch (:class:`litemeta.core.ingest.Batch` is one)."""

    def slot(self, urn: str, aspect: str) -> Any:
        """The (urn, aspect) slot: its ``row0`` is the aspect's current row as the batch has it."""

    def current(self, urn: str, aspect: str) -> Optional[StoredRow]:
        """The aspect's current row as the batch has it."""

    def entity_exists(self, urn: str, entity_type: str) -> bool:
        """Whether the entity's key aspect exists (R1.6)."""

    def time_of(self, p: Proposal) -> int:
        """The time the proposal is applied at (choice 6)."""


ENTITY_EXISTS = "Cannot perform CREATE_ENTITY if not exists since the entity key already exists."
ASPECT_EXISTS = "Cannot perform CREATE since the aspect already exists."


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare` decided: the aspect's row 0 it looked at, the value to write (a PATCH's
    result) and its compact JSON text when known."""

    prev: Optional[StoredRow]
    value: Any
    text: Optional[str]


def prepare(batch: BatchState, p: Proposal, spec: AspectSpec, text: Optional[str]) -> Optional[Prepared]:
    """Decide whatever can reject ``p`` (conflicts, preconditions, the patch and the patched value,
    structured property definitions) without planning anything. Raises :class:`ConflictError` or
    another ``ValidationError``; None for a proposal that will be dropped (``If-None-Match: *``)."""
    if spec.timeseries or p.change_type == P.DELETE:
        return Prepared(None, None, text)
    urn, name = p.entity_urn, spec.name
    if p.change_type == P.CREATE_ENTITY and batch.entity_exists(urn, p.entity_type or ""):
        conflict_unless_dropped(p, ENTITY_EXISTS)
        return None
    prev = batch.slot(urn, name).row0
    if p.change_type == P.CREATE and prev is not None:
        conflict_unless_dropped(p, ASPECT_EXISTS)
        return None
    V.check_preconditions(
        p.headers, p.change_type, prev.sm if prev else None, prev is not None, prev.createdon_ms if prev else None
    )
    value = p.aspect
    if p.change_type == P.PATCH:
        from litemeta.core.patch import apply_patch

        value = apply_patch(name, prev.value if prev is not None else None, p.aspect, now_ms=batch.time_of(p))
        validate_aspect(name, value)
        text = value_text(value)
    elif name == S.ASPECT and p.change_type in S.CHECKED_CHANGE_TYPES:
        S.check_structured_properties(value, lambda prop: _definition(batch, prop))
    return Prepared(prev, value, text)


def conflict_unless_dropped(p: Proposal, message: str) -> None:
    """Raise the conflict of a CREATE or CREATE_ENTITY that finds its target, unless the proposal
    carries ``If-None-Match: *``, which makes it a silent drop."""
    if not V.if_none_match_star(p.headers):  # with If-None-Match: * it is dropped when applied (R1.29, R1.30)
        raise ConflictError(
            message,
            header="If-None-Match" if p.headers else None,
            expected="absent",
            actual="exists",
            urn=p.entity_urn,
            aspect=p.aspect_name,
        )


def _definition(batch: BatchState, urn: str) -> Tuple[Optional[Dict[str, Any]], Optional[Dict[str, Any]]]:
    definition, status = batch.current(urn, S.DEFINITION), batch.current(urn, "status")
    return (definition.value if definition is not None else None, status.value if status is not None else None)


def dead_letter(p: Proposal, error: str) -> Optional[str]:
    """The FailedMetadataChangeProposal value of a rejected proposal, as stored text; a proposal
    too deep to encode is dead-lettered without its aspect value, then without its systemMetadata
    (the error says so); None when not even that can be written (the report still names it)."""
    for attempt, left_out in (
        (p, ""),
        (p.with_(aspect=None), "aspect value"),
        (p.with_(aspect=None, system_metadata=None), "aspect value and systemMetadata"),
    ):
        try:
            mcp = proposal_to_mcp_value(attempt, compact=True)
            why = f"{error} (its {left_out} is left out of this record: it cannot be encoded)" if left_out else error
            return dumps({"metadataChangeProposal": mcp, "error": why})
        except Exception:  # noqa: BLE001 - nested too deep, or not JSON at all: try with less of it
            continue
    return None


def encodable(text: str) -> bool:
    """Whether a string is Unicode text (no lone surrogate): what a store can hold and look up."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
