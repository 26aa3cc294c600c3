"""Mediators: CRUD and the nearest eligible ones to a place."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_session
from api.params import Offset, known_query
from api.problems import answers
from api.schemas.mediators import (Employment, MediatorCreate, MediatorList, MediatorRead, MediatorUpdate,
                                   NearestMediators)
from api.security import redact, sees_personal_data
from api.state import index_cache
from geo.areas.locate import located_inside
from geo.areas.locate_index import IndexCache
from geo.crs import Datum
from geo.errors import Invalid
from geo.mediation import service
from geo.mediation.categories import Category
from geo.mediation.service import PERSONAL_FIELDS

router = APIRouter(prefix="/mediators", tags=["mediators"])


def _data(model: BaseModel) -> dict:
    data = model.model_dump(exclude_none=True, mode="json")
    if ("lon" in data) != ("lat" in data):
        raise Invalid("send lon and lat together", field="lat" if "lon" in data else "lon")
    return data


@router.get("/nearest", response_model=NearestMediators, response_model_exclude_unset=True)
def nearest(session: Annotated[Session, Depends(get_session)], indexes: Annotated[IndexCache, Depends(index_cache)],
            lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
            lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
            category: Category | None = None,
            k: Annotated[int, Query(ge=1, le=100)] = 5,
            excluded: bool = Query(False, description="also list nearer mediators passed over, with the reason"),
            crs: Datum = Datum.WGS84, personal: Annotated[bool, Depends(sees_personal_data)] = False) -> dict:
    """Mediators ranked by distance on the ground among those on duty, skilled and under capacity,
    from a place in Haikou."""
    located_inside(session, indexes, lon, lat, crs)
    return redact(service.nearest(session, lon=lon, lat=lat, category=category and category.value, k=k,
                                  with_excluded=excluded, datum=crs), PERSONAL_FIELDS, personal)


@router.get("", dependencies=[Depends(known_query)], response_model=MediatorList, response_model_exclude_unset=True)
def list_mediators(session: Annotated[Session, Depends(get_session)],
                   village: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
                   area: Annotated[str | None, Query(pattern=r"^\d{6,12}$", description="district, town or village code")] = None,
                   employment: Employment | None = None,
                   on_duty: bool | None = None, skill: Category | None = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0,
                   crs: Datum = Datum.WGS84, personal: Annotated[bool, Depends(sees_personal_data)] = False) -> dict:
    """Mediators; names and phones only for dispatchers and admins."""
    total, items = service.list_mediators(session, village=village, area=area, employment=employment, on_duty=on_duty,
                                          skill=skill and skill.value, limit=limit, offset=offset, datum=crs)
    return {"total": total, "limit": limit, "offset": offset, "items": redact(items, PERSONAL_FIELDS, personal)}


@router.get("/{mediator_id}", response_model=MediatorRead, response_model_exclude_unset=True)
def get_mediator(session: Annotated[Session, Depends(get_session)], mediator_id: int, crs: Datum = Datum.WGS84,
                 personal: Annotated[bool, Depends(sees_personal_data)] = False) -> dict:
    return redact(service.get(session, mediator_id, crs), PERSONAL_FIELDS, personal)


@router.post("", status_code=201, response_model=MediatorRead)
def create_mediator(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                    indexes: Annotated[IndexCache, Depends(index_cache)], body: MediatorCreate,
                    crs: Datum = Datum.WGS84) -> dict:
    return service.create(session, indexes, _data(body), actor=actor, datum=crs)


@router.patch("/{mediator_id}", response_model=MediatorRead)
def update_mediator(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                    indexes: Annotated[IndexCache, Depends(index_cache)], mediator_id: int,
                    body: MediatorUpdate, crs: Datum = Datum.WGS84) -> dict:
    return service.update(session, indexes, mediator_id, _data(body), actor=actor, datum=crs)


@router.delete("/{mediator_id}", status_code=204, responses=answers(409))
def delete_mediator(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                    mediator_id: int) -> Response:
    service.delete(session, mediator_id, actor=actor)
    return Response(status_code=204)
