"""Monthly joint-meeting reports as JSON, an HTML page, a PDF or a zip of CSV tables."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.params import MONTH
from api.problems import answers
from api.responses import attachment
from api.schemas.reports import MonthlyReport
from api.security import reach
from api.state import rendered_reports
from geo.codes import CITY_CODE
from geo.errors import Forbidden
from geo.incidents.service import EVERY_INCIDENT, Reach
from geo.reports import render
from geo.reports.monthly import last_month
from geo.reports.render import RenderedReports

router = APIRouter(tags=["reports"])
DOWNLOADS = {"pdf": "application/pdf", "csv": "application/zip"}   # file names: render.FORMATS
PAGES = {"json": "application/json", "html": "text/html"}


@router.get("/reports/monthly", response_model=MonthlyReport, responses={200: {"content": {
    "application/json": {}, "text/html": {}, "application/pdf": {}, "application/zip": {}},
    "description": "the report in the format asked for"}, **answers(404)})
def monthly(session: Annotated[Session, Depends(get_session)], reports: Annotated[RenderedReports, Depends(rendered_reports)],
            area: Annotated[str, Query(pattern=r"^\d{6,9}$", description="the city (default), a district or a town")]
            = CITY_CODE,
            month: Annotated[str | None, Query(pattern=MONTH, description="YYYY-MM (1970-2099); default: last month")]
            = None,
            format: Literal["json", "html", "pdf", "csv"] = "json",
            reached: Annotated[Reach, Depends(reach)] = EVERY_INCIDENT) -> Response:
    """Cases registered, concluded, agreements, terminations, escalations and overdue, by
    category, village (and town), mediator workload, time to conclusion, a 12-month trend,
    hotspots and repeat disputes. ``pdf`` and ``html`` add a map and charts; ``csv`` is a
    zip with one table a file.

    A report is kept until the data change (``X-Report-Cache: hit`` or ``miss``). Only a few
    HTML or PDF reports are drawn at once: beyond, 503 with ``Retry-After``. Its repeat
    disputes name their cases: an area key's report is its area's (another area is a 403)."""
    area = reached.area_asked(session, None if area == CITY_CODE else area) or CITY_CODE
    if len(area) > 9:
        raise Forbidden("reports are for the city, a district or a town: this key reaches village {area} only",
                        field="area", area=area)
    month = month or last_month()
    body, kept = reports.get(session, area, month, format)
    if format in DOWNLOADS:
        response = attachment(body, DOWNLOADS[format], render.area_filename(area, month, render.FORMATS[format]))
    else:
        response = Response(body, media_type=PAGES[format])
    response.headers["X-Report-Cache"] = "hit" if kept else "miss"
    return response
