"""Partitioning point sets into regions: k-means, recursive bisection, contiguity repair.

All functions are deterministic for a given numpy Generator and work in a local
metric plane (metres), never in degrees.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.cluster.vq import vq
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def weighted_kmeans(xy: np.ndarray, weights: np.ndarray, k: int, rng: np.random.Generator,
                    iterations: int = 25) -> np.ndarray:
    """Labels 0..k-1 from Lloyd's algorithm with k-means++ seeding, weighted."""
    n = len(xy)
    if k >= n:
        return np.arange(n) % k
    w = np.asarray(weights, dtype=float) + 1e-12
    centres = [xy[rng.choice(n, p=w / w.sum())]]
    d2 = ((xy - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = w * d2
        centres.append(xy[rng.choice(n, p=p / p.sum())])
        d2 = np.minimum(d2, ((xy - centres[-1]) ** 2).sum(axis=1))
    centres = np.array(centres)
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        labels, _dist = vq(xy, centres)
        sums = np.zeros_like(centres)
        np.add.at(sums, labels, xy * w[:, None])
        mass = np.bincount(labels, weights=w, minlength=k)
        moved = mass > 0
        new = centres.copy()
        new[moved] = sums[moved] / mass[moved, None]
        if np.allclose(new, centres):
            break
        centres = new
    return vq(xy, centres)[0].astype(np.int64)


def balanced_bisection(xy: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """Labels 0..k-1: recursive cuts across the principal axis at weighted quantiles.

    Each cut gives the two sides weight in proportion to the number of parts they
    will hold, so the parts come out nearly equal in weight and compact.
    """
    labels = np.zeros(len(xy), dtype=np.int64)

    def cut(idx: np.ndarray, parts: int, first: int) -> None:
        if parts <= 1 or len(idx) <= 1:
            labels[idx] = first
            return
        pts = xy[idx] - xy[idx].mean(axis=0)
        _, _, vt = np.linalg.svd(pts, full_matrices=False)
        order = idx[np.argsort(pts @ vt[0], kind="stable")]
        left_parts = parts // 2
        cum = np.cumsum(weights[order] + 1e-9)
        split = int(np.searchsorted(cum, cum[-1] * left_parts / parts))
        split = min(max(split, left_parts), len(order) - (parts - left_parts))
        cut(order[:split], left_parts, first)
        cut(order[split:], parts - left_parts, first + left_parts)

    cut(np.arange(len(xy)), k, 0)
    return labels


def warped(xy: np.ndarray, rng: np.random.Generator, wavelength_m: float, octaves: int = 5) -> np.ndarray:
    """``xy`` moved by a smooth random field: per octave, two waves per axis in random
    directions, each half the length of the one before. Regions cut with straight lines in
    the warped plane (k-means, bisection) have irregular edges in the real one, as
    boundaries drawn along streams, roads and field edges do. Each wave tilts the plane by
    at most 0.25, so the field bends without folding a region through its neighbour
    (make_contiguous mends what it does)."""
    moved = np.asarray(xy, dtype=float).copy()
    for octave in range(octaves):
        length = wavelength_m / 2 ** octave
        for axis in (0, 1):
            for _ in range(2):
                angle, phase = rng.uniform(0, 2 * np.pi, size=2)
                along = xy @ np.array([np.cos(angle), np.sin(angle)])
                moved[:, axis] += 0.25 * length / (2 * np.pi) * np.sin(2 * np.pi * along / length + phase)
    return moved


def make_contiguous(labels: np.ndarray, parents: np.ndarray, edges: np.ndarray,
                    size: np.ndarray, rounds: int = 20) -> np.ndarray:
    """Give every stray piece of a region to the neighbouring region it touches most.

    ``edges`` are pairs of adjacent cells; a piece moves only to a region with the
    same parent. Pieces with no such neighbour (islands) stay where they are.
    """
    labels = labels.copy()
    n = len(labels)
    i, j = edges[:, 0], edges[:, 1]
    for _ in range(rounds):
        same = labels[i] == labels[j]
        graph = coo_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(n, n))
        _, comp = connected_components(graph, directed=False)
        comp_size = np.bincount(comp, weights=size)
        cells = pd.DataFrame({"label": labels, "comp": comp})
        firsts = cells.drop_duplicates("comp").set_index("comp")["label"]
        comps = pd.DataFrame({"label": firsts, "size": comp_size[firsts.index]})
        main = comps.sort_values(["size"], ascending=False, kind="stable").drop_duplicates("label")
        stray = np.ones(len(comp_size), dtype=bool)
        stray[main.index.to_numpy()] = False
        cross = stray[comp[i]] & (labels[i] != labels[j]) & (parents[i] == parents[j])
        if not cross.any():
            break
        votes = pd.DataFrame({"comp": comp[i[cross]], "to": labels[j[cross]]})
        best = votes.value_counts().reset_index().drop_duplicates("comp").set_index("comp")["to"]
        moving = np.isin(comp, best.index.to_numpy())
        labels[moving] = best.reindex(comp[moving]).to_numpy()
    return labels


def grid_count(households: float, low: int, high: int, target: float) -> int:
    """How many grids a village of ``households`` needs to keep each in [low, high]."""
    k = max(1, round(households / target))
    while households / k > high and households / (k + 1) >= low:
        k += 1
    while k > 1 and households / k < low and households / (k - 1) <= high:
        k -= 1
    return k


def reading_order(xy: np.ndarray, row_height: float) -> np.ndarray:
    """Ranks (0..n-1) of points numbered west to east within rows, rows north to south."""
    rows = np.floor(-xy[:, 1] / row_height)
    return np.argsort(np.lexsort((xy[:, 0], rows)), kind="stable")
