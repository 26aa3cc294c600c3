"""Search: areas by name or code, for the map, the planner and the embed pages."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from api.dependencies import get_read_session
from api.schemas.areas import AreaSearch
from geo.areas import service
from geo.crs import Datum, from_wgs84
from geo.text import check_text

router = APIRouter(tags=["areas"])


@router.get("/search", response_model=AreaSearch)
def search_areas(session: Annotated[Session, Depends(get_read_session)],
                 q: Annotated[str, Query(min_length=1, max_length=50, pattern=r"\S",
                                         description="a name, full or partial (海垦, 海垦街道), or the start of a code")],
                 level: Literal["district", "town", "village", "grid"] | None = None,
                 limit: Annotated[int, Query(ge=1, le=50)] = 20, crs: Datum = Datum.WGS84) -> dict:
    """Districts, towns, villages and grids in force by name or code: the exact name first,
    then names that begin with it, higher levels first; each with where it lies and its box."""
    items = service.search(session, check_text(q, "q"), level=level, limit=limit)
    for item in items:
        west, south, east, north = item["bbox"]
        (x0, x1), (y0, y1) = from_wgs84([west, east], [south, north], crs)
        item["bbox"] = [float(x0), float(y0), float(x1), float(y1)]
    return {"total": len(items), "items": items}
