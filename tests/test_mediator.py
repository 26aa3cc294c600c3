"""The mediator role: a key tied to one mediator reaches that mediator's cases and nothing
else, takes them through the lifecycle, and hands a case back to the dispatchers."""
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from conftest import ENGLISH, removing_new_incidents
from geo.auth import keys
from geo.auth.keys import Unauthenticated, check_token, mint_token
from geo.errors import Invalid, NotFound
from geo.settings import Auth
from test_incidents import report


@pytest.fixture(autouse=True)
def fresh_loads(engine):
    with removing_new_incidents(engine):
        yield


@pytest.fixture
def as_mediator(api_keys):
    return {"X-API-Key": api_keys["mediator"], **ENGLISH}


def dispatched_to(client, mediator_id, **fields) -> dict:
    case = report(client, dispatch=False, **fields)
    response = client.post(f"/incidents/{case['id']}/dispatch",
                           json={"mode": "manual", "mediator_id": mediator_id, "reason": "tests"})
    assert response.status_code == 200, response.json()
    return response.json()


def next_mediator(client, mediator_id) -> int:
    """Another mediator on duty with room, near the tests' cases."""
    near = client.get("/mediators/nearest", params={"lon": 110.33, "lat": 20.03, "k": 5}).json()["results"]
    return next(m["id"] for m in near if m["id"] != mediator_id)


def test_a_mediator_key_reaches_its_own_cases_only(client, anonymous, as_mediator, mediator_id, engine):
    own = dispatched_to(client, mediator_id, parties=[{"role": "respondent", "name": "吴某", "phone": "13900000004"}])
    other = dispatched_to(client, next_mediator(client, mediator_id))
    listed = anonymous.get("/incidents", params={"limit": 1000, "closed": "false"}, headers=as_mediator).json()
    assert own["id"] in {i["id"] for i in listed["items"]} and {i["mediator_id"] for i in listed["items"]} == {mediator_id}
    # Naming another mediator changes nothing: the key's own cases still.
    asked = anonymous.get("/incidents", params={"mediator_id": other["mediator_id"]}, headers=as_mediator).json()
    assert {i["mediator_id"] for i in asked["items"]} == {mediator_id}
    with engine.connect() as conn:
        running = conn.execute(text("SELECT count(*) FROM incidents WHERE mediator_id = :m AND stage_due_at IS NOT NULL"),
                               {"m": mediator_id}).scalar_one()
    assert listed["total"] == running
    seen = anonymous.get(f"/incidents/{own['id']}", headers=as_mediator).json()
    assert seen["reporter_phone"] == own["reporter_phone"] is not None   # the parties' contact, to reach them
    assert seen["parties"] == [{"role": "respondent", "name": "吴某", "phone": "13900000004"}]
    assert anonymous.get(f"/incidents/{other['id']}", headers=as_mediator).status_code == 404
    step = anonymous.post(f"/incidents/{other['id']}/transitions", json={"to": "accepted"}, headers=as_mediator)
    assert step.status_code == 404 and client.get(f"/incidents/{other['id']}").json()["status"] == other["status"]


@pytest.mark.parametrize("method, path", [
    ("GET", "/incidents/groups"), ("GET", "/incidents/counts"), ("GET", "/events"), ("GET", "/mediators"),
    ("GET", "/areas"), ("GET", "/map"), ("GET", "/dispatch"), ("GET", "/tiles/incidents/12/3355/1790.mvt"),
    ("POST", "/incidents"), ("POST", "/incidents/1/dispatch"), ("POST", "/incidents/1/extend"),
    ("POST", "/incidents/1/escalate"), ("POST", "/plans"),
])
def test_a_mediator_key_opens_nothing_else(anonymous, as_mediator, method, path):
    response = anonymous.request(method, path, json={} if method == "POST" else None, headers=as_mediator)
    assert response.status_code == 403 and "mediator" in response.json()["detail"]


def test_a_mediator_accepts_and_concludes_and_hands_back(client, anonymous, as_mediator, mediator_id):
    case = dispatched_to(client, mediator_id)
    accepted = anonymous.post(f"/incidents/{case['id']}/transitions", json={"to": "accepted"}, headers=as_mediator)
    assert accepted.status_code == 200 and accepted.json()["events"][-1]["actor"] == "key:tests-mediator"
    late = anonymous.post(f"/incidents/{case['id']}/decline", json={"reason": "回避"}, headers=as_mediator)
    assert late.status_code == 409 and late.json()["field"] == "status"

    second = dispatched_to(client, mediator_id)
    back = anonymous.post(f"/incidents/{second['id']}/decline", json={"reason": "与当事人有亲属关系，申请回避"},
                          headers=as_mediator)
    assert back.status_code == 200, back.json()
    after = client.get(f"/incidents/{second['id']}").json()
    assert (after["mediator_id"], after["status"], after["group"]) == (None, "registered", "unassigned")
    assert after["events"][-1]["action"] == "decline" and after["events"][-1]["note"].startswith("与当事人")
    assert anonymous.get(f"/incidents/{second['id']}", headers=as_mediator).status_code == 404   # no longer theirs
    empty = anonymous.post(f"/incidents/{case['id']}/decline", json={"reason": ""}, headers=as_mediator)
    assert empty.status_code == 422 and empty.json()["field"] == "reason"


def test_the_dispatchers_escalate_not_the_mediator(client, anonymous, as_mediator, mediator_id):
    """Escalating hands the case on to another level's mediator (whose contacts the answer would
    show): the centre's decision; a mediator hands the case back or ends the mediation."""
    case = dispatched_to(client, mediator_id)
    seen = anonymous.get(f"/incidents/{case['id']}", headers=as_mediator).json()
    assert "escalated" not in seen["next_statuses"] and "accepted" in seen["next_statuses"]
    listed = anonymous.get("/incidents", params={"limit": 1000, "closed": "false"}, headers=as_mediator).json()
    assert listed["items"] and not any("escalated" in i["next_statuses"] for i in listed["items"])
    step = anonymous.post(f"/incidents/{case['id']}/transitions", json={"to": "escalated", "note": "太复杂"},
                          headers=as_mediator)
    assert step.status_code == 409 and step.json()["field"] == "to", step.json()
    after = client.get(f"/incidents/{case['id']}").json()
    assert (after["status"], after["mediator_id"], after["responsible_level"]) == \
        (case["status"], mediator_id, case["responsible_level"])
    assert "escalated" in after["next_statuses"]   # the dispatcher's step still


def test_mediator_keys_name_a_mediator_that_exists(engine, mediator_id):
    with Session(engine) as session:
        with pytest.raises(Invalid):
            keys.create(session, name="tests-no-one", role="mediator")
        with pytest.raises(Invalid):
            keys.create(session, name="tests-viewer-of-one", role="viewer", mediator_id=mediator_id)
        with pytest.raises(NotFound):
            keys.create(session, name="tests-nobody", role="mediator", mediator_id=2**40)
        session.rollback()
    with pytest.raises(Unauthenticated):   # a token cannot say whose cases: mediators come by key
        check_token(Auth(jwt_secret="s" * 32), mint_token("s" * 32, subject="someone", role="mediator"))


def test_the_mediator_page_needs_a_mediator(client, anonymous, api_keys, mediator_id):
    assert client.get("/mediator").status_code == 422
    assert client.get("/mediator", params={"mediator": mediator_id}).status_code == 200
    assert anonymous.get("/mediator", headers={"X-API-Key": api_keys["mediator"]}).status_code == 200
