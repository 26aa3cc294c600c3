"""Query parameters shared by several routers."""
from __future__ import annotations

import numpy as np
import shapely
import shapely.geometry

from geo.crs import Datum, geometry_to_wgs84, to_wgs84
from geo.errors import Invalid
from geo.planning.edits import MAX_VERTICES


def parse_bbox(raw: str | None, datum: Datum) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in ``datum`` as a WGS-84 box; a 422 naming ``bbox`` if malformed."""
    if raw is None:
        return None
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError as exc:
        raise Invalid("bbox is four numbers: west,south,east,north", field="bbox") from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise Invalid("bbox must have west < east and south < north, in range", field="bbox")
    (w, e), (s, n) = to_wgs84([west, east], [south, north], datum)
    return float(w), float(s), float(e), float(n)


def parse_geometry(geojson: dict, datum: Datum, field: str):
    """A GeoJSON geometry in ``datum`` as a WGS-84 shapely geometry; a 422 naming ``field`` if malformed."""
    try:
        geometry = shapely.geometry.shape(geojson)
        coordinates = shapely.get_coordinates(geometry)
    except Exception as exc:   # shapely raises several types for malformed GeoJSON
        raise Invalid(f"not a GeoJSON geometry: {exc}", field=field) from exc
    if len(coordinates) > MAX_VERTICES:
        raise Invalid(f"at most {MAX_VERTICES} vertices", field=field)
    if not np.isfinite(coordinates).all() or not ((np.abs(coordinates[:, 0]) <= 180) & (np.abs(coordinates[:, 1]) <= 90)).all():
        raise Invalid("coordinates must be finite longitudes and latitudes", field=field)
    return geometry_to_wgs84(geometry, datum)
