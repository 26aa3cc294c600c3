#!/usr/bin/env python3
"""Benchmark: build the whole Haikou dataset from nothing and load it into PostGIS.

    .venv/bin/python scripts/bench/build_load.py [--runs 3]

Builds into a fresh temporary folder each run (no cached build), then loads it into
a scratch database `haikou_bench` on the project-local cluster (or DATABASE_URL),
forcing the load. Prints seconds per step and the total; the target from issue 2 is
under 60 s on the 2-core machine. Compare with: the same figures in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRID_DB_NAME", "haikou_bench")

from geo import localdb  # noqa: E402
from geo.dataset import build, load  # noqa: E402
from geo.db import get_engine  # noqa: E402
from geo.settings import PROJECT_ROOT, get_settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = get_settings()
    if settings.db.uses_local_cluster:
        localdb.up(settings)
    localdb.ensure_database(settings)
    subprocess.run([sys.executable, "-m", "geo.cli", "migrate"], check=True, cwd=PROJECT_ROOT,
                   capture_output=True)
    totals = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            manifest, _ = build.build(settings.dataset.data_dir, Path(tmp), settings.dataset.seed, settings.dataset.h3_resolution,
                                      force=True, show_progress=False)
            built = time.perf_counter()
            load.load(get_engine(), Path(tmp), force=True, show_progress=False)
            done = time.perf_counter()
        totals.append(done - start)
        steps = ", ".join(f"{k} {v:.1f}" for k, v in manifest["seconds"].items())
        print(f"run {run}: build {built - start:.1f} s ({steps}); load {done - built:.1f} s; "
              f"total {done - start:.1f} s")
    print(f"build+load from nothing: median {statistics.median(totals):.1f} s, best {min(totals):.1f} s "
          f"over {len(totals)} runs (target < 60 s); {manifest['counts']['h3_cells']:,} H3 cells, "
          f"{manifest['counts']['grid']} grids")
    return 0


if __name__ == "__main__":
    sys.exit(main())
