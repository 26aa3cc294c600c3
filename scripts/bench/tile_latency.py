#!/usr/bin/env python3
"""Benchmark: vector tiles in process, cold (rendered by PostGIS) and warm (from the cache).

    .venv/bin/python scripts/bench/tile_latency.py

For each zoom 8-16, every tile of a 3x3 block around the urban core, for three
layer sets: boundaries (districts,towns,villages,grids), H3 aggregates
(incident_heat,households,camera_coverage) and points (cameras,mediators,incidents),
in WGS-84 and GCJ-02. Prints p50/p99 per set; compare with the same figures in
BENCHMARKS.md.
"""
from __future__ import annotations

import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import percentiles, use_database  # noqa: E402

SETS = ("districts,towns,villages,grids", "incident_heat,households,camera_coverage", "cameras,mediators,incidents")


def tiles_around(lon: float, lat: float, z: int) -> list[tuple[int, int, int]]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return [(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def main() -> int:
    use_database("haikou_bench")
    from geo.db import session_factory
    from tiles import service
    from tiles.cache import TileCache

    cache = TileCache(256 * 1024 * 1024)
    for datum in ("wgs84", "gcj02"):
        for spec in SETS:
            layers = service.parse_layers(spec)
            cold, warm, sizes = [], [], []
            with session_factory()() as session:
                for z in range(8, 17):
                    for tile in tiles_around(110.33, 20.03, z):
                        for bucket in (cold, warm):
                            start = time.perf_counter()
                            answer = service.tile(session, cache, layers, *tile, datum=datum, filters={})
                            bucket.append(time.perf_counter() - start)
                        sizes.append(len(answer.body))
            print(f"{datum} {spec}: {len(cold)} tiles, mean {sum(sizes) / len(sizes) / 1024:.0f} KiB; "
                  f"cold {percentiles(cold)}; warm {percentiles(warm)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
