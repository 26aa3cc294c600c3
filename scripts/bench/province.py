#!/usr/bin/env python3
"""Benchmark: a province-scale synthetic dataset against Haikou, same machine, same code.

    .venv/bin/python scripts/bench/province.py [--copies 20] [--skip-build]

Builds ``copies`` Haikou-generator cities side by side (geo/dataset/province.py: with 20,
about 860 towns, 9,140 villages, 100,000 grids, 22 million H3 cells, 1,000,000 cameras,
10,000,000 incidents) into build/province-N, loads it into the database haikou_province,
then measures on it and on the Haikou dataset (haikou_bench): load time, the locate
index's build time and memory (process RSS growth) and batch locate speed, cold and
warm vector tiles (boundaries and incident heat, zooms 8-16 around a city centre),
and the nearest-mediator query (k=5, random categories). Figures for docs/deploy.md.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from common import ROOT, percentiles, use_database  # noqa: E402

SETS = ("districts,towns,villages,grids", "incident_heat")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_and_load(copies: int, skip_build: bool) -> None:
    from geo.dataset import build, province
    from geo.dataset.sources import read_districts, read_generation_settings, read_towns
    from geo.settings import get_settings

    settings = get_settings()
    out = ROOT / "build" / f"province-{copies}"
    if not skip_build:
        start = time.perf_counter()
        dataset, report = province.generate(read_districts(settings.dataset.data_dir), read_towns(settings.dataset.data_dir),
                                            read_generation_settings(settings.dataset.data_dir), settings.dataset.seed,
                                            settings.dataset.h3_resolution, copies, province.Scale())
        generated = time.perf_counter()
        build.write(dataset, report, out, f"province-{copies}", settings.dataset.seed, settings.dataset.h3_resolution)
        print(f"build: {generated - start:.0f} s to generate, {time.perf_counter() - generated:.0f} s to write; "
              f"{report['counts']}", flush=True)
        del dataset
    start = time.perf_counter()   # in its own process, which gives its memory back when done
    subprocess.run([sys.executable, "-m", "geo.cli", "data", "load", "--force"], cwd=ROOT, check=True,
                   env={**os.environ, "GRID_BUILD_DIR": str(out)}, stdout=subprocess.DEVNULL)
    print(f"load: {time.perf_counter() - start:.0f} s", flush=True)


def sample_places(session, n: int, seed: int):
    """``n`` cell centres where people live, drawn uniformly among such cells."""
    import numpy as np
    from h3.api import basic_int as h3
    from sqlalchemy import text

    cells = np.array(session.execute(text("SELECT h3 FROM h3_cells TABLESAMPLE SYSTEM (2) REPEATABLE (:s) "
                                          "WHERE households > 0 AND generation_high IS NULL"), {"s": seed}).scalars().all())
    picked = np.random.default_rng(seed).choice(cells, n)
    lat, lon = np.array([h3.cell_to_latlng(int(c)) for c in picked]).T
    return lon, lat


def measure(label: str) -> None:
    import numpy as np
    from sqlalchemy import text

    from geo.areas.locate_index import IndexCache
    from geo.db import session_factory
    from geo.mediation.categories import MEDIATION_CATEGORIES
    from geo.mediation.service import nearest
    from tiles import service
    from tiles.cache import TileCache

    cache = TileCache(256 * 1024 * 1024)   # its own: tiles of the other database must not answer here
    with session_factory()() as session:
        counts = dict(session.execute(text("SELECT level, count(*) FROM areas WHERE generation_high IS NULL "
                                           "GROUP BY level")).all())
        size = session.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar_one()
        print(f"\n== {label}: {counts}, database {size}")
        before = rss_mib()
        start = time.perf_counter()
        index = IndexCache(recheck_seconds=3600).get(session)
        print(f"locate index: built in {time.perf_counter() - start:.1f} s, {len(index.cells):,} cells, "
              f"process RSS +{rss_mib() - before:.0f} MiB")
        lon, lat = sample_places(session, 200_000, 1)
        start = time.perf_counter()
        index.locate(lon, lat)
        print(f"batch locate: {len(lon) / (time.perf_counter() - start):,.0f} points/s (200,000 places where people live)")

        lon, lat = sample_places(session, 1000, 2)
        categories = np.random.default_rng(5).choice([c.value for c in MEDIATION_CATEGORIES], len(lon))
        nearest(session, lon=float(lon[0]), lat=float(lat[0]), category=None, k=5)
        timings = []
        for x, y, category in zip(lon, lat, categories):
            start = time.perf_counter()
            nearest(session, lon=float(x), lat=float(y), category=str(category), k=5)
            timings.append(time.perf_counter() - start)
        print(f"nearest mediators (k=5): {percentiles(timings)}")

        centre = sample_places(session, 1, 3)
        for spec in SETS:
            layers = service.parse_layers(spec)
            cold, warm = [], []
            for z in range(8, 17):
                n = 2 ** z
                x = int((centre[0][0] + 180) / 360 * n)
                y = int((1 - np.arcsinh(np.tan(np.radians(centre[1][0]))) / np.pi) / 2 * n)
                for tile in [(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]:
                    for bucket in (cold, warm):
                        start = time.perf_counter()
                        service.tile(session, cache, layers, *tile, datum="wgs84", filters={})
                        bucket.append(time.perf_counter() - start)
            print(f"tiles {spec}: {len(cold)} tiles; cold {percentiles(cold)}; warm {percentiles(warm)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--skip-build", action="store_true", help="load the build made by an earlier run")
    parser.add_argument("--skip-load", action="store_true", help="measure what haikou_province holds")
    args = parser.parse_args()
    use_database("haikou_province", load=False)
    if not args.skip_load:
        build_and_load(args.copies, args.skip_build)
    measure(f"province ({args.copies} cities)")
    use_database("haikou_bench")
    measure("Haikou")
    return 0


if __name__ == "__main__":
    sys.exit(main())
