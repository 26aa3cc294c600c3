"""Areas: the district, town, village and grid hierarchy of the active generation."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.problems import Problem
from geo.areas import service
from geo.codes import CodeError, parse_area_code

router = APIRouter(prefix="/areas", tags=["areas"])
LevelName = Literal["city", "district", "town", "village", "grid"]


@router.get("")
def list_areas(session: Annotated[Session, Depends(get_session)],
               level: LevelName | None = None,
               parent: Annotated[str | None, Query(pattern=r"^\d{6,15}$")] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict:
    """Areas by level and/or parent code, ordered by code, paginated."""
    total, items = service.list_areas(session, level=level, parent=parent, limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/{code}")
def get_area(session: Annotated[Session, Depends(get_session)],
             code: Annotated[str, Path(description="6, 9, 12 or 15-digit area code")],
             simplify_m: Annotated[float | None, Query(gt=0, le=5000, description="tolerance in metres")] = None) -> dict:
    """One area as a GeoJSON Feature (WGS-84)."""
    try:
        parse_area_code(code)
    except CodeError as exc:
        raise Problem(422, "Invalid area code", str(exc), field="code") from exc
    area = service.get_area(session, code, simplify_m=simplify_m)
    if area is None:
        raise Problem(404, "Area not found", f"no area with code {code} in the active generation", field="code")
    geometry = area.pop("geometry")
    return {"type": "Feature", "id": code, "geometry": geometry, "properties": area}
