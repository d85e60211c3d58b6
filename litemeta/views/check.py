"""Validate metadata files without writing anything (DataHub's ``datahub check metadata-file``).

    >>> from litemeta.views.check import check_paths
    >>> check_paths(["examples/sample.json"])["invalid"]                  # doctest: +SKIP
    0

Each record is parsed and validated against DataHub's model (urn, entity, aspect, change type,
Avro schema, systemMetadata) as an ingest would, with no store: unreadable parts and invalid
records are reported with their file, record index, urn, aspect, field path and message.
Structured property values are checked against the definitions (and statuses) of the records
read before them (:class:`litemeta.core.structured.SeenDefinitions`), as an ingest into an empty
store checks them; what depends on a store's content (PATCH results, CREATE conflicts,
conditional headers) only an ingest can check.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional

from litemeta.core import structured
from litemeta.core.validate import validate_proposal
from litemeta.errors import InputError, ValidationError, error_dict
from litemeta.model.codec import proposals_of
from litemeta.model.proposal import Proposal
from litemeta.model.registry import Registry, load_registry
from litemeta.sources.files import read_records

ErrorSink = Callable[[Dict[str, Any]], None]


def check_paths(
    paths: Iterable[str],
    on_error: Optional[ErrorSink] = None,
    progress: Optional[Callable[[int], None]] = None,
    registry: Optional[Registry] = None,
) -> Dict[str, Any]:
    """Validate every record of ``paths`` (files, folders, ``-``); return ``{records, valid, invalid, errors}``.

    ``errors`` holds each error's report form (:func:`litemeta.errors.error_dict`); ``on_error``,
    when given, hears of each one as it is found, and ``progress`` of each record read.
    """
    registry = registry or load_registry()
    seen = structured.SeenDefinitions()  # structured property definitions of the records so far
    valid = invalid = 0
    errors: List[Dict[str, Any]] = []

    def fail(errs: List[Exception]) -> None:
        nonlocal invalid
        first = errs[0]
        if not isinstance(first, InputError) or first.index is not None:
            invalid += 1  # (unreadable bytes outside any record are an error, not an invalid record)
        for e in errs:
            d = error_dict(e)
            errors.append(d)
            if on_error is not None:
                on_error(d)

    for item in read_records(paths):
        if progress is not None:
            progress(1)
        if isinstance(item, Exception):
            fail([item])
            continue
        errs: List[Exception] = []
        try:
            proposals = proposals_of(item, registry)
        except ValidationError as e:  # an MCE with an unknown aspect
            fail([e])
            continue
        except Exception as e:  # noqa: BLE001 - as ingest rejects a record too broken to expand
            fail(
                [
                    ValidationError(
                        f"unreadable record ({type(e).__name__}: {e})", file=item.origin.file, index=item.origin.index
                    )
                ]
            )
            continue
        for p in proposals:
            try:
                v = validate_proposal(p, registry).proposal
                if v.aspect_name == structured.ASPECT and v.change_type in structured.CHECKED_CHANGE_TYPES:
                    structured.check_structured_properties(v.aspect, seen.lookup)
                seen.note(v.entity_urn, v.aspect_name, v.change_type, v.aspect)
            except ValidationError as e:
                errs.append(_located(e, p))
            except Exception as e:  # noqa: BLE001 - a validator bug must not hide the other records
                errs.append(
                    _located(
                        ValidationError(f"internal error while validating ({type(e).__name__}: {e}); please report it"),
                        p,
                    )
                )
        if errs:
            fail(errs)
        else:
            valid += 1
    return {"records": valid + invalid, "valid": valid, "invalid": invalid, "errors": errors}


def _located(e: ValidationError, p: Proposal) -> ValidationError:
    """Fill in the record's file, index, urn and aspect where the validator left them out."""
    if e.urn is None:
        e.urn = p.entity_urn or None
    if e.aspect is None:
        e.aspect = p.aspect_name
    return e.located(file=p.origin.file, index=p.origin.index)
