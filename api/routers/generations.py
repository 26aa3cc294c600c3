"""Generations: every published boundary set, rollback by restoring one, and exports."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.params import known_query
from api.dependencies import get_actor, get_session
from api.problems import answers
from api.responses import GeoJSONResponse, download
from api.schemas.generations import GenerationList
from api.schemas.plans import AreaFile, GridBalance, Published, file_answers
from geo.areas.service import area_in_force, generation_list, resolve_generation
from geo.codes import CITY_CODE
from geo.crs import Datum
from geo.planning import balance, exchange
from geo.planning.publish import restore

router = APIRouter(prefix="/generations", tags=["planning"])
GenerationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("", dependencies=[Depends(known_query)], response_model=GenerationList)
def list_generations(session: Annotated[Session, Depends(get_session)]) -> dict:
    """Published generations, newest first; ``current`` marks the one locate and tiles use by default."""
    return {"items": generation_list(session)}


@router.get("/{generation}/report", dependencies=[Depends(known_query)], response_model=GridBalance,
            responses=answers(404))
def generation_report(session: Annotated[Session, Depends(get_session)], generation: GenerationId,
                      scope: Annotated[str, Query(pattern=r"^\d{6,12}$", description="a district, town or village "
                                                  "code (default the city)")] = CITY_CODE) -> dict:
    """The grids of a published generation that need fixing: households outside the default
    range per grid, or not compact; most households first."""
    resolve_generation(session, generation)
    if scope != CITY_CODE:
        area_in_force(session, scope, field="scope")
    return balance.of_generation(session, generation, scope)


@router.post("/{generation}/restore", response_model=Published, status_code=201, responses=answers(409))
def restore_generation(session: Annotated[Session, Depends(get_session)], actor: Annotated[str, Depends(get_actor)],
                       generation: GenerationId) -> dict:
    """Roll back: publish that generation's boundaries again, as a new generation (409 if
    another is published meanwhile)."""
    with session.begin():
        return restore(session, generation, actor=actor)


@router.get("/{generation}/export", response_model=AreaFile, response_class=GeoJSONResponse,
            responses=file_answers(exchange.Format.GPKG, exchange.Format.SHAPEFILE, exchange.Format.CSV))
def export_generation(session: Annotated[Session, Depends(get_session)], generation: GenerationId,
                      format: exchange.Format = exchange.Format.GEOJSON,
                      level: Literal["district", "town", "village", "grid"] | None = None,
                      crs: Datum = Datum.WGS84) -> Response:
    """A generation's areas as GeoJSON, GeoPackage or zipped Shapefile; ``format=csv`` gives
    its block assignment (H3 cell → grid code)."""
    resolve_generation(session, generation)
    name = f"haikou-generation-{generation}" + ("-cells" if format is exchange.Format.CSV else
                                                 f"-{level}s" if level else "")
    return download(exchange.export_generation(session, generation, format, level, crs, name), format, name)
