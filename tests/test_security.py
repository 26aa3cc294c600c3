"""Access: every operation refuses anonymous callers, roles reach only their part, personal data
only for dispatchers and admins, keys expire and are revoked, tokens are checked, embed keys
stay with their portals, and a key past its rate limit waits."""
import os
import re
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.auth import keys

DUMMY = {"code": "460106005", "layers": "grids", "z": "10", "x": "836", "y": "447", "view": "overview",
         "incident_id": "1", "mediator_id": "1", "camera_id": "46010500001320000001", "plan_id": "1",
         "generation": "1", "collectionId": "towns", "featureId": "460106005",
         "fontstack": "Noto Sans Regular", "range": "0-255", "fmt": "json", "service_code": "neighbourhood",
         "service_request_id": "1", "token": "00000000-0000-0000-0000-000000000000", "subscription_id": "1",
         "delivery_id": "1", "attachment_id": "1"}
OPEN = {"/health", "/fonts/Noto Sans Regular/0-255.pbf",   # the glyphs are a font, not data
        "/field/manifest.webmanifest", "/field/sw.js"}   # what a browser asks for without credentials
OPEN_READS = "/open311/"   # Open311's services and requests: public reads with nothing personal


def operations(client):
    for path, methods in client.get("/openapi.json").json()["paths"].items():
        for method in methods:
            yield method.upper(), re.sub(r"\{(\w+)\}", lambda m: DUMMY[m[1]], path)


def test_every_operation_but_health_and_glyphs_refuses_anonymous_callers(client, anonymous):
    checked = 0
    for method, path in operations(client):
        response = anonymous.request(method, path)
        if path in OPEN:
            assert response.status_code == 200, path
            continue
        if method == "GET" and path.startswith(OPEN_READS):
            assert response.status_code in (200, 404), (path, response.status_code)   # 404: no such request
            continue
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.headers["www-authenticate"].startswith("Bearer")
        checked += 1
    assert checked > 50
    for open_path in ("/docs", "/openapi.json", "/vendor/leaflet/leaflet.js", "/static/planner.js"):
        assert anonymous.get(open_path).status_code == 200, open_path


def as_role(client, api_keys, role):
    return {"X-API-Key": api_keys[role]}


@pytest.mark.parametrize("role, method, path, allowed", [
    ("viewer", "GET", "/areas/460106005", True),
    ("viewer", "POST", "/incidents", False),
    ("viewer", "POST", "/plans", False),
    ("viewer", "GET", "/audit", False),
    ("planner", "POST", "/plans", True),
    ("planner", "POST", "/generations/1/restore", True),
    ("planner", "POST", "/incidents", False),
    ("planner", "POST", "/cameras", False),
    ("dispatcher", "POST", "/incidents", True),
    ("dispatcher", "PATCH", "/mediators/1", True),
    ("dispatcher", "POST", "/plans", False),
    ("camera_admin", "POST", "/cameras", True),
    ("camera_admin", "DELETE", "/mediators/1", False),
    ("embed", "GET", "/tiles/grids/10/836/447.mvt", True),
    ("embed", "GET", "/embed/overview", True),
    ("embed", "GET", "/areas/460106005", True),
    ("embed", "GET", "/areas", False),
    ("embed", "GET", "/incidents", False),
    ("embed", "GET", "/map", False),
    ("embed", "POST", "/locate", False),
    ("mediator", "GET", "/incidents", True),
    ("mediator", "GET", "/mediator", True),
    ("mediator", "POST", "/incidents/1/transitions", True),
    ("mediator", "POST", "/incidents/1/decline", True),
    ("mediator", "GET", "/incidents/groups", False),
    ("mediator", "POST", "/incidents", False),
    ("mediator", "GET", "/cameras", False),
    ("admin", "GET", "/audit", True),
    ("viewer", "GET", "/mediator?mediator=1", False),   # another person's cases: the centre's to follow
    ("planner", "GET", "/mediator?mediator=1", False),
    ("dispatcher", "GET", "/mediator?mediator=1", True),
])
def test_each_role_reaches_only_its_part(anonymous, api_keys, role, method, path, allowed):
    body = {} if method in ("POST", "PATCH") else None
    response = anonymous.request(method, path, json=body, headers={"X-API-Key": api_keys[role]})
    if allowed:
        assert response.status_code not in (401, 403), (role, method, path, response.json())
    else:
        assert response.status_code == 403, (role, method, path, response.status_code)
        assert role in response.json()["detail"]


def test_personal_data_only_for_dispatchers_and_admins(client, anonymous, api_keys, engine):
    created = client.post("/incidents", params={"dispatch": False}, json={
        "lon": 110.33, "lat": 20.03, "category": "neighbourhood", "severity": "minor", "description": "wall",
        "occurred_at": "2026-11-20T09:30:00+08:00", "reporter_name": "王某", "reporter_phone": "13800000001",
        "parties": [{"role": "applicant", "name": "王某", "phone": "13800000001"},
                    {"role": "respondent", "name": "李某某", "phone": "13900000002"}]}).json()
    try:
        for role, sees in (("viewer", False), ("planner", False), ("dispatcher", True), ("admin", True)):
            headers = {"X-API-Key": api_keys[role]}
            one = anonymous.get(f"/incidents/{created['id']}", headers=headers).json()
            listed = anonymous.get("/incidents", params={"limit": 5}, headers=headers).json()["items"]
            mediators = anonymous.get("/mediators", params={"limit": 3}, headers=headers).json()["items"]
            nearest = anonymous.get("/mediators/nearest", params={"lon": 110.33, "lat": 20.03}, headers=headers).json()
            assert ("reporter_phone" in one) is sees and (one.get("reporter_name") == "王某") is sees, role
            assert ("李某某" in str(one) or "13900000002" in str(one) or "13900000002" in str(listed)) is sees, role
            assert all(("parties" in i) is sees for i in listed), role
            assert all(("reporter_phone" in i) is sees for i in listed), role
            assert all(("phone" in m and "name" in m) is sees for m in mediators), role
            assert ("13800000001" in str(nearest)) is False and ("phone" in str(nearest)) is sees, role
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incidents WHERE source = 'api'"))


def test_expired_revoked_and_made_up_keys_are_401(anonymous, engine):
    with Session(engine) as session, session.begin():
        expired, _ = keys.create(session, name="tests-expired", role="viewer", expires_days=-1)
        revoked, row = keys.create(session, name="tests-revoked", role="viewer")
        prefix = row.prefix
    assert anonymous.get("/areas", headers={"X-API-Key": revoked}).status_code == 200
    done = subprocess.run([sys.executable, "-m", "geo.cli", "auth", "revoke", prefix], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    anonymous.app.state.services.keys.clear()   # other processes notice within 10 s (the key cache's lifetime)
    for key, reason in ((expired, "expired"), (revoked, "revoked"), ("hk_00000000_" + "a" * 43, "unknown"),
                        ("not-a-key", "malformed")):
        response = anonymous.get("/areas", headers={"X-API-Key": key})
        assert response.status_code == 401 and reason in response.json()["detail"], key
    listing = subprocess.run([sys.executable, "-m", "geo.cli", "auth", "list"], capture_output=True, text=True)
    assert re.search(rf"{prefix}\s+viewer\s+tests-revoked\s+revoked", listing.stdout + listing.stderr)
    assert revoked not in listing.stdout + listing.stderr   # keys are never shown again


def test_bearer_tokens_are_checked(anonymous, settings):
    good = keys.mint_token(settings.auth.jwt_secret, subject="li.dispatcher", role="dispatcher")
    assert anonymous.get("/incidents", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    assert anonymous.post("/plans", json={"scope": "460106"}, headers={"Authorization": f"Bearer {good}"}).status_code == 403
    for token, reason in ((keys.mint_token(settings.auth.jwt_secret, subject="x", role="viewer", minutes=-1), "expired"),
                          (keys.mint_token("another-secret-of-enough-length-32b", subject="x", role="admin"), "invalid"),
                          ("eyJnot.a.token", "invalid")):
        response = anonymous.get("/areas", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and reason in response.json()["detail"]


def test_embed_keys_stay_with_their_portals(anonymous, api_keys):
    key = {"X-API-Key": api_keys["embed"]}
    tile = "/tiles/grids/10/836/447.mvt"
    allowed = anonymous.get(tile, headers={**key, "Origin": "https://portal.example"})
    assert allowed.status_code in (200, 204) and allowed.headers["access-control-allow-origin"] == "https://portal.example"
    assert anonymous.get(tile, headers={**key, "Origin": "https://elsewhere.example"}).status_code == 403
    page = anonymous.get("/embed/overview", params={"key": api_keys["embed"]})
    assert page.status_code == 200
    assert page.headers["content-security-policy"].endswith("frame-ancestors https://portal.example")
    assert "access-control-allow-origin" not in anonymous.get(tile, headers={"X-API-Key": api_keys["viewer"],
                                                                              "Origin": "https://x.example"}).headers


def test_a_key_past_its_rate_limit_waits(anonymous, engine, settings):
    with Session(engine) as session, session.begin():
        key, _ = keys.create(session, name=f"tests-rate-{uuid.uuid4().hex[:6]}", role="viewer")
    before = settings.limits.rate_limit_per_minute
    settings.limits.rate_limit_per_minute = 5
    try:
        answers = [anonymous.get("/areas/460106005", headers={"X-API-Key": key}) for _ in range(8)]
    finally:
        settings.limits.rate_limit_per_minute = before
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 3
    assert int(answers[-1].headers["retry-after"]) >= 1


def test_the_cli_makes_keys_that_work(anonymous, engine):
    made = subprocess.run([sys.executable, "-m", "geo.cli", "auth", "create-key", "--role", "embed", "--name",
                           "tests-cli", "--quiet"], capture_output=True, text=True, env=os.environ.copy())
    assert made.returncode == 1 and "origins" in made.stdout + made.stderr   # an embed key must name its portals
    made = subprocess.run([sys.executable, "-m", "geo.cli", "auth", "create-key", "--role", "viewer", "--name",
                           "tests-cli", "--expires-days", "1", "--quiet"], capture_output=True, text=True)
    key = made.stdout.strip()
    assert made.returncode == 0 and key.startswith("hk_")
    assert anonymous.get("/areas", headers={"X-API-Key": key}).status_code == 200
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT secret_hash FROM api_keys WHERE prefix = :p"), {"p": key.split("_")[1]}).scalar_one()
    assert key not in stored and len(stored) == 64
