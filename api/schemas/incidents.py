"""Incidents: what a registration, a dispatch or a lifecycle step sends, and what comes back."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from api.params import AwareMoment, not_in_future
from api.schemas.common import AreaRef, Geometry, LabelField, Labelled, Lat, Lon, Page, by_label
from geo.incidents.deadlines import GROUPS, MARKS, STAGES
from geo.incidents.models import ACTIONS, ROUTES, SOURCES, STATUSES
from geo.incidents.service import COUNT_LEVELS, LEVEL_AREA, SORTS
from geo.mediation.categories import Category, Severity
from geo.mediation.policy import rule_label
from geo.text import FilledText, PlainName, PlainText

Status = Annotated[Literal[STATUSES], by_label("status", STATUSES)]   # the code, or its label
Route = Literal[ROUTES]
Source = Annotated[Literal[SOURCES], by_label("source", SOURCES)]
SOURCE = ("where the case came from (来源): grid_worker (网格员上报), hotline (12345), portal (a portal or "
          "mini-program), video (a Sharp Eyes camera), assigned (from a higher level), walk_in (a visit to the centre)")
AgreementForm = Literal["written", "oral"]
ResponsibleLevel = Literal[tuple(LEVEL_AREA)]
CountLevel = Literal[tuple(COUNT_LEVELS)]
Stage = Annotated[Literal[STAGES], by_label("stage", STAGES)]
Mark = Annotated[Literal[MARKS], by_label("mark", MARKS)]
Group = Annotated[Literal[GROUPS], by_label("group", GROUPS)]
Sort = Literal[tuple(SORTS)]
EventAction = Literal[ACTIONS]
PERSONAL = "personal data: sent to dispatchers and admins only, absent for other roles"


PartyRole = Literal["applicant", "respondent", "other"]


class PartyRead(BaseModel):
    """One party to a dispute as stored: shown as it is, whatever rules a registration had then."""

    role: str = Field(description="applicant (申请人), respondent (被申请人) or other")
    name: str
    phone: str | None = None


class Party(PartyRead):
    """One party to a dispute, as the mediation application records them (personal data)."""

    role: PartyRole = Field(description="applicant (申请人), respondent (被申请人) or other")
    name: PlainName = Field(max_length=100)
    phone: str | None = Field(None, pattern=r"^\+?\d{5,20}$")


class IncidentCreate(BaseModel):
    """A new incident, at a position in the request's ``crs``."""

    lon: Lon
    lat: Lat
    category: Category
    severity: Severity
    description: FilledText = Field(min_length=1, max_length=5000)
    occurred_at: Annotated[AwareMoment, AfterValidator(not_in_future)]
    reporter_name: PlainName | None = Field(None, max_length=100, description="personal data")
    reporter_phone: str | None = Field(None, pattern=r"^\+?\d{5,20}$", description="personal data")
    parties: list[Party] | None = Field(None, max_length=20, description="the dispute's parties; personal data")
    source: Source = Field("walk_in", description=SOURCE)
    source_ref: PlainName | None = Field(
        None, max_length=64, description="the source's own reference: the 12345 ticket number (required for hotline), "
                                         "the camera's GB/T 28181 id (required for video, a camera of ours), the "
                                         "assignment's number, the portal's request id")
    related_positions: list[tuple[Lon, Lat]] = Field(
        default_factory=list, max_length=20,
        description="other places the dispute involves (parties' homes...): spanning villages or towns raises the level")


class DispatchRequest(BaseModel):
    """Auto (the nearest eligible mediator) or manual (a named mediator, with a reason)."""

    mode: Literal["auto", "manual"] = "auto"
    mediator_id: int | None = Field(None, gt=0)
    reason: PlainText | None = Field(None, min_length=3, max_length=1000)


class TransitionRequest(BaseModel):
    """One step of the mediation lifecycle."""

    to: Status
    note: PlainText | None = Field(None, max_length=2000)
    agreement_form: AgreementForm | None = None
    routes: list[Route] | None = None


class EscalateRequest(BaseModel):
    reason: PlainText = Field(min_length=3, max_length=1000)


class ExtendRequest(BaseModel):
    days: int = Field(gt=0, le=90)
    agreement: PlainText = Field(min_length=3, max_length=1000, description="the parties' recorded agreement to extend")


class DeclineRequest(BaseModel):
    reason: PlainText = Field(min_length=2, max_length=1000,
                              description="why the mediator hands the case back (a conflict of interest, away...)")


class IncidentAreaChain(BaseModel):
    """The codes of the areas holding the incident, district down to grid."""

    district: str
    town: str
    village: str
    grid: str


class IncidentAreaNames(BaseModel):
    """The names of the areas holding the incident (null where an area is no longer in force)."""

    district: str | None
    town: str | None
    village: str | None
    grid: str | None


class IncidentRead(Labelled):
    """An incident, its place in the area hierarchy, its responsible level and status."""

    LABELS = {"category": "category", "severity": "severity", "status": "status", "responsible_level": "level",
              "stage": "stage", "deadline_mark": "mark", "group": "group", "source": "source"}
    id: int
    category: Category
    category_label: str | None = LabelField("category")
    severity: Severity
    severity_label: str | None = LabelField("severity")
    status: Status
    status_label: str | None = LabelField("status")
    occurred_at: datetime
    registered_at: datetime
    due_at: datetime = Field(description="when mediation must be concluded (extensions included)")
    concluded_at: datetime | None
    description: str
    reporter_name: str | None = Field(None, description=PERSONAL)
    reporter_phone: str | None = Field(None, description=PERSONAL)
    parties: list[PartyRead] | None = Field(None, description=PERSONAL)
    district_code: str
    town_code: str
    village_code: str
    grid_code: str
    responsible_level: ResponsibleLevel
    responsible_level_label: str | None = LabelField("responsible_level")
    responsible_rule: str = Field(description="the escalation-policy rule that chose the level, and any escalations")
    responsible_rule_label: str | None = Field(None, description="`responsible_rule` in the request's language")
    mediator_id: int | None
    mediator_name: str | None = Field(None, description="the assigned mediator")
    mediator_phone: str | None = Field(None, description="the assigned mediator's phone; " + PERSONAL)
    spans: Literal["villages", "towns"] | None = Field(description="whether the related positions span several areas")
    agreement_form: AgreementForm | None
    agreement_at: datetime | None
    termination_routes: list[Route] | None = Field(description="where a terminated mediation pointed the parties")
    source: Source = Field(description=SOURCE)
    source_label: str | None = LabelField("source")
    source_ref: str | None = Field(None, description="the source's own reference (ticket, camera id, assignment "
                                                     "number); " + PERSONAL)
    media_url: str | None = Field(None, description="a photo or document the filer pointed to; " + PERSONAL)
    stage: Stage | None = Field(description="the stage whose time limit runs: accept, conclude, follow up (null: none)")
    stage_label: str | None = LabelField("stage")
    stage_started_at: datetime | None = Field(description="when the stage began")
    stage_due_at: datetime | None = Field(description="when the stage's time is up (the policy's limits)")
    deadline_mark: Mark | None = Field(description="green; yellow once the policy's share of the stage's time is used; "
                                                   "red when it is up (null: no time limit runs)")
    deadline_mark_label: str | None = LabelField("deadline_mark")
    group: Group = Field(description="the dispatcher's queue group the case is in")
    group_label: str | None = LabelField("group")
    overdue: bool = Field(description="the stage's time is up (deadline_mark red)")
    position: Geometry = Field(description="a Point in the request's crs")
    area_chain: IncidentAreaChain
    area_names: IncidentAreaNames
    next_statuses: list[Status] = Field(description="the lifecycle steps open to the incident now")

    @model_validator(mode="after")
    def _rule_labelled(self):
        self.responsible_rule_label = rule_label(self.responsible_rule)
        return self


class IncidentEvent(BaseModel):
    """One audited step of an incident."""

    at: datetime
    actor: str
    action: EventAction
    from_status: Status | None
    to_status: Status | None
    details: dict[str, Any] | None
    note: str | None


class IncidentDetail(IncidentRead):
    """An incident with its events, oldest first."""

    events: list[IncidentEvent]


IncidentList = Page[IncidentRead]


class StreamedEvent(Labelled):
    """One message of ``GET /events`` (``event: incident``, its ``id`` the event's): the step,
    and the incident as it is now. No personal data and no note: fetch the incident for those."""

    LABELS = {"action": "action", "status": "status", "group": "group", "deadline_mark": "mark"}
    id: int = Field(description="the event's id: send it back as Last-Event-ID to resume after it")
    incident_id: int
    at: datetime
    actor: str
    action: EventAction
    action_label: str | None = LabelField("action")
    from_status: Status | None
    to_status: Status | None
    status: Status = Field(description="the incident's status now")
    status_label: str | None = LabelField("status")
    category: Category
    severity: Severity
    district_code: str
    town_code: str
    village_code: str
    grid_code: str
    mediator_id: int | None
    stage_due_at: datetime | None
    deadline_mark: Mark | None
    deadline_mark_label: str | None = LabelField("deadline_mark")
    group: Group
    group_label: str | None = LabelField("group")


class AreaIncidentCount(AreaRef):
    open: int
    overdue: int
    total: int


class IncidentCounts(BaseModel):
    """Open, overdue and all incidents per area of a level (areas without incidents left out)."""

    level: CountLevel
    items: list[AreaIncidentCount]


class GroupCount(BaseModel):
    group: Group
    label: str
    count: int = Field(ge=0)


class IncidentGroups(BaseModel):
    """How many incidents matching the filters are in each queue group, in queue order."""

    total: int = Field(ge=0)
    items: list[GroupCount]


class Escalated(BaseModel):
    escalated: list[int] = Field(description="ids of the incidents sent up, in order")
