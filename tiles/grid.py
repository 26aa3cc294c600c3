"""Web Mercator tile arithmetic, and the WGS-84 box a tile of another datum draws from.

A GCJ-02 or BD-09 tile is a tile of the shifted world: its features are found by the
tile's box taken back to WGS-84 (edges sampled, since the inverse bends them), and
their vertices are shifted exactly (see tiles.render). An affine fit per tile was
tried first: good to 1.4 units of 4096 for GCJ-02 but 13 for BD-09, whose offset
wiggles with a 12 km period.
"""
from __future__ import annotations

import math
import numpy as np

from geo.crs import Datum, to_wgs84

EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 22


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile in degrees of its own datum."""
    n = 2 ** z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


def source_box(z: int, x: int, y: int, datum: Datum) -> tuple[float, float, float, float]:
    """The WGS-84 box whose features can reach the tile (with its buffer), for the index."""
    west, south, east, north = tile_bounds(z, x, y)
    pad_x, pad_y = (east - west) * BUFFER / EXTENT, (north - south) * BUFFER / EXTENT
    west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
    if Datum(datum) is Datum.WGS84:
        return west, south, east, north
    steps = np.linspace(0.0, 1.0, 33)
    edge_lon = np.concatenate([west + (east - west) * steps, west + (east - west) * steps, np.full(33, west), np.full(33, east)])
    edge_lat = np.concatenate([np.full(33, south), np.full(33, north), south + (north - south) * steps,
                               south + (north - south) * steps])
    lon, lat = to_wgs84(edge_lon, edge_lat, datum)
    margin = 1e-5   # about a metre: the bend of the edges between samples
    return float(lon.min()) - margin, float(lat.min()) - margin, float(lon.max()) + margin, float(lat.max()) + margin
