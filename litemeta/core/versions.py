"""Pure decisions of the write path: system metadata merges, version numbers, defaults, preconditions.

Nothing here touches a database; :mod:`litemeta.core.ingest` applies the results. Each function
names the DataHub rule it follows (docs/datahub-semantics.md).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Dict, List, Mapping, Optional, Sequence

from litemeta.errors import ConflictError

DEFAULT_RUN_ID = "no-run-id-provided"  # R8.21
SYSTEM_ACTOR = "urn:li:corpuser:__datahub_system"  # R8.21
DEFAULT_BROWSE_FOLDER = "Default"
DEFAULT_DATASET_DELIMITER = "."


def fill_system_metadata(incoming: Optional[Mapping[str, Any]], now_ms: int) -> Dict[str, Any]:
    """R1.41 then R1.17: defaults for a missing runId / lastObserved; ``lastRunId = runId``.

    The result starts with lastObserved, runId, lastRunId (SystemMetadata's field order), then the
    other incoming fields in their order, so equal metadata always serialises to the same text.
    """
    rest = dict(incoming) if incoming else {}
    run_id = rest.pop("runId", None) or DEFAULT_RUN_ID
    sm: Dict[str, Any] = {
        "lastObserved": rest.pop("lastObserved", None) or now_ms,
        "runId": run_id,
        "lastRunId": run_id,
    }
    rest.pop("lastRunId", None)
    sm.update(rest)
    return sm


def _set_or_remove(sm: Dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        sm.pop(key, None)
    else:
        sm[key] = value


def noop_system_metadata(stored: Optional[Mapping[str, Any]], incoming: Mapping[str, Any]) -> Dict[str, Any]:
    """R8.4: an equal value keeps the stored systemMetadata except lastRunId, lastObserved, runId, schemaVersion."""
    sm: Dict[str, Any] = dict(stored) if stored else {}
    _set_or_remove(sm, "lastRunId", sm.get("runId"))
    if incoming.get("lastObserved") is not None:
        sm["lastObserved"] = incoming["lastObserved"]
    _set_or_remove(sm, "runId", incoming.get("runId"))
    if incoming.get("schemaVersion") is not None:
        sm["schemaVersion"] = incoming["schemaVersion"]
    return sm


def changed_system_metadata(
    stored: Optional[Mapping[str, Any]], incoming: Mapping[str, Any], version: int
) -> Dict[str, Any]:
    """R8.5: the stored systemMetadata merged with the incoming run fields and the new version.

    On a first write (nothing stored) it is the incoming one with ``version`` and ``aspectCreated``
    copied from ``aspectModified``.
    """
    if stored is None:
        sm = dict(incoming)
        sm["version"] = str(version)
        if incoming.get("aspectModified") is not None and "aspectCreated" not in sm:
            sm["aspectCreated"] = incoming["aspectModified"]
        return sm
    sm = dict(stored)
    _set_or_remove(sm, "lastRunId", sm.get("runId"))
    for k in ("lastObserved", "runId", "schemaVersion", "aspectModified", "aspectCreated"):
        if incoming.get(k) is not None:
            sm[k] = incoming[k]
    sm["version"] = str(version)
    return sm


def stored_version(sm: Optional[Mapping[str, Any]]) -> Optional[int]:
    """``systemMetadata.version`` as an int, or None when absent or not numeric (R8.19)."""
    if not sm or sm.get("version") in (None, ""):
        return None
    try:
        return int(sm["version"])
    except (TypeError, ValueError):
        return None


def archive_version(
    row0_sm: Optional[Mapping[str, Any]], incoming_sm: Mapping[str, Any], db_max_version: Optional[int]
) -> int:
    """R8.2: the number the replaced row 0 gets in the archive.

    ``max(1, row-0 systemMetadata.version (1 if absent), incoming version - 1)``; a legacy row 0
    without a version asks the database (``max(version) + 1``), which is what ``db_max_version``
    carries (None when not needed).
    """
    current = stored_version(row0_sm)
    if current is None:
        current = (db_max_version or 0) + 1 if db_max_version is not None else 1
    incoming = stored_version(incoming_sm)
    return max(1, current, (incoming - 1) if incoming is not None else 1)


def retention_ceiling(newest_archive: int, max_versions: int) -> int:
    """Archived versions ``<=`` this number are removed (R8.3, DataHub's version-based retention).

    ``EbeanRetentionService.applyVersionBasedRetention`` deletes ``version != 0 and version <=
    largestVersion - maxVersions + 1``, so row 0 plus ``maxVersions - 1`` archived versions remain
    (``maxVersions`` versions in all). A result below 1 removes nothing.
    """
    return newest_archive - max_versions + 1


# ------------------------------------------------------------------ timeseries (R1.40)


def timeseries_document_id(urn: str, value: Mapping[str, Any]) -> str:
    """SHA-256 of ``timestampMillis + eventGranularity(json) + urn(json) + messageId(json) + partitionSpec(json)``."""
    parts = [
        str(value.get("timestampMillis")),
        _java_json(value.get("eventGranularity")),
        json.dumps(urn),
        _java_json(value.get("messageId")),
        _java_json(value.get("partitionSpec")),
    ]
    return hashlib.sha256("".join(p for p in parts if p is not None).encode("utf-8")).hexdigest()


def _java_json(v: Any) -> Optional[str]:
    if v is None:
        return None
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------ default aspects (R1.23)

_PLATFORM_FROM_KEY = {
    # DataPlatformInstanceUtils.getDefaultDataPlatform: entity -> (key field, is it already a urn?)
    "dataset": ("platform", True),
    "chart": ("dashboardTool", False),
    "dashboard": ("dashboardTool", False),
    "dataFlow": ("orchestrator", False),
    "dataProcess": ("orchestrator", False),
    "mlModel": ("platform", True),
    "mlFeatureTable": ("platform", True),
    "mlModelDeployment": ("platform", True),
    "mlModelGroup": ("platform", True),
}


def default_data_platform_instance(entity_type: str, key: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """``DataPlatformInstanceUtils.buildDataPlatformInstance``: the platform from the key; no instance."""
    if entity_type == "dataJob":
        from litemeta.model.urns import parse_urn

        flow = parse_urn(str(key["flow"]))
        return {"platform": f"urn:li:dataPlatform:{flow.parts[0].lower()}"}
    spec = _PLATFORM_FROM_KEY.get(entity_type)
    if spec is None or key.get(spec[0]) in (None, ""):
        return None
    value = str(key[spec[0]])
    return {"platform": value if spec[1] else f"urn:li:dataPlatform:{value.lower()}"}


def default_browse_paths_v2(
    entity_type: str, key: Mapping[str, Any], containers: Sequence[str], delimiter: str = DEFAULT_DATASET_DELIMITER
) -> Dict[str, Any]:
    """``BrowsePathV2Utils.getDefaultBrowsePathV2``.

    ``containers`` is the entity's container chain as DataHub walks it (its container, then that
    container's container, ...), read from what is stored before the write.
    """
    entries: List[Dict[str, Any]] = []
    if entity_type == "dataset":
        if containers:
            entries = [{"id": c, "urn": c} for c in containers]
        else:
            name = str(key.get("name", ""))
            parts = _java_split(name.lower(), delimiter) if delimiter in name else []
            entries = [{"id": p} for p in parts[:-1]] or [{"id": DEFAULT_BROWSE_FOLDER}]
    elif entity_type in ("chart", "dashboard"):
        entries = [{"id": c, "urn": c} for c in containers] or [{"id": DEFAULT_BROWSE_FOLDER}]
    elif entity_type == "dataJob":
        flow = str(key["flow"])
        entries = [{"id": flow, "urn": flow}]
    else:
        entries = [{"id": DEFAULT_BROWSE_FOLDER}]
    return {"path": entries}


def _java_split(s: str, delimiter: str) -> List[str]:
    """Java's ``String.split`` on a literal: trailing empty strings are removed."""
    parts = s.split(delimiter)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


# ------------------------------------------------------------------ preconditions (R1.44)


def _header(headers: Optional[Mapping[str, str]], name: str) -> Optional[str]:
    if not headers:
        return None
    lname = name.lower()
    for k, v in headers.items():
        if k.lower() == lname:
            return v
    return None


def if_none_match_star(headers: Optional[Mapping[str, str]]) -> bool:
    """``If-None-Match: *`` turns CREATE / CREATE_ENTITY conflicts into silent drops (R1.29, R1.30)."""
    return (_header(headers, "If-None-Match") or "").strip() == "*"


def _parse_instant(header: str, raw: str) -> int:
    try:
        text = raw.strip().replace("Z", "+00:00")
        dt = datetime.fromisoformat(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        return int(dt.timestamp() * 1000)
    except ValueError:
        raise ConflictError(
            f"header {header} is not an ISO-8601 instant: {raw!r}",
            header=header,
            expected="ISO-8601 instant",
            actual=raw,
        ) from None


def check_preconditions(
    headers: Optional[Mapping[str, str]],
    change_type: str,
    previous_sm: Optional[Mapping[str, Any]],
    previous_exists: bool,
    previous_time_ms: Optional[int],
) -> None:
    """R1.44: If-Version-Match, If-Modified-Since, If-Unmodified-Since; raise :class:`ConflictError`."""
    if not headers:
        return
    creating = change_type in ("CREATE", "CREATE_ENTITY")
    wanted = _header(headers, "If-Version-Match")
    if wanted is not None:
        if creating or not previous_exists:
            actual = "-1"
        else:
            v = stored_version(previous_sm)
            actual = str(v if v is not None else 1)
        if wanted.strip() != actual:
            raise ConflictError(
                f"precondition failed: If-Version-Match expected version {wanted.strip()}, actual {actual}",
                header="If-Version-Match",
                expected=wanted.strip(),
                actual=actual,
            )
    last = previous_time_ms if (previous_exists and not creating and previous_time_ms is not None) else None
    ims = _header(headers, "If-Modified-Since")
    if ims is not None:
        t = _parse_instant("If-Modified-Since", ims)
        if last is None or not last > t:
            raise ConflictError(
                f"precondition failed: If-Modified-Since {ims}: aspect last modified at {last}",
                header="If-Modified-Since",
                expected=f"> {t}",
                actual=last,
            )
    ius = _header(headers, "If-Unmodified-Since")
    if ius is not None:
        t = _parse_instant("If-Unmodified-Since", ius)
        lm = last if last is not None else -(2**63)
        if not lm <= t:
            raise ConflictError(
                f"precondition failed: If-Unmodified-Since {ius}: aspect last modified at {last}",
                header="If-Unmodified-Since",
                expected=f"<= {t}",
                actual=last,
            )
