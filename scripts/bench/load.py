#!/usr/bin/env python3
"""Benchmark: mixed traffic on one API worker for a fixed time, with the server's memory.

    .venv/bin/python scripts/bench/load.py [--seconds 60] [--warmup 15] [--concurrency 8]

Loopback only, database `haikou_bench`. Concurrent clients (Python, asyncio + httpx, on
the same 2 cores as the server) send a fixed mix: 40 % single-point locate, 30 % vector
tiles (zoom 12-16 around the urban core), 15 % area reads, 10 % incident registration
with automatic dispatch, 5 % re-dispatch of an incident made in the run. Prints
throughput, p50/p99 per kind, errors (non-2xx/204, which are all counted), and the
server's resident memory after warm-up and at the end (the aim: growth under 10 %).
The incidents made are deleted afterwards.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
from common import api_server, bench_key, city_points, percentiles, tile_of, use_database  # noqa: E402

DB = "haikou_bench"
MIX = (("locate", 40), ("tile", 30), ("area", 15), ("incident", 10), ("dispatch", 5))


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def traffic(base: str, key: str, seconds: float, concurrency: int, record: bool, areas: list[str]) -> dict:
    import httpx

    lon, lat = city_points(20_000, seed=21)
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    results: dict[str, list] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    made: list[int] = []
    deadline = time.perf_counter() + seconds

    async def one(client: httpx.AsyncClient, rng: random.Random) -> None:
        kind = rng.choice(kinds)
        i = rng.randrange(len(lon))
        if kind == "locate":
            call = client.get("/locate", params={"lon": lon[i], "lat": lat[i]})
        elif kind == "tile":
            z = rng.randint(12, 16)
            x, y = tile_of(110.28 + rng.random() * 0.12, 19.98 + rng.random() * 0.08, z)
            call = client.get(f"/tiles/{rng.choice(['grids', 'villages,grids', 'cameras,incidents'])}/{z}/{x}/{y}.mvt")
        elif kind == "area":
            call = client.get(f"/areas/{rng.choice(areas)}", params={"simplify_m": 20})
        elif kind == "dispatch" and made:
            call = client.post(f"/incidents/{rng.choice(made)}/dispatch", json={"mode": "auto"})
        else:
            kind = "incident"
            call = client.post("/incidents", json={
                "lon": 110.28 + rng.random() * 0.12, "lat": 19.98 + rng.random() * 0.08, "category": "neighbourhood",
                "severity": "minor", "description": "load test", "occurred_at": "2026-11-20T09:30:00+08:00"})
        start = time.perf_counter()
        response = await call
        elapsed = time.perf_counter() - start
        if record:
            results[kind].append(elapsed)
            if response.status_code not in (200, 201, 204):
                errors[kind] += 1
                errors[f"{kind} {response.status_code}"] += 1
        if kind == "incident" and response.status_code == 201:
            made.append(response.json()["id"])

    async def worker(seed: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(seed)
        while time.perf_counter() < deadline:
            await one(client, rng)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60, headers={"X-API-Key": key}) as client:
        await asyncio.gather(*(worker(k, client) for k in range(concurrency)))
    return {"results": results, "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    use_database(DB)
    from sqlalchemy import text

    from geo.db import get_engine

    with get_engine().connect() as conn:
        areas = [r[0] for r in conn.execute(text("SELECT code FROM areas WHERE generation_high IS NULL "
                                                 "AND level IN ('village', 'grid') ORDER BY random() LIMIT 2000"))]
        first_new = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM incidents")).scalar_one()
    key = bench_key(DB, "admin")
    try:
        with api_server(DB) as (base, process):
            start_mib = rss_mib(process.pid)
            asyncio.run(traffic(base, key, args.warmup, args.concurrency, False, areas))
            warm_mib = rss_mib(process.pid)
            run = asyncio.run(traffic(base, key, args.seconds, args.concurrency, True, areas))
            end_mib = rss_mib(process.pid)
    finally:
        with get_engine().begin() as conn:
            conn.execute(text("DELETE FROM incidents WHERE id >= :first AND source = 'api'"), {"first": first_new})
    total = sum(len(v) for v in run["results"].values())
    print(f"mixed traffic, 1 worker, {args.concurrency} connections, {args.seconds:.0f} s after {args.warmup:.0f} s "
          f"warm-up: {total / args.seconds:,.0f} requests/s, {sum(run['errors'][k] for k, _ in MIX)} errors "
          f"{ {k: v for k, v in run['errors'].items() if ' ' in k} }")
    for kind, _ in MIX:
        samples = run["results"].get(kind, [])
        if samples:
            print(f"  {kind:<9} {len(samples):>6} requests, {percentiles(samples)}, {run['errors'].get(kind, 0)} errors")
    growth = (end_mib - warm_mib) / warm_mib * 100
    print(f"server memory (RSS): {start_mib:.0f} MiB at start, {warm_mib:.0f} MiB after warm-up, "
          f"{end_mib:.0f} MiB at the end ({growth:+.1f} % after warm-up; aim < 10 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
