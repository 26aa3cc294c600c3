"""Dashboard figures: mediator coverage, cameras, time to conclusion, overdue share."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.problems import answers
from api.schemas.dashboard import Dashboard
from geo.codes import CITY_CODE
from geo.reports.dashboard import figures

router = APIRouter(tags=["reports"])


@router.get("/dashboard", response_model=Dashboard, response_model_exclude_unset=True, responses=answers(404))
def dashboard(session: Annotated[Session, Depends(get_session)],
              area: Annotated[str, Query(pattern=r"^\d{6,15}$", description="city (default), district, town, village or grid")]
              = CITY_CODE,
              lists: Annotated[bool, Query(description="include the per-village and per-grid rows")] = True) -> dict:
    """Full-time mediator coverage per village (target: every village), cameras and camera
    coverage per grid, median and p90 days to conclusion, share of open incidents overdue."""
    result = figures(session, area)
    if not lists:
        result["mediator_coverage"].pop("by_village")
        result["cameras"].pop("by_grid")
    return result
