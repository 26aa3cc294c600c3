"""Locate: which district, town, village and grid a point lies in."""
from __future__ import annotations

from typing import Annotated

import numpy as np
import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from api import bodies
from api.dependencies import get_read_session, in_worker_thread
from api.problems import Problem
from api.schemas.locate import LocateBatch, Located, LocatedBatch, plain_points
from api.state import index_cache
from geo.areas.locate import NothingLoaded, describe, describe_all_json, locate, locate_in, looks_swapped
from geo.areas.locate_index import OUTSIDE, IndexCache
from geo.crs import Datum

router = APIRouter(tags=["locate"])
GenerationParam = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="a published generation (default: current)")]


def _locate(session: Session, indexes: IndexCache, lon, lat, crs: Datum, generation: int | None):
    try:
        return locate(session, indexes, lon, lat, crs, generation)
    except NothingLoaded as exc:
        raise Problem(503, "No boundaries loaded", "no boundary generation is loaded",
                      headers={"Retry-After": "30"}) from exc


@router.get("/locate", response_model=Located)
async def locate_point(request: Request, indexes: Annotated[IndexCache, Depends(index_cache)],
                       lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
                       lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
                       crs: Datum = Datum.WGS84, generation: GenerationParam = None) -> dict:
    """The district, town, village, grid and H3 cell of one point.

    A point on a boundary shared by several grids goes to the grid with the smallest
    code. A point outside Haikou is a 404 problem."""
    index = indexes.fresh() if generation is None else None
    if index is not None:   # the current index, known current: no database, no thread
        located = locate_in(index, lon, lat, crs)
    else:
        located = await in_worker_thread(request, lambda session: _locate(session, indexes, lon, lat, crs, generation))
    result = describe(located, 0)
    if result is None:
        if looks_swapped(lon, lat):
            raise Problem(404, "Outside Haikou", "({lon}, {lat}) in {crs} is not in Haikou (did you swap lon and lat?)",
                          field="lon,lat", lon=lon, lat=lat, crs=crs.value)
        raise Problem(404, "Outside Haikou", "({lon}, {lat}) in {crs} is not in Haikou", field="lon,lat",
                      lon=lon, lat=lat, crs=crs.value)
    return {"lon": lon, "lat": lat, "crs": crs.value, "generation": located.index.boundaries[0], **result}


def _coordinates(batch: LocateBatch) -> np.ndarray:
    return batch.coordinates()


@router.post("/locate", openapi_extra=bodies.documented(LocateBatch), response_model=LocatedBatch)
def locate_batch(session: Annotated[Session, Depends(get_read_session)],
                 indexes: Annotated[IndexCache, Depends(index_cache)],
                 data: Annotated[bytes, Depends(bodies.raw)],
                 crs: Datum = Datum.WGS84,
                 names: bool = Query(False, description="include area names, not only codes"),
                 generation: GenerationParam = None) -> Response:
    """Up to 100,000 points at once; one result per point, in order (null when outside Haikou).
    A plain ``points`` body is read straight into an array; a FeatureCollection, or a body
    with a mistake to explain, is validated, a large one in a worker process so that other
    requests go on meanwhile."""
    points = plain_points(data)
    if points is None:
        points = bodies.parse(data, LocateBatch, _coordinates)
    located = _locate(session, indexes, points[:, 0], points[:, 1], crs, generation)
    head = orjson.dumps({"count": len(points), "located": int((located.grid != OUTSIDE).sum()), "crs": crs.value,
                         "generation": located.index.boundaries[0]})
    return Response(head[:-1] + b',"results":' + describe_all_json(located, names=names) + b"}",
                    media_type="application/json")
