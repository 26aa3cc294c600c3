"""Incidents: registration, dispatch, escalation, the mediation lifecycle, deadlines."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, Field, FiniteFloat
from sqlalchemy.orm import Session

from api.dependencies import get_actor, get_session, get_transaction
from api.params import AwareMoment, Moment, Offset, parse_bbox
from api.security import redact, sees_personal_data
from geo.crs import Datum
from geo.errors import Invalid
from geo.incidents import service
from geo.incidents.models import ROUTES
from geo.incidents.service import TRANSITIONS
from geo.mediation.categories import Category, Severity
from geo.text import PlainName, PlainText

router = APIRouter(prefix="/incidents", tags=["incidents"])
PERSONAL = ("reporter_name", "reporter_phone")
Lon = Annotated[FiniteFloat, Field(ge=-180, le=180)]
Lat = Annotated[FiniteFloat, Field(ge=-90, le=90)]
Status = Literal[tuple(TRANSITIONS)]


class IncidentIn(BaseModel):
    lon: Lon
    lat: Lat
    category: Category
    severity: Severity
    description: PlainText = Field(min_length=1, max_length=5000)
    occurred_at: AwareMoment
    reporter_name: PlainName | None = Field(None, max_length=100, description="personal data")
    reporter_phone: str | None = Field(None, pattern=r"^\+?\d{5,20}$", description="personal data")
    related_positions: list[tuple[Lon, Lat]] = Field(
        default_factory=list, max_length=20,
        description="other places the dispute involves (parties' homes...): spanning villages or towns raises the level")


class DispatchIn(BaseModel):
    mode: Literal["auto", "manual"] = "auto"
    mediator_id: int | None = Field(None, gt=0)
    reason: PlainText | None = Field(None, min_length=3, max_length=1000)


class TransitionIn(BaseModel):
    to: Status
    note: PlainText | None = Field(None, max_length=2000)
    agreement_form: Literal["written", "oral"] | None = None
    routes: list[Literal[ROUTES]] | None = None


class EscalateIn(BaseModel):
    reason: PlainText = Field(min_length=3, max_length=1000)


class ExtendIn(BaseModel):
    days: int = Field(gt=0, le=90)
    agreement: PlainText = Field(min_length=3, max_length=1000, description="the parties' recorded agreement to extend")


@router.post("", status_code=201)
def create_incident(response: Response, session: Annotated[Session, Depends(get_transaction)],
                    actor: Annotated[str, Depends(get_actor)], body: IncidentIn,
                    idempotency_key: Annotated[str | None, Header(min_length=8, max_length=200)] = None,
                    dispatch: bool = Query(True, description="dispatch the nearest eligible mediator at once"),
                    crs: Datum = Datum.WGS84) -> dict:
    """Register an incident: its area chain, the responsible level and the rule that chose it.

    The same ``Idempotency-Key`` with the same body returns the same incident (200);
    with a different body, 422."""
    incident, created = service.create(session, body.model_dump(mode="json"), datum=crs,
                                       idempotency_key=idempotency_key, actor=actor, dispatch=dispatch)
    if not created:
        response.status_code = 200
    return incident


@router.get("")
def list_incidents(session: Annotated[Session, Depends(get_session)],
                   area: Annotated[str | None, Query(pattern=r"^\d{6,15}$")] = None,
                   bbox: Annotated[str | None, Query(description="west,south,east,north in crs")] = None,
                   since: Moment | None = None, until: Moment | None = None,
                   status: Status | None = None, category: Category | None = None, overdue: bool | None = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0,
                   crs: Datum = Datum.WGS84, personal: Annotated[bool, Depends(sees_personal_data)] = False) -> dict:
    """Incidents, newest first; reporters' names and phones only for dispatchers and admins."""
    total, items = service.list_incidents(session, area=area, bbox=parse_bbox(bbox, crs), since=since, until=until, status=status,
                                          category=category and category.value, overdue=overdue, limit=limit,
                                          offset=offset, datum=crs)
    return {"total": total, "limit": limit, "offset": offset, "items": redact(items, PERSONAL, personal)}


@router.get("/counts")
def counts(session: Annotated[Session, Depends(get_session)],
           level: Literal["district", "town", "village", "grid"] = "town",
           parent: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None) -> dict:
    """Open, overdue and total incidents per area of a level."""
    return {"level": level, "items": service.counts_by_area(session, level=level, parent=parent)}


@router.post("/escalate-overdue")
def escalate_overdue(session: Annotated[Session, Depends(get_transaction)],
                     actor: Annotated[str, Depends(get_actor)]) -> dict:
    """Send general cases not concluded in time from the village up to the town centre."""
    return {"escalated": service.escalate_overdue(session, actor=actor)}


@router.get("/{incident_id}")
def get_incident(session: Annotated[Session, Depends(get_session)], incident_id: int, crs: Datum = Datum.WGS84,
                 personal: Annotated[bool, Depends(sees_personal_data)] = False) -> dict:
    """One incident with its events; reporters' names and phones only for dispatchers and admins."""
    return redact(service.get(session, incident_id, crs), PERSONAL, personal)


@router.post("/{incident_id}/dispatch")
def dispatch(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
             incident_id: int, body: DispatchIn, crs: Datum = Datum.WGS84) -> dict:
    """Auto: the nearest eligible mediator at the responsible level (escalating when nobody is).
    Manual: the dispatcher's choice with a reason. On an assigned incident this reassigns."""
    if body.mode == "manual":
        if body.mediator_id is None or not body.reason:
            raise Invalid("a manual dispatch names the mediator and a reason", field="mediator_id" if
                          body.mediator_id is None else "reason")
        service.manual_dispatch(session, incident_id, mediator_id=body.mediator_id, reason=body.reason, actor=actor)
    else:
        service.auto_dispatch(session, incident_id, actor=actor)
    return service.get(session, incident_id, crs)


@router.post("/{incident_id}/transitions")
def transition(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
               incident_id: int, body: TransitionIn, crs: Datum = Datum.WGS84) -> dict:
    """One step of the lifecycle; an illegal step is 409 naming the allowed ones."""
    return service.transition(session, incident_id, to=body.to, actor=actor, note=body.note,
                              agreement_form=body.agreement_form, routes=body.routes, datum=crs)


@router.post("/{incident_id}/escalate")
def escalate(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
             incident_id: int, body: EscalateIn, crs: Datum = Datum.WGS84) -> dict:
    return service.escalate(session, incident_id, reason=body.reason, actor=actor, datum=crs)


@router.post("/{incident_id}/extend")
def extend(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
           incident_id: int, body: ExtendIn, crs: Datum = Datum.WGS84) -> dict:
    """More time, only with the parties' recorded agreement."""
    return service.extend(session, incident_id, days=body.days, agreement=body.agreement, actor=actor, datum=crs)
