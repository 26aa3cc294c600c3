"""WGS-84, GCJ-02 and BD-09 longitude/latitude, vectorised over numpy arrays.

GCJ-02 is the obfuscated datum of Amap and Tencent (about 500 m off WGS-84 around
Haikou); BD-09 is Baidu's further offset of GCJ-02. The forward formulas are the
published ones; the inverses are fixed-point iterations of the forward formula,
which converge to below 1e-9 degrees (about 0.1 mm) in a handful of steps, where
the common one-step inverse is 1-2 m off.

WGS-84 and CGCS2000 (EPSG:4490, Tianditu) differ by centimetres and are treated as
equal. Points outside China are left unshifted, as the consumer maps do.
"""
from __future__ import annotations

from enum import StrEnum

import numpy as np
import shapely

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0
_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30


class Datum(StrEnum):
    """The coordinate systems an API caller may send or ask for."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def _arrays(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def in_china(lon, lat) -> np.ndarray:
    """The rough box inside which the Chinese offsets apply."""
    lon, lat = _arrays(lon, lat)
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    common = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += common * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += common * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _arrays(lon, lat)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward, lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = target by fixed-point iteration, element-wise."""
    target_lon, target_lat = _arrays(lon, lat)
    x, y = target_lon.copy(), target_lat.copy()
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        ex, ey = fx - target_lon, fy - target_lat
        x, y = x - ex, y - ey
        if np.nanmax(np.abs(ex), initial=0.0) < _TOLERANCE_DEG and np.nanmax(np.abs(ey), initial=0.0) < _TOLERANCE_DEG:
            break
    return x, y


def gcj02_to_wgs84(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return _invert(wgs84_to_gcj02, lon, lat)


def bd09_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    return _invert(gcj02_to_bd09, lon, lat)


def to_wgs84(lon, lat, datum: Datum | str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates given in ``datum`` as WGS-84."""
    datum = Datum(datum)
    if datum is Datum.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    if datum is Datum.BD09:
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    return _arrays(lon, lat)


def from_wgs84(lon, lat, datum: Datum | str) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 coordinates expressed in ``datum``."""
    datum = Datum(datum)
    if datum is Datum.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    if datum is Datum.BD09:
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    return _arrays(lon, lat)


def point(lon: float, lat: float, datum: Datum | str) -> dict:
    """A WGS-84 position as a GeoJSON Point in ``datum``."""
    x, y = from_wgs84(lon, lat, datum)
    return {"type": "Point", "coordinates": [float(x), float(y)]}


def _geometry_transform(geometry, convert, datum):
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = convert(coords[:, 0], coords[:, 1], datum)
        return np.column_stack([x, y])

    return shapely.transform(geometry, apply)


def geometry_to_wgs84(geometry, datum: Datum | str):
    """A shapely geometry (or array of them) converted vertex by vertex to WGS-84."""
    return geometry if Datum(datum) is Datum.WGS84 else _geometry_transform(geometry, to_wgs84, datum)


def geometry_from_wgs84(geometry, datum: Datum | str):
    """A WGS-84 shapely geometry (or array of them) expressed in ``datum``."""
    return geometry if Datum(datum) is Datum.WGS84 else _geometry_transform(geometry, from_wgs84, datum)
