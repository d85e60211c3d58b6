"""The activity page: platform events as a live feed, ingestion runs with rollback, consumer groups.

The feed follows the ``PlatformEvent_v1`` topic with server-sent events (``/ui/events``): each
stream sends the records past the client's position, whoever wrote them, woken by the server's
:class:`~litemeta.serve.feed.LogFeed` at each of its writer's commits and reading the log every
:data:`POLL_SECONDS` for writes of other processes (a ``litemeta ingest`` beside the server). A stream ends after
:data:`STREAM_SECONDS` (the browser's ``EventSource`` reconnects, resuming from ``Last-Event-ID``),
so a server stopping never waits long for open feeds.

A rollback is asked for on a page of its own that shows what it would change (a dry run), and made
by :meth:`MetadataStore.rollback` on a thread: its transaction is serialized with the writer's by
SQLite's write lock, as a ``litemeta ingest rollback`` run beside the server would be.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, List, Optional, Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from litemeta.model.events import PLATFORM_EVENT_TOPIC
from litemeta.model.jsontext import dumps
from litemeta.serve.ui.entity import urn_name
from litemeta.serve.ui.lineage import aspect_value
from litemeta.serve.ui.pages import same_origin, served
from litemeta.serve.ui.paths import entity_url
from litemeta.serve.ui.render import error_page, page

FEED_SIZE = 50
STREAM_SECONDS = 25.0
POLL_SECONDS = 1.0
RELATIONSHIP = "RELATIONSHIP"  # the category the feed gives relationship change events
CATEGORIES = (
    "TAG",
    "GLOSSARY_TERM",
    "OWNERSHIP",
    "DOCUMENTATION",
    "TECHNICAL_SCHEMA",
    "DOMAIN",
    "STRUCTURED_PROPERTY",
    "LIFECYCLE",
    "DEPRECATION",
    "RUN",
    RELATIONSHIP,
)


@dataclass(frozen=True)
class FeedItem:
    """One platform event, as the feed shows it."""

    offset: int
    time: int
    name: str
    category: str
    operation: str
    urn: str
    label: str
    url: str
    modifier: str
    actor: str

    def as_dict(self) -> Dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def feed_item(record: Any) -> FeedItem:
    """A topic record of ``PlatformEvent_v1`` as a :class:`FeedItem`."""
    value = record.value
    payload = aspect_value(value.get("payload")) or {}
    if value.get("name") == "relationshipChangeEvent":
        urn = str(payload.get("sourceUrn", ""))
        category, modifier = RELATIONSHIP, f"{payload.get('relationshipType', '')} {payload.get('destinationUrn', '')}"
    else:
        urn = str(payload.get("entityUrn", ""))
        category, modifier = str(payload.get("category", "")), str(payload.get("modifier") or "")
    stamp = payload.get("auditStamp") or {}
    return FeedItem(
        record.offset,
        int(record.timestamp or 0),
        str(value.get("name", "")),
        category,
        str(payload.get("operation", "")),
        urn,
        urn_name(urn) if urn else "",
        entity_url(urn) if urn.startswith("urn:") else "",
        modifier.strip(),
        str(stamp.get("actor", "")),
    )


def recent(store: Any, size: int = FEED_SIZE, categories: Sequence[str] = ()) -> List[FeedItem]:
    """The newest ``size`` events (of the given categories), newest first."""
    start = store.end_offsets().get(PLATFORM_EVENT_TOPIC, 0)
    out: List[FeedItem] = []
    # Read back page by page until enough events of the chosen categories are found (20 pages at most).
    for _ in range(20 if categories else 1):
        if start <= 0 or len(out) >= size:
            break
        lo = max(0, start - (2000 if categories else size))
        items = [feed_item(r) for r in store.read_topic(PLATFORM_EVENT_TOPIC, lo, start - lo)]
        out += [i for i in reversed(items) if not categories or i.category in categories]
        start = lo
    return out[:size]


async def activity(request: Request) -> Response:
    s = served(request)
    chosen = [c for c in request.query_params.getlist("category") if c in CATEGORIES]
    items = await run_in_threadpool(recent, s.store, FEED_SIZE, chosen)
    groups = await run_in_threadpool(_groups, s.store)
    end = items[0].offset + 1 if items else await run_in_threadpool(_end, s.store)
    return page(
        request, "activity.html", items=items, categories=CATEGORIES, chosen=chosen, groups=groups, after=end, query=""
    )


def _end(store: Any) -> int:
    return int(store.end_offsets().get(PLATFORM_EVENT_TOPIC, 0))


def _groups(store: Any) -> List[Dict[str, Any]]:
    out = []
    for g in store.consumer_groups():
        lag = store.lag(g)
        out.append({"group": g, "lag": lag, "total": sum(lag.values())})
    return out


async def runs(request: Request) -> Response:
    rows = await run_in_threadpool(served(request).store.runs)
    return page(request, "_runs.html", runs=rows[:100], more=max(0, len(rows) - 100))


async def events(request: Request) -> Response:
    """Server-sent events: every platform event after the client's position, as JSON."""
    s = served(request)
    last = request.headers.get("last-event-id") or request.query_params.get("after") or ""
    position: Optional[int] = int(last) + (1 if request.headers.get("last-event-id") else 0) if last.isdigit() else None
    chosen = set(request.query_params.getlist("category")) & set(CATEGORIES)

    async def stream() -> AsyncIterator[str]:
        nonlocal position
        if position is None:
            position = await run_in_threadpool(_end, s.store)
        yield "retry: 1000\n\n"
        deadline = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < deadline:
            if await request.is_disconnected():
                return
            seen = s.feed.commits
            records = await run_in_threadpool(s.store.read_topic, PLATFORM_EVENT_TOPIC, position, 200)
            for r in records:
                item = feed_item(r)
                position = r.offset + 1
                if chosen and item.category not in chosen:
                    continue
                yield f"id: {r.offset}\nevent: platform-event\ndata: {dumps(item.as_dict())}\n\n"
            if not records:
                yield ": idle\n\n"  # a comment keeps proxies from closing the stream
                # woken by this server's next commit; another process's writes are seen within POLL_SECONDS
                await s.feed.wait(seen, POLL_SECONDS)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


# ------------------------------------------------------------------------------ rollback
async def rollback_confirm(request: Request) -> Response:
    run_id = request.query_params.get("run", "")
    s = served(request)
    if not run_id:
        return error_page(request, 400, "No run", "Name a run to roll back: /activity/rollback?run=<run id>")
    preview = await run_in_threadpool(s.store.rollback, run_id, dry_run=True)
    return page(request, "rollback.html", run_id=run_id, preview=preview, done=None, query="")


async def rollback(request: Request) -> Response:
    form = await request.form()
    run_id = str(form.get("run") or "")
    if not same_origin(request):
        return error_page(request, 403, "Forbidden", "A rollback is accepted from this server's own pages only.")
    if form.get("confirm") != "yes" or not run_id:
        return RedirectResponse(f"/activity/rollback?run={run_id}", status_code=303)
    s = served(request)

    def undo() -> Dict[str, Any]:
        report: Dict[str, Any] = s.store.rollback(run_id)
        s.writer.sync_index()  # searches see the rollback at once
        return report

    done = await run_in_threadpool(undo)
    return page(request, "rollback.html", run_id=run_id, preview=None, done=done, query="")
