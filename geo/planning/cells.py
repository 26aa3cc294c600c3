"""H3 cells under draft polygons: who lives there, and polygons made from groups of cells.

A cell belongs to the area that holds its centre (H3's own polyfill rule, the same rule
the dataset was built with), so households follow the boundaries exactly as locate does.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import polars_h3 as plh3
import shapely
from h3.api import basic_int as h3
from sqlalchemy.orm import Session

from geo.codes import CITY_CODE
from geo.hexes import hexagons
from geo.planning.draft import M2_PER_DEG2, NOISE_M2, TOUCH_DEG, areas, as_multi, separate_pieces

_SETTLE_ROUNDS = 4


def cells_in(geometry: shapely.Geometry, resolution: int) -> np.ndarray:
    """The cells (int64) whose centres lie in ``geometry``."""
    geometry = shapely.make_valid(geometry) if not shapely.is_valid(geometry) else geometry
    polygons = [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon) and not p.is_empty]
    if not polygons:
        return np.empty(0, dtype=np.int64)
    shape = h3.geo_to_h3shape(shapely.MultiPolygon(polygons).__geo_interface__)
    return np.array(sorted(h3.h3shape_to_cells(shape, resolution)), dtype=np.uint64).astype(np.int64)


def grid_of_cells(grids: dict, resolution: int) -> dict[int, str]:
    """Which of the draft ``grids`` (code → area) holds each cell's centre: cell → grid code."""
    return {int(cell): code for code, grid in grids.items() for cell in cells_in(grid.geom, resolution)}


_SCOPE_COLUMN = {6: "district_code", 9: "town_code", 12: "village_code"}


def load_cells(session: Session, generation: int, scope: str) -> pd.DataFrame:
    """Households, population and grid of every cell in the scope, indexed by cell."""
    column = _SCOPE_COLUMN.get(len(scope)) if scope != CITY_CODE else None
    where = f"AND {column} = %(scope)s" if column else ""
    cursor = session.connection().connection.driver_connection.cursor()
    cursor.execute(f"""SELECT h3, households, population, grid_code FROM h3_cells
        WHERE in_force(generation_low, generation_high, %(g)s) {where}""",
                   {"g": generation, "scope": scope})
    frame = pd.DataFrame(cursor.fetchall(), columns=["h3", "households", "population", "grid_code"])
    return frame.set_index("h3")


def village_cells(session: Session, plan, village: str, resolution: int) -> list[dict]:
    """The cells of a draft's village: each with its households and the draft grid holding its
    centre (what painting moves), for the planner's running totals."""
    grids = areas(session, plan.id, parent=village, level="grid")
    table = load_cells(session, plan.base_generation, village)["households"]
    return [{"h3": h3.int_to_str(cell), "households": int(table.get(cell, 0)), "grid": code}
            for cell, code in grid_of_cells(grids, resolution).items()]


def census(table: pd.DataFrame, geometries: list, resolution: int, frame: shapely.Geometry) -> list[tuple[int, int]]:
    """(households, population) under each geometry, from a ``load_cells`` table of the cells
    in ``frame`` (the plan's scope: nothing lives outside it, so geometries are cut to it first)."""
    shapely.prepare(frame)
    result = []
    for geometry in geometries:
        inside = geometry if shapely.covers(frame, geometry) else shapely.intersection(shapely.make_valid(geometry), frame)
        found = table.reindex(cells_in(inside, resolution))
        result.append((int(found["households"].sum()), int(found["population"].sum())))
    return result


def centres(cells: np.ndarray) -> np.ndarray:
    """(lon, lat) of each cell's centre."""
    frame = pl.DataFrame({"c": cells.astype(np.uint64)}).select(plh3.cell_to_latlng("c")).to_series()
    latlng = np.array(frame.to_list(), dtype=float).reshape(-1, 2)
    return latlng[:, ::-1]


def regions(frame: shapely.Geometry, cells: np.ndarray, labels: np.ndarray, n: int) -> list[shapely.MultiPolygon]:
    """Cut ``frame`` into ``n`` regions: region i is where the cells labelled i are.

    The pieces of the frame that no cell centre claims (cells a boundary crosses, whose
    centres lie outside), and stray bits cut off from a region's main body, each join the
    region they share most boundary with."""
    shapely.prepare(frame)
    parts = []
    for label in range(n):
        members = cells[labels == label]
        shape = h3.cells_to_h3shape([int(c) for c in members]) if len(members) else None
        parts.append(as_multi(shapely.intersection(shapely.geometry.shape(shape.__geo_interface__), frame))
                     if shape is not None else shapely.MultiPolygon())
    left = [(-1, c) for c in shapely.get_parts(shapely.difference(frame, shapely.union_all(parts)))
            if isinstance(c, shapely.Polygon) and c.area * M2_PER_DEG2 >= NOISE_M2]
    for _ in range(_SETTLE_ROUNDS):
        for i, region in enumerate(parts):
            pieces = separate_pieces(region)
            if len(pieces) > 1:
                parts[i] = as_multi(pieces[0])
                left.extend((i, piece) for piece in pieces[1:])
        if not left:
            break
        parts, left = _give_away(parts, left), []
    return parts


def _give_away(parts: list, crumbs: list) -> list:
    """Each crumb (owner, polygon) joins the other region it shares most boundary with;
    one touching no other region stays with its owner (or goes to the nearest region)."""
    geoms = np.array(parts)
    tree = shapely.STRtree(geoms)
    extra: dict[int, list] = {}
    for owner, crumb in crumbs:
        halo = shapely.buffer(crumb, TOUCH_DEG)
        near = [j for j in tree.query(halo, predicate="intersects") if j != owner]
        shared = [shapely.intersection(shapely.boundary(geoms[j]), halo).length for j in near]
        if near and max(shared) > 0:
            best = int(near[int(np.argmax(shared))])
        else:
            best = owner if owner >= 0 else int(tree.query_nearest(crumb)[0])
        extra.setdefault(best, []).append(crumb)
    for i, pieces in extra.items():
        parts[i] = as_multi(shapely.union_all([parts[i], *pieces]))
    return parts


def hexagon_union(cells: np.ndarray) -> shapely.Geometry:
    """The cells' hexagons as one geometry."""
    return shapely.coverage_union_all(hexagons(cells)) if len(cells) else shapely.MultiPolygon()
