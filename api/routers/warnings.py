"""Early warning: H3 hotspots and repeat disputes by area, with their evidence."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.params import AwareMoment
from api.problems import answers
from api.schemas.warnings import Warnings
from api.security import reach
from geo.codes import CITY_CODE
from geo.incidents.service import EVERY_INCIDENT, Reach
from geo.mediation.categories import Category
from geo.warning.service import alerts, defaults, feature_collection, with_overrides

router = APIRouter(tags=["early warning"])


@router.get("/warnings", response_model=Warnings, responses=answers(404))
def warnings(session: Annotated[Session, Depends(get_session)],
             area: Annotated[str, Query(pattern=r"^\d{6,15}$", description="city (default), district, town or village")]
             = CITY_CODE,
             as_of: Annotated[AwareMoment | None, Query(description="end of the recent window (default: now)")] = None,
             category: Category | None = None,
             format: Literal["json", "geojson"] = "json",
             resolution: Annotated[int | None, Query(ge=5, le=10, description="H3 resolution of hotspot cells")] = None,
             ring: Annotated[int | None, Query(ge=0, le=3, description="neighbour rings pooled with a cell")] = None,
             window_days: Annotated[int | None, Query(ge=1, le=366, description="recent window, days")] = None,
             baseline_days: Annotated[int | None, Query(ge=7, le=1830, description="baseline before it, days")] = None,
             fdr: Annotated[float | None, Query(gt=0, le=0.5, description="false discovery rate of hotspots")] = None,
             min_count: Annotated[int | None, Query(ge=1, le=10_000, description="fewest recent cases")] = None,
             min_ratio: Annotated[float | None, Query(ge=1, le=100, description="least recent/expected ratio")] = None,
             repeat_window_days: Annotated[int | None, Query(ge=1, le=366)] = None,
             repeat_radius_m: Annotated[float | None, Query(gt=0, le=1000)] = None,
             repeat_min_count: Annotated[int | None, Query(ge=2, le=1000)] = None,
             reached: Annotated[Reach, Depends(reach)] = EVERY_INCIDENT) -> dict:
    """Hotspots (recent cases of a place significantly above its own baseline; method in
    docs/early-warning.md) and repeat disputes (one category at one place again and again),
    each with its village, town and district and the counts that raised it. Unset
    thresholds take the service's defaults (GRID_WARNING_*, GRID_REPEAT_*). Repeat disputes
    name their cases: an area key's alerts are its area's (another area is a 403)."""
    area = reached.area_asked(session, None if area == CITY_CODE else area) or CITY_CODE
    thresholds, rule = defaults()
    thresholds = with_overrides(thresholds, {"resolution": resolution, "ring": ring, "window_days": window_days,
                                             "baseline_days": baseline_days, "fdr": fdr, "min_count": min_count,
                                             "min_ratio": min_ratio})
    rule = with_overrides(rule, {"window_days": repeat_window_days, "radius_m": repeat_radius_m,
                                 "min_count": repeat_min_count})
    result = alerts(session, as_of=as_of or datetime.now(timezone.utc), area=area,
                    category=category.value if category else None, thresholds=thresholds, rule=rule)
    return feature_collection(result) if format == "geojson" else result
