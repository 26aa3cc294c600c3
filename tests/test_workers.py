"""Several API processes share nothing but PostgreSQL: a publish or a key revocation made
through one reaches the others by LISTEN/NOTIFY, and no stale answer survives it."""
from __future__ import annotations

import os
import time

import httpx
import pytest
from h3.api import basic_int as h3
from sqlalchemy.orm import Session

from conftest import serving
from geo.auth import keys
from planning_helpers import approved, boundaries_restored, border_cell, centre, grids_of, village_with_grids

REPEATS = 20


@pytest.fixture(scope="module")
def two_workers(engine):
    """Two API processes; the locate index's fallback recheck is an hour, so only a
    notification can tell them of a change."""
    env = {**os.environ, "GRID_LOCATE_RECHECK_SECONDS": "3600"}
    with serving(env) as first, serving(env) as second:
        yield first, second


def locate(base: str, key: str, lon: float, lat: float) -> str:
    response = httpx.get(f"{base}/locate", params={"lon": lon, "lat": lat}, headers={"X-API-Key": key}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["grid"]["code"]


def test_a_publish_on_one_worker_is_what_every_worker_answers_next(two_workers, engine, api_keys):
    first, second = two_workers
    key = api_keys["planner"]
    village = village_with_grids(engine, 4, offset=5)
    grids = grids_of(engine, village)
    target = sorted(grids)[-1]
    source, cell = border_cell(grids, target)
    lon, lat = centre(cell)
    assert locate(first, key, lon, lat) == locate(second, key, lon, lat) == source   # both indexes warm

    with boundaries_restored(engine), httpx.Client(base_url=first, headers={"X-API-Key": key}, timeout=120) as planner:
        plan = planner.post("/plans", json={"scope": village}).json()["id"]
        assert planner.post(f"/plans/{plan}/edits", json={"op": "paint", "target": target,
                                                          "cells": [h3.int_to_str(cell)]}).status_code == 201
        approved(planner, plan, {"X-API-Key": api_keys["admin"]})
        published = planner.post(f"/plans/{plan}/publish", json={"accept_warnings": "test"})
        assert published.status_code == 201, published.text

        answers = [locate(base, key, lon, lat) for _ in range(REPEATS) for base in (second, first)]
        assert answers == [target] * len(answers)
        health = httpx.get(f"{second}/health", headers={"X-API-Key": key}).json()
        assert health["generation"] == published.json()["generation"]


def test_a_key_revoked_anywhere_stops_working_on_every_worker_at_once(two_workers, engine):
    first, second = two_workers
    with Session(engine) as session, session.begin():
        key, row = keys.create(session, name="tests-revoked-everywhere", role="viewer")
        prefix = row.prefix
    for base in two_workers:   # both processes now hold it in their 10 s key cache
        assert httpx.get(f"{base}/areas/460106", headers={"X-API-Key": key}).status_code == 200
    with Session(engine) as session, session.begin():
        keys.revoke(session, prefix)
    revoked_at = time.monotonic()
    statuses = {}
    while len(statuses) < 2 and time.monotonic() - revoked_at < 5:
        for base in two_workers:
            if httpx.get(f"{base}/areas/460106", headers={"X-API-Key": key}).status_code == 401:
                statuses.setdefault(base, time.monotonic() - revoked_at)
    assert set(statuses) == {first, second}, "a worker kept accepting the revoked key"
    assert max(statuses.values()) < 5   # the key cache alone would have accepted it for up to 10 s
