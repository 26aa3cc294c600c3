"""Map pages: the full map for dispatchers and planners, and embeddable views for other portals."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import AwareDatetime

from api import maps
from geo.mediation.categories import Category

router = APIRouter(tags=["maps"])
Basemap = Annotated[str, Query(description="none (default, offline), osm, tianditu (needs a key) or amap")]


@router.get("/map", response_class=HTMLResponse)
def full_map(request: Request, basemap: Basemap = "none",
             as_of: Annotated[AwareDatetime | None, Query(description="moment of the alert layer (default now)")]
             = None) -> HTMLResponse:
    """Area levels with a layer control, H3 incident heat, incidents, mediators, cameras,
    early-warning alerts; search by area code; click a feature for its details. A ``?key=``
    passes on to the page's own requests."""
    return HTMLResponse(maps.page("map", basemap=basemap, filters={"key": request.query_params.get("key")},
                                  alerts_as_of=as_of and as_of.isoformat()))


PLANNER_PAGE = Path(__file__).resolve().parents[1] / "static" / "planner.html"


@router.get("/planner", response_class=HTMLResponse)
def planner(plan: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> HTMLResponse:
    """The planner's page for a draft (?plan=): draw, paint cells, split, merge, see the report
    and the diff, undo, publish. Without ?plan= it offers to open one."""
    return HTMLResponse(PLANNER_PAGE.read_text(encoding="utf-8"))


@router.get("/embed/{view}", response_class=HTMLResponse)
def embed(request: Request, view: str, basemap: Basemap = "none",
          code: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None,
          category: Category | None = None, since: datetime | None = None, until: datetime | None = None) -> HTMLResponse:
    """A page made for an iframe: overview, area (?code=) or heat."""
    filters = {"category": category and category.value, "since": since and since.isoformat(),
               "until": until and until.isoformat(), "key": request.query_params.get("key")}
    return HTMLResponse(maps.page(view, basemap=basemap, focus=code, filters=filters))


@router.get("/embed/{view}/snippet", response_class=PlainTextResponse)
def embed_snippet(request: Request, view: str, width: Annotated[int, Query(ge=100, le=4000)] = 800,
                  height: Annotated[int, Query(ge=100, le=4000)] = 600) -> str:
    """The <iframe> HTML to paste into another portal; other query parameters go to the view."""
    passed = "&".join(f"{k}={v}" for k, v in request.query_params.items() if k not in ("width", "height"))
    return maps.snippet(str(request.base_url), view, passed, width, height)
