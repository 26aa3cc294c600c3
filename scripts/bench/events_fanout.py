#!/usr/bin/env python3
"""Benchmark: how soon a change reaches 100 open event streams, against the floor.

    .venv/bin/python scripts/bench/events_fanout.py [--streams 100] [--rounds 10]

One API process (uvicorn, 1 worker, loopback), database `haikou_bench`, `--streams`
clients holding GET /events open (asyncio + httpx, in this process), two per dispatcher's key. Each round writes one
change and times, for every stream, from just before the write to the moment the stream
delivers the event:

- through the API: POST /incidents (the server's own commit rings its streams);
- from another process: an INSERT into incident_events over psycopg (the server hears of
  it by LISTEN/NOTIFY, as from another worker or the overdue sweep).

The floor, in the same run: a bare PostgreSQL NOTIFY from one connection to a LISTEN on
another (what the second path costs before our code runs), and the POST alone. Also the
two reads the workbench makes to draw its queue (GET /incidents/groups and one group's
200 cases by deadline). Prints p50/p99/max and the share delivered within 2 s.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import api_server, bench_key, percentiles, use_database  # noqa: E402

DB = "haikou_bench"
BODY = {"category": "neighbourhood", "severity": "minor", "description": "基准测试：邻里纠纷",
        "occurred_at": "2026-11-20T09:30:00+08:00", "lon": 110.33, "lat": 20.03}


async def listen(client, key: str, waiting: dict, ready: asyncio.Event, opened: list) -> None:
    """One stream (of ``key``'s dispatcher): note when each awaited incident id first arrives."""
    async with client.stream("GET", "/events", headers={"X-API-Key": key}) as response:
        assert response.status_code == 200, response.status_code
        event = None
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
                if event == "ready":
                    opened.append(1)
                    if len(opened) == waiting["streams"]:
                        ready.set()
            elif line.startswith("data: ") and event == "incident":
                data = json.loads(line[6:])
                waiting["arrived"].setdefault((data["incident_id"], data["action"]), []).append(time.perf_counter())


def notify_floor(dsn: str, rounds: int) -> list[float]:
    import psycopg

    samples = []
    with psycopg.connect(dsn, autocommit=True) as listener, psycopg.connect(dsn, autocommit=True) as sender:
        listener.execute("LISTEN bench_floor")
        for _ in range(rounds):
            start = time.perf_counter()
            sender.execute("SELECT pg_notify('bench_floor', 'x')")
            next(listener.notifies(timeout=5, stop_after=1))
            samples.append(time.perf_counter() - start)
    return samples


async def run(streams: int, rounds: int) -> None:
    import httpx
    import psycopg

    from sqlalchemy.orm import Session

    from geo.auth import keys
    from geo.db import get_engine
    from geo.settings import get_settings

    use_database(DB)
    dsn = get_settings().db.libpq_url
    key = bench_key(DB, "dispatcher")
    # A key holds at most 20 streams (api.streams.EventFeed): a centre's dispatchers, one key
    # each, two browsers (a workbench and the map) apiece.
    with Session(get_engine()) as session, session.begin():
        dispatchers = [keys.create(session, name=f"benchmark-dispatcher-{i}", role="dispatcher", expires_days=1)[0]
                       for i in range(-(-streams // 2))]
    with api_server(DB) as (base, _):
        headers = {"X-API-Key": key}
        limits = httpx.Limits(max_connections=streams + 10)
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                     timeout=httpx.Timeout(30, read=None)) as client:
            queue = []
            for _ in range(20):
                start = time.perf_counter()
                await asyncio.gather(client.get("/incidents/groups"),
                                     client.get("/incidents", params={"group": "in_mediation", "sort": "due_at",
                                                                      "limit": 200}))
                queue.append(time.perf_counter() - start)
            opened_total = (await client.get("/incidents", params={"group": "in_mediation", "limit": 1})).json()["total"]

            waiting = {"streams": streams, "since": {}, "arrived": {}}
            ready, opened = asyncio.Event(), []
            tasks = [asyncio.create_task(listen(client, dispatchers[i // 2], waiting, ready, opened))
                     for i in range(streams)]
            await asyncio.wait_for(ready.wait(), 60)

            posts, since = [], {}   # (incident, action) -> when its write began
            for _ in range(rounds):
                start = time.perf_counter()
                made = await client.post("/incidents", json=BODY, params={"dispatch": "false"})
                posts.append(time.perf_counter() - start)
                since[(made.json()["id"], "register")] = start
                await asyncio.sleep(0.2)
            with psycopg.connect(dsn, autocommit=True) as other:   # as another worker would write
                for incident, _ in list(since):
                    since[(incident, "transition")] = time.perf_counter()
                    other.execute("INSERT INTO incident_events (incident_id, incident_registered_at, actor, action) "
                                  "SELECT id, registered_at, 'benchmark', 'transition' FROM incidents WHERE id = %s",
                                  (incident,))
                    await asyncio.sleep(0.2)
            await asyncio.sleep(3)
            for task in tasks:
                task.cancel()
    via_api = [t - start for (i, action), start in since.items() if action == "register"
               for t in waiting["arrived"].get((i, action), [])]
    via_notify = [t - start for (i, action), start in since.items() if action == "transition"
                  for t in waiting["arrived"].get((i, action), [])]
    floor = notify_floor(dsn, 200)
    expected = streams * rounds
    print(f"{streams} streams, {rounds} changes each way, 1 worker, {opened_total} cases in mediation")
    print(f"queue (groups + 200 cases by deadline, 2 requests in parallel): {percentiles(queue)}")
    print(f"floor: PostgreSQL NOTIFY to LISTEN          {percentiles(floor)}")
    print(f"floor: POST /incidents answered             {percentiles(posts)}")
    for name, samples in (("through the API (POST)  ", via_api), ("from another process    ", via_notify)):
        within = sum(s <= 2.0 for s in samples)
        print(f"delivered {name} {len(samples)}/{expected}, within 2 s {within / expected:.1%}: {percentiles(samples)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.streams, args.rounds))


if __name__ == "__main__":
    main()
