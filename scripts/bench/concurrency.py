#!/usr/bin/env python3
"""Benchmark: the request path under concurrent load, against the ceiling and TiPg, in one run.

    .venv/bin/python scripts/bench/concurrency.py [--seconds 15] [--connections 8,32]

On loopback, 1 worker each, uvicorn with uvloop + httptools for all three servers,
database `haikou_bench`:

- ceiling: a bare FastAPI route answering 20 KiB from memory (scripts/bench/bare_app.py);
- ours: GET /tiles/villages/{z}/{x}/{y}.mvt with authentication, the rate limit (raised,
  not off) and every middleware on, and GET /locate at random points of the urban core;
- TiPg (its own venv, .bench/tipg-venv, as in tiles_vs_tipg.py) on the same villages.

The same tile paths for all (every tile of the city's extent at z10-13, the urban core's at
z14-16). Warm and the locate figures come from wrk (a C load generator, Debian package
`wrk`: installed with apt when missing) for --seconds at each connection count; TiPg has no
cache, so its figure is every tile rendered. Cold is one pass over the same tiles with 8
concurrent clients (asyncio + httpx) right after our server starts (an empty cache), and
against TiPg. Prints requests/s, p50/p99 and the ratios; wrk shares the 2 cores.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, UNLIMITED, bench_key, city_points, free_port, server, tile_of, use_database  # noqa: E402
from tiles_vs_tipg import ensure_tipg, make_views  # noqa: E402

from geo.codes import HAIKOU_BOUNDS  # noqa: E402

DB = "haikou_bench"
STACK = ["--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--host", "127.0.0.1"]
CORE = (110.25, 19.95, 110.45, 20.08)


def tile_range(z: int, west: float, south: float, east: float, north: float) -> list[tuple[int, int, int]]:
    (x0, y0), (x1, y1) = tile_of(west, north, z), tile_of(east, south, z)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def tiles() -> list[tuple[int, int, int]]:
    return [t for z in range(10, 14) for t in tile_range(z, *HAIKOU_BOUNDS)] + \
           [t for z in range(14, 17) for t in tile_range(z, *CORE)]


def ensure_wrk() -> None:
    if not shutil.which("wrk"):
        print("installing wrk (Debian package) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)


def wrk(base: str, paths: list[str], connections: int, seconds: int, header: str = "") -> dict:
    """wrk over ``paths`` in turn: requests/s, p50 and p99 (ms), and the count of errors."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths) + "\n")
    env = {**os.environ, "WRK_PATHS": listing.name, "WRK_HEADER": header}
    script = ROOT / "scripts" / "bench" / "paths.lua"
    out = subprocess.run(["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", str(script),
                          base], env=env, capture_output=True, text=True, check=True).stdout
    os.unlink(listing.name)

    def ms(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    failed = re.search(r"Socket errors: .*", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50%"), "p99": ms("99%"),
            "errors": int(errors.group(1)) if errors else 0, "socket": failed.group(0) if failed else ""}


async def one_pass(urls: list[str], headers: dict, concurrency: int = 8) -> dict:
    """Every URL once, ``concurrency`` at a time: requests/s, p50/p99 (ms), errors."""
    import httpx
    import numpy as np

    queue = list(reversed(urls))
    latencies, errors = [], 0

    async def worker(client):
        nonlocal errors
        while queue:
            url = queue.pop()
            start = time.perf_counter()
            response = await client.get(url)
            latencies.append(time.perf_counter() - start)
            errors += response.status_code not in (200, 204)

    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, headers=headers) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return {"rps": len(urls) / elapsed, "p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)),
            "errors": errors, "socket": ""}


def show(label: str, figure: dict) -> None:
    extra = f", {figure['errors']} errors" if figure["errors"] else ""
    extra += f", {figure['socket']}" if figure["socket"] else ""
    print(f"  {label:<38} {figure['rps']:>9,.0f} req/s  p50 {figure['p50']:7.2f} ms  p99 {figure['p99']:7.2f} ms{extra}",
          flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", default="8,32")
    args = parser.parse_args()
    counts = [int(c) for c in args.connections.split(",")]
    ensure_wrk()
    use_database(DB)
    from geo.db import get_engine
    from geo.settings import get_settings

    make_views(get_engine())
    tipg_python = ensure_tipg()
    subprocess.run([str(tipg_python), "-m", "pip", "install", "-q", "uvloop", "httptools"], check=True)
    key = bench_key(DB, "viewer")
    listing = tiles()
    ours_paths = [f"/tiles/villages/{z}/{x}/{y}.mvt" for z, x, y in listing]
    tipg_paths = [f"/collections/public.bench_villages/tiles/WebMercatorQuad/{z}/{x}/{y}" for z, x, y in listing]
    ports = {name: free_port() for name in ("bare", "ours", "tipg")}
    base = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {**os.environ, "GRID_DB_NAME": DB, **UNLIMITED, "GRID_PUBLIC_URL": base["ours"] + "/"}
    bare = server([sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(ROOT / "scripts" / "bench"),
                   "--port", str(ports["bare"]), *STACK], env, base["bare"] + "/tiles/x/0/0/0.mvt")
    ours = server([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(ports["ours"]),
                   *STACK], env, base["ours"] + "/health")
    tipg = server([str(tipg_python), "-m", "uvicorn", "tipg.main:app", "--port", str(ports["tipg"]), *STACK],
                  {**os.environ, "DATABASE_URL": get_settings().db.libpq_url}, base["tipg"] + "/collections")
    header = f"X-API-Key: {key}"
    print(f"{len(listing):,} tiles at z10-16; uvicorn + uvloop + httptools, 1 worker each; wrk -t1, {args.seconds} s each")
    with bare, ours, tipg:
        print("cold: one pass, 8 concurrent clients (our cache empty: the server has just started)")
        cold_ours = asyncio.run(one_pass([base["ours"] + p for p in ours_paths], {"X-API-Key": key}))
        cold_tipg = asyncio.run(one_pass([base["tipg"] + p for p in tipg_paths], {}))
        show("ours villages, cold", cold_ours)
        show("TiPg villages", cold_tipg)
        print(f"  ratio ours/TiPg cold: {cold_ours['rps'] / cold_tipg['rps']:.2f}x")
        for connections in counts:
            print(f"{connections} connections:")
            figures = {"bare route (ceiling)": wrk(base["bare"], ours_paths, connections, args.seconds),
                       "ours villages, warm": wrk(base["ours"], ours_paths, connections, args.seconds, header),
                       "TiPg villages": wrk(base["tipg"], tipg_paths, connections, args.seconds),
                       "ours GET /locate": wrk(base["ours"], locate_paths(), connections, args.seconds, header),
                       "ours GET /health": wrk(base["ours"], ["/health"], connections, args.seconds)}
            for label, figure in figures.items():
                show(label, figure)
            warm = figures["ours villages, warm"]["rps"]
            print(f"  warm / ceiling: {warm / figures['bare route (ceiling)']['rps']:.0%}; "
                  f"warm / TiPg: {warm / figures['TiPg villages']['rps']:.1f}x")
    return 0


def locate_paths(n: int = 1_500) -> list[str]:
    """Single-point locates at random places inside the city."""
    lon, lat = city_points(n, seed=7)
    return [f"/locate?lon={x:.6f}&lat={y:.6f}" for x, y in zip(lon, lat)]


if __name__ == "__main__":
    sys.exit(main())
