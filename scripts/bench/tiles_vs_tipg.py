#!/usr/bin/env python3
"""Benchmark: our tile endpoint against TiPg, over HTTP, on the same database and tiles.

    .venv/bin/python scripts/bench/tiles_vs_tipg.py

Installs TiPg into its own virtualenv (.bench/tipg-venv, git-ignored) on first use,
makes views of the village and grid polygons (the layers both servers can serve:
TiPg has no H3 aggregates or multi-layer tiles) in the scratch database
`haikou_bench`, starts both servers with uvicorn (1 worker each) on loopback, and
fetches one fixed list of tiles (3 x 3 around the urban core at each zoom 8-16)
sequentially, twice: cold (first request) and warm (again). Prints requests/s and
p50/p99 for each. Aim from issue 4: cold at least as fast as TiPg, warm >= 5x TiPg,
warm p99 < 5 ms.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, api_server, bench_key, free_port, percentiles, server, use_database  # noqa: E402

VENV = ROOT / ".bench" / "tipg-venv"
LAYERS = {"villages": "level = 'village'", "grids": "level = 'grid'"}


def ensure_tipg() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print("installing TiPg into .bench/tipg-venv (once)...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tipg", "uvicorn"], check=True)
    return python


def make_views(engine) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        for name, where in LAYERS.items():
            conn.execute(text(f"CREATE OR REPLACE VIEW bench_{name} AS SELECT id, code, name, kind, households, geom "
                              f"FROM areas WHERE {where} AND generation_high IS NULL"))


def tile_list() -> list[tuple[int, int, int]]:
    tiles = []
    for z in range(8, 17):
        n = 2 ** z
        x = int((110.33 + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(20.03))) / math.pi) / 2 * n)
        tiles += [(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    return tiles


def run(label: str, url_of, headers: dict) -> None:
    import httpx

    tiles = tile_list()
    with httpx.Client(timeout=60, headers=headers) as client:
        for phase in ("cold", "warm"):
            timings = []
            for tile in tiles:
                start = time.perf_counter()
                response = client.get(url_of(*tile))
                timings.append(time.perf_counter() - start)
                assert response.status_code in (200, 204), (url_of(*tile), response.status_code)
            print(f"{label} {phase}: {len(tiles) / sum(timings):,.0f} tiles/s; {percentiles(timings)}", flush=True)


def main() -> int:
    use_database("haikou_bench")
    from geo.db import get_engine
    from geo.settings import get_settings

    settings = get_settings()
    make_views(get_engine())
    python = ensure_tipg()
    url = settings.db.libpq_url
    tipg_port = free_port()
    ours = api_server("haikou_bench")
    tipg = server([str(python), "-m", "uvicorn", "tipg.main:app", "--port", str(tipg_port)],
                  {**os.environ, "DATABASE_URL": url}, f"http://127.0.0.1:{tipg_port}/collections")
    key = bench_key("haikou_bench", "viewer")
    with ours as (base, _), tipg:
        for layer in LAYERS:
            run(f"ours  {layer}", lambda z, x, y: f"{base}/tiles/{layer}/{z}/{x}/{y}.mvt",
                {"X-API-Key": key})
            run(f"TiPg  {layer}", lambda z, x, y: f"http://127.0.0.1:{tipg_port}/collections/public.bench_{layer}"
                                                  f"/tiles/WebMercatorQuad/{z}/{x}/{y}", {})
    return 0


if __name__ == "__main__":
    sys.exit(main())
