"""H3 helpers shared by the dataset, locate and tiles: many points to cells, cells to polygons."""
from __future__ import annotations

import numpy as np
import polars as pl
import polars_h3 as plh3
import shapely
from h3.api import basic_int as h3

_SMALL_BATCH = 64


def cells_of(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cells (uint64) of many points at once (a plain loop for a handful, where polars costs more)."""
    if len(lon) <= _SMALL_BATCH:
        return np.array([h3.latlng_to_cell(float(b), float(a), resolution) for a, b in zip(lon, lat)], dtype=np.uint64)
    frame = pl.DataFrame({"lat": np.asarray(lat, dtype=float), "lng": np.asarray(lon, dtype=float)})
    return frame.select(plh3.latlng_to_cell("lat", "lng", resolution, return_dtype=pl.UInt64)).to_series().to_numpy()


def hexagons(ids) -> np.ndarray:
    """Shapely polygons (lon/lat) of H3 cells, vertices exactly as H3 computes them."""
    rings = np.array([h3.cell_to_boundary(int(c)) for c in ids])[:, :, ::-1]
    return shapely.polygons(rings)
