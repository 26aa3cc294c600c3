"""Field-of-view sectors of cameras as polygons, vectorised."""
from __future__ import annotations

import numpy as np
import shapely

from geo.plane import offset_lonlat

ARC_POINTS = 12


def fov_sectors(lon, lat, heading_deg, fov_deg, range_m) -> np.ndarray:
    """Sector polygons (lon/lat) from each camera's position, heading (clockwise from
    north), field-of-view angle and range; a 360° view gives a disc."""
    lon, lat, heading, fov, reach = (np.atleast_1d(np.asarray(v, dtype=float))
                                     for v in (lon, lat, heading_deg, fov_deg, range_m))
    steps = np.linspace(-0.5, 0.5, ARC_POINTS)
    bearing = np.radians(heading[:, None] + fov[:, None] * steps[None, :])
    dx = reach[:, None] * np.sin(bearing)
    dy = reach[:, None] * np.cos(bearing)
    arc_lon, arc_lat = offset_lonlat(lon[:, None], lat[:, None], dx, dy)
    apex = np.stack([lon, lat], axis=1)[:, None, :]
    ring = np.concatenate([apex, np.stack([arc_lon, arc_lat], axis=2), apex], axis=1)
    full = fov >= 360.0
    ring[full, 0] = ring[full, 1]
    ring[full, -1] = ring[full, 1]
    return shapely.polygons(ring)
