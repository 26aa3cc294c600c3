"""A local metric plane for Haikou: equirectangular metres around 20°N (0.1 % across the city)."""
from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6371008.8
M_PER_DEG = np.pi / 180.0 * EARTH_RADIUS_M
_COS_LAT0 = np.cos(np.radians(20.0))


def local_xy(lon, lat) -> np.ndarray:
    """Longitude/latitude as (x, y) metres in the local plane."""
    return np.column_stack([np.asarray(lon) * M_PER_DEG * _COS_LAT0, np.asarray(lat) * M_PER_DEG])


def offset_lonlat(lon, lat, dx_m, dy_m) -> tuple[np.ndarray, np.ndarray]:
    """Move points by (dx, dy) metres east and north."""
    lat = np.asarray(lat, dtype=float)
    return (np.asarray(lon) + np.asarray(dx_m) / (M_PER_DEG * np.cos(np.radians(lat))),
            lat + np.asarray(dy_m) / M_PER_DEG)
