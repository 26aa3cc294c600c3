"""Sharp Eyes cameras: CRUD with GB/T 28181 ids, who sees a place, coverage per area."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field, FiniteFloat
from sqlalchemy.orm import Session

from api.dependencies import get_actor, get_session, get_transaction
from api.params import Offset
from geo.cameras import service
from geo.crs import Datum

router = APIRouter(tags=["cameras"])
CameraId = Annotated[str, Path(description="20-digit GB/T 28181 id")]


class CameraView(BaseModel):
    lon: Annotated[FiniteFloat, Field(ge=-180, le=180)]
    lat: Annotated[FiniteFloat, Field(ge=-90, le=90)]
    heading_deg: Annotated[FiniteFloat, Field(ge=0, lt=360, description="clockwise from north")]
    fov_deg: Annotated[FiniteFloat, Field(gt=0, le=360)]
    range_m: Annotated[FiniteFloat, Field(gt=0, le=2000)]


class CameraIn(CameraView):
    id: str = Field(description="20-digit GB/T 28181 id under a Haikou centre code")


@router.get("/cameras/covering")
def covering(session: Annotated[Session, Depends(get_session)],
             lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
             lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
             crs: Datum = Datum.WGS84) -> dict:
    """Cameras whose field of view covers the point, nearest first."""
    items = service.covering(session, lon=lon, lat=lat, datum=crs)
    return {"total": len(items), "items": items}


@router.get("/cameras")
def list_cameras(session: Annotated[Session, Depends(get_session)],
                 area: Annotated[str | None, Query(pattern=r"^\d{6,15}$")] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0,
                 crs: Datum = Datum.WGS84) -> dict:
    total, items = service.list_cameras(session, area=area, limit=limit, offset=offset, datum=crs)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/cameras/{camera_id}")
def get_camera(session: Annotated[Session, Depends(get_session)], camera_id: CameraId, crs: Datum = Datum.WGS84) -> dict:
    return service.get(session, camera_id, crs)


@router.post("/cameras", status_code=201)
def create_camera(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
                  body: CameraIn, crs: Datum = Datum.WGS84) -> dict:
    return service.save(session, body.model_dump(), actor=actor, datum=crs, create=True)


@router.put("/cameras/{camera_id}")
def replace_camera(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
                   camera_id: CameraId, body: CameraView, crs: Datum = Datum.WGS84) -> dict:
    return service.save(session, {**body.model_dump(), "id": camera_id}, actor=actor, datum=crs, create=False)


@router.delete("/cameras/{camera_id}", status_code=204)
def delete_camera(session: Annotated[Session, Depends(get_transaction)], actor: Annotated[str, Depends(get_actor)],
                  camera_id: CameraId) -> Response:
    service.delete(session, camera_id, actor=actor)
    return Response(status_code=204)


@router.get("/areas/{code}/cameras")
def camera_coverage(session: Annotated[Session, Depends(get_session)], code: str) -> dict:
    """Cameras in the area and the share of its H3 cells seen by at least one camera."""
    return service.coverage(session, code)
