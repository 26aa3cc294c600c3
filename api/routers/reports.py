"""Monthly joint-meeting reports as JSON, an HTML page, a PDF or a zip of CSV tables."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.responses import attachment
from geo.codes import CITY_CODE
from geo.reports import render
from geo.reports.monthly import last_month, report

router = APIRouter(tags=["reports"])


@router.get("/reports/monthly", response_model=None)
def monthly(session: Annotated[Session, Depends(get_session)],
            area: Annotated[str, Query(pattern=r"^\d{6,9}$", description="the city (default), a district or a town")]
            = CITY_CODE,
            month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; default: last month")]
            = None,
            format: Literal["json", "html", "pdf", "csv"] = "json") -> dict | Response:
    """Cases registered, concluded, agreements, terminations, escalations and overdue, by
    category, village (and town), mediator workload, time to conclusion, a 12-month trend,
    hotspots and repeat disputes. ``pdf`` and ``html`` add a map and charts; ``csv`` is a
    zip with one table a file."""
    figures = report(session, area, month or last_month())
    if format == "json":
        return figures
    if format == "csv":
        return attachment(render.csv_zip(figures), "application/zip", render.filename(figures, "csv.zip"))
    page = render.html(session, figures)
    if format == "html":
        return HTMLResponse(page)
    return attachment(render.pdf(page), "application/pdf", render.filename(figures, "pdf"))
