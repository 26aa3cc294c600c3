#!/usr/bin/env python3
"""Benchmark: locating points, in process and over HTTP.

    .venv/bin/python scripts/bench/locate.py [--points 1000000] [--seconds 10] [--concurrency 16]

1. In-process batch locate with the in-memory index, on uniformly random points
   inside Haikou, compared side by side with a PostGIS ST_Covers join and a
   geopandas sjoin on the same points (a 100,000-point subset for those two, scaled
   to points/s). Target: >= 1,000,000 points/s for the index.
2. HTTP: GET /locate single points from an asyncio client with N concurrent
   connections on loopback for a fixed time (throughput, p50/p99), then
   POST /locate batches of 100,000 points (points/s). Server: uvicorn, 1 worker.
   With wrk installed (Debian package `wrk`) a C load generator runs first; the
   Python client always runs too. Clients share the 2 cores with the server.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, api_server, bench_key, best_of, city_points, percentiles, use_database  # noqa: E402

DB = "haikou_bench"


def in_process(n: int) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely

    from geo.areas.locate_index import IndexCache
    from geo.db import get_engine, session_factory

    with session_factory()() as session:
        start = time.perf_counter()
        index = IndexCache(recheck_seconds=3600).get(session)
        print(f"index build: {time.perf_counter() - start:.1f} s for {len(index.cells):,} cells")
    lon, lat = city_points(n)
    seconds = best_of(3, lambda: index.locate(lon, lat))
    print(f"in-memory index:  {n:,} points in {seconds:.3f} s = {n / seconds:,.0f} points/s (best of 3)")

    sub = 100_000
    sl, sa = lon[:sub], lat[:sub]
    engine = get_engine()

    def postgis():
        frame = pd.DataFrame({"id": range(sub), "lon": sl, "lat": sa})
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, float_format="%.17g")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TEMP TABLE pts (id int, lon float8, lat float8) ON COMMIT DROP")
            with conn.connection.driver_connection.cursor().copy("COPY pts FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
            conn.exec_driver_sql("""SELECT p.id, min(g.code) FROM pts p LEFT JOIN areas g ON g.level = 'grid'
                AND g.generation_high IS NULL AND ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
                GROUP BY p.id""").all()

    seconds = best_of(2, postgis)
    print(f"PostGIS ST_Covers join (GiST): {sub:,} points in {seconds:.2f} s = {sub / seconds:,.0f} points/s")
    grids = gpd.read_postgis("SELECT code, geom FROM areas WHERE level = 'grid' AND generation_high IS NULL",
                             engine, geom_col="geom")
    points = gpd.GeoDataFrame(geometry=shapely.points(sl, sa), crs=4326)
    seconds = best_of(2, lambda: gpd.sjoin(points, grids, predicate="covered_by", how="left"))
    print(f"geopandas sjoin (covered_by):  {sub:,} points in {seconds:.2f} s = {sub / seconds:,.0f} points/s")


def wrk_load(base: str, seconds: float, concurrency: int, key: str) -> None:
    """Single-point GETs from wrk (a C load generator), random points from a Lua script."""
    script = ROOT / "scripts" / "bench" / "locate_random.lua"
    run = subprocess.run(["wrk", "-t", "1", "-c", str(concurrency), "-d", f"{int(seconds)}s", "--latency",
                          "-H", f"X-API-Key: {key}", "-s", str(script), base], capture_output=True, text=True, check=True)
    lines = run.stdout.splitlines()
    wanted = [line.strip() for line in lines if line.strip().startswith(("50%", "99%", "Requests/sec", "Non-2xx"))]
    print(f"HTTP GET /locate under wrk, {concurrency} connections, {seconds:.0f} s: " + "; ".join(wanted))


async def load(base: str, seconds: float, concurrency: int, key: str) -> None:
    import httpx
    import numpy as np

    if shutil.which("wrk"):
        wrk_load(base, seconds, concurrency, key)
    lon, lat = city_points(50_000, seed=3)
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int, client: httpx.AsyncClient):
        nonlocal errors
        i = offset
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await client.get("/locate", params={"lon": lon[i % len(lon)], "lat": lat[i % len(lat)]})
            latencies.append(time.perf_counter() - start)
            errors += response.status_code != 200
            i += concurrency

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30, headers={"X-API-Key": key}) as client:
        await asyncio.gather(*(worker(k, client) for k in range(concurrency)))
        print(f"HTTP GET /locate, Python client: {len(latencies) / seconds:,.0f} requests/s with {concurrency} connections "
              f"for {seconds:.0f} s; {percentiles(latencies)}; {errors} errors")
        body = {"points": np.column_stack(city_points(100_000, seed=4)).tolist()}
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            response = await client.post("/locate", json=body)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200
        print(f"HTTP POST /locate: 100,000 points per request, best {min(timings):.2f} s = "
              f"{100_000 / min(timings):,.0f} points/s")


def over_http(seconds: float, concurrency: int) -> None:
    key = bench_key(DB, "viewer")
    with api_server(DB) as (base, _):
        asyncio.run(load(base, seconds, concurrency, key))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    use_database(DB)
    in_process(args.points)
    over_http(args.seconds, args.concurrency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
