"""``litemeta check``: validate metadata files without writing anything (DataHub's ``datahub check``).

    litemeta check metadata-file mce_files/ out.json -
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Tuple

import click

from litemeta.cli.common import Progress, error_dict, json_option, translate_errors
from litemeta.errors import InputError, ValidationError, printable
from litemeta.model.proposal import Proposal


@click.group()
def check() -> None:
    """Validate metadata files.

    \b
    Example:
        litemeta check metadata-file examples/sample.json
    """


@check.command("metadata-file")
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR|- ...")
@json_option
def metadata_file(paths: Tuple[str, ...], as_json: bool) -> None:
    """Check that every record of DataHub file-sink JSON files is valid.

    Reads JSON arrays (streamed, any size), single objects, JSON Lines, folders of *.json and
    *.jsonl files, and standard input (-). Each record is parsed and validated against DataHub's
    model (urn, entity, aspect, change type, Avro schema, systemMetadata) as `litemeta ingest`
    would, but nothing is written. Structured property values are checked against the
    definitions written earlier in the same input. What depends on a store's content (PATCH
    results, CREATE conflicts, conditional headers) is checked by ingest only. Prints each
    invalid record and a summary; exits with 1 if any record is invalid.

    \b
    Examples:
        litemeta check metadata-file mces.json
        litemeta check metadata-file exports/ --json
        datahub ingest ... | litemeta check metadata-file -
    """
    with translate_errors():
        summary = check_paths(list(paths), echo=None if as_json else click.echo)
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(
            f"{summary['records']:,} records: {summary['valid']:,} valid, {summary['invalid']:,} invalid"
        )
    if summary["invalid"] or summary["errors"]:
        raise SystemExit(1)


def check_paths(paths: List[str], echo: Any = None) -> Dict[str, Any]:
    """Validate every record of ``paths``; return ``{records, valid, invalid, errors}``.

    ``echo`` (when given) is called with one line per error as errors are found.
    """
    # Imported here so that `litemeta --help` does not pay for them.
    from litemeta.core import structured
    from litemeta.core.validate import validate_proposal
    from litemeta.model.codec import proposals_of
    from litemeta.model.registry import load_registry
    from litemeta.sources.files import read_records

    registry = load_registry()
    seen = structured.SeenDefinitions()  # structured property definitions of the records so far
    valid = invalid = 0
    errors: List[Dict[str, Any]] = []

    def fail(errs: List[Exception]) -> None:
        nonlocal invalid
        first = errs[0]
        if not isinstance(first, InputError) or "record #" in (first.position or ""):
            invalid += 1  # (unreadable bytes outside any record are an error, not an invalid record)
        for e in errs:
            d = error_dict(e)
            errors.append(d)
            if echo is not None:
                echo(_line(d))

    with Progress("checked") as progress:
        for item in read_records(paths):
            progress.update()
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
                fail([ValidationError(f"unreadable record ({type(e).__name__}: {e})", file=item.origin.file,
                                      index=item.origin.index)])
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


def _line(d: Dict[str, Any]) -> str:
    where = f"{d['file'] or '<input>'}#{d['index'] if d['index'] is not None else '?'}"
    parts = [where]
    if d.get("urn"):
        parts.append(printable(d["urn"]))
    if d.get("aspect"):
        parts.append(f"aspect {d['aspect']}")
    if d.get("path"):
        parts.append(f"at {d['path']}")
    return " ".join(parts) + ": " + d["message"]


from litemeta.cli.diff import metadata_diff as _md; check.add_command(_md)  # noqa: E402,E702
