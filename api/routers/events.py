"""``GET /events``: incident events as server-sent events, live, resumable with Last-Event-ID."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.dependencies import get_actor
from api.params import known_query
from api.problems import answers
from api.schemas.incidents import StreamedEvent
from api.security import reach
from api.state import services
from api.streams import read_backlog
from geo.db import session_factory
from geo.errors import Invalid
from geo.incidents import stream
from geo.incidents.models import ACTIONS
from geo.incidents.service import Reach, area_holds
from geo.settings import get_settings

router = APIRouter(tags=["incidents"])
HEARTBEAT_SECONDS = 15   # a comment line this often keeps proxies from closing a quiet stream
RECONNECT_MS = 2000      # how soon a browser reconnects after the stream ends
MEDIA_TYPE = "text/event-stream"


def _message(event: str, data: str, event_id: int | None = None) -> str:
    return (f"id: {event_id}\n" if event_id is not None else "") + f"event: {event}\ndata: {data}\n\n"


def _actions(types: str | None) -> tuple[str, ...]:
    if types is None:
        return ACTIONS
    asked = tuple(t.strip() for t in types.split(",") if t.strip())
    if not asked or set(asked) - set(ACTIONS):
        raise Invalid("types are some of {actions}, comma-separated", field="types", actions=", ".join(ACTIONS))
    return asked


def _start(last_event_id: int | None, area: str | None,
           reached: Reach) -> tuple[stream.Position | None, bool, str | None]:
    """Where the stream starts, whether the browser's position was lost (a reset), and the
    area it keeps to (an area key's by default)."""
    with session_factory(for_requests=True)() as session:
        area = reached.area_asked(session, area)
        if last_event_id is not None and (position := stream.position_of(session, last_event_id)) is not None:
            return position, False, area
        return stream.head(session), last_event_id is not None, area


@router.get("/events", dependencies=[Depends(known_query)], response_class=StreamingResponse,
            responses={200: {"description": "`text/event-stream`: `event: incident` messages, each `data` a "
                                            "StreamedEvent and `id` its id; first `event: ready` with the position "
                                            "(`reset` instead when Last-Event-ID names an event that no longer "
                                            "exists: reload the queue)",
                             "model": StreamedEvent},
                       **answers(404, 503)})
async def events(request: Request,
                 area: Annotated[str | None, Query(description="only incidents in this area (a code in force)",
                                                   max_length=15)] = None,
                 types: Annotated[str | None, Query(description="only these actions, comma-separated: "
                                                    + ", ".join(ACTIONS), max_length=200)] = None,
                 last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0,
                                                            description="resume after this event")] = None
                 ) -> StreamingResponse:
    """Each registration, dispatch, reassignment, escalation, lifecycle step and extension, as
    it commits anywhere (this process, another worker, the overdue sweep); a browser's
    EventSource resumes after the last event it saw, missing none. The stream ends after
    GRID_EVENT_STREAM_SECONDS (the browser reconnects by itself). An area key's stream keeps
    to its area (another area asked for is a 403)."""
    actions = _actions(types)
    position, reset, area = await run_in_threadpool(_start, last_event_id, area, reach(request))
    feed = services(request).feed
    owner = get_actor(request)
    feed.check(owner)   # a 503 now, rather than a stream that ends at once
    closes_at = time.monotonic() + get_settings().limits.event_stream_seconds

    def wanted(row: dict) -> bool:
        return row["action"] in actions and (area is None or area_holds(area, row["grid_code"]))

    async def messages() -> AsyncIterator[str]:
        nonlocal position
        listener = await feed.listen(owner)   # before the first take: a change from now on rings it
        try:
            yield f"retry: {RECONNECT_MS}\n\n"
            yield _message("reset" if reset else "ready", "{}", position.id if position else None)
            while (left := closes_at - time.monotonic()) > 0:
                listener.clear()
                taken = feed.since(position)
                if taken is None:   # older than the feed's memory: this stream reads the database
                    found, position = await read_backlog(position, area=area, actions=actions)
                else:
                    found, position = [row for row in taken[0] if wanted(row)], taken[1]
                for row in found:
                    yield _message("incident", StreamedEvent(**row).model_dump_json(), row["id"])
                if taken is None and len(found) == stream.BATCH:
                    continue   # more waiting
                if not await listener.wait(min(HEARTBEAT_SECONDS, left)):
                    yield ": still here\n\n"
        finally:
            feed.leave(listener)

    return StreamingResponse(messages(), media_type=MEDIA_TYPE,
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _message_schema(event: str, data: dict) -> dict:
    """One server-sent message as OpenAPI describes an event-stream item: its fields, `data` as JSON text."""
    return {"type": "object", "required": ["event", "data"],
            "properties": {"event": {"const": event}, "id": {"type": "string", "pattern": "^[0-9]+$"},
                           "data": {"type": "string", "contentMediaType": "application/json",
                                    "contentSchema": data}}}


def document(schema: dict) -> None:
    """The stream's answer is only ``text/event-stream``, each message described field by field
    (FastAPI would document the model as JSON)."""
    content = schema["paths"]["/events"]["get"]["responses"]["200"]["content"]
    content.pop("application/json", None)
    content[MEDIA_TYPE] = {"schema": {"oneOf": [
        _message_schema("incident", {"$ref": "#/components/schemas/StreamedEvent"}),
        _message_schema("ready", {"type": "object"}),
        _message_schema("reset", {"type": "object"})]}}
