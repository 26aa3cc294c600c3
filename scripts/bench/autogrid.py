#!/usr/bin/env python3
"""Benchmark: automatic balanced grids for all 457 villages (issue 5), in process.

    .venv/bin/python scripts/bench/autogrid.py [--runs 3]

Opens a city-wide draft in the scratch database `haikou_bench`, runs the autogrid edit
on every village (recursive spanning-tree cuts, the regions' polygons, households,
the edit log) and rolls it back; then validates the result of the last run. Compared
with: the issue's target of under 60 s, and the generated dataset's own grids
(balanced recursive bisection) on households in range and compactness.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import use_database  # noqa: E402


def quality(session, plan_id: int | None, low: int, high: int) -> dict:
    """Grids in the households range and the median Polsby-Popper score, of a draft or of generation 1's grids."""
    import numpy as np
    from sqlalchemy import text

    from geo.planning.validate import polsby_popper
    import shapely

    sql = ("SELECT households, ST_AsBinary(geom) FROM plan_areas WHERE plan_id = :p AND level = 'grid'" if plan_id
           else "SELECT households, ST_AsBinary(geom) FROM areas WHERE level = 'grid' AND generation_high IS NULL")
    rows = session.execute(text(sql), {"p": plan_id}).all()
    households = np.array([r[0] for r in rows])
    scores = [polsby_popper(shapely.from_wkb(r[1])) for r in rows]
    return {"grids": len(rows), "in range": int(((households >= low) & (households <= high)).sum()),
            "min": int(households.min()), "max": int(households.max()), "median PP": round(statistics.median(scores), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    use_database("haikou_bench")
    from sqlalchemy.orm import Session

    from geo.codes import CITY_CODE
    from geo.db import get_engine
    from geo.planning import draft, edits
    from geo.planning.validate import validate
    from geo.settings import get_settings

    settings = get_settings()
    low, high = settings.dataset.households_per_grid_min, settings.dataset.households_per_grid_max
    timings = []
    for run in range(args.runs):
        with Session(get_engine()) as session, session.begin():
            plan = draft.open_plan(session, scope=CITY_CODE, actor="bench")
            start = time.perf_counter()
            edit = edits.apply(session, plan.id, "autogrid", actor="bench", log_params={}, seed=run + 1)
            timings.append(time.perf_counter() - start)
            print(f"run {run + 1}: {timings[-1]:.1f} s, {sum(a is not None for a in edit.after.values())} grids written")
            if run == args.runs - 1:
                start = time.perf_counter()
                report = validate(session, plan)
                print(f"validation of the whole draft: {time.perf_counter() - start:.1f} s, "
                      f"{report['errors']} errors, {report['warnings']} warnings")
                counts: dict[str, int] = {}
                for problem in report["problems"]:
                    counts[problem["check"]] = counts.get(problem["check"], 0) + 1
                print(f"  by check: {counts}")
                print(f"automatic grids: {quality(session, plan.id, low, high)}")
                print(f"dataset grids:   {quality(session, None, low, high)}")
            session.rollback()
    print(f"autogrid, all villages: median {statistics.median(timings):.1f} s, best {min(timings):.1f} s "
          f"(target < 60 s)")


if __name__ == "__main__":
    main()
