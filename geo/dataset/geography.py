"""H3 cells of the city, the household surface, and area polygons built from cells.

Areas below district level are unions of building blocks: the H3 cells that lie
wholly inside one district, and the pieces of the cells that a district boundary
crosses. The pieces come from one noding of all those lines, so neighbouring areas
share identical vertices and every level is an exact coverage of its parent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from h3.api import basic_int as h3
from scipy.spatial import cKDTree

from geo.hexes import hexagons
from geo.plane import local_xy

@dataclass
class Cells:
    """Every H3 cell whose centre lies in the city, with the district that holds it."""

    h3: np.ndarray        # int64 H3 index
    lon: np.ndarray
    lat: np.ndarray
    xy: np.ndarray        # local metres
    district: np.ndarray  # index into the district list

    def __len__(self) -> int:
        return len(self.h3)


def city_cells(districts: list[shapely.Geometry], resolution: int) -> Cells:
    """Cells by centre, per district (H3's centre containment; a tie goes to the first)."""
    ids, owner = [], []
    for index, geometry in enumerate(districts):
        cells = h3.h3shape_to_cells(h3.geo_to_h3shape(geometry), resolution)
        ids.extend(cells)
        owner.extend([index] * len(cells))
    ids = np.array(ids, dtype=np.int64)
    owner = np.array(owner, dtype=np.int64)
    ids, first = np.unique(ids, return_index=True)
    owner = owner[first]
    latlng = np.array([h3.cell_to_latlng(int(c)) for c in ids])
    lon, lat = latlng[:, 1], latlng[:, 0]
    return Cells(ids, lon, lat, local_xy(lon, lat), owner)


def household_density(cells: Cells, settings: dict, rng: np.random.Generator, cell_km2: float) -> np.ndarray:
    """Expected households per km² at each cell: urban bumps over a rural floor.

    The bump heights are scaled so that the city total matches the settings.
    """
    hh = settings["households"]
    bumps = np.zeros(len(cells))
    for centre in hh["centres"]:
        bumps += centre["weight"] * _gaussian(cells, centre["lon"], centre["lat"], centre["sigma_km"])
    for i in rng.choice(len(cells), size=hh["rural_bumps"], replace=False):
        bumps += hh["rural_bump_weight"] * _gaussian(cells, cells.lon[i], cells.lat[i], hh["rural_bump_sigma_km"])
    floor = hh["rural_density"]
    peak = (hh["total"] - floor * cell_km2 * len(cells)) / (bumps.sum() * cell_km2)
    return floor + peak * bumps


def _gaussian(cells: Cells, lon: float, lat: float, sigma_km: float) -> np.ndarray:
    centre = local_xy([lon], [lat])[0]
    d2 = ((cells.xy - centre) ** 2).sum(axis=1)
    return np.exp(-d2 / (2.0 * (sigma_km * 1000.0) ** 2))


def neighbour_pairs(xy: np.ndarray) -> np.ndarray:
    """Pairs (i, j) of cells that share an edge, from the distances of their centres (metres)."""
    if len(xy) < 2:
        return np.empty((0, 2), dtype=np.int64)
    tree = cKDTree(xy)
    spacing = np.median(tree.query(xy[:: max(1, len(xy) // 2000)], k=2)[0][:, 1])
    return tree.query_pairs(r=1.3 * spacing, output_type="ndarray")


def boundary_cells(districts: list[shapely.Geometry], resolution: int) -> np.ndarray:
    """The cells that some district boundary crosses or touches."""
    lines = shapely.union_all([shapely.boundary(g) for g in districts])
    samples = shapely.get_coordinates(shapely.segmentize(lines, 2e-5))
    hit = {h3.latlng_to_cell(lat, lon, resolution) for lon, lat in samples}
    candidates = np.array(sorted({n for c in hit for n in h3.grid_disk(c, 1)}), dtype=np.int64)
    shapely.prepare(lines)
    return candidates[shapely.intersects(lines, hexagons(candidates))]


@dataclass
class Pieces:
    """Pieces of boundary cells: each lies in one cell and one district."""

    geometry: np.ndarray
    cell: np.ndarray
    district: np.ndarray


def cut_boundary_cells(districts: list[shapely.Geometry], crossed: np.ndarray) -> Pieces:
    """Cut the crossed cells along the district boundaries, all in one noding."""
    linework = np.concatenate([shapely.boundary(hexagons(crossed)),
                               [shapely.boundary(g) for g in districts]])
    noded = shapely.union_all(linework)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inner = shapely.point_on_surface(faces)
    x, y = shapely.get_x(inner), shapely.get_y(inner)
    cell = np.array([h3.latlng_to_cell(b, a, h3.get_resolution(int(crossed[0]))) for a, b in zip(x, y)],
                    dtype=np.int64)
    district = np.full(len(faces), -1)
    for index, geometry in enumerate(districts):
        district[(district < 0) & shapely.contains_xy(geometry, x, y)] = index
    keep = np.isin(cell, crossed) & (district >= 0)
    return Pieces(faces[keep], cell[keep], district[keep])


def piece_owners(pieces: Pieces, cells: Cells, cell_label: np.ndarray) -> np.ndarray:
    """The label of each piece: its own cell's where the cell's centre is in the same
    district, otherwise that of the nearest cell centre in the piece's district."""
    position = np.searchsorted(cells.h3, pieces.cell)
    position = np.minimum(position, len(cells) - 1)
    own = (cells.h3[position] == pieces.cell) & (cells.district[position] == pieces.district)
    labels = np.where(own, cell_label[position], -1)
    inner = shapely.point_on_surface(pieces.geometry)
    xy = local_xy(shapely.get_x(inner), shapely.get_y(inner))
    for index in np.unique(pieces.district[~own]):
        members = np.flatnonzero(cells.district == index)
        stray = np.flatnonzero(~own & (pieces.district == index))
        _, nearest = cKDTree(cells.xy[members]).query(xy[stray])
        labels[stray] = cell_label[members[nearest]]
    return labels


def area_polygons(cells: Cells, cell_label: np.ndarray, crossed: np.ndarray,
                  pieces: Pieces, piece_label: np.ndarray, n_labels: int) -> np.ndarray:
    """One (Multi)Polygon per label: its whole cells and its pieces, coverage-unioned."""
    whole = ~np.isin(cells.h3, crossed)
    order = np.argsort(cell_label[whole], kind="stable")
    whole_ids, whole_labels = cells.h3[whole][order], cell_label[whole][order]
    bounds = np.searchsorted(whole_labels, np.arange(n_labels + 1))
    piece_order = np.argsort(piece_label, kind="stable")
    piece_bounds = np.searchsorted(piece_label[piece_order], np.arange(n_labels + 1))
    result = np.empty(n_labels, dtype=object)
    for label in range(n_labels):
        parts = list(pieces.geometry[piece_order[piece_bounds[label]:piece_bounds[label + 1]]])
        ids = whole_ids[bounds[label]:bounds[label + 1]]
        if len(ids):
            shape = h3.cells_to_h3shape([int(c) for c in ids])
            parts.append(shapely.geometry.shape(shape.__geo_interface__))
        result[label] = as_multipolygon(shapely.coverage_union_all(parts))
    return result


def as_multipolygon(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geometry, shapely.MultiPolygon):
        return geometry
    if isinstance(geometry, shapely.Polygon):
        return shapely.MultiPolygon([geometry])
    return shapely.MultiPolygon([g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon)])


def union_by(geometries: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Coverage union of ``geometries`` per group index (exact for a valid coverage)."""
    result = np.empty(n_groups, dtype=object)
    for group in range(n_groups):
        result[group] = as_multipolygon(shapely.coverage_union_all(geometries[groups == group]))
    return result
