"""Areas: the district, town, village and grid hierarchy of the current (or a chosen) generation."""
from __future__ import annotations

from typing import Annotated, Literal

import shapely.geometry
from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from api.dependencies import get_read_session
from api.params import Offset, known_query, parse_bbox
from api.problems import Problem
from api.schemas.areas import AreaFeature, AreaItems, AreaLabels, AreaList
from geo.areas import service
from geo.codes import CodeError, parse_area_code
from geo.crs import Datum, from_wgs84, geometry_from_wgs84

router = APIRouter(prefix="/areas", tags=["areas"])
GenerationParam = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a published generation (default: current)")]
LevelName = Literal["city", "district", "town", "village", "grid"]


@router.get("", dependencies=[Depends(known_query)], response_model=AreaList)
def list_areas(session: Annotated[Session, Depends(get_read_session)],
               level: LevelName | None = None,
               parent: Annotated[str | None, Query(pattern=r"^\d{6,15}$")] = None,
               bbox: Annotated[str | None, Query(description="west,south,east,north in crs")] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Offset = 0, crs: Datum = Datum.WGS84,
               generation: GenerationParam = None) -> dict:
    """Areas by level, parent code and/or box, ordered by code, paginated."""
    total, items = service.list_areas(session, level=level, parent=parent, limit=limit, offset=offset,
                                      bbox=parse_bbox(bbox, crs), generation=generation)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/labels", response_model=AreaLabels)
def area_labels(session: Annotated[Session, Depends(get_read_session)],
                level: Literal["district", "town", "village", "grid"],
                bbox: Annotated[str, Query(description="west,south,east,north in crs: the map's view")],
                crs: Datum = Datum.WGS84) -> dict:
    """Where a map writes the names of one level's areas in force in its view (a point inside
    each), the largest first, at most 500. The map pages label districts at low zoom and then,
    zooming in, towns (zoom 11), villages (13) and grids (15)."""
    points = service.label_points(session, level, parse_bbox(bbox, crs))
    if points and crs is not Datum.WGS84:
        lons, lats = from_wgs84([p["lon"] for p in points], [p["lat"] for p in points], crs)
        points = [{**p, "lon": float(lon), "lat": float(lat)} for p, lon, lat in zip(points, lons, lats)]
    return {"level": level, "crs": crs, "items": points}


AreaCode = Annotated[str, Path(description="6, 9, 12 or 15-digit area code")]


def _checked(code: str) -> str:
    try:
        parse_area_code(code)
    except CodeError as exc:
        raise exc.at("code") from None
    return code


def _not_found(code: str) -> Problem:
    return Problem(404, "Area not found", "no area with code {code} in that generation", field="code", code=code)


@router.get("/{code}", response_model=AreaFeature)
def get_area(session: Annotated[Session, Depends(get_read_session)], code: AreaCode,
             simplify_m: Annotated[float | None, Query(gt=0, le=5000, description="tolerance in metres")] = None,
             crs: Datum = Datum.WGS84, generation: GenerationParam = None) -> dict:
    """One area as a GeoJSON Feature, its coordinates in ``crs``."""
    area = service.get_area(session, _checked(code), simplify_m=simplify_m, generation=generation)
    if area is None:
        raise _not_found(code)
    geometry = shapely.geometry.mapping(geometry_from_wgs84(shapely.geometry.shape(area.pop("geometry")), crs))
    return {"type": "Feature", "id": code, "geometry": geometry, "properties": {**area, "crs": crs.value}}


def _related_endpoint(relation: str, summary: str):
    """GET /areas/{code}/<relation>: one endpoint per relation, made by this factory."""
    def endpoint(session: Annotated[Session, Depends(get_read_session)], code: AreaCode,
                 generation: GenerationParam = None) -> dict:
        items = service.related_areas(session, _checked(code), relation=relation, generation=generation)
        if items is None:
            raise _not_found(code)
        return {"total": len(items), "items": items}

    router.add_api_route(f"/{{code}}/{relation}", endpoint, methods=["GET"], summary=summary, name=relation,
                         response_model=AreaItems)


_related_endpoint("children", "The areas one level down whose parent this is")
_related_endpoint("neighbours", "Areas of the same level whose boundaries touch this one's")
