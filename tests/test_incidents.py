"""Incidents: area chain, escalation rules, idempotency, dispatch, lifecycle, deadlines, bad input."""
import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from conftest import removing_new_incidents
from geo.incidents import deadlines
from geo.incidents.service import TRANSITIONS
from geo.incidents.statuses import OPEN
from geo.mediation.policy import get_policy

HERE = (110.33, 20.03)
BASE = {"category": "neighbourhood", "severity": "minor", "description": "dispute over a wall",
        "occurred_at": "2026-11-20T09:30:00+08:00", "reporter_name": "王某", "reporter_phone": "13800000001"}


@pytest.fixture(autouse=True)
def fresh_loads(engine):
    """Each test's incidents are gone after it, so mediators' loads are what they were."""
    with removing_new_incidents(engine):
        yield


def report(client, *, at=HERE, dispatch=True, **fields):
    body = {**BASE, "lon": at[0], "lat": at[1], **fields}
    response = client.post("/incidents", json=body, params={"dispatch": dispatch})
    assert response.status_code == 201, response.json()
    return response.json()


def set_state(engine, incident_id, **columns):
    """Put an incident in a state directly; its stage's deadline follows, as every step keeps it."""
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    with Session(engine) as session, session.begin():
        session.execute(text(f"UPDATE incidents SET {sets} WHERE id = :id"), {**columns, "id": incident_id})
        deadlines.restage(session, "id = :id", {"id": incident_id})


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_registration_places_the_incident_and_names_the_rule(client):
    incident = report(client)
    located = client.get("/locate", params={"lon": HERE[0], "lat": HERE[1]}).json()
    assert incident["area_chain"]["grid"] == located["grid"]["code"]
    assert incident["status"] == "registered" and incident["responsible_level"] == "village"
    assert "小事不出村" in incident["responsible_rule"]
    chinese = client.get(f"/incidents/{incident['id']}", headers={"Accept-Language": "zh-CN"}).json()
    assert chinese["responsible_rule_label"] == "轻微或一般纠纷 → 村（居）人民调解委员会（小事不出村）"
    assert incident["events"][0]["action"] == "register"


@pytest.mark.parametrize("fields,level,rule_part", [
    ({"severity": "minor"}, "village", "village committee"),
    ({"severity": "general"}, "village", "village committee"),
    ({"severity": "major"}, "town", "major"),
    ({"severity": "critical"}, "district", "critical"),
    ({"severity": "minor", "category": "property_management"}, "industry", "industry"),
])
def test_escalation_policy_case_by_case(client, fields, level, rule_part):
    incident = report(client, dispatch=False, **fields)
    assert incident["responsible_level"] == level and rule_part in incident["responsible_rule"]


def inside(engine, code):
    """A point strictly inside an area."""
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM areas "
                                      "WHERE code = :c AND generation_high IS NULL) t"), {"c": code}).one())


def test_spanning_villages_goes_to_the_town_and_spanning_towns_to_the_district(client, engine):
    here = client.get("/locate", params={"lon": HERE[0], "lat": HERE[1]}).json()
    villages = client.get("/areas", params={"parent": here["town"]["code"]}).json()["items"]
    other_village = next(v["code"] for v in villages if v["code"] != here["village"]["code"])
    spans_villages = report(client, dispatch=False, related_positions=[inside(engine, other_village)])
    assert spans_villages["spans"] == "villages" and spans_villages["responsible_level"] == "town"
    far = report(client, dispatch=False, related_positions=[[110.55, 19.75]])
    assert far["spans"] == "towns" and far["responsible_level"] == "district"


def test_same_idempotency_key_and_body_is_the_same_incident(client):
    key = str(uuid.uuid4())
    body = {**BASE, "lon": HERE[0], "lat": HERE[1]}
    first = client.post("/incidents", json=body, headers={"Idempotency-Key": key})
    again = client.post("/incidents", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    different = client.post("/incidents", json={**body, "description": "another"}, headers={"Idempotency-Key": key})
    assert different.status_code == 422 and different.json()["field"] == "Idempotency-Key"
    short = client.post("/incidents", json=body, headers={"Idempotency-Key": "x"})   # the header's own check
    assert short.status_code == 422 and short.json()["field"] == "Idempotency-Key", short.text
    third = client.post("/incidents", json=body)
    assert third.json()["id"] != first.json()["id"]


def test_auto_dispatch_takes_the_nearest_eligible_village_mediator(client):
    village = client.get("/locate", params={"lon": HERE[0], "lat": HERE[1]}).json()["village"]["code"]
    ranked = client.get("/mediators/nearest", params={"lon": HERE[0], "lat": HERE[1], "category": "neighbourhood",
                                                      "k": 100}).json()["results"]
    expected = next(m for m in ranked if m["home_village_code"] == village)
    incident = report(client)
    assert incident["mediator_id"] == expected["id"]
    dispatch = next(e for e in incident["events"] if e["action"] == "dispatch")
    assert dispatch["details"]["level"] == "village" and "nearest eligible" in dispatch["details"]["why"]
    assert dispatch["details"]["distance_m"] == pytest.approx(expected["distance_m"], abs=0.1)


def test_nobody_eligible_in_the_village_escalates_and_says_why(client, engine):
    with engine.connect() as conn:
        row = conn.execute(text("""
            SELECT v.code, c.code FROM areas v CROSS JOIN dispute_categories c
             WHERE v.level = 'village' AND v.generation_high IS NULL AND c.mediation AND NOT EXISTS (
                   SELECT 1 FROM mediators m WHERE m.home_village_code = v.code AND c.code = ANY(m.skills))
               AND c.code NOT IN ('property_management', 'medical', 'road_traffic_accident', 'labour')
             ORDER BY v.code LIMIT 1""")).first()
    village, category = row
    incident = report(client, at=inside(engine, village), category=category)
    assert incident["village_code"] == village
    escalation = next(e for e in incident["events"] if e["action"] == "escalate")
    assert "no eligible mediator at village level" in escalation["note"]
    assert incident["responsible_level"] in ("town", "district") and incident["status"] == "escalated"


def test_manual_dispatch_reassign_and_availability_enforced(client, engine):
    incident = report(client)
    candidates = client.get("/mediators/nearest", params={"lon": HERE[0], "lat": HERE[1], "k": 10}).json()["results"]
    other = next(m for m in candidates if m["id"] != incident["mediator_id"])
    moved = client.post(f"/incidents/{incident['id']}/dispatch",
                        json={"mode": "manual", "mediator_id": other["id"], "reason": "speaks the parties' dialect"})
    assert moved.status_code == 200 and moved.json()["mediator_id"] == other["id"]
    reassign = moved.json()["events"][-1]
    assert reassign["action"] == "reassign" and reassign["details"]["previous"] == incident["mediator_id"]
    no_reason = client.post(f"/incidents/{incident['id']}/dispatch", json={"mode": "manual", "mediator_id": other["id"]})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    nobody = client.post(f"/incidents/{incident['id']}/dispatch", json={"mode": "manual", "mediator_id": 99_999_999,
                                                                         "reason": "because"})
    assert (nobody.status_code, nobody.json()["field"]) == (404, "mediator_id")
    assert client.get("/incidents/99999999").json()["field"] == "incident_id"
    third = next(m for m in candidates if m["id"] not in (incident["mediator_id"], other["id"]))
    with engine.begin() as conn:
        conn.execute(text("UPDATE mediators SET on_duty = false WHERE id = :id"), {"id": third["id"]})
    try:
        off = client.post(f"/incidents/{incident['id']}/dispatch",
                          json={"mode": "manual", "mediator_id": third["id"], "reason": "closest"})
        assert off.status_code == 409 and "off duty" in off.json()["detail"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE mediators SET on_duty = true WHERE id = :id"), {"id": third["id"]})


# The lifecycle as the People's Mediation Law and the centre's practice have it, written out
# here (not read from the code): after registration a case is accepted or refused; accepted,
# mediated; mediation ends in an agreement or a termination; an agreement gets a follow-up
# visit and/or a request for judicial confirmation; every case ends archived; an open case
# may be escalated, an escalated one accepted or refused at the next level.
LIFECYCLE = {
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


def test_the_statuses_are_the_lifecycle_and_open_means_not_yet_decided():
    assert set(TRANSITIONS) == set(LIFECYCLE)
    assert set(OPEN) == {"registered", "accepted", "mediating", "escalated"}


@pytest.mark.parametrize("current", sorted(LIFECYCLE))
def test_every_legal_and_illegal_transition(client, engine, current):
    incident = report(client)
    extra = {"agreement": {"agreement_form": "written"}, "terminated": {"routes": ["court"]}}
    for target in sorted(LIFECYCLE):
        set_state(engine, incident["id"], status=current, agreement_at=None, responsible_level="village")
        if current in ("agreement", "follow_up"):
            with engine.begin() as conn:
                conn.execute(text("UPDATE incidents SET agreement_at = now() WHERE id = :id"), {"id": incident["id"]})
        response = client.post(f"/incidents/{incident['id']}/transitions", json={"to": target, **extra.get(target, {})})
        legal = target in LIFECYCLE[current]
        assert (response.status_code == 200) == legal, (current, target, response.json())
        if not legal:
            assert response.status_code == 409 and response.json()["field"] in ("to", "status")


def test_agreement_and_termination_need_their_details(client, engine):
    incident = report(client)
    set_state(engine, incident["id"], status="mediating")
    no_form = client.post(f"/incidents/{incident['id']}/transitions", json={"to": "agreement"})
    assert no_form.status_code == 422 and no_form.json()["field"] == "agreement_form"
    no_routes = client.post(f"/incidents/{incident['id']}/transitions", json={"to": "terminated"})
    assert no_routes.status_code == 422 and no_routes.json()["field"] == "routes"
    done = client.post(f"/incidents/{incident['id']}/transitions",
                       json={"to": "terminated", "routes": ["arbitration", "court"], "note": "parties told"}).json()
    assert done["status"] == "terminated" and done["termination_routes"] == ["arbitration", "court"]
    assert done["concluded_at"] is not None
    last = done["events"][-1]
    assert (last["from_status"], last["to_status"], last["note"]) == ("mediating", "terminated", "parties told")


def test_judicial_confirmation_only_within_30_days(client, engine):
    incident = report(client)
    set_state(engine, incident["id"], status="agreement")
    with engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET agreement_at = now() - interval '31 days' WHERE id = :id"),
                     {"id": incident["id"]})
    late = client.post(f"/incidents/{incident['id']}/transitions", json={"to": "confirmation_requested"})
    assert late.status_code == 409 and "30 days" in late.json()["detail"]


def test_deadlines_overdue_extension_and_escalation(client, engine):
    incident = report(client, severity="general")
    event = report(client, severity="general", category="public_safety", dispatch=False)   # placed, never mediated
    for case in (incident, event):
        set_state(engine, case["id"], due_at=datetime.now().astimezone() - timedelta(days=2),
                  status="mediating" if case is incident else "registered")
    overdue = client.get("/incidents", params={"overdue": True, "area": incident["village_code"], "limit": 1000}).json()
    assert incident["id"] in [i["id"] for i in overdue["items"]]
    assert event["id"] not in [i["id"] for i in overdue["items"]]
    red = client.get(f"/incidents/{incident['id']}").json()
    assert (red["stage"], red["deadline_mark"], red["group"], red["overdue"]) == ("conclude", "red", "overdue", True)
    placed = client.get(f"/incidents/{event['id']}").json()
    assert (placed["stage"], placed["deadline_mark"], placed["group"], placed["overdue"]) == (None, None, "police", False)
    counts = client.get("/incidents/counts", params={"level": "village", "parent": incident["town_code"]}).json()
    assert next(c for c in counts["items"] if c["code"] == incident["village_code"])["overdue"] >= 1
    escalated = client.post("/incidents/escalate-overdue").json()["escalated"]
    assert incident["id"] in escalated and event["id"] not in escalated
    assert client.get(f"/incidents/{event['id']}").json()["status"] == "registered"
    after = client.get(f"/incidents/{incident['id']}").json()
    first_escalation = next(e for e in after["events"] if e["action"] == "escalate")
    assert first_escalation["details"] == {"from_level": "village", "to_level": "town"}
    assert first_escalation["note"] == "not concluded in time"
    assert after["responsible_level"] in ("town", "district") and "not concluded in time" in after["responsible_rule"]
    chinese = client.get(f"/incidents/{incident['id']}", headers={"Accept-Language": "zh-CN"}).json()
    assert chinese["responsible_rule_label"].endswith("；已升级至" + chinese["responsible_level_label"])
    extended = client.post(f"/incidents/{incident['id']}/extend",
                           json={"days": 15, "agreement": "both parties agreed on 2026-11-27"}).json()
    assert extended["overdue"] is False and extended["events"][-1]["action"] == "extend"
    assert moment(extended["due_at"]) - moment(after["due_at"]) == timedelta(days=15)


def test_each_stage_has_the_policys_time_limit_and_marks(client, engine):
    limits = get_policy().deadlines
    case = report(client, category="labour", severity="minor", dispatch=False)
    registered = moment(case["registered_at"])
    assert moment(case["due_at"]) - registered == timedelta(days=limits.conclude_within(case["responsible_level"],
                                                                                        "labour")) == timedelta(days=15)
    accept = timedelta(hours=limits.accept_hours[case["responsible_level"]])
    assert (case["stage"], case["deadline_mark"], case["group"]) == ("accept", "green", "unassigned")
    assert moment(case["stage_due_at"]) - registered == accept
    # Past the warning share of the time to accept: yellow, due soon; past all of it: red.
    for used, mark, group in ((0.8, "yellow", "due_soon"), (1.1, "red", "overdue")):
        set_state(engine, case["id"], stage_started_at=datetime.now().astimezone() - accept * used)
        late = client.get(f"/incidents/{case['id']}").json()
        assert (late["deadline_mark"], late["group"]) == (mark, group), used
    set_state(engine, case["id"], stage_started_at=registered)
    dispatched = client.post(f"/incidents/{case['id']}/dispatch", json={"mode": "auto"}).json()
    assert dispatched["group"] == "new" and dispatched["mediator_name"]
    accepted = client.post(f"/incidents/{case['id']}/transitions", json={"to": "accepted"}).json()
    assert accepted["stage"] == "conclude" and accepted["stage_due_at"] == accepted["due_at"]
    assert accepted["group"] == "in_mediation"
    client.post(f"/incidents/{case['id']}/transitions", json={"to": "mediating"})
    agreed = client.post(f"/incidents/{case['id']}/transitions", json={"to": "agreement", "agreement_form": "oral"}).json()
    assert (agreed["stage"], agreed["group"]) == ("follow_up", "follow_up")
    assert moment(agreed["stage_due_at"]) - moment(agreed["stage_started_at"]) == timedelta(days=limits.follow_up_days)
    archived = client.post(f"/incidents/{case['id']}/transitions", json={"to": "archived"})
    assert archived.status_code == 409   # an agreement is followed up first
    client.post(f"/incidents/{case['id']}/transitions", json={"to": "follow_up"})
    done = client.post(f"/incidents/{case['id']}/transitions", json={"to": "archived"}).json()
    assert (done["stage"], done["stage_due_at"], done["deadline_mark"], done["group"]) == (None, None, None, "closed")


def test_a_public_safety_event_is_referred_to_the_police_and_archived(client):
    event = report(client, category="public_safety", dispatch=False)
    assert event["group"] == "police" and event["stage_due_at"] is None
    mediate = client.post(f"/incidents/{event['id']}/transitions", json={"to": "accepted"})
    assert mediate.status_code == 409 and "referred" in mediate.json()["detail"]
    assert client.post(f"/incidents/{event['id']}/extend",
                       json={"days": 5, "agreement": "the parties agree"}).status_code == 409
    referred = client.post(f"/incidents/{event['id']}/transitions", json={"to": "referred"}).json()
    assert referred["status"] == "referred" and referred["group"] == "closed"
    assert client.post(f"/incidents/{event['id']}/transitions", json={"to": "archived"}).json()["status"] == "archived"
    dispute = report(client)
    assert client.post(f"/incidents/{dispute['id']}/transitions", json={"to": "referred"}).status_code == 409


def test_answers_name_the_areas_and_the_mediator(client):
    case = report(client)
    assert case["mediator_id"] and case["mediator_name"] and case["mediator_phone"]
    names = case["area_names"]
    for level in ("district", "town", "village", "grid"):
        area = client.get(f"/areas/{case['area_chain'][level]}").json()
        assert names[level] == area["properties"]["name"], level
    mediator = client.get(f"/mediators/{case['mediator_id']}").json()
    assert (case["mediator_name"], case["mediator_phone"]) == (mediator["name"], mediator["phone"])


def test_the_queue_filters_sorts_and_counts_groups(client, engine):
    mediated = client.get("/incidents", params={"group": "in_mediation", "limit": 1}).json()["items"][0]
    mine = client.get("/incidents", params={"mediator_id": mediated["mediator_id"], "limit": 1000}).json()
    assert mine["total"] >= 1 and all(i["mediator_id"] == mediated["mediator_id"] for i in mine["items"])
    waiting = report(client, dispatch=False)
    unassigned = client.get("/incidents", params={"unassigned": True, "limit": 1000}).json()
    assert waiting["id"] in [i["id"] for i in unassigned["items"]]
    assert all(i["mediator_id"] is None and i["status"] in OPEN for i in unassigned["items"])
    for mark in ("green", "yellow", "red"):
        marked = client.get("/incidents", params={"deadline_mark": mark, "limit": 200}).json()
        assert marked["total"] > 0 and {i["deadline_mark"] for i in marked["items"]} == {mark}, mark
    queue = client.get("/incidents", params={"sort": "due_at", "group": "due_soon", "limit": 200}).json()["items"]
    dues = [moment(i["stage_due_at"]) for i in queue]
    assert len(dues) > 10 and dues == sorted(dues)
    newest = client.get("/incidents", params={"sort": "-registered_at", "limit": 50}).json()["items"]
    assert [i["registered_at"] for i in newest] == sorted((i["registered_at"] for i in newest), reverse=True)
    town = mediated["town_code"]
    groups = client.get("/incidents/groups", params={"area": town}).json()
    assert [g["group"] for g in groups["items"]] == list(deadlines.GROUPS)
    assert groups["total"] == client.get("/incidents", params={"area": town, "limit": 1}).json()["total"]
    for g in groups["items"]:
        assert g["count"] == client.get("/incidents", params={"area": town, "group": g["group"], "limit": 1}).json()["total"]
    assert next(g for g in groups["items"] if g["group"] == "overdue")["label"] == "overdue"
    chinese = client.get("/incidents/groups", params={"area": town}, headers={"Accept-Language": "zh-CN"}).json()
    assert next(g for g in chinese["items"] if g["group"] == "overdue")["label"] == "已超期"


@pytest.mark.parametrize("path", ["/incidents", "/incidents/groups", "/incidents/counts", "/mediators", "/cameras",
                                  "/areas", "/plans", "/generations", "/audit"])
def test_lists_refuse_a_query_parameter_they_do_not_know(client, path):
    response = client.get(path, params={"mediatr_id": 3})
    assert response.status_code == 422, response.json()
    assert response.json()["field"] == "mediatr_id" and "mediatr_id" in response.json()["detail"]


def test_an_unknown_area_or_mediator_in_a_filter_is_an_error(client):
    for params, status, field in (({"area": "460106100399"}, 404, "area"), ({"area": "46x"}, 422, "area"),
                                  ({"mediator_id": 99_999_999}, 404, "mediator_id")):
        for path in ("/incidents", "/incidents/groups"):
            response = client.get(path, params=params)
            assert (response.status_code, response.json()["field"]) == (status, field), (path, params)


def test_lists_filter_and_page(client):
    page = client.get("/incidents", params={"category": "labour", "status": "archived", "limit": 5}).json()
    assert page["total"] > 5 and len(page["items"]) == 5
    assert all(i["category"] == "labour" and i["status"] == "archived" for i in page["items"])
    boxed = client.get("/incidents", params={"bbox": "110.32,20.02,110.34,20.04", "limit": 50}).json()
    assert boxed["total"] > 0
    assert all(110.32 <= i["position"]["coordinates"][0] <= 110.34 for i in boxed["items"])
    bad = client.get("/incidents", params={"bbox": "110.34,20.02,110.32"})
    assert bad.status_code == 422 and bad.json()["field"] == "bbox"


@pytest.mark.parametrize("change,field", [
    ({"category": "witchcraft"}, "category"), ({"severity": "huge"}, "severity"),
    ({"lon": 116.4, "lat": 39.9}, "position"), ({"lat": 95}, "lat"),
    ({"occurred_at": "2026-11-20T09:30:00"}, "occurred_at"), ({"description": ""}, "description"),
    ({"reporter_phone": "call me"}, "reporter_phone"), ({"description": " \n "}, "description"),
    ({"occurred_at": "2099-12-01T10:00:00+08:00"}, "occurred_at"), ({"description": "a\ufffdb"}, "description"),
])
def test_bad_incident_is_4xx_naming_the_field_and_writes_nothing(client, engine, change, field):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
    response = client.post("/incidents", json={**BASE, "lon": HERE[0], "lat": HERE[1], **change})
    assert 400 <= response.status_code < 500 and response.json()["field"] == field
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incidents")).scalar_one() == before


def test_public_safety_events_are_placed_but_not_mediated(client):
    incident = report(client, category="public_safety")
    assert incident["mediator_id"] is None
    refused = client.post(f"/incidents/{incident['id']}/dispatch", json={"mode": "auto"})
    assert refused.status_code == 409 and refused.json()["field"] == "category"


def test_generated_cases_name_the_policys_own_rules(engine, client):
    """A generated case shows the rule a real one of its severity meets, labelled like one."""
    rules = {rule.name for rule in get_policy().rules}
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT DISTINCT split_part(responsible_rule, ' → escalated', 1) FROM incidents "
                                   "WHERE source = 'generated'")).scalars().all()
        some = conn.execute(text("SELECT id FROM incidents WHERE source = 'generated' AND severity = 'major' "
                                 "LIMIT 1")).scalar_one()
    assert stored and set(stored) <= rules
    label = client.get(f"/incidents/{some}", headers={"Accept-Language": "zh-CN"}).json()["responsible_rule_label"]
    assert label.startswith("较大纠纷 → 镇街综治中心")


def test_the_parties_are_registered_and_checked(client):
    parties = [{"role": "applicant", "name": "符某", "phone": "13800000003"}, {"role": "respondent", "name": "吴某某"}]
    incident = report(client, dispatch=False, parties=parties)
    assert [(p["role"], p["name"], p["phone"]) for p in client.get(f"/incidents/{incident['id']}").json()["parties"]] \
        == [("applicant", "符某", "13800000003"), ("respondent", "吴某某", None)]
    for bad, field in (([{"role": "applicant", "name": "<b>x</b>"}], "parties.0.name"),
                       ([{"role": "judge", "name": "某"}], "parties.0.role"),
                       ([{"role": "other", "name": "某", "phone": "call me"}], "parties.0.phone")):
        response = client.post("/incidents", json={**BASE, "lon": HERE[0], "lat": HERE[1], "parties": bad})
        assert response.status_code == 422 and response.json()["field"] == field, response.json()


def test_an_unassigned_dispute_is_offered_dispatch_not_acceptance(client):
    case = report(client, dispatch=False)
    assert case["mediator_id"] is None and "accepted" not in case["next_statuses"]
    refused = client.post(f"/incidents/{case['id']}/transitions", json={"to": "accepted"})
    assert refused.status_code == 409 and refused.json()["field"] == "mediator_id"   # dispatch a mediator first
    dispatched = client.post(f"/incidents/{case['id']}/dispatch", json={"mode": "auto"}).json()
    assert "accepted" in dispatched["next_statuses"]


def test_stored_parties_are_read_as_they_are(client, engine):
    """The checks of a registration are not applied to what is stored (data loaded or kept from
    before a rule): a list with such a party is still read, its values as text."""
    incident = report(client, dispatch=False)
    stored = [{"role": "witness", "name": "<b>某</b>", "phone": "ext. 12"}]
    with engine.begin() as conn:
        conn.execute(text("UPDATE incidents SET parties = CAST(:p AS jsonb) WHERE id = :id"),
                     {"p": json.dumps(stored), "id": incident["id"]})
    one = client.get(f"/incidents/{incident['id']}")
    listed = client.get("/incidents", params={"limit": 5})
    assert one.status_code == 200 and one.json()["parties"] == stored
    assert listed.status_code == 200


def test_generated_disputes_have_parties_and_say_they_are_simulated(engine):
    with engine.connect() as conn:
        without, simulated, placed = conn.execute(text("""
            SELECT count(*) FILTER (WHERE category <> 'public_safety' AND jsonb_array_length(parties) <> 2),
                   bool_and(description LIKE '%（模拟）'), bool_and(parties IS NULL) FILTER (WHERE category = 'public_safety')
              FROM incidents WHERE source = 'generated'""")).one()
    assert (without, simulated, placed) == (0, True, True)


def test_every_case_names_its_source_and_a_hotline_or_video_case_its_reference(client, engine):
    with engine.connect() as conn:
        camera = conn.execute(text("SELECT id FROM cameras ORDER BY id LIMIT 1")).scalar_one()
    walk_in = report(client, dispatch=False)
    assert (walk_in["source"], walk_in["source_ref"], walk_in["source_label"]) == ("walk_in", None, "Walk-in")
    hotline = report(client, dispatch=False, source="hotline", source_ref="12345-20261204-00017")
    video = report(client, dispatch=False, source="视频发现（雪亮工程）", source_ref=camera)   # the label is understood
    assert (video["source"], video["source_ref"]) == ("video", camera)
    listed = client.get("/incidents", params={"source": "hotline", "since": hotline["registered_at"]}).json()
    assert [i["id"] for i in listed["items"]] == [hotline["id"]] and listed["items"][0]["source_label"] == "12345 hotline"
    before = client.get("/incidents", params={"limit": 1}).json()["total"]
    for fields, field in (({"source": "hotline"}, "source_ref"), ({"source": "video", "source_ref": "4601"}, "source_ref"),
                          ({"source": "video", "source_ref": camera[:14] + "999999"}, "source_ref"),   # none such
                          ({"source": "fax"}, "source"), ({"source": "portal", "source_ref": "<a>"}, "source_ref")):
        refused = client.post("/incidents", json={**BASE, "lon": HERE[0], "lat": HERE[1], **fields},
                              headers={"Accept-Language": "zh-CN"})
        assert refused.status_code == 422 and refused.json()["field"] == field, (fields, refused.json())
    assert client.get("/incidents", params={"limit": 1}).json()["total"] == before
    unnamed = client.post("/incidents", json={**BASE, "lon": HERE[0], "lat": HERE[1], "source": "hotline"},
                          headers={"Accept-Language": "zh-CN"})
    assert unnamed.json()["detail"] == "12345热线案件须填写工单号"


def test_the_generated_day_has_cases_from_every_source(engine):
    with engine.connect() as conn:
        shares = dict(conn.execute(text("SELECT channel, count(*) FROM incidents WHERE source = 'generated' "
                                        "GROUP BY 1")).all())
        far = conn.execute(text("""SELECT count(*) FROM incidents i JOIN cameras c ON c.id = i.channel_ref
                                   WHERE i.channel = 'video' AND ST_DWithin(i.position::geography, c.position::geography,
                                                                            2000)""")).scalar_one()
        unreferenced = conn.execute(text("SELECT count(*) FROM incidents WHERE channel IN ('hotline', 'video') "
                                         "AND channel_ref IS NULL")).scalar_one()
    assert set(shares) == {"grid_worker", "hotline", "portal", "video", "assigned", "walk_in"}
    assert max(shares, key=shares.get) == "grid_worker" and far == shares["video"] and unreferenced == 0
