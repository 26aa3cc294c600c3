"""Cutting the city's cells into towns, villages and grids, and giving them codes.

Towns: 街道 (subdistricts) are k-means regions of the district's urban cells
(households as weight), 镇 (towns) of its rural cells (area as weight). Villages:
k-means inside each town. Grids: balanced recursive bisection of each village by
households. Each parent is cut in a plane bent by a random field on the scale of its
children (``_bent``), so edges wander as drawn boundaries do instead of running straight.
Every level is repaired to be contiguous inside its parent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.codes import Kind, child_code
from geo.dataset.geography import Cells
from geo.dataset.names import place_names
from geo.dataset.partition import (balanced_bisection, grid_count, make_contiguous, reading_order, warped,
                                   weighted_kmeans)
from geo.dataset.sources import Town

MIN_SUBDISTRICT_HOUSEHOLDS = 8_000
URBAN_EDGE_WAVE_M = 8_000.0


@dataclass
class Partition:
    """One level of generated areas: a label per cell and a record per area."""

    label: np.ndarray       # per cell, index into codes
    codes: list[str]
    names: list[str]
    kinds: list[Kind]
    parent: np.ndarray      # per area, index into the parent level


def _centroids(xy: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    count = np.bincount(labels, minlength=n)[:, None]
    sums = np.zeros((n, 2))
    np.add.at(sums, labels, xy)
    return sums / np.maximum(count, 1)


def _bent(xy: np.ndarray, parts: int, rng: np.random.Generator) -> np.ndarray:
    """``xy`` in a plane bent by waves twice as long as the ``parts`` regions it is cut into are wide."""
    width = np.sqrt(max(float(np.prod(np.ptp(xy, axis=0))), 1.0) / parts)
    return warped(xy, rng, 2 * width)


def towns(cells: Cells, density: np.ndarray, households: np.ndarray, district_codes: list[str],
          town_list: list[Town], urban_threshold: float, edges: np.ndarray,
          rng: np.random.Generator) -> Partition:
    label = np.full(len(cells), -1)
    codes = [t.code for t in town_list]
    wobble = (warped(cells.xy, rng, URBAN_EDGE_WAVE_M) - cells.xy)[:, 0]   # the urban edge: a bent contour, no circle
    density = density * np.exp(0.5 * wobble / max(np.abs(wobble).max(), 1e-9))
    for d, district in enumerate(district_codes):
        members = np.flatnonzero(cells.district == d)
        subs = [i for i, t in enumerate(town_list) if t.district_code == district and t.kind is Kind.SUBDISTRICT]
        rural = [i for i, t in enumerate(town_list) if t.district_code == district and t.kind is not Kind.SUBDISTRICT]
        by_density = members[np.argsort(-density[members], kind="stable")]
        enough = np.cumsum(households[by_density]) <= MIN_SUBDISTRICT_HOUSEHOLDS * len(subs)
        urban = np.zeros(len(cells), dtype=bool)
        urban[by_density[enough | (density[by_density] >= urban_threshold)]] = True
        for group, weight_of, chosen in ((subs, households, urban[members]), (rural, None, ~urban[members])):
            part = members[chosen]
            if not group:
                continue
            weight = np.ones(len(part)) if weight_of is None else weight_of[part] + 1e-3
            local = weighted_kmeans(_bent(cells.xy[part], len(group), rng), weight, len(group), rng)
            ranks = reading_order(_centroids(cells.xy[part], local, len(group)), row_height=3000.0)
            label[part] = np.array(group)[ranks[local]]
    label = make_contiguous(label, cells.district, edges, np.ones(len(cells)))
    parent = np.array([district_codes.index(t.district_code) for t in town_list])
    return Partition(label, codes, [t.name for t in town_list], [t.kind for t in town_list], parent)


def village_quota(households: np.ndarray, cells_per_town: np.ndarray, total: int) -> np.ndarray:
    """Villages per town, largest remainder on households^0.6 * area^0.4, at least 3."""
    weight = households ** 0.6 * cells_per_town ** 0.4
    quota = np.full(len(weight), 3)
    share = weight / weight.sum() * (total - quota.sum())
    quota += np.floor(share).astype(int)
    remainder = total - quota.sum()
    quota[np.argsort(-(share - np.floor(share)), kind="stable")[:remainder]] += 1
    return quota


def villages(cells: Cells, households: np.ndarray, town_level: Partition, total: int,
             community_share: float, edges: np.ndarray, rng: np.random.Generator) -> Partition:
    n_towns = len(town_level.codes)
    town_households = np.bincount(town_level.label, weights=households, minlength=n_towns)
    quota = village_quota(town_households, np.bincount(town_level.label, minlength=n_towns), total)
    label = np.full(len(cells), -1)
    codes, kinds, parent = [], [], []
    for t in range(n_towns):
        members = np.flatnonzero(town_level.label == t)
        k = int(quota[t])
        weight = households[members] / max(households[members].sum(), 1) + 1.0 / len(members)
        local = weighted_kmeans(_bent(cells.xy[members], k, rng), weight, k, rng)
        centres = _centroids(cells.xy[members], local, k)
        if town_level.kinds[t] is Kind.SUBDISTRICT:
            communities = np.ones(k, dtype=bool)
        else:
            village_households = np.bincount(local, weights=households[members], minlength=k)
            n_comm = max(1, round(community_share * k))
            communities = np.zeros(k, dtype=bool)
            communities[np.argsort(-village_households, kind="stable")[:n_comm]] = True
        mapping = np.empty(k, dtype=int)
        for is_community, first in ((True, 1), (False, 200)):
            chosen = np.flatnonzero(communities == is_community)
            ranks = reading_order(centres[chosen], row_height=1500.0)
            for village, rank in zip(chosen, ranks):
                mapping[village] = len(codes) + rank
            ordered = chosen[np.argsort(ranks)]
            codes.extend(child_code(town_level.codes[t], first + i) for i in range(len(ordered)))
            kinds.extend([Kind.COMMUNITY if is_community else Kind.VILLAGE] * len(ordered))
            parent.extend([t] * len(ordered))
        label[members] = mapping[local]
    label = make_contiguous(label, town_level.label, edges, np.ones(len(cells)))
    taken: set[str] = set()
    stems = place_names(len(codes), rng, taken)
    names = [stem + ("社区" if kind is Kind.COMMUNITY else "村") for stem, kind in zip(stems, kinds)]
    return Partition(label, codes, names, kinds, np.array(parent))


def grids(cells: Cells, households: np.ndarray, village_level: Partition, settings: dict,
          edges: np.ndarray, rng: np.random.Generator) -> Partition:
    low, high = settings["grid_households_min"], settings["grid_households_max"]
    target = settings["grid_households_target"]
    label = np.full(len(cells), -1)
    codes, names, parent = [], [], []
    for v, village_code in enumerate(village_level.codes):
        members = np.flatnonzero(village_level.label == v)
        k = min(grid_count(households[members].sum(), low, high, target), len(members))
        local = balanced_bisection(_bent(cells.xy[members], k, rng), households[members].astype(float), k)
        centres = _centroids(cells.xy[members], local, k)
        row = np.sqrt(len(members) / k) * 50.0
        ranks = reading_order(centres, row_height=row)
        label[members] = len(codes) + ranks[local]
        codes.extend(child_code(village_code, i + 1) for i in range(k))
        names.extend(f"{village_level.names[v]}第{i + 1}网格" for i in range(k))
        parent.extend([v] * k)
    label = make_contiguous(label, village_level.label, edges, households + 0.01)
    return Partition(label, codes, names, [Kind.GRID] * len(codes), np.array(parent))
