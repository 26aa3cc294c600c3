"""Reads on a real streaming replica of the project's PostgreSQL (pg_basebackup -R): routing,
lag watching, and falling back to the primary when the replica dies mid-traffic."""
from __future__ import annotations

import os
import threading
import time
import uuid

import httpx
import psycopg
import pytest

from conftest import serving
from geo import localdb

CHECK_SECONDS = 0.2
MAX_LAG_SECONDS = 1.0


@pytest.fixture(scope="module")
def replica(settings, engine):
    if not settings.db.uses_local_cluster:
        pytest.skip("starting a replica needs the project-local cluster (DATABASE_URL is set)")
    localdb.replica_down(settings, remove=True, mode="immediate")   # a copy left by an interrupted run
    localdb.replica_up(settings)
    dsn = f"host=127.0.0.1 port={settings.replicas.port} user={localdb.OWNER} dbname={settings.db.name}"
    yield dsn
    localdb.replica_down(settings, remove=True, mode="immediate")


@pytest.fixture(scope="module")
def server(replica, settings):
    url = f"postgresql://{localdb.OWNER}@127.0.0.1:{settings.replicas.port}/{settings.db.name}"
    env = {**os.environ, "GRID_REPLICA_URLS": url, "GRID_REPLICA_CHECK_SECONDS": str(CHECK_SECONDS),
           "GRID_REPLICA_MAX_LAG_SECONDS": str(MAX_LAG_SECONDS)}
    with serving(env) as base:
        yield base


def served_by(base: str, key: str, path: str = "/areas/460106") -> str:
    response = httpx.get(base + path, headers={"X-API-Key": key}, timeout=10)
    assert response.status_code == 200, response.text
    return response.headers["x-read-from"]


def wait_for(condition, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def new_incident(base: str, key: str) -> int:
    response = httpx.post(f"{base}/incidents", headers={"X-API-Key": key, "Idempotency-Key": f"replica-{uuid.uuid4()}"},
                          json={"lon": 110.33, "lat": 20.03, "category": "neighbourhood", "severity": "minor",
                                "description": "replica test", "occurred_at": "2026-11-20T10:00:00+08:00"},
                          params={"dispatch": "false"}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_stale_tolerant_reads_go_to_the_replica_and_writes_to_the_primary(server, replica, api_keys):
    key = api_keys["dispatcher"]
    wait_for(lambda: served_by(server, key) == "replica-1")
    assert served_by(server, key, "/tiles/villages/10/825/453.mvt") == "replica-1"
    assert served_by(server, key, "/collections/villages/items?limit=1") == "replica-1"
    health = httpx.get(f"{server}/health", headers={"X-API-Key": key}).json()
    [status] = health["replicas"]
    assert status["name"] == "replica-1" and status["in_rotation"] and status["reason"] is None
    assert 0 <= status["lag_seconds"] < MAX_LAG_SECONDS
    written = new_incident(server, key)
    read = httpx.get(f"{server}/incidents/{written}", headers={"X-API-Key": key})
    assert read.status_code == 200 and "x-read-from" not in read.headers   # read-your-writes: the primary
    with psycopg.connect(replica) as conn:   # and the write streams to the replica
        wait_for(lambda: conn.execute("SELECT 1 FROM incidents WHERE id = %s", (written,)).fetchone())
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True


def test_a_lagging_replica_leaves_the_rotation_and_comes_back(server, replica, api_keys):
    key = api_keys["dispatcher"]
    wait_for(lambda: served_by(server, key) == "replica-1")
    with psycopg.connect(replica, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        try:
            new_incident(server, key)
            time.sleep(MAX_LAG_SECONDS + 2 * CHECK_SECONDS)
            wait_for(lambda: served_by(server, key) == "primary")
            status = httpx.get(f"{server}/health", headers={"X-API-Key": key}).json()["replicas"][0]
            assert not status["in_rotation"] and status["reason"].startswith("lagging")
            assert status["lag_seconds"] > MAX_LAG_SECONDS
        finally:
            conn.execute("SELECT pg_wal_replay_resume()")
    wait_for(lambda: served_by(server, key) == "replica-1")


def test_reads_fall_back_to_the_primary_when_the_replica_dies_mid_traffic(server, replica, settings, api_keys):
    key = api_keys["viewer"]
    wait_for(lambda: served_by(server, key) == "replica-1")
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def traffic():
        with httpx.Client(base_url=server, headers={"X-API-Key": key}, timeout=10) as client:
            while not stop.is_set():
                try:
                    response = client.get("/areas/460106001")
                except httpx.TransportError:
                    answers.append((0, None))   # a dropped connection counts as a failure
                else:
                    answers.append((response.status_code, response.headers.get("x-read-from")))

    worker = threading.Thread(target=traffic)
    worker.start()
    wait_for(lambda: len(answers) > 20)
    before_kill = len(answers)
    localdb.replica_down(settings, mode="immediate")   # as if its machine died
    killed_at = len(answers)
    wait_for(lambda: len(answers) > killed_at + 50)
    stop.set()
    worker.join(timeout=30)
    statuses = [s for s, _ in answers]
    assert set(statuses) <= {200, 503}, set(statuses)          # never a 500 or a dropped connection
    assert statuses.count(503) <= 2, statuses.count(503)       # at most the requests in flight at the kill
    assert {w for _, w in answers[:before_kill]} == {"replica-1"}
    assert {w for _, w in answers[-40:]} == {"primary"}
    status = httpx.get(f"{server}/health", headers={"X-API-Key": key}).json()["replicas"][0]
    assert not status["in_rotation"] and status["reason"]
    localdb.replica_up(settings)                                # back: it rejoins after a passing check
    wait_for(lambda: served_by(server, key) == "replica-1", seconds=30)
