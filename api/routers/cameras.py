"""Sharp Eyes cameras: CRUD with GB/T 28181 ids, who sees a place, coverage per area."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_session
from api.params import Offset, known_query
from api.problems import answers
from api.schemas.cameras import (GB28181, CameraCoverage, CameraCreate, CameraList, CameraRead, CamerasCovering,
                                 CameraUpdate)
from api.state import index_cache
from geo.areas.locate_index import IndexCache
from geo.cameras import service
from geo.crs import Datum

router = APIRouter(tags=["cameras"])
CameraId = Annotated[str, Path(description=GB28181)]


@router.get("/cameras/covering", response_model=CamerasCovering)
def covering(session: Annotated[Session, Depends(get_session)],
             lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
             lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
             crs: Datum = Datum.WGS84) -> dict:
    """Cameras whose field of view covers the point, nearest first."""
    items = service.covering(session, lon=lon, lat=lat, datum=crs)
    return {"total": len(items), "items": items}


@router.get("/cameras", dependencies=[Depends(known_query)], response_model=CameraList)
def list_cameras(session: Annotated[Session, Depends(get_session)],
                 area: Annotated[str | None, Query(pattern=r"^\d{6,15}$")] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0,
                 crs: Datum = Datum.WGS84) -> dict:
    total, items = service.list_cameras(session, area=area, limit=limit, offset=offset, datum=crs)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/cameras/{camera_id}", response_model=CameraRead)
def get_camera(session: Annotated[Session, Depends(get_session)], camera_id: CameraId, crs: Datum = Datum.WGS84) -> dict:
    return service.get(session, camera_id, crs)


@router.post("/cameras", status_code=201, response_model=CameraRead, responses=answers(409))
def create_camera(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                  indexes: Annotated[IndexCache, Depends(index_cache)], body: CameraCreate, crs: Datum = Datum.WGS84) -> dict:
    return service.save(session, indexes, body.model_dump(), actor=actor, datum=crs, create=True)


@router.put("/cameras/{camera_id}", response_model=CameraRead)
def replace_camera(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                   indexes: Annotated[IndexCache, Depends(index_cache)], camera_id: CameraId, body: CameraUpdate,
                   crs: Datum = Datum.WGS84) -> dict:
    return service.save(session, indexes, {**body.model_dump(), "id": camera_id}, actor=actor, datum=crs, create=False)


@router.delete("/cameras/{camera_id}", status_code=204)
def delete_camera(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                  camera_id: CameraId) -> Response:
    service.delete(session, camera_id, actor=actor)
    return Response(status_code=204)


@router.get("/areas/{code}/cameras", response_model=CameraCoverage)
def camera_coverage(session: Annotated[Session, Depends(get_session)], code: str) -> dict:
    """Cameras in the area and the share of its H3 cells seen by at least one camera."""
    return service.coverage(session, code)
