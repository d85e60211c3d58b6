"""Validate metadata files without writing anything (DataHub's ``datahub check metadata-file``).

    >>> from litemeta.views.check import check_paths
    >>> check_paths(["examples/sample.json"])["invalid"]                  # doctest: +SKIP
    0

Each record is parsed and validated against DataHub's model (urn, entity, aspect, change type,
Avro schema) as an ingest would, with no store: unreadable parts and invalid records are
reported with their file, record index, urn, aspect, field path and message.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional

from litemeta.core.validate import validate_proposal
from litemeta.errors import ValidationError, error_dict
from litemeta.model.codec import proposals_of
from litemeta.model.proposal import Proposal
from litemeta.model.registry import Registry, load_registry
from litemeta.sources.files import read_records

ErrorSink = Callable[[Dict[str, Any]], None]


def check_paths(paths: Iterable[str], on_error: Optional[ErrorSink] = None,
                progress: Optional[Callable[[int], None]] = None,
                registry: Optional[Registry] = None) -> Dict[str, Any]:
    """Validate every record of ``paths`` (files, folders, ``-``); return ``{records, valid, invalid, errors}``.

    ``errors`` holds each error's report form (:func:`litemeta.errors.error_dict`); ``on_error``,
    when given, hears of each one as it is found, and ``progress`` of each record read.
    """
    registry = registry or load_registry()
    valid = invalid = 0
    errors: List[Dict[str, Any]] = []

    def fail(errs: List[Exception]) -> None:
        nonlocal invalid
        invalid += 1
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
        except Exception as e:  # an MCE with an unknown aspect
            fail([e])
            continue
        for p in proposals:
            try:
                validate_proposal(p, registry)
            except ValidationError as e:
                errs.append(_located(e, p))
            except Exception as e:  # noqa: BLE001 - a validator bug must not hide the other records
                errs.append(_located(ValidationError(
                    f"internal error while validating ({type(e).__name__}: {e}); please report it"), p))
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
