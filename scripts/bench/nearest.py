#!/usr/bin/env python3
"""Benchmark: nearest eligible mediators (the dispatch query), in process.

    .venv/bin/python scripts/bench/nearest.py [--queries 2000]

Times geo.mediation.service.nearest (GiST KNN candidates, geodesic re-ranking,
eligibility and derived load) for random points in Haikou and random categories:
first with the Haikou mediators (3,799), then in a scratch database with 1,000,000
synthetic mediators added (made once, kept for the next run). Targets from issue 3:
p99 < 5 ms and < 15 ms.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import city_points, percentiles, use_database  # noqa: E402

SYNTHETIC = 1_000_000


def measure(queries: int, label: str) -> None:
    import numpy as np
    from sqlalchemy import text

    from geo.db import session_factory
    from geo.mediation.categories import MEDIATION_CATEGORIES
    from geo.mediation.service import nearest

    lon, lat = city_points(queries, seed=11)
    categories = np.random.default_rng(5).choice([c.value for c in MEDIATION_CATEGORIES], queries)
    timings = []
    with session_factory()() as session:
        nearest(session, lon=float(lon[0]), lat=float(lat[0]), category=None, k=5)   # warm the connection
        for x, y, category in zip(lon, lat, categories):
            start = time.perf_counter()
            found = nearest(session, lon=float(x), lat=float(y), category=str(category), k=5)
            timings.append(time.perf_counter() - start)
            assert found["results"], "no eligible mediator found"
        count = session.execute(text("SELECT count(*) FROM mediators")).scalar_one()
    print(f"{label}: {count:,} mediators, {queries} queries (k=5, random category): {percentiles(timings)}")


def add_synthetic(count: int) -> None:
    from sqlalchemy import text

    from geo.db import get_engine

    engine = get_engine()
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM mediators WHERE source = 'bench2'")).scalar_one()
        if have >= count:
            return
        print(f"adding {count:,} synthetic mediators (once)...", flush=True)
        conn.execute(text("DELETE FROM mediators WHERE source LIKE 'bench%'"))
        conn.execute(text("""
            WITH c AS (SELECT array_agg(code ORDER BY code) AS codes FROM dispute_categories WHERE mediation)
            INSERT INTO mediators (name, phone, employment, organisation_id, home_village_code, skills, capacity,
                                   on_duty, position, source)
            SELECT 'bench', '10000000000', 'part_time', o.id, o.area_code,
                   ARRAY[c.codes[1 + g % 15], c.codes[1 + (g / 15) % 15], c.codes[1 + (g / 225) % 15],
                         c.codes[1 + (g / 3375) % 15]],
                   3, random() < 0.9,
                   ST_SetSRID(ST_MakePoint(110.15 + random() * 0.55, 19.55 + random() * 0.5), 4326), 'bench2'
              FROM generate_series(1, :n) g CROSS JOIN c
              JOIN organisations o ON o.id = 1 + (g % 457)"""), {"n": count})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE mediators"))   # a fresh bulk insert is slow to read until vacuumed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()
    use_database("haikou_bench")
    measure(args.queries, "Haikou dataset")
    use_database("haikou_bench_1m")
    add_synthetic(SYNTHETIC)
    measure(args.queries, "with 1,000,000 synthetic mediators")
    return 0


if __name__ == "__main__":
    sys.exit(main())
