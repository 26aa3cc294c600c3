"""Balanced, contiguous, compact grids from a village's H3 cells: recursive spanning-tree cuts.

The method of GerryChain's ``recursive_tree_part``: draw a random spanning tree of the
cell adjacency graph, and look for a tree edge whose removal cuts off a piece holding
one grid's worth of households (the ideal share, within a tolerance) while the rest can
still be cut into the remaining grids. Every piece of a tree is connected, so every grid
is contiguous. Among the acceptable cuts of a few trees the one with the shortest
boundary (fewest cut cell edges) wins, which keeps grids compact. The tolerance widens
only when no tree offers an acceptable cut.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, depth_first_order, minimum_spanning_tree
from scipy.spatial import cKDTree

_TREES_PER_CUT = 3
_MAX_TRIES = 60


def grid_count(households: float, low: int, high: int) -> int:
    """How many grids keep each of them in [low, high] (the midpoint's count, adjusted)."""
    target = (low + high) / 2
    k = max(1, round(households / target))
    while households / k > high and households / (k + 1) >= low:
        k += 1
    while k > 1 and households / k < low and households / (k - 1) <= high:
        k -= 1
    return k


def connect(xy: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Add one edge from each stray component (an island) to its nearest other cell, so the
    graph is connected and every cell can be given to some grid."""
    n = len(xy)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    count, comp = connected_components(graph, directed=False)
    if count <= 1:
        return edges
    main = np.bincount(comp).argmax()
    extra = []
    for c in range(count):
        if c == main:
            continue
        inside, outside = np.flatnonzero(comp == c), np.flatnonzero(comp != c)
        dist, nearest = cKDTree(xy[outside]).query(xy[inside])
        best = int(np.argmin(dist))
        extra.append((inside[best], outside[nearest[best]]))
    return np.vstack([edges, np.array(extra)])


def partition(weights: np.ndarray, edges: np.ndarray, k: int, rng: np.random.Generator,
              epsilon: float = 0.05) -> np.ndarray:
    """Labels 0..k-1 for a connected graph: contiguous parts of nearly equal weight."""
    n = len(weights)
    labels = np.zeros(n, dtype=np.int64)
    remaining = np.arange(n)
    for part in range(k - 1):
        piece = _cut_one(remaining, weights, edges, k - part, weights.sum() / k, rng, epsilon)
        labels[piece] = part
        remaining = np.setdiff1d(remaining, piece, assume_unique=True)
    labels[remaining] = k - 1
    return labels


def _cut_one(nodes: np.ndarray, weights: np.ndarray, edges: np.ndarray, parts: int, ideal: float,
             rng: np.random.Generator, epsilon: float) -> np.ndarray:
    """Nodes of one connected piece of weight ideal(1 ± ε), the rest still splittable."""
    local = np.full(len(weights), -1)
    local[nodes] = np.arange(len(nodes))
    keep = (local[edges[:, 0]] >= 0) & (local[edges[:, 1]] >= 0)
    i, j = local[edges[keep, 0]], local[edges[keep, 1]]
    w = weights[nodes].astype(float)
    total = w.sum()
    for attempt in range(_MAX_TRIES):
        eps = epsilon * (1.5 ** (attempt // _TREES_PER_CUT))
        low, high = ideal * (1 - eps), ideal * (1 + eps)
        rest_low, rest_high = (parts - 1) * low, (parts - 1) * high
        best, best_cut = None, np.inf
        for _ in range(_TREES_PER_CUT):
            tree = _random_tree(len(nodes), i, j, w, rng)
            below, rest = tree.below, total - tree.below
            sub_ok = (below >= low) & (below <= high) & (rest >= rest_low) & (rest <= rest_high)
            comp_ok = (rest >= low) & (rest <= high) & (below >= rest_low) & (below <= rest_high)
            candidates = np.flatnonzero((sub_ok | comp_ok) & (tree.parent >= 0))
            for v in rng.permutation(candidates)[:8]:
                inside = tree.subtree(v)
                piece = inside if sub_ok[v] else ~inside
                cut = int((inside[i] != inside[j]).sum())
                if cut < best_cut:
                    best, best_cut = piece, cut
        if best is not None:
            return nodes[best]
    raise RuntimeError("no balanced cut found")   # unreachable: the tolerance grows past any weight


def _random_tree(n: int, i: np.ndarray, j: np.ndarray, w: np.ndarray, rng: np.random.Generator) -> "_Tree":
    """A random spanning tree (minimum spanning tree of random edge weights), in DFS preorder."""
    graph = coo_matrix((rng.random(len(i)) + 1e-9, (i, j)), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph)
    order, parent = depth_first_order(tree + tree.T, int(rng.integers(n)), directed=False, return_predecessors=True)
    return _Tree(order, np.where(parent < 0, -1, parent), w)


class _Tree:
    """A rooted spanning tree: a node's subtree is a run of the preorder, so it is a slice."""

    def __init__(self, order: np.ndarray, parent: np.ndarray, w: np.ndarray):
        self.order, self.parent = order, parent
        self.position = np.empty(len(order), dtype=np.int64)
        self.position[order] = np.arange(len(order))
        below, size, up = w.tolist(), [1] * len(order), parent.tolist()
        for v in order[::-1].tolist():
            if up[v] >= 0:
                below[up[v]] += below[v]
                size[up[v]] += size[v]
        self.below, self.size = np.array(below), np.array(size)

    def subtree(self, v: int) -> np.ndarray:
        """Mask of the nodes at or below ``v``."""
        inside = np.zeros(len(self.order), dtype=bool)
        inside[self.order[self.position[v]:self.position[v] + self.size[v]]] = True
        return inside
