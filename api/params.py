"""Query parameters shared by several routers."""
from __future__ import annotations

from geo.crs import Datum, to_wgs84
from geo.errors import Invalid


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
