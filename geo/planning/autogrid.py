"""Balanced, contiguous, compact grids from a village's H3 cells: recursive spanning-tree cuts.

The method of GerryChain's ``recursive_tree_part``: draw a random spanning tree of the
cell adjacency graph, and look for a tree edge whose removal splits it into two pieces
holding their shares of grids' worth of households (the ideal share per grid, within a
tolerance); then split each piece again. Every piece of a tree is connected, so every
grid is contiguous. Among the acceptable cuts of a few trees the shortest (fewest cell edges
cut) wins; then ``smooth`` moves cells that stick into a neighbouring grid over to it,
while households stay in range and every grid stays in one piece. The tolerance widens
only when no tree offers an acceptable cut.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, depth_first_order, minimum_spanning_tree
from scipy.spatial import cKDTree

_TREES_PER_CUT = 3
_MAX_TRIES = 60
_CANDIDATES = 64   # balanced cuts compared per tree (the shortest wins)


class NoBalancedCut(Exception):
    """No tree of the cells could be cut into parts within the range, however wide the tolerance."""


def tolerance(ideal: float, low: int, high: int, widest: float = 0.05, narrowest: float = 0.01) -> float:
    """The relative tolerance ε that keeps ideal(1 ± ε) inside [low, high], within [narrowest, widest]."""
    room = min(ideal - low, high - ideal) / ideal if ideal > 0 else widest
    return min(widest, max(narrowest, room))


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
    """Labels 0..k-1 for a connected graph: contiguous parts of weight ideal(1 ± ε), ideal = total / k.

    Recursive bisection: each cut splits ``parts`` into ⌊parts/2⌋ and the rest, each side
    holding its share of parts within the tolerance, so every final part does too."""
    labels = np.zeros(len(weights), dtype=np.int64)
    ideal = weights.sum() / k

    def split(nodes: np.ndarray, parts: int, first: int) -> None:
        if parts == 1:
            labels[nodes] = first
            return
        left = parts // 2
        side = _bisect(nodes, weights, edges, (left, parts - left), ideal, rng, epsilon)
        split(nodes[side], left, first)
        split(nodes[~side], parts - left, first + left)

    split(np.arange(len(weights)), k, 0)
    return labels


def _bisect(nodes: np.ndarray, weights: np.ndarray, edges: np.ndarray, shares: tuple[int, int], ideal: float,
            rng: np.random.Generator, epsilon: float) -> np.ndarray:
    """Mask of the nodes on the first side of the shortest balanced tree cut found: the sides
    hold shares[0] and shares[1] parts' worth of weight, each part within ideal(1 ± ε)."""
    local = np.full(len(weights), -1)
    local[nodes] = np.arange(len(nodes))
    keep = (local[edges[:, 0]] >= 0) & (local[edges[:, 1]] >= 0)
    i, j = local[edges[keep, 0]], local[edges[keep, 1]]
    w = weights[nodes].astype(float)
    total = w.sum()
    a, b = shares
    for attempt in range(_MAX_TRIES):
        eps = epsilon * (1.5 ** (attempt // _TREES_PER_CUT))
        low, high = ideal * (1 - eps), ideal * (1 + eps)
        best, best_cut = None, np.inf
        for _ in range(_TREES_PER_CUT):
            tree = _random_tree(len(nodes), i, j, w, rng)
            below, rest = tree.below, total - tree.below
            below_first = (below >= a * low) & (below <= a * high) & (rest >= b * low) & (rest <= b * high)
            below_second = (below >= b * low) & (below <= b * high) & (rest >= a * low) & (rest <= a * high)
            candidates = np.flatnonzero((below_first | below_second) & (tree.parent >= 0))
            candidates = rng.permutation(candidates)[:_CANDIDATES]
            if len(candidates):
                cuts = tree.cut_sizes(candidates, i, j)
                if cuts.min() < best_cut:
                    v = int(candidates[np.argmin(cuts)])
                    inside = tree.subtree(v)
                    best, best_cut = (inside if below_first[v] else ~inside), int(cuts.min())
        if best is not None:
            return best
    raise NoBalancedCut()   # a range no cut can meet (a grid of at most 1 household, say)


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

    def cut_sizes(self, nodes: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """For each node, how many graph edges (i, j) leave its subtree: a run [start, end) of the preorder."""
        start = self.position[nodes][:, None]
        end = start + self.size[nodes][:, None]
        pi, pj = self.position[i][None, :], self.position[j][None, :]
        return (((pi >= start) & (pi < end)) != ((pj >= start) & (pj < end))).sum(axis=1)

    def subtree(self, v: int) -> np.ndarray:
        """Mask of the nodes at or below ``v``."""
        inside = np.zeros(len(self.order), dtype=bool)
        inside[self.order[self.position[v]:self.position[v] + self.size[v]]] = True
        return inside


def smooth(labels: np.ndarray, weights: np.ndarray, edges: np.ndarray, low: float, high: float,
           rounds: int = 8) -> np.ndarray:
    """Straighten the boundaries: a cell with more neighbours in another part than in its own
    moves there, if both parts' weights stay in [low, high] (or do not get further out) and
    its old part stays connected. Neighbouring cells never move in the same round."""
    labels = labels.copy()
    n, k = len(labels), int(labels.max()) + 1
    i, j = edges[:, 0], edges[:, 1]
    adjacency = coo_matrix((np.ones(2 * len(i)), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n)).tocsr()
    for _ in range(rounds):
        counts = np.zeros((n, k))
        np.add.at(counts, (i, labels[j]), 1)
        np.add.at(counts, (j, labels[i]), 1)
        target = counts.argmax(axis=1)
        gain = counts[np.arange(n), target] - counts[np.arange(n), labels]
        movers = np.flatnonzero(gain >= 2)
        if not len(movers):
            break
        total = np.bincount(labels, weights=weights, minlength=k)
        blocked = np.zeros(n, dtype=bool)
        moved = []
        for v in movers[np.argsort(-gain[movers], kind="stable")]:
            src, dst, w = labels[v], target[v], weights[v]
            if blocked[v] or not _stays_in(total[src] - w, total[src], low, high) \
                    or not _stays_in(total[dst] + w, total[dst], low, high):
                continue
            labels[v] = dst
            if not _connected(np.flatnonzero(labels == src), adjacency):
                labels[v] = src
                continue
            total[src] -= w
            total[dst] += w
            blocked[adjacency.indices[adjacency.indptr[v]:adjacency.indptr[v + 1]]] = True
            moved.append(v)
        if not moved:
            break
    return labels


def _stays_in(after: float, before: float, low: float, high: float) -> bool:
    return low <= after <= high or abs(after - min(max(after, low), high)) < abs(before - min(max(before, low), high))


def _connected(members: np.ndarray, adjacency) -> bool:
    if len(members) <= 1:
        return True
    sub = adjacency[members][:, members]
    return connected_components(sub, directed=False)[0] == 1
