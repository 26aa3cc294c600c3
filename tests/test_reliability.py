"""PostgreSQL goes away mid-traffic: the API answers 503 with Retry-After, recovers by itself when
the database is back, and no incident is lost or doubled (clients retry with their Idempotency-Key)."""
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo import localdb
from geo.auth import keys as api_keys_store
from geo.auth.roles import Role

INCIDENTS = 40


def create_with_retries(base: str, key: str, seen: list, api_key: str) -> tuple[int, int]:
    """POST one incident until it is answered 201 or 200; returns (status, id)."""
    body = {"lon": 110.33, "lat": 20.03, "category": "neighbourhood", "severity": "minor",
            "description": f"reliability {key}", "occurred_at": "2026-11-20T09:30:00+08:00"}
    for _ in range(200):
        try:
            response = httpx.post(f"{base}/incidents", params={"dispatch": False}, json=body,
                                  headers={"Idempotency-Key": key, "X-API-Key": api_key}, timeout=10)
        except httpx.HTTPError as exc:
            seen.append(type(exc).__name__)
            time.sleep(0.2)
            continue
        seen.append(response.status_code)
        if response.status_code in (200, 201):
            return response.status_code, response.json()["id"]
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) > 0
        time.sleep(0.2)
    raise AssertionError(f"incident {key} never created")


def test_a_database_restart_loses_and_doubles_nothing(live_server, engine, settings, api_keys):
    if not settings.db.uses_local_cluster:
        pytest.skip("restarting PostgreSQL needs the project-local cluster (DATABASE_URL is set)")
    keys = [f"reliability-{uuid.uuid4()}" for _ in range(INCIDENTS)]
    results, seen = {}, []
    with Session(engine) as session, session.begin():   # a key the server has never checked
        unseen, _ = api_keys_store.create(session, name="tests-reliability", role=Role.VIEWER, expires_days=1)

    def client():
        for key in keys:
            results[key] = create_with_retries(live_server, key, seen, api_keys["dispatcher"])
            time.sleep(0.05)

    worker = threading.Thread(target=client)
    worker.start()
    while len(results) < INCIDENTS // 4:
        time.sleep(0.05)
    localdb.down(settings)
    time.sleep(2)
    during = httpx.get(f"{live_server}/incidents", params={"limit": 1}, timeout=10,
                       headers={"X-API-Key": api_keys["dispatcher"]})
    first_seen = httpx.get(f"{live_server}/incidents", params={"limit": 1}, timeout=10,
                           headers={"X-API-Key": unseen})   # the Gate must look this key up
    localdb.up(settings)
    worker.join(timeout=120)

    assert during.status_code == 503 and during.headers["retry-after"]
    assert first_seen.status_code == 503 and first_seen.headers["retry-after"], first_seen.text
    assert 503 in seen, "the client never saw the outage"
    assert len(results) == INCIDENTS
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT substr(description, 13), count(*) FROM incidents "
                                        "WHERE description = ANY(:d) GROUP BY description"),
                                   {"d": [f"reliability {k}" for k in keys]}).all())
        ids = dict(conn.execute(text("SELECT idempotency_key, incident_id FROM incident_requests "
                                     "WHERE idempotency_key = ANY(:k)"), {"k": keys}).all())
    assert stored == dict.fromkeys(keys, 1), "every incident exactly once"
    assert {key: ids[key] for key in keys} == {key: results[key][1] for key in keys}
    again = [create_with_retries(live_server, key, [], api_keys["dispatcher"]) for key in keys[:5]]
    assert [status for status, _ in again] == [200] * 5 and [i for _, i in again] == [results[k][1] for k in keys[:5]]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM incidents WHERE id IN (SELECT incident_id FROM incident_requests "
                          "WHERE idempotency_key = ANY(:k))"), {"k": keys})
