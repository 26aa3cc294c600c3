"""Query parameters shared by several routers."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated

import numpy as np
import shapely
import shapely.geometry
from fastapi import Query, Request
from pydantic import AfterValidator, AwareDatetime

from geo.crs import Datum, geometry_to_wgs84, to_wgs84
from geo.errors import Invalid
from geo.text import InvalidValue
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
    except Exception as exc:   # shapely raises several types for malformed GeoJSON; its text is not for users
        raise Invalid("not a GeoJSON geometry: a type and coordinates of numbers, closed rings of 4 or more points",
                      field=field) from exc
    if len(coordinates) > MAX_VERTICES:
        raise Invalid("at most {max_vertices} vertices", field=field, max_vertices=MAX_VERTICES)
    if not np.isfinite(coordinates).all() or not ((np.abs(coordinates[:, 0]) <= 180) & (np.abs(coordinates[:, 1]) <= 90)).all():
        raise Invalid("coordinates must be finite longitudes and latitudes", field=field)
    return geometry_to_wgs84(geometry, datum)


def _service_years(moment: datetime) -> datetime:
    """A moment the service can count with (1970-2100): far-off dates overflow date arithmetic."""
    if not 1970 <= moment.year <= 2100:
        raise InvalidValue(Invalid("a moment between 1970 and 2100"))
    return moment


CLOCK_SKEW = timedelta(minutes=5)   # a phone's clock a little ahead is not a case from the future


def not_in_future(moment: datetime) -> datetime:
    """When something happened: not later than now (give or take a phone's clock)."""
    if moment > datetime.now(timezone.utc) + CLOCK_SKEW:
        raise InvalidValue(Invalid("the time it happened cannot be in the future"))
    return moment


Moment = Annotated[datetime, AfterValidator(_service_years)]
AwareMoment = Annotated[AwareDatetime, AfterValidator(_service_years)]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]
MONTH = r"^(19[7-9]\d|20\d\d)-(0[1-9]|1[0-2])$"   # YYYY-MM, 1970-2099


ANY_OPERATION = frozenset({"key", "lang"})   # read by the gate and the language layer for every operation
_declared: dict[int, frozenset[str]] = {}


def _query_names(dependant) -> set[str]:
    """The query parameters an operation declares, its dependencies' included."""
    return {p.alias for p in dependant.query_params}.union(*(_query_names(d) for d in dependant.dependencies))


def known_query(request: Request) -> None:
    """Dependency of list operations: a query parameter the operation does not declare is a
    422 naming it (a misspelt filter must not quietly return everything)."""
    route = request.scope["route"]
    if id(route) not in _declared:
        _declared[id(route)] = ANY_OPERATION | _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - _declared[id(route)])
    if unknown:
        raise Invalid("unknown query parameter {name}", field=unknown[0], name=unknown[0])
