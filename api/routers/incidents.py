"""Incidents: registration, dispatch, escalation, the mediation lifecycle, deadlines."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlalchemy.orm import Session

from api.dependencies import get_actor, get_session, get_transaction
from api.params import Moment, Offset, parse_bbox
from api.problems import answers
from api.schemas.incidents import (CountLevel, DispatchRequest, EscalateRequest, Escalated, ExtendRequest, IncidentCounts,
                                   IncidentCreate, IncidentDetail, IncidentList, Status, TransitionRequest)
from api.security import redact, sees_personal_data
from api.state import index_cache
from geo.areas.locate_index import IndexCache
from geo.crs import Datum
from geo.errors import Invalid
from geo.incidents import service
from geo.mediation.categories import Category

router = APIRouter(prefix="/incidents", tags=["incidents"])
PERSONAL = ("reporter_name", "reporter_phone")


@router.post("", status_code=201, response_model=IncidentDetail, responses={200: {
    "model": IncidentDetail, "description": "The incident registered before with this Idempotency-Key and body"}})
def create_incident(response: Response, session: Annotated[Session, Depends(get_transaction)],
                    actor: Annotated[str, Depends(get_actor)], indexes: Annotated[IndexCache, Depends(index_cache)],
                    body: IncidentCreate,
                    idempotency_key: Annotated[str | None, Header(min_length=8, max_length=200)] = None,
                    dispatch: bool = Query(True, description="dispatch the nearest eligible mediator at once"),
                    crs: Datum = Datum.WGS84) -> dict:
    """Register an incident: its area chain, the responsible level and the rule that chose it.

    The same ``Idempotency-Key`` with the same body returns the same incident (200);
    with a different body, 422."""
    incident, created = service.create(session, indexes, body.model_dump(mode="json"), datum=crs,
                                       idempotency_key=idempotency_key, actor=actor, dispatch=dispatch)
    if not created:
        response.status_code = 200
    return incident


@router.get("", response_model=IncidentList, response_model_exclude_unset=True)
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


@router.get("/counts", response_model=IncidentCounts)
def counts(session: Annotated[Session, Depends(get_session)],
           level: CountLevel = "town",
           parent: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None) -> dict:
    """Open, overdue and total incidents per area of a level."""
    return {"level": level, "items": service.counts_by_area(session, level=level, parent=parent)}


@router.post("/escalate-overdue", response_model=Escalated)
def escalate_overdue(session: Annotated[Session, Depends(get_transaction)],
                     actor: Annotated[str, Depends(get_actor)]) -> dict:
    """Send general cases not concluded in time from the village up to the town centre."""
    return {"escalated": service.escalate_overdue(session, actor=actor)}


@router.get("/{incident_id}", response_model=IncidentDetail, response_model_exclude_unset=True)
def get_incident(session: Annotated[Session, Depends(get_session)], incident_id: int, crs: Datum = Datum.WGS84,
                 personal: Annotated[bool, Depends(sees_personal_data)] = False) -> dict:
    """One incident with its events; reporters' names and phones only for dispatchers and admins."""
    return redact(service.get(session, incident_id, crs), PERSONAL, personal)


@router.post("/{incident_id}/dispatch", response_model=IncidentDetail, responses=answers(409))
def dispatch(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
             incident_id: int, body: DispatchRequest, crs: Datum = Datum.WGS84) -> dict:
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


@router.post("/{incident_id}/transitions", response_model=IncidentDetail, responses=answers(409))
def transition(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
               incident_id: int, body: TransitionRequest, crs: Datum = Datum.WGS84) -> dict:
    """One step of the lifecycle; an illegal step is 409 naming the allowed ones."""
    return service.transition(session, incident_id, to=body.to, actor=actor, note=body.note,
                              agreement_form=body.agreement_form, routes=body.routes, datum=crs)


@router.post("/{incident_id}/escalate", response_model=IncidentDetail, responses=answers(409))
def escalate(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
             incident_id: int, body: EscalateRequest, crs: Datum = Datum.WGS84) -> dict:
    return service.escalate(session, incident_id, reason=body.reason, actor=actor, datum=crs)


@router.post("/{incident_id}/extend", response_model=IncidentDetail, responses=answers(409))
def extend(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
           incident_id: int, body: ExtendRequest, crs: Datum = Datum.WGS84) -> dict:
    """More time, only with the parties' recorded agreement."""
    return service.extend(session, incident_id, days=body.days, agreement=body.agreement, actor=actor, datum=crs)
