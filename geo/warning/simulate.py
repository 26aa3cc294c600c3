"""Synthetic case counts for calibrating the hotspot detector: pure noise, where any alert
is false, and noise with a planted cluster, which should be found.

Cells are the H3 cells over Haikou's extent; each has its own rate, drawn log-normal
so that a few dense places hold most cases, as the city's households do. Counts are
Poisson with the same rate in the baseline and the recent window (no space-time
interaction), so the detector's null hypothesis holds exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from h3.api import basic_int as h3

from geo.warning.hotspots import Thresholds, scan

HAIKOU_EXTENT = ((19.52, 110.10), (19.52, 110.70), (20.10, 110.70), (20.10, 110.10))   # (lat, lon) corners


@dataclass(frozen=True)
class Scenario:
    recent_cases: float = 3000.0   # expected city-wide cases in the recent window (Haikou: about 2,750 in 28 days)
    spread: float = 1.5            # sigma of the log-normal cell rates
    planted: int = 15              # extra recent cases of the planted cluster
    seed: int = 20261128


def region(resolution: int) -> np.ndarray:
    """The H3 cells of Haikou's extent at ``resolution``."""
    shape = h3.LatLngPoly(list(HAIKOU_EXTENT))
    return np.array(sorted(h3.polygon_to_cells(shape, resolution)), dtype=np.uint64)


def _counts(rng: np.random.Generator, rates: np.ndarray, thresholds: Thresholds) -> tuple[np.ndarray, np.ndarray]:
    windows = thresholds.baseline_days / thresholds.window_days
    return rng.poisson(rates), rng.poisson(rates * windows)


def plant(rng: np.random.Generator, cells: np.ndarray, recent: np.ndarray, centre: int, extra: int) -> np.ndarray:
    """``recent`` with ``extra`` cases added to ``centre`` and its six neighbours."""
    index = {int(c): i for i, c in enumerate(cells)}
    disk = [index[c] for c in h3.grid_disk(centre, 1) if c in index]
    out = recent.copy()
    np.add.at(out, rng.choice(disk, size=extra), 1)
    return out


def calibrate(thresholds: Thresholds, scenario: Scenario, runs: int) -> dict:
    """False alarms on ``runs`` noise replicates and detections of a cluster planted in as many,
    each at a random cell of median rate (a place that is usually quiet but not empty)."""
    rng = np.random.default_rng(scenario.seed)
    cells = region(thresholds.resolution)
    weights = rng.lognormal(0.0, scenario.spread, len(cells))
    rates = scenario.recent_cases * weights / weights.sum()
    typical = np.flatnonzero(np.abs(np.log(weights) - np.median(np.log(weights))) < 0.25)
    false_runs = false_alerts = found = 0
    for _ in range(runs):
        recent, baseline = _counts(rng, rates, thresholds)
        alerts, tested = scan(cells, recent, baseline, thresholds)
        false_runs += bool(alerts)
        false_alerts += len(alerts)
        centre = int(cells[rng.choice(typical)])
        recent, baseline = _counts(rng, rates, thresholds)
        alerts, _ = scan(cells, plant(rng, cells, recent, centre, scenario.planted), baseline, thresholds)
        found += any(centre in a.cells for a in alerts)
    return {"runs": runs, "cells": len(cells), "tested_per_run": tested,
            "false_alarm_rate": false_runs / runs, "false_alerts_per_run": false_alerts / runs,
            "planted_cases": scenario.planted, "detection_rate": found / runs}
