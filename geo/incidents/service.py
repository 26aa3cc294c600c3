"""Incidents: registration (idempotent), the responsible level, dispatch, escalation,
the mediation lifecycle and its deadlines. Every step is an audited event."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.areas.locate import describe, located_inside
from geo.areas.locate_index import IndexCache
from geo.areas.service import area_in_force
from geo.audit.service import record
from geo.changes import announce
from geo.crs import Datum, point, to_wgs84
from geo.i18n import N_
from geo.errors import Conflict, Forbidden, Invalid, NotFound
from geo.incidents import deadlines
from geo.codes import CodeError, parse_camera_id
from geo.incidents.models import REFERENCE_NEEDED, ROUTES
from geo.incidents.statuses import OPEN, STATUSES
from geo.mediation import service as mediators
from geo.mediation.categories import MEDIATED_SQL, is_mediated
from geo.mediation.policy import get_policy, next_level
from geo.webhooks import service as webhooks

TRANSITIONS = {
    "registered": {"accepted", "refused", "escalated"},
    "escalated": {"accepted", "refused", "escalated"},
    "accepted": {"mediating", "refused", "escalated"},
    "mediating": {"agreement", "terminated", "escalated"},
    "agreement": {"follow_up", "confirmation_requested"},
    "follow_up": {"confirmation_requested", "archived"},
    "confirmation_requested": {"archived"},
    "terminated": {"archived"},
    "refused": {"archived"},
    "archived": set(),
}
MEDIATED = MEDIATED_SQL.format(alias="i.")
PLACED_STEPS = {"registered": {"referred"}, "referred": {"archived"}, "archived": set()}   # public-safety events
CENTRE_STEPS = frozenset({"escalated"})
"""Steps the centre takes, not the mediator: a mediator who cannot settle a case at its level
hands it back or ends the mediation, and the dispatchers push it up (矛盾不上交 is their call)."""
NEEDS_MEDIATOR = frozenset({"accepted", "mediating", "agreement", "terminated"})   # steps a mediator takes
CONFIRMATION_WINDOW = timedelta(days=30)   # People's Mediation Law art. 33
LEVEL_AREA = {"village": "village_code", "town": "town_code", "district": "district_code", "industry": "village_code"}

_COLUMNS = f"""i.id, i.category, i.severity, i.status, i.occurred_at, i.registered_at, i.due_at, i.concluded_at,
    i.description, i.reporter_name, i.reporter_phone, i.parties, ST_X(i.position) AS lon, ST_Y(i.position) AS lat,
    i.district_code, i.town_code, i.village_code, i.grid_code, i.responsible_level, i.responsible_rule,
    i.mediator_id, m.name AS mediator_name, m.phone AS mediator_phone, i.spans, i.agreement_form, i.agreement_at,
    i.termination_routes, i.channel AS source, i.channel_ref AS source_ref, i.media_url,
    {deadlines.stage_sql('i.')} AS stage, i.stage_started_at, i.stage_due_at,
    {deadlines.mark_sql('i.')} AS deadline_mark, {deadlines.group_sql('i.')} AS "group",
    {deadlines.overdue_sql('i.')} AS overdue,
    (SELECT name FROM areas_now WHERE code = i.district_code) AS district_name,
    (SELECT name FROM areas_now WHERE code = i.town_code) AS town_name,
    (SELECT name FROM areas_now WHERE code = i.village_code) AS village_name,
    (SELECT name FROM areas_now WHERE code = i.grid_code) AS grid_name"""
_FROM = "incidents i LEFT JOIN mediators m ON m.id = i.mediator_id"
CHAIN = ("district", "town", "village", "grid")
_PRESENTED_OTHERWISE = frozenset({"lon", "lat", *(f"{level}_name" for level in CHAIN)})   # as position, area_names
_IN_AREA = "left(i.grid_code, length(:{name})) = :{name}"   # area codes prefix their grids' codes (area_holds)


@dataclass(frozen=True)
class Reach:
    """The incidents a caller reaches: a mediator key its mediator's (and takes the mediator's
    steps, not the CENTRE_STEPS), an area key those in its area; neither: every incident."""

    mediator_id: int | None = None
    area: str | None = None

    @property
    def by_mediator(self) -> bool:
        return self.mediator_id is not None

    def sql(self) -> tuple[str, dict]:
        """The condition on incidents ``i`` that keeps to this reach, and its parameters."""
        where, params = ["true"], {}
        if self.mediator_id is not None:
            where.append("i.mediator_id = :reach_mediator")
            params["reach_mediator"] = self.mediator_id
        if self.area is not None:
            where.append(_IN_AREA.format(name="reach_area"))
            params["reach_area"] = self.area
        return " AND ".join(where), params

    def holds(self, area: str) -> bool:
        """Whether this reach holds all of the area (or grid) of code ``area``."""
        return self.area is None or area_holds(self.area, area)

    def area_asked(self, session: Session, area: str | None, *, field: str = "area") -> str | None:
        """The area a list or stream asks for, kept to this reach: an area in force (404) within
        an area key's area (403); none asked: the key's area (None: the whole city)."""
        if area is not None:
            area_in_force(session, area, field=field)
            if not self.holds(area):
                raise Forbidden("this key reaches the incidents of area {reach} only", field=field, reach=self.area)
        return area or self.area


EVERY_INCIDENT = Reach()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _row(session: Session, incident_id: int, *, lock: bool = False, reach: Reach = EVERY_INCIDENT) -> dict:
    """The incident, if it is within ``reach`` (else as if there were none)."""
    within, params = reach.sql()
    row = session.execute(text(f"SELECT {_COLUMNS} FROM {_FROM} WHERE i.id = :id AND {within} "
                               f"{'FOR UPDATE OF i' if lock else ''}"), {"id": incident_id, **params}).first()
    if row is None:
        raise NotFound("no incident {incident_id}", field="incident_id", incident_id=incident_id)
    return dict(row._mapping)


def _present(incident: dict, datum: Datum, *, by_mediator: bool = False) -> dict:
    out = {k: v for k, v in incident.items() if k not in _PRESENTED_OTHERWISE}
    out["position"] = point(incident["lon"], incident["lat"], datum)
    out["area_chain"] = {level: incident[f"{level}_code"] for level in CHAIN}
    out["area_names"] = {level: incident[f"{level}_name"] for level in CHAIN}
    out["next_statuses"] = sorted(next_statuses(incident, by_mediator=by_mediator))
    return out


def next_statuses(incident: dict, *, by_mediator: bool = False) -> set[str]:
    """The statuses the incident may go to next (a public-safety event is placed, not mediated;
    an open dispute with no mediator is dispatched before it is accepted or concluded),
    ``by_mediator``: those its mediator may take (not the CENTRE_STEPS)."""
    placed = not is_mediated(incident["category"])
    steps = (PLACED_STEPS if placed else TRANSITIONS).get(incident["status"], set())
    if not placed and incident["status"] in OPEN and incident["mediator_id"] is None:
        steps = steps - NEEDS_MEDIATOR
    return steps - CENTRE_STEPS if by_mediator else steps


def _restage(session: Session, incident_id: int, *, new_stage: bool) -> None:
    """After a step: the stage's clock restarts when the step entered another stage."""
    if new_stage:
        session.execute(text("UPDATE incidents SET stage_started_at = now() WHERE id = :id"), {"id": incident_id})
    deadlines.restage(session, "id = :id", {"id": incident_id})


def get(session: Session, incident_id: int, datum: Datum = Datum.WGS84, *, with_events: bool = True,
        reach: Reach = EVERY_INCIDENT) -> dict:
    incident = _present(_row(session, incident_id, reach=reach), datum, by_mediator=reach.by_mediator)
    if with_events:
        events = session.execute(text("SELECT at, actor, action, from_status, to_status, details, note "
                                      "FROM incident_events WHERE incident_id = :id ORDER BY id"), {"id": incident_id})
        incident["events"] = [dict(e._mapping) for e in events]
    return incident


def _event(session: Session, incident_id: int, *, actor: str, action: str, from_status=None, to_status=None,
           details: dict | None = None, note: str | None = None) -> None:
    event_id = session.execute(text("""
        INSERT INTO incident_events (incident_id, incident_registered_at, actor, action, from_status, to_status, details,
                                     note)
        SELECT :id, registered_at, :actor, :action, :from_status, :to_status, CAST(:details AS jsonb), :note
          FROM incidents WHERE id = :id RETURNING id"""),
        {"id": incident_id, "actor": actor, "action": action, "from_status": from_status, "to_status": to_status,
         "details": json.dumps(details, ensure_ascii=False, default=str) if details else None, "note": note}).scalar_one()
    webhooks.enqueue(session, event_id)   # the outbox, in this transaction: sent only if it commits
    announce(session, "incident_events")   # wakes this process's event streams (and courier) at commit
    record(session, actor=actor, action=action, entity="incident", entity_id=incident_id,
           before={"status": from_status} if from_status else None,
           after={"status": to_status, **(details or {})} if to_status or details else None)


def _check_source(session: Session, source: str, ref: str | None) -> None:
    """A hotline case names its ticket and a video case its camera, a camera we have."""
    if source in REFERENCE_NEEDED and not ref:
        raise Invalid(REFERENCE_NEEDED[source], field="source_ref")
    if source == "video":
        try:
            parse_camera_id(ref)
        except CodeError as exc:
            raise exc.at("source_ref") from None
        if session.execute(text("SELECT 1 FROM cameras WHERE id = :id"), {"id": ref}).first() is None:
            raise Invalid("no camera {camera_id}", field="source_ref", camera_id=ref)


def request_hash(body: dict, datum: Datum) -> str:
    return hashlib.sha256(json.dumps({"body": body, "crs": datum.value}, sort_keys=True, default=str).encode()).hexdigest()


def create(session: Session, indexes: IndexCache, body: dict, *, datum: Datum, idempotency_key: str | None, actor: str,
           dispatch: bool = True, media_url: str | None = None) -> tuple[dict, bool]:
    """Register an incident; returns (incident, created). The same key and body give the same
    incident. ``media_url``: a photo or document the filer points to."""
    digest = request_hash(body, datum)
    if idempotency_key:
        existing = session.execute(text("SELECT incident_id AS id, request_hash FROM incident_requests "
                                        "WHERE idempotency_key = :k"), {"k": idempotency_key}).first()
        if existing:
            if existing.request_hash != digest:
                raise Invalid("this Idempotency-Key was used with a different body", field="Idempotency-Key")
            return get(session, existing.id, datum), False
    _check_source(session, body["source"], body.get("source_ref"))
    lon, lat = body["lon"], body["lat"]
    located = located_inside(session, indexes, [lon] + [p[0] for p in body.get("related_positions", [])],
                             [lat] + [p[1] for p in body.get("related_positions", [])], datum,
                             what=N_("the incident's position"))
    if (located.grid[1:] < 0).any():
        raise Invalid("a related position is outside Haikou", field="related_positions")
    chains = [describe(located, i, names=False) for i in range(len(located.grid))]
    place = chains[0]
    spans = ("towns" if len({c["town"] for c in chains}) > 1 else
             "villages" if len({c["village"] for c in chains}) > 1 else None)
    industry = mediators.industry_covers(session, body["category"], place["village"])
    policy = get_policy()
    rule = policy.choose(severity=body["severity"], spans=spans, category=body["category"], industry_available=industry)
    wlon, wlat = (float(v[0]) for v in to_wgs84([lon], [lat], datum))
    now = _now()
    days = policy.deadlines.conclude_within(rule.level, body["category"])
    params = {**body, "lon": wlon, "lat": wlat, "district": place["district"], "town": place["town"],
              "village": place["village"], "grid": place["grid"], "level": rule.level, "rule": rule.name,
              "h3": int(located.cells[0]),
              "key": idempotency_key, "hash": digest, "spans": spans, "registered_at": now,
              "due_at": now + timedelta(days=days), "media_url": media_url,
              "parties": json.dumps(body["parties"], ensure_ascii=False) if body.get("parties") else None}
    try:
        with session.begin_nested():
            new_id = session.execute(text("""
                INSERT INTO incidents (category, severity, status, occurred_at, registered_at, due_at, stage_started_at,
                    description, reporter_name, reporter_phone, parties, position, district_code, town_code,
                    village_code, grid_code, h3, responsible_level, responsible_rule, spans, channel, channel_ref, media_url,
                    source)
                VALUES (:category, :severity, 'registered', :occurred_at, :registered_at, :due_at, :registered_at,
                    :description,
                    :reporter_name, :reporter_phone, CAST(:parties AS jsonb),
                    ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :district, :town,
                    :village, :grid, :h3, :level, :rule, :spans, :source, :source_ref, :media_url, 'api') RETURNING id"""),
                params).scalar_one()
            if idempotency_key:
                session.execute(text("""INSERT INTO incident_requests (idempotency_key, request_hash, incident_id,
                                                                       incident_registered_at)
                                        VALUES (:key, :hash, :id, :registered_at)"""), {**params, "id": new_id})
    except IntegrityError:
        raced = idempotency_key and session.execute(
            text("SELECT 1 FROM incident_requests WHERE idempotency_key = :k"), {"k": idempotency_key}).first()
        if not raced:
            raise
        # a concurrent request with the same key won the race: answer as a replay
        return create(session, indexes, body, datum=datum, idempotency_key=idempotency_key, actor=actor,
                      dispatch=dispatch, media_url=media_url)
    _restage(session, new_id, new_stage=False)   # stage_started_at was set with the row
    _event(session, new_id, actor=actor, action="register", to_status="registered",
           details={"responsible_level": rule.level, "rule": rule.name, "spans": spans})
    if dispatch and is_mediated(body["category"]):
        auto_dispatch(session, new_id, actor=actor, required=False)
    return get(session, new_id, datum), True


def auto_dispatch(session: Session, incident_id: int, *, actor: str, required: bool = True,
                  reach: Reach = EVERY_INCIDENT) -> dict:
    """Nearest eligible mediator at the responsible level, escalating level by level when nobody is."""
    incident = _row(session, incident_id, lock=True, reach=reach)
    if incident["status"] not in OPEN:
        raise Conflict("incident {incident_id} is {status}: only open incidents are dispatched", field="status",
                       incident_id=incident_id, status=incident["status"])
    if not is_mediated(incident["category"]):
        raise Conflict("public-safety events are not mediated: refer them to the public-security organ", field="category")
    level = incident["responsible_level"]
    while level:
        area = incident[LEVEL_AREA[level]]
        found = mediators.nearest(session, lon=incident["lon"], lat=incident["lat"], category=incident["category"],
                                  k=1, level=level, area=area)["results"]
        if found:
            return _assign(session, incident, found[0], actor=actor, mode="auto", level=level)
        upper = next_level(level)
        reason = f"no eligible mediator at {level} level ({area})"
        if upper is None:
            break
        _escalate(session, incident, to_level=upper, actor=actor, reason=reason)
        incident = _row(session, incident_id, lock=True)
        level = upper
    _event(session, incident_id, actor=actor, action="dispatch", details={"result": "nobody eligible at any level"})
    if required:
        raise Conflict("no eligible mediator at any level up to the district", field="mediator_id")
    return _row(session, incident_id)


def _assign(session: Session, incident: dict, mediator: dict, *, actor: str, mode: str, level: str,
            reason: str | None = None) -> dict:
    session.execute(text("UPDATE incidents SET mediator_id = :m WHERE id = :id"), {"m": mediator["id"], "id": incident["id"]})
    action = "reassign" if incident["mediator_id"] else "dispatch"
    _event(session, incident["id"], actor=actor, action=action, note=reason,
           details={"mode": mode, "level": level, "mediator_id": mediator["id"], "previous": incident["mediator_id"],
                    "distance_m": round(mediator.get("distance_m", 0.0), 1), "why": mediator.get("why")})
    return _row(session, incident["id"])


def manual_dispatch(session: Session, incident_id: int, *, mediator_id: int, reason: str, actor: str,
                    reach: Reach = EVERY_INCIDENT) -> dict:
    """A dispatcher's choice, with a stated reason; availability is still enforced."""
    incident = _row(session, incident_id, lock=True, reach=reach)
    if incident["status"] not in OPEN:
        raise Conflict("incident {incident_id} is {status}: only open incidents are dispatched", field="status",
                       incident_id=incident_id, status=incident["status"])
    if incident["mediator_id"] == mediator_id:
        raise Conflict("mediator {mediator_id} already has this incident", field="mediator_id", mediator_id=mediator_id)
    mediator = mediators.get(session, mediator_id)
    if not mediator["on_duty"]:
        raise Conflict("mediator {mediator_id} is off duty", field="mediator_id", mediator_id=mediator_id)
    if mediator["load"] >= mediator["capacity"]:
        raise Conflict("mediator {mediator_id} is at capacity ({load}/{capacity})",
                       field="mediator_id", mediator_id=mediator_id, load=mediator["load"],
                       capacity=mediator["capacity"])
    distance = session.execute(text("""SELECT ST_Distance(m.position::geography, i.position::geography)
        FROM mediators m, incidents i WHERE m.id = :m AND i.id = :i"""), {"m": mediator_id, "i": incident_id}).scalar_one()
    skilled = incident["category"] in mediator["skills"]
    why = f"chosen by the dispatcher: {reason}" + ("" if skilled else f" (not skilled in {incident['category']})")
    return _assign(session, incident, {**mediator, "distance_m": distance, "why": why}, actor=actor, mode="manual",
                   level=incident["responsible_level"], reason=reason)


def _escalate(session: Session, incident: dict, *, to_level: str, actor: str, reason: str) -> None:
    session.execute(text("""UPDATE incidents SET responsible_level = :level, status = 'escalated', mediator_id = NULL,
        responsible_rule = responsible_rule || :suffix WHERE id = :id"""),
                    {"level": to_level, "suffix": f" → escalated to {to_level}: {reason}", "id": incident["id"]})
    _restage(session, incident["id"], new_stage=True)   # the new level's time to accept runs from now
    _event(session, incident["id"], actor=actor, action="escalate", from_status=incident["status"],
           to_status="escalated", note=reason, details={"from_level": incident["responsible_level"], "to_level": to_level})


def escalate(session: Session, incident_id: int, *, reason: str, actor: str, datum: Datum = Datum.WGS84,
             reach: Reach = EVERY_INCIDENT) -> dict:
    """Move an open incident one level up (矛盾不上交 stops at the district) and dispatch there."""
    incident = _row(session, incident_id, lock=True, reach=reach)
    if incident["status"] not in OPEN:
        raise Conflict("incident {incident_id} is {status}: only open incidents escalate", field="status",
                       incident_id=incident_id, status=incident["status"])
    upper = next_level(incident["responsible_level"])
    if upper is None:
        raise Conflict("the district is the top level: disputes are not pushed higher (矛盾不上交)", field="status")
    _escalate(session, incident, to_level=upper, actor=actor, reason=reason)
    if is_mediated(incident["category"]):
        auto_dispatch(session, incident_id, actor=actor, required=False)
    return get(session, incident_id, datum)


def transition(session: Session, incident_id: int, *, to: str, actor: str, note: str | None = None,
               agreement_form: str | None = None, routes: list[str] | None = None,
               datum: Datum = Datum.WGS84, reach: Reach = EVERY_INCIDENT) -> dict:
    """Move through the mediation lifecycle; an illegal step is a Conflict."""
    incident = _row(session, incident_id, lock=True, reach=reach)
    current = incident["status"]
    if to not in STATUSES:
        raise Invalid("unknown status {to}", field="to", to=to)
    placed, by_mediator = not is_mediated(incident["category"]), reach.by_mediator
    if to == "escalated" and not placed and not by_mediator:
        return escalate(session, incident_id, reason=note or "escalated by the dispatcher", actor=actor, datum=datum)
    if to in NEEDS_MEDIATOR and not placed and current in OPEN and not incident["mediator_id"]:
        raise Conflict("dispatch a mediator first", field="mediator_id")
    if to not in (steps := next_statuses(incident, by_mediator=by_mediator)):
        allowed = ", ".join(sorted(steps)) or "none"
        raise Conflict("cannot go from {current} to {to} (allowed: {allowed})", field="to",
                       current=current, to=to, allowed=allowed)
    sets, params = ["status = :to"], {"to": to, "id": incident_id}
    if to == "agreement":
        if agreement_form not in ("written", "oral"):
            raise Invalid("an agreement is written or oral (arts. 28-29)", field="agreement_form")
        sets += ["agreement_form = :form", "agreement_at = now()", "concluded_at = now()"]
        params["form"] = agreement_form
    if to == "terminated":
        if not routes or set(routes) - set(ROUTES):
            raise Invalid("say which routes the parties were told of: {routes} (art. 26)", field="routes", routes=sorted(ROUTES))
        sets += ["termination_routes = :routes", "concluded_at = now()"]
        params["routes"] = sorted(set(routes))
    if to == "refused":
        sets.append("concluded_at = now()")
    if to == "confirmation_requested" and _now() - incident["agreement_at"] > CONFIRMATION_WINDOW:
        raise Conflict("judicial confirmation must be asked within 30 days of the agreement (art. 33)", field="to")
    session.execute(text(f"UPDATE incidents SET {', '.join(sets)} WHERE id = :id"), params)
    _restage(session, incident_id, new_stage=deadlines.STAGE_OF_STATUS.get(current) != deadlines.STAGE_OF_STATUS.get(to))
    _event(session, incident_id, actor=actor, action="transition", from_status=current, to_status=to, note=note,
           details={"agreement_form": agreement_form, "routes": routes} if (agreement_form or routes) else None)
    return get(session, incident_id, datum, reach=reach)


def decline(session: Session, incident_id: int, *, reason: str, actor: str, datum: Datum = Datum.WGS84,
            reach: Reach = EVERY_INCIDENT) -> dict:
    """The mediator hands a case not yet accepted back (a conflict of interest, away): it waits,
    unassigned, for the dispatchers, and the time to accept runs on."""
    incident = _row(session, incident_id, lock=True, reach=reach)
    if incident["status"] not in ("registered", "escalated") or incident["mediator_id"] is None:
        raise Conflict("only a case dispatched and not yet accepted can be handed back (it is {status})",
                       field="status", status=incident["status"])
    session.execute(text("UPDATE incidents SET mediator_id = NULL WHERE id = :id"), {"id": incident_id})
    _event(session, incident_id, actor=actor, action="decline", note=reason,
           details={"mediator_id": incident["mediator_id"]})
    return get(session, incident_id, datum)


def extend(session: Session, incident_id: int, *, days: int, agreement: str, actor: str,
           datum: Datum = Datum.WGS84, reach: Reach = EVERY_INCIDENT) -> dict:
    """Extend the deadline, only with the parties' recorded agreement."""
    incident = _row(session, incident_id, lock=True, reach=reach)
    if incident["status"] not in OPEN:
        raise Conflict("incident {incident_id} is {status}: only open incidents get more time", field="status",
                       incident_id=incident_id, status=incident["status"])
    if not is_mediated(incident["category"]):
        raise Conflict("public-safety events are not mediated: they have no time limit to extend", field="category")
    session.execute(text("UPDATE incidents SET due_at = due_at + make_interval(days => :d) WHERE id = :id"),
                    {"d": days, "id": incident_id})
    _restage(session, incident_id, new_stage=False)
    _event(session, incident_id, actor=actor, action="extend", note=agreement,
           details={"days": days, "previous_due_at": incident["due_at"]})
    return get(session, incident_id, datum)


def escalate_overdue(session: Session, *, actor: str, reach: Reach = EVERY_INCIDENT) -> list[int]:
    """Open cases red-marked at village level (not accepted or not concluded in time) of
    the policy's severities go to the town centre. Public-safety events have no deadline."""
    severities = sorted(get_policy().escalate_overdue)
    within, params = reach.sql()
    ids = [r[0] for r in session.execute(text(f"""SELECT id FROM incidents i WHERE is_open(status)
        AND {deadlines.overdue_sql('i.')} AND responsible_level = 'village' AND severity = ANY(:sev) AND {within}
        ORDER BY id"""), {"sev": severities, **params})]
    for incident_id in ids:
        escalate(session, incident_id, reason="not concluded in time", actor=actor)
    return ids


SORTS = {"due_at": "i.stage_due_at ASC NULLS LAST, i.id", "-due_at": "i.stage_due_at DESC NULLS LAST, i.id DESC",
         "registered_at": "i.registered_at, i.id", "-registered_at": "i.registered_at DESC, i.id DESC"}


def area_holds(area: str, grid_code: str) -> bool:
    """Whether the area of code ``area`` holds an incident of ``grid_code``: filter_sql's area rule."""
    return grid_code.startswith(area)


def filter_sql(*, area: str | None = None, bbox: tuple | None = None, since: datetime | None = None,
             until: datetime | None = None, status: str | None = None, category: str | None = None,
             severity: str | None = None, level: str | None = None, mediator_id: int | None = None,
             unassigned: bool | None = None, group: str | None = None, stage: str | None = None,
             deadline_mark: str | None = None, overdue: bool | None = None,
             closed: bool | None = None, source: str | None = None) -> tuple[str, dict]:
    """The SQL condition on incidents ``i`` for a list's filters, with its parameters."""
    where, params = ["true"], {}
    if area:
        where.append(_IN_AREA.format(name="area"))
        params["area"] = area
    if bbox:   # WGS-84 west, south, east, north
        where.append("i.position && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(zip("wsen", bbox))
    for name, sql, value in (("since", "i.registered_at >= :since", since), ("until", "i.registered_at < :until", until),
                             ("status", "i.status = :status", status), ("category", "i.category = :category", category),
                             ("severity", "i.severity = :severity", severity),
                             ("level", "i.responsible_level = :level", level),
                             ("mediator_id", "i.mediator_id = :mediator_id", mediator_id),
                             ("source", "i.channel = :source", source),
                             ("group", f"{deadlines.group_sql('i.')} = :group", group),
                             ("stage", f"{deadlines.stage_sql('i.')} = :stage", stage),
                             ("deadline_mark", f"{deadlines.mark_sql('i.')} = :deadline_mark", deadline_mark)):
        if value is not None:
            where.append(sql)
            params[name] = value
    if unassigned is not None:
        where.append(("" if unassigned else "NOT ") + f"(is_open(i.status) AND {MEDIATED} AND i.mediator_id IS NULL)")
    if overdue is not None:
        where.append(("" if overdue else "NOT ") + deadlines.overdue_sql("i."))
    if closed is not None:
        where.append(f"{deadlines.group_sql('i.')} {'=' if closed else '<>'} 'closed'")
    return " AND ".join(where), params


def list_incidents(session: Session, *, limit: int = 100, offset: int = 0, sort: str = "-registered_at",
                   datum: Datum = Datum.WGS84, by_mediator: bool = False, **filters) -> tuple[int, list[dict]]:
    """Incidents matching ``filters`` (see ``filter_sql``), in the order ``sort`` names (SORTS);
    ``by_mediator``: their next steps as their mediator may take them."""
    condition, params = filter_sql(**filters)
    total = session.execute(text(f"SELECT count(*) FROM incidents i WHERE {condition}"), params).scalar_one()
    rows = session.execute(text(f"SELECT {_COLUMNS} FROM {_FROM} WHERE {condition} "
                                f"ORDER BY {SORTS[sort]} LIMIT :limit OFFSET :offset"),
                           {**params, "limit": limit, "offset": offset})
    return total, [_present(dict(r._mapping), datum, by_mediator=by_mediator) for r in rows]


def group_counts(session: Session, **filters) -> dict[str, int]:
    """How many incidents matching ``filters`` are in each queue group (every group named)."""
    condition, params = filter_sql(**filters)
    rows = session.execute(text(f"SELECT {deadlines.group_sql('i.')} AS g, count(*) FROM incidents i "
                                f"WHERE {condition} GROUP BY 1"), params)
    return {**dict.fromkeys(deadlines.GROUPS, 0), **dict(rows.all())}


COUNT_LEVELS = {"district": "district_code", "town": "town_code", "village": "village_code", "grid": "grid_code"}


def in_area(level: str, alias: str = "") -> str:
    """SQL condition on ``:area`` that picks the incidents of an area of ``level`` (the city: all)."""
    return f"{alias}{COUNT_LEVELS[level]} = :area" if level in COUNT_LEVELS else "true"


def counts_by_area(session: Session, *, level: str, parent: str | None = None) -> list[dict]:
    """Open and overdue incidents per area of a level (column from a fixed allow-list)."""
    column = COUNT_LEVELS[level]
    rows = session.execute(text(f"""
        SELECT i.{column} AS code, a.name, count(*) FILTER (WHERE is_open(i.status)) AS open,
               count(*) FILTER (WHERE is_open(i.status) AND {deadlines.overdue_sql('i.')}) AS overdue,
               count(*) AS total
          FROM incidents i JOIN areas_now a ON a.code = i.{column}
         WHERE (CAST(:parent AS text) IS NULL OR left(i.{column}, length(:parent)) = :parent)
         GROUP BY i.{column}, a.name ORDER BY i.{column}"""), {"parent": parent})
    return [dict(r._mapping) for r in rows]
