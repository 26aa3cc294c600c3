"""Hostile and oversized input: limits answer 4xx (a statement timeout 503), SQL injection
through every parameter that reaches SQL changes nothing, malformed bodies are problems."""
import json
import re

import pytest
from sqlalchemy import text

from geo.db import get_engine

TABLES = ("areas", "h3_cells", "incidents", "mediators", "cameras", "organisations", "generations", "plans", "audit_log")
INJECTIONS = ["1;DROP TABLE areas", "' OR '1'='1", "grids'); DELETE FROM incidents; --", "460106%00", "$$; TRUNCATE areas; $$"]


def table_counts(engine) -> dict:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_a_body_over_the_limit_is_413_before_it_is_read(client, settings):
    too_big = b"[" + b"0," * (settings.limits.max_body_bytes // 2) + b"0]"
    response = client.post("/locate", content=too_big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json" and response.json()["field"] == "body"


def body_operations(client) -> list[tuple[str, str, str]]:
    """(method, path with ids filled, media type) of every operation that takes a body."""
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                media = next(iter(operation["requestBody"]["content"]))
                found.append((method, re.sub(r"\{[^}]+\}", "1", path), media))
    return found


def test_a_body_of_another_media_type_than_the_operation_reads_is_415(client):
    """Sent as text/plain (or a JSON route's body as a form), the body is refused as such,
    naming Content-Type, at every operation that takes one: never the 422 it would become."""
    operations = body_operations(client)
    assert len(operations) >= 14
    for method, path, media in operations:
        for wrong in ("text/plain", "application/x-www-form-urlencoded") if media == "application/json" else (
                "application/json", "text/plain"):
            response = client.request(method, path, content=b'{"scope": "460106"}', headers={"Content-Type": wrong})
            assert (response.status_code, response.json().get("field")) == (415, "Content-Type"), (method, path, wrong)
        assert media in response.json()["detail"]


def test_a_large_body_that_is_not_a_form_gets_the_json_limit(client, settings):
    """Only a multipart upload may be larger than the JSON limit: a body of another type is
    held to it, whatever it claims to be."""
    body = b"x" * (settings.limits.max_json_bytes + 1)
    assert client.post("/incidents", content=body, headers={"Content-Type": "text/plain"}).status_code == 413


@pytest.mark.parametrize("body", [
    "[" * 50_000 + "]" * 50_000,                        # deep nesting
    '{"points": [[NaN, 20.0]]}', '{"points": [[Infinity, 20.0]]}', '{"points": [[1e999, 20.0]]}',
    '{"points": "all of them"}', "not json", "",
])
def test_malformed_bodies_are_problems(client, body):
    response = client.post("/locate", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_statement_past_the_timeout_is_503_with_retry_after(client, settings):
    before = settings.db.statement_timeout_ms
    settings.db.statement_timeout_ms = 1
    try:
        response = client.get("/incidents/counts", params={"level": "grid"})
    finally:
        settings.db.statement_timeout_ms = before
        get_engine.cache_clear()
    assert response.status_code == 503 and response.headers["retry-after"]
    assert client.get("/incidents/counts", params={"level": "district"}).status_code == 200


def test_sql_injection_through_every_sql_parameter_changes_nothing(client, engine):
    before = table_counts(engine)
    for attack in INJECTIONS:
        answers = [
            client.get(f"/tiles/{attack}/10/836/447.mvt"),
            client.get(f"/tiles/grids,{attack}.json"),
            client.get(f"/areas/{attack}"),
            client.get("/areas", params={"level": attack}),
            client.get("/areas", params={"parent": attack}),
            client.get("/areas", params={"bbox": attack}),
            client.get("/incidents", params={"area": attack}),
            client.get("/incidents", params={"status": attack}),
            client.get("/incidents", params={"category": attack}),
            client.get("/incidents/counts", params={"level": attack, "parent": attack}),
            client.get("/mediators", params={"area": attack}),
            client.get("/mediators/nearest", params={"lon": 110.3, "lat": 20.0, "category": attack}),
            client.get(f"/cameras/{attack}"),
            client.get(f"/collections/{attack}/items"),
            client.get("/collections/grids/items", params={"properties": attack}),
            client.get("/collections/grids/items", params={"bbox": attack}),
            client.get(f"/embed/{attack}"),
            client.get("/generations/1/export", params={"level": attack}),
            client.post("/plans", json={"scope": attack}),
            client.get("/tiles/grids/10/836/447.mvt", params={"crs": attack}),
            client.get("/tiles/incidents/16/53563/28577.mvt", params={"category": attack}),
        ]
        for response in answers:
            assert 400 <= response.status_code < 500, \
                (attack, response.request.url, response.status_code)
    assert table_counts(engine) == before


def test_sql_injection_in_a_text_field_is_stored_as_text(client, engine):
    attack = "'); DROP TABLE incidents; --"
    created = client.post("/incidents", params={"dispatch": False}, json={
        "lon": 110.33, "lat": 20.03, "category": "neighbourhood", "severity": "minor", "description": attack,
        "occurred_at": "2026-11-20T09:30:00+08:00"})
    assert created.status_code == 201
    assert client.get(f"/incidents/{created.json()['id']}").json()["description"] == attack
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": created.json()["id"]})


def test_oversized_geometry_and_batches_are_refused(client, engine):
    with engine.connect() as conn:
        village = conn.execute(text("SELECT code FROM areas WHERE level = 'village' AND generation_high IS NULL "
                                    "ORDER BY code LIMIT 1")).scalar_one()
    plan = client.post("/plans", json={"scope": village}).json()["id"]
    ring = [[110.3 + 0.01 * (i % 7) / 7, 20.0 + 0.01 * i / 200_000] for i in range(200_001)] + [[110.3, 20.0]]
    huge = {"op": "replace", "code": village + "001", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    response = client.post(f"/plans/{plan}/edits", content=json.dumps(huge), headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["field"] == "geometry"
    batch = client.post("/locate", json={"points": [[110.3, 20.0]] * 100_001})
    assert batch.status_code == 422 and batch.json()["field"] == "points"
    assert client.get("/tiles/grids,villages,towns,districts,cameras,mediators,incidents,households,camera_coverage"
                      "/10/836/447.mvt").status_code == 422


STORED = ["王'); DELETE FROM incidents; --", "x' OR '1'='1", "$$; TRUNCATE areas; $$", "李\\'; DROP TABLE areas; --"]


def test_sql_in_text_that_passes_validation_is_stored_and_read_back_as_text(client, engine, api_keys):
    """Payloads that are valid names and free text reach the SQL as values (incident
    descriptions and notes, mediator names, plan descriptions, audit rows): each is stored and
    read back byte for byte, and nothing else changes."""
    before = table_counts(engine)
    made = {"incidents": [], "mediators": [], "plans": []}
    village = client.get("/locate", params={"lon": 110.33, "lat": 20.03}).json()["village"]["code"]
    try:
        for attack in STORED:
            incident = client.post("/incidents", params={"dispatch": False}, json={
                "lon": 110.33, "lat": 20.03, "category": "neighbourhood", "severity": "minor", "description": attack,
                "occurred_at": "2026-11-20T09:30:00+08:00"})
            assert incident.status_code == 201, incident.text
            made["incidents"].append(incident.json()["id"])
            refused = client.post(f"/incidents/{incident.json()['id']}/transitions", json={"to": "refused", "note": attack})
            assert refused.status_code == 200 and refused.json()["events"][-1]["note"] == attack
            mediator = client.post("/mediators", json={
                "name": attack, "phone": "13900000000", "employment": "part_time", "organisation_id": 1,
                "home_village_code": village, "skills": ["neighbourhood"], "capacity": 2, "on_duty": True,
                "lon": 110.33, "lat": 20.03})
            assert mediator.status_code == 201, mediator.text
            made["mediators"].append(mediator.json()["id"])
            plan = client.post("/plans", json={"scope": village, "description": attack})
            assert plan.status_code == 201, plan.text
            made["plans"].append(plan.json()["id"])
            assert client.get(f"/incidents/{made['incidents'][-1]}").json()["description"] == attack
            assert client.get(f"/mediators/{made['mediators'][-1]}").json()["name"] == attack
            assert client.get(f"/plans/{made['plans'][-1]}").json()["description"] == attack
        after = table_counts(engine)
        grown = {"incidents": len(STORED), "mediators": len(STORED), "plans": len(STORED)}
        assert {t: after[t] - before[t] for t in TABLES if t != "audit_log"} == {
            t: grown.get(t, 0) for t in TABLES if t != "audit_log"}
    finally:
        for plan in made["plans"]:
            client.delete(f"/plans/{plan}")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incidents WHERE id = ANY(:ids)"), {"ids": made["incidents"]})
        for mediator in made["mediators"]:
            client.delete(f"/mediators/{mediator}")
