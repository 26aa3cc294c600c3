"""Incidents: registration, dispatch, escalation, the mediation lifecycle, deadlines."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_session
from api.params import Moment, Offset, known_query, parse_bbox
from api.problems import answers
from api.schemas.incidents import (CountLevel, DeclineRequest, DispatchRequest, EscalateRequest, Escalated, ExtendRequest, Group,
                                   IncidentCounts, IncidentCreate, IncidentDetail, IncidentGroups, IncidentList, Mark,
                                   ResponsibleLevel, Sort, Source, Stage, Status, TransitionRequest)
from api.security import Reached, redact, sees_personal_data
from api.state import index_cache
from geo.areas.locate_index import IndexCache
from geo.crs import Datum
from geo.errors import Forbidden, Invalid
from geo.i18n import label
from geo.incidents import service
from geo.mediation import service as mediators
from geo.mediation.categories import Category, Severity

router = APIRouter(prefix="/incidents", tags=["incidents"])
PERSONAL = ("reporter_name", "reporter_phone", "parties", "mediator_phone", "media_url", "source_ref")
# The incidents the caller reaches (a mediator key its mediator's, an area key its area's):
# the others are as if they did not exist (api.security.Reached).


@router.post("", status_code=201, response_model=IncidentDetail, responses={200: {
    "model": IncidentDetail, "description": "The incident registered before with this Idempotency-Key and body"}})
def create_incident(response: Response, session: Transaction,
                    actor: Annotated[str, Depends(get_actor)], indexes: Annotated[IndexCache, Depends(index_cache)],
                    body: IncidentCreate,
                    idempotency_key: Annotated[str | None, Header(min_length=8, max_length=200)] = None,
                    dispatch: bool = Query(True, description="dispatch the nearest eligible mediator at once"),
                    crs: Datum = Datum.WGS84, reached: Reached = service.EVERY_INCIDENT) -> dict:
    """Register an incident: its area chain, the responsible level and the rule that chose it.

    The same ``Idempotency-Key`` with the same body returns the same incident (200);
    with a different body, 422. An area key registers incidents of its area only (403)."""
    incident, created = service.create(session, indexes, body.model_dump(mode="json"), datum=crs,
                                       idempotency_key=idempotency_key, actor=actor, dispatch=dispatch)
    if not reached.holds(incident["area_chain"]["grid"]):   # the transaction rolls back: nothing is written
        raise Forbidden("this key registers incidents in area {area} only; the place is in {village}",
                        field="lon", area=reached.area, village=incident["area_names"]["village"])
    if not created:
        response.status_code = 200
    return incident


def incident_filters(session: Annotated[Session, Depends(get_session)],
                     area: Annotated[str | None, Query(description="an area code in force: its incidents")] = None,
                     bbox: Annotated[str | None, Query(description="west,south,east,north in crs")] = None,
                     since: Moment | None = None, until: Moment | None = None,
                     status: Status | None = None, category: Category | None = None, severity: Severity | None = None,
                     level: Annotated[ResponsibleLevel | None, Query(description="the responsible level")] = None,
                     mediator_id: Annotated[int | None, Query(gt=0, description="the assigned mediator")] = None,
                     unassigned: Annotated[bool | None, Query(description="open disputes with no mediator")] = None,
                     group: Annotated[Group | None, Query(description="the queue group")] = None,
                     stage: Stage | None = None, deadline_mark: Mark | None = None,
                     overdue: Annotated[bool | None, Query(description="the stage's time is up")] = None,
                     closed: Annotated[bool | None, Query(description="no stage's time runs any more (concluded, "
                                                                      "archived, with the police)")] = None,
                     source: Annotated[Source | None, Query(description="where the cases came from")] = None,
                     crs: Datum = Datum.WGS84, reached: Reached = service.EVERY_INCIDENT) -> dict:
    """The filters of the incident lists; an area or mediator that does not exist is a 404.
    A mediator key lists only its mediator's cases; an area key, its area's (by default) or
    those of an area within it (another is a 403)."""
    area = reached.area_asked(session, area)
    if reached.by_mediator:
        mediator_id = reached.mediator_id
    elif mediator_id is not None:
        mediators.get(session, mediator_id)
    return {"area": area, "bbox": parse_bbox(bbox, crs), "since": since, "until": until, "status": status,
            "category": category and category.value, "severity": severity and severity.value, "level": level,
            "mediator_id": mediator_id, "unassigned": unassigned, "group": group, "stage": stage,
            "deadline_mark": deadline_mark, "overdue": overdue, "closed": closed, "source": source}


Filters = Annotated[dict, Depends(incident_filters)]



@router.get("", response_model=IncidentList, response_model_exclude_unset=True, dependencies=[Depends(known_query)],
            responses=answers(404))
def list_incidents(session: Annotated[Session, Depends(get_session)], filters: Filters,
                   sort: Annotated[Sort, Query(description="due_at: the stage's deadline, soonest first; "
                                                           "registered_at: oldest first; '-': the reverse")]
                   = "-registered_at",
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0,
                   crs: Datum = Datum.WGS84, personal: Annotated[bool, Depends(sees_personal_data)] = False,
                   reached: Reached = service.EVERY_INCIDENT) -> dict:
    """Incidents, newest first unless ``sort`` says otherwise; reporters' names and phones and
    mediators' phones only for dispatchers and admins."""
    total, items = service.list_incidents(session, limit=limit, offset=offset, sort=sort, datum=crs,
                                          by_mediator=reached.by_mediator, **filters)
    return {"total": total, "limit": limit, "offset": offset, "items": redact(items, PERSONAL, personal)}


@router.get("/groups", response_model=IncidentGroups, dependencies=[Depends(known_query)], responses=answers(404))
def groups(session: Annotated[Session, Depends(get_session)], filters: Filters) -> dict:
    """The dispatcher's queue: how many incidents matching the filters are overdue, due soon,
    unassigned, new, in mediation, in follow-up, with the police, closed."""
    counts = service.group_counts(session, **filters)
    return {"total": sum(counts.values()),
            "items": [{"group": g, "label": label("group", g), "count": n} for g, n in counts.items()]}


@router.get("/counts", response_model=IncidentCounts, dependencies=[Depends(known_query)])
def counts(session: Annotated[Session, Depends(get_session)],
           level: CountLevel = "town",
           parent: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None) -> dict:
    """Open, overdue and total incidents per area of a level."""
    return {"level": level, "items": service.counts_by_area(session, level=level, parent=parent)}


@router.post("/escalate-overdue", response_model=Escalated)
def escalate_overdue(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                     reached: Reached = service.EVERY_INCIDENT) -> dict:
    """Send general cases not concluded in time from the village up to the town centre (an
    area key: those of its area)."""
    return {"escalated": service.escalate_overdue(session, actor=actor, reach=reached)}


@router.get("/{incident_id}", response_model=IncidentDetail, response_model_exclude_unset=True)
def get_incident(session: Annotated[Session, Depends(get_session)], incident_id: int, crs: Datum = Datum.WGS84,
                 personal: Annotated[bool, Depends(sees_personal_data)] = False,
                 reached: Reached = service.EVERY_INCIDENT) -> dict:
    """One incident with its events; reporters' names and phones only for dispatchers and admins
    (and a mediator, of their own cases: the only ones they reach)."""
    return redact(service.get(session, incident_id, crs, reach=reached), PERSONAL, personal)


@router.post("/{incident_id}/dispatch", response_model=IncidentDetail, responses=answers(409))
def dispatch(session: Transaction, actor: Annotated[str, Depends(get_actor)],
             incident_id: int, body: DispatchRequest, crs: Datum = Datum.WGS84,
             reached: Reached = service.EVERY_INCIDENT) -> dict:
    """Auto: the nearest eligible mediator at the responsible level (escalating when nobody is).
    Manual: the dispatcher's choice with a reason. On an assigned incident this reassigns."""
    if body.mode == "manual":
        if body.mediator_id is None or not body.reason:
            raise Invalid("a manual dispatch names the mediator and a reason", field="mediator_id" if
                          body.mediator_id is None else "reason")
        service.manual_dispatch(session, incident_id, mediator_id=body.mediator_id, reason=body.reason, actor=actor,
                                reach=reached)
    else:
        service.auto_dispatch(session, incident_id, actor=actor, reach=reached)
    return service.get(session, incident_id, crs)


@router.post("/{incident_id}/transitions", response_model=IncidentDetail, responses=answers(409))
def transition(session: Transaction, actor: Annotated[str, Depends(get_actor)],
               incident_id: int, body: TransitionRequest, crs: Datum = Datum.WGS84,
               reached: Reached = service.EVERY_INCIDENT) -> dict:
    """One step of the lifecycle; an illegal step is 409 naming the allowed ones."""
    return service.transition(session, incident_id, to=body.to, actor=actor, note=body.note,
                              agreement_form=body.agreement_form, routes=body.routes, datum=crs, reach=reached)


@router.post("/{incident_id}/decline", response_model=IncidentDetail, responses=answers(409))
def decline(session: Transaction, actor: Annotated[str, Depends(get_actor)],
            incident_id: int, body: DeclineRequest, crs: Datum = Datum.WGS84,
            reached: Reached = service.EVERY_INCIDENT) -> dict:
    """The mediator hands a case dispatched to them, not yet accepted, back to the dispatchers
    with a reason; it waits unassigned (409 once accepted: then escalate or conclude it)."""
    return service.decline(session, incident_id, reason=body.reason, actor=actor, datum=crs, reach=reached)


@router.post("/{incident_id}/escalate", response_model=IncidentDetail, responses=answers(409))
def escalate(session: Transaction, actor: Annotated[str, Depends(get_actor)],
             incident_id: int, body: EscalateRequest, crs: Datum = Datum.WGS84,
             reached: Reached = service.EVERY_INCIDENT) -> dict:
    return service.escalate(session, incident_id, reason=body.reason, actor=actor, datum=crs, reach=reached)


@router.post("/{incident_id}/extend", response_model=IncidentDetail, responses=answers(409))
def extend(session: Transaction, actor: Annotated[str, Depends(get_actor)],
           incident_id: int, body: ExtendRequest, crs: Datum = Datum.WGS84,
           reached: Reached = service.EVERY_INCIDENT) -> dict:
    """More time, only with the parties' recorded agreement."""
    return service.extend(session, incident_id, days=body.days, agreement=body.agreement, actor=actor, datum=crs,
                          reach=reached)
