"""Space-time hotspots on H3: where the recent share of a place's cases is higher than chance.

The test is the binomial form of the space-time permutation model (Kulldorff et al.
2005, the model of SaTScan's prospective surveillance). For each H3 cell ``i`` take
its disk ``D_i`` (the cell and its neighbours up to ``ring`` steps), ``n_i`` the cases
in the disk over the recent window and the baseline before it, and ``r_i`` the recent
ones. If where a case happens does not depend on when, each of the ``n_i`` cases is
recent with the city-wide probability ``p0 = recent cases / all cases``, so
``r_i ~ Binomial(n_i, p0)``; the expected count is ``n_i * p0`` and the p-value is
``P(X >= r_i)``. Comparing a place with its own past removes where people live
(dense places have more cases at all times); ``p0`` from the whole city removes a
city-wide rise or a quiet month. The Benjamini-Hochberg procedure keeps the expected
share of false alerts among all alerts at ``fdr`` (disks overlap, so the tests are
positively dependent, for which BH stays valid). An alert also needs ``min_count``
recent cases and ``min_ratio`` times the expected count, so a tiny excess is not an
alert. Overlapping alerted disks merge into one alert region.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from h3.api import basic_int as h3
from scipy.stats import binom, false_discovery_control


@dataclass(frozen=True)
class Thresholds:
    """What counts as a hotspot; the defaults come from settings (GRID_WARNING_*)."""

    resolution: int = 8
    ring: int = 1
    window_days: int = 28
    baseline_days: int = 364
    fdr: float = 0.05
    min_count: int = 3
    min_ratio: float = 1.5


@dataclass
class Hotspot:
    """One alert region: the most significant disk and every cell of the merged disks."""

    centre: int
    cells: list[int]
    recent: int
    baseline: int
    expected: float
    ratio: float
    p_value: float
    q_value: float


def scan(cells: np.ndarray, recent: np.ndarray, baseline: np.ndarray, thresholds: Thresholds,
         recent_share: float | None = None) -> tuple[list[Hotspot], int]:
    """Hotspots among H3 ``cells`` (uint64, one resolution) with their recent and baseline
    counts, and the number of disks tested. ``recent_share`` overrides ``p0``."""
    recent, baseline = np.asarray(recent, dtype=np.int64), np.asarray(baseline, dtype=np.int64)
    total = int(recent.sum() + baseline.sum())
    if total == 0:
        return [], 0
    p0 = recent.sum() / total if recent_share is None else recent_share
    counts = {int(c): (int(r), int(b)) for c, r, b in zip(cells, recent, baseline)}
    # Every disk that holds a case is a test; its centre may itself be empty.
    centres = sorted({d for c in counts for d in h3.grid_disk(c, thresholds.ring)})
    disk_r = np.zeros(len(centres), dtype=np.int64)
    disk_b = np.zeros(len(centres), dtype=np.int64)
    for k, centre in enumerate(centres):
        for cell in h3.grid_disk(centre, thresholds.ring):
            r, b = counts.get(cell, (0, 0))
            disk_r[k] += r
            disk_b[k] += b
    n = disk_r + disk_b
    expected = n * p0
    p = binom.sf(disk_r - 1, n, p0)
    q = false_discovery_control(p, method="bh")
    alerted = np.flatnonzero((q <= thresholds.fdr) & (disk_r >= thresholds.min_count)
                             & (disk_r >= thresholds.min_ratio * expected))
    return _merge([centres[k] for k in alerted], disk_r[alerted], disk_b[alerted], expected[alerted],
                  p[alerted], q[alerted], thresholds.ring), len(centres)


def _merge(centres: list[int], r, b, expected, p, q, ring: int) -> list[Hotspot]:
    """Alerted disks that share a cell become one region, described by its strongest disk."""
    parent = list(range(len(centres)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[int, int] = {}
    disks = [h3.grid_disk(c, ring) for c in centres]
    for i, disk in enumerate(disks):
        for cell in disk:
            if cell in owner:
                parent[root(i)] = root(owner[cell])
            else:
                owner[cell] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(centres)):
        groups.setdefault(root(i), []).append(i)
    regions = []
    for members in groups.values():
        best = min(members, key=lambda i: (p[i], -r[i]))
        cells = sorted({cell for i in members for cell in disks[i]})
        regions.append(Hotspot(centre=centres[best], cells=cells, recent=int(r[best]), baseline=int(b[best]),
                               expected=float(expected[best]), ratio=float(r[best] / expected[best]),
                               p_value=float(p[best]), q_value=float(q[best])))
    return sorted(regions, key=lambda h: (h.p_value, -h.recent))
