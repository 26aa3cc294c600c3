"""Point → district, town, village, grid: an in-memory index over one boundary generation.

Fast path: the point's H3 cell (vectorised through polars-h3). A cell that no grid
boundary touches lies wholly inside one grid, so its grid answers directly. Every
other point (cells along a grid boundary, the coast, outside the city) gets an exact
test against the prepared grid polygons in an STRtree.

Boundary rule (the same as the PostGIS reference, ``ST_Covers``): a point on a shared
boundary belongs to every grid whose closed polygon covers it, and the grid with the
smallest code wins. A point covered by no grid is outside Haikou.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl
import polars_h3 as plh3
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import index_resolution, stamp
from geo.cache import ByteCache
from geo.changes import ChangeWatcher
from geo.i18n import N_
from geo.errors import DomainError
from geo.hexes import cells_of

OUTSIDE = -1
NEAR_BOUNDARY = -2
_BOUNDARY_SAMPLE_DEG = 2e-5   # about 2 m: far below a resolution-11 cell's 50 m
_SMALL_BATCH = 64   # below this many cells a binary search beats hashing
RETRY_SECONDS = 10   # about one build of a past generation's index


def _ring_dilate(cells: np.ndarray) -> np.ndarray:
    frame = pl.DataFrame({"c": cells})
    disk = frame.select(plh3.grid_disk("c", 1)).to_series().explode().drop_nulls()
    return np.unique(disk.to_numpy().astype(np.uint64))


@dataclass
class Chain:
    """Codes and names of each grid's area chain, aligned with the grid index."""

    grid: np.ndarray
    grid_name: np.ndarray
    village: np.ndarray
    village_name: np.ndarray
    town: np.ndarray
    town_name: np.ndarray
    district: np.ndarray
    district_name: np.ndarray


class LocateIndex:
    """The locate index of one generation; build once, then call ``locate`` from any thread."""

    def __init__(self, boundaries: tuple, resolution: int, chain: Chain, grids: np.ndarray,
                 direct_cells: np.ndarray, direct_grid: np.ndarray, touched: np.ndarray, build_seconds: float):
        self.boundaries, self.resolution, self.chain = boundaries, resolution, chain   # (generation, dataset load)
        shapely.prepare(grids)
        self.grids, self.tree = grids, shapely.STRtree(grids)
        known = np.concatenate([direct_cells, touched])
        answer = np.concatenate([direct_grid, np.full(len(touched), NEAR_BOUNDARY, dtype=np.int32)])
        order = np.argsort(known)
        self.sorted_cells, self.cell_answer = known[order], answer[order]
        self.cells = pd.Index(self.sorted_cells)
        self.cells.get_indexer(self.sorted_cells[:1])   # build the hash table now, not on the first request
        self.build_seconds = build_seconds

    @property
    def nbytes(self) -> int:
        """Memory of the index estimated from its arrays: cells and answers, pandas' hash table over
        the cells (about twice the keys), the chains, and the grids' coordinates, prepared and in
        the STRtree (about three times the raw coordinates). Within 10 % of the measured growth."""
        coordinates = int(shapely.get_num_coordinates(self.grids).sum()) * 16
        chains = sum(codes.nbytes for codes in vars(self.chain).values())
        return 3 * self.sorted_cells.nbytes + self.cell_answer.nbytes + chains + 3 * coordinates

    @classmethod
    def build(cls, session: Session, generation: int, boundaries: tuple) -> "LocateIndex":
        """Read the generation's grids and cells from PostGIS and index them."""
        start = time.perf_counter()
        rows = session.execute(text("""
            SELECT g.code, g.name, v.code, v.name, t.code, t.name, d.code, d.name, ST_AsBinary(g.geom)
              FROM areas g
              JOIN areas v ON v.code = g.parent_code AND in_force(v.generation_low, v.generation_high, :g)
              JOIN areas t ON t.code = v.parent_code AND in_force(t.generation_low, t.generation_high, :g)
              JOIN areas d ON d.code = t.parent_code AND in_force(d.generation_low, d.generation_high, :g)
             WHERE g.level = 'grid' AND in_force(g.generation_low, g.generation_high, :g)
             ORDER BY g.code"""), {"g": generation}).all()
        columns = list(zip(*rows)) if rows else [()] * 9
        chain = Chain(*(np.array(c, dtype=object) for c in columns[:8]))
        grids = shapely.from_wkb(np.array(columns[8], dtype=object))
        cells = session.execute(text("""
            SELECT h3, grid_code FROM h3_cells WHERE in_force(generation_low, generation_high, :g) ORDER BY h3"""),
                                {"g": generation}).all()
        resolution = index_resolution(session)
        cell_ids = np.array([c[0] for c in cells], dtype=np.int64).astype(np.uint64)
        cell_grid = np.searchsorted(chain.grid.astype(str), np.array([c[1] for c in cells], dtype=str))
        touched = cls._touched_cells(grids, resolution)
        direct = ~np.isin(cell_ids, touched)
        return cls(boundaries, resolution, chain, grids, cell_ids[direct], cell_grid[direct].astype(np.int32),
                   touched, time.perf_counter() - start)

    @staticmethod
    def _touched_cells(grids: np.ndarray, resolution: int) -> np.ndarray:
        """Every cell that some grid boundary passes through or touches, plus a ring of safety."""
        lines = shapely.segmentize(shapely.boundary(grids), _BOUNDARY_SAMPLE_DEG)
        samples = shapely.get_coordinates(lines)
        hit = np.unique(cells_of(samples[:, 0], samples[:, 1], resolution))
        return _ring_dilate(hit)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(grid index or OUTSIDE, H3 cell) for every point.

        A cell no grid boundary touches is either wholly inside the grid of its centre
        (direct answer) or, when its centre is in no grid, wholly outside the city."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        cells = cells_of(lon, lat, self.resolution)
        position = self._positions(cells)
        grid = np.where(position >= 0, self.cell_answer[position], OUTSIDE).astype(np.int64)
        slow = np.flatnonzero(grid == NEAR_BOUNDARY)
        if len(slow):
            point_idx, grid_idx = self.tree.query(shapely.points(lon[slow], lat[slow]))
            inside = shapely.intersects_xy(self.grids[grid_idx], lon[slow][point_idx], lat[slow][point_idx])
            best = np.full(len(slow), np.iinfo(np.int64).max)
            np.minimum.at(best, point_idx[inside], grid_idx[inside])
            grid[slow] = np.where(best == np.iinfo(np.int64).max, OUTSIDE, best)
        return grid, cells


    def _positions(self, cells: np.ndarray) -> np.ndarray:
        """Where each cell is in the index, -1 if absent: binary search for a few, hashing for many."""
        if len(cells) > _SMALL_BATCH:
            return self.cells.get_indexer(cells)
        position = np.minimum(np.searchsorted(self.sorted_cells, cells), len(self.sorted_cells) - 1)
        return np.where(self.sorted_cells[position] == cells, position, -1)


class IndexBusy(DomainError):
    """Another past generation's index is being built: one build at a time, the rest retry."""

    status, title = 503, N_("Locate index being built")

    def __init__(self, generation: int, building: int):
        super().__init__("the locate index of generation {building} is being built; generation {generation} "
                         "can be asked for again in {seconds} s", field="generation",
                         building=building, generation=generation, seconds=RETRY_SECONDS)
        self.retry_after = RETRY_SECONDS


class IndexCache:
    """One index per set of boundaries (generation, dataset load), rebuilt when a publish or a load changes it.

    A busy locate endpoint costs no database round trip: while ``watcher`` listens, the
    index is current as long as its boundaries are the ones in the stamp the primary last
    notified; otherwise (or without a watcher) the stamp is read again
    at most every ``recheck_seconds``; after ``expire`` (the boundaries changed), at once.

    Indexes of earlier generations, for ``?generation=``, are kept up to ``past_bytes``
    (least recently used out). They are built one at a time, apart from the current
    index's lock: requests for the generation being built wait for that build, requests
    for another uncached one get ``IndexBusy``. ``past_builds`` counts the builds."""

    def __init__(self, recheck_seconds: float = 1.0, past_bytes: int = 256 * 1024 * 1024,
                 watcher: ChangeWatcher | None = None):
        self.recheck_seconds, self.watcher = recheck_seconds, watcher
        self._index: LocateIndex | None = None
        self.past = ByteCache(past_bytes, size=lambda index: index.nbytes)
        self._building: tuple[tuple, Future] | None = None   # the past boundaries being built, and its result
        self.past_builds = 0
        self._checked_at = float("-inf")
        self._lock = threading.Lock()   # the current index's rebuild
        self._past_lock = threading.Lock()   # guards _building, held only briefly

    def expire(self) -> None:
        """Read the stamp again on the next request (the boundaries changed)."""
        self._checked_at = float("-inf")

    def _still_current(self, index: LocateIndex) -> bool:
        if self._checked_at == float("-inf"):
            return False   # expired
        latest = self.watcher.latest if self.watcher else None
        if latest is not None:
            return index.boundaries == latest.boundaries
        return time.monotonic() - self._checked_at < self.recheck_seconds

    def fresh(self) -> LocateIndex | None:
        """The current index if it is known to be current without asking the database, else None."""
        index = self._index
        return index if index is not None and self._still_current(index) else None

    @property
    def building(self) -> int | None:
        """The past generation whose index is being built, if any."""
        building = self._building
        return building[0][0] if building else None

    def get(self, session: Session, generation: int | None = None) -> LocateIndex | None:
        current = self._current(session)
        if generation is None or current is None or generation == current.boundaries[0]:
            return current
        return self._past_index(session, (generation, current.boundaries[1]))

    def _past_index(self, session: Session, boundaries: tuple) -> LocateIndex:
        """A past generation's index: kept, being built (wait for it), or built here if no other build runs."""
        with self._past_lock:
            if (index := self.past.get(boundaries)) is not None:
                return index
            if self._building is not None:
                building, result = self._building
                if building != boundaries:
                    raise IndexBusy(boundaries[0], building[0])
                mine = False
            else:
                result, mine = Future(), True
                self._building = (boundaries, result)
        if not mine:
            return result.result()
        try:
            index = LocateIndex.build(session, boundaries[0], boundaries)
            self.past_builds += 1
            self.past.put(boundaries, index)
            result.set_result(index)
            return index
        except BaseException as exc:
            result.set_exception(exc)
            raise
        finally:
            with self._past_lock:
                self._building = None

    def _current(self, session: Session) -> LocateIndex | None:
        index = self.fresh()
        if index is not None:
            return index
        index = self._index
        boundaries = stamp(session).boundaries
        if boundaries[0] is None:
            return None
        if index is None or index.boundaries != boundaries:
            with self._lock:
                if self._index is None or self._index.boundaries != boundaries:
                    self._index = LocateIndex.build(session, boundaries[0], boundaries)
                index = self._index
        self._checked_at = time.monotonic()
        return index
