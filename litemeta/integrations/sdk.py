"""What every integration shares with acryl-datahub: the install hint, the emitter base, record conversions.

    >>> from litemeta.integrations.sdk import record_from_sdk, sdk_from_record
    >>> rec = record_from_sdk(MetadataChangeProposalWrapper(entityUrn=urn, aspect=StatusClass(removed=False)))  # doctest: +SKIP
    >>> sdk_from_record(rec)                                                                                   # doctest: +SKIP
    MetadataChangeProposalWrapper(entityType='dataset', ...)

``EmitterBase`` is ``datahub.emitter.generic_emitter.Emitter`` when acryl-datahub imports, and
``object`` otherwise, so that :class:`litemeta.emitter.LitemetaEmitter` is a DataHub ``Emitter``
(``Emitter in type(e).__mro__``; the Protocol is not runtime-checkable) for type checkers and at
run time, without making acryl-datahub a requirement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litemeta.errors import ConfigurationError, ValidationError
from litemeta.model.codec import LegacyMCE, Record, proposal_to_mcp_value, record_from_obj, record_to_obj
from litemeta.model.proposal import JSON, NO_ORIGIN, PATCH, Origin

DATAHUB_HINT = "pip install 'litemeta[datahub]' (acryl-datahub)"
ACTIONS_HINT = "pip install 'litemeta[actions]' (acryl-datahub-actions)"

if TYPE_CHECKING:
    from datahub.emitter.generic_emitter import Emitter as EmitterBase
else:
    try:
        from datahub.emitter.generic_emitter import Emitter as EmitterBase
    except ImportError:  # acryl-datahub is optional: the emitter is then a plain class
        EmitterBase = object


def datahub_installed() -> bool:
    """Whether acryl-datahub can be imported."""
    try:
        import datahub  # noqa: F401
    except ImportError:
        return False
    return True


def require_datahub(what: str) -> None:
    """Raise a :class:`ConfigurationError` saying which package ``what`` needs, when acryl-datahub is missing."""
    if not datahub_installed():
        raise ConfigurationError(f"{what} needs acryl-datahub: {DATAHUB_HINT}")


def sdk_to_obj(obj: Any) -> Any:
    """An acryl-datahub MCPW, MCP or MCE as a dict in DataHub's file-sink form: what ``to_obj`` gives (an MCPW
    simplified, its aspect as JSON, as DataHub's file sink writes it), made by the compiled converters of
    :mod:`litemeta.integrations.avro_classes` (the same JSON, without avrogen's validation)."""
    from litemeta.integrations.avro_classes import to_obj

    if type(obj).__name__ == "MetadataChangeProposalWrapper":
        return _wrapper_obj(obj, to_obj)
    if getattr(type(obj), "RECORD_SCHEMA", None) is not None:
        return to_obj(obj)
    to_obj_method = getattr(obj, "to_obj", None)
    if to_obj_method is None:
        raise ValidationError(f"a {type(obj).__name__} is not a DataHub record; expected an MCPW, an MCP or an MCE")
    return to_obj_method()


def _wrapper_obj(w: Any, to_obj: Any) -> Any:
    """``MetadataChangeProposalWrapper.to_obj(simplified_structure=True)``: the MCP without its aspect, then the
    aspect's JSON as ``_make_generic_aspect`` serializes it (``pre_json_transform`` of its ``to_obj``)."""
    if w.aspect is None or w.entityKeyAspect is not None:
        return w.to_obj(simplified_structure=True)  # the rare shapes: DataHub's own code
    from datahub.emitter.serialization_helper import pre_json_transform
    from datahub.metadata.schema_classes import MetadataChangeProposalClass

    out = to_obj(
        MetadataChangeProposalClass(
            entityType=w.entityType,
            entityUrn=w.entityUrn,
            changeType=w.changeType,
            auditHeader=w.auditHeader,
            aspectName=w.aspectName,
            systemMetadata=w.systemMetadata,
            headers=w.headers,
        )
    )
    out["aspect"] = {"json": pre_json_transform(to_obj(w.aspect))}
    return out


def record_from_sdk(obj: Any, origin: Origin = NO_ORIGIN) -> Record:
    """A litemeta record (Proposal or LegacyMCE) from an acryl-datahub MCPW, MCP or MCE.

    Raises :class:`~litemeta.errors.ValidationError` (with ``origin``) for an object that is not one.
    """
    try:
        obj = sdk_to_obj(obj)
    except ValidationError as e:
        raise ValidationError(e.message, file=origin.file, index=origin.index) from None
    return record_from_obj(obj, origin)


def sdk_from_record(record: Record) -> Any:
    """The acryl-datahub object of a litemeta record: an MCE for a legacy MCE; an MCPW for a JSON value
    (as DataHub's file source reads it); a ``MetadataChangeProposalClass`` for a PATCH, a DELETE or other
    content, keeping its content type."""
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.metadata.schema_classes import MetadataChangeEventClass, MetadataChangeProposalClass

    if isinstance(record, LegacyMCE):
        return MetadataChangeEventClass.from_obj(record_to_obj(record))
    if record.aspect is None or record.change_type == PATCH or record.content_type != JSON:
        return MetadataChangeProposalClass.from_obj(proposal_to_mcp_value(record))
    return MetadataChangeProposalWrapper.from_obj(record_to_obj(record))
