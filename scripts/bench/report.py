#!/usr/bin/env python3
"""Benchmark: how long one monthly report takes, and the early warning behind it.

    .venv/bin/python scripts/bench/report.py [--towns 10] [--month 2026-10]

For the first N towns (then the four districts and the city): figures (SQL, including
the city-wide hotspot scan and repeat disputes), the HTML page with its map and
charts, the PDF (WeasyPrint) and the CSV zip, each timed once in process, after
one warm-up report (imports, font cache). Target from issue 7: one town's report
in seconds. Then the early warning alone on the whole city (median of 5), and its
calibration on synthetic noise (false alarms) and planted clusters (detections).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import use_database  # noqa: E402

DB = "haikou_bench"


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--towns", type=int, default=10)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--runs", type=int, default=300, help="calibration replicates")
    args = parser.parse_args()
    use_database(DB)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from geo.db import get_engine
    from geo.reports import render
    from geo.reports.monthly import report
    from geo.warning.service import alerts, defaults
    from geo.warning.simulate import Scenario, calibrate

    with Session(get_engine()) as session:
        towns = session.scalars(text("SELECT code FROM areas WHERE level = 'town' AND generation_high IS NULL "
                                     "ORDER BY code LIMIT :n"), {"n": args.towns}).all()
        render.pdf(render.html(session, report(session, towns[0], args.month)))   # warm-up
        print(f"{'area':<10} {'figures':>8} {'html':>6} {'pdf':>6} {'csv':>6} {'total':>6}  (seconds)")
        totals = []
        for code in [*towns, "460105", "460106", "460107", "460108", "460100"]:
            figures, t_fig = timed(lambda: report(session, code, args.month))
            page, t_html = timed(lambda: render.html(session, figures))
            _, t_pdf = timed(lambda: render.pdf(page))
            _, t_csv = timed(lambda: render.csv_zip(figures))
            total = t_fig + t_html + t_pdf + t_csv
            if len(code) == 9:
                totals.append(total)
            print(f"{code:<10} {t_fig:8.2f} {t_html:6.2f} {t_pdf:6.2f} {t_csv:6.2f} {total:6.2f}")
        print(f"towns: median {statistics.median(totals):.2f} s, max {max(totals):.2f} s for figures + HTML + PDF + CSV")
        thresholds, rule = defaults()
        as_of = datetime(2026, 11, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
        samples = [timed(lambda: alerts(session, as_of=as_of, thresholds=thresholds, rule=rule))[1] for _ in range(5)]
        print(f"early warning, whole city (hotspots + repeats): median {statistics.median(samples):.2f} s of 5")
    for planted in (10, 15, 20):
        measured, seconds = timed(lambda: calibrate(thresholds, Scenario(planted=planted), args.runs))
        print(f"calibration, {planted} planted cases, {args.runs} runs ({seconds:.0f} s): {measured}")


if __name__ == "__main__":
    main()
