"""Patrol check-ins of grid workers (巡查签到)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_session
from api.params import known_query, not_in_future
from api.problems import answers
from api.schemas.common import Lat, Lon
from api.security import Reached
from api.state import index_cache
from geo.areas.locate_index import IndexCache
from geo.incidents.service import EVERY_INCIDENT
from geo.patrols import service
from geo.text import PlainText

router = APIRouter(prefix="/patrols", tags=["patrols"])


class CheckinCreate(BaseModel):
    """Where (WGS-84, from the phone) and when the worker was: ``at`` may be earlier than the
    sending, for a check-in made with no signal."""

    lon: Lon
    lat: Lat
    at: Annotated[AwareDatetime, AfterValidator(not_in_future)]
    note: PlainText | None = Field(None, max_length=500)


class Checkin(BaseModel):
    id: int
    grid_code: str
    actor: str
    lon: float
    lat: float
    note: str | None
    at: datetime
    received_at: datetime


class Checkins(BaseModel):
    items: list[Checkin]


@router.post("", status_code=201, response_model=Checkin, responses={200: {"model": Checkin, "description":
                                                                           "the check-in sent before with this key"}})
def check_in(body: CheckinCreate, response: Response, session: Transaction, actor: Annotated[str, Depends(get_actor)],
             indexes: Annotated[IndexCache, Depends(index_cache)], reached: Reached = EVERY_INCIDENT,
             idempotency_key: Annotated[str | None, Header(min_length=8, max_length=200)] = None) -> dict:
    """A check-in in the grid holding the place (a grid worker's own grid only)."""
    found, created = service.check_in(session, indexes, lon=body.lon, lat=body.lat, at=body.at, note=body.note,
                                      actor=actor, reach=reached, idempotency_key=idempotency_key)
    response.status_code = 201 if created else 200
    return found


@router.get("", response_model=Checkins, dependencies=[Depends(known_query)], responses=answers(404))
def checkins(session: Annotated[Session, Depends(get_session)], reached: Reached = EVERY_INCIDENT,
             area: Annotated[str | None, Query(description="a district, town, village or grid code")] = None,
             since: AwareDatetime | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    """Check-ins, newest first: of the area asked (a grid worker's own by default)."""
    return {"items": service.checkins(session, area=reached.area_asked(session, area), since=since, limit=limit)}
