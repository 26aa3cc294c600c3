"""Map pages: the full map for dispatchers and planners, and embeddable views for other portals."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api import maps
from api.dependencies import get_read_session
from api.links import public
from api.params import AwareMoment, Moment
from api.problems import answers
from api.security import allowed_layers
from geo.areas.service import area_in_force, area_name, data_as_of, index_resolution
from geo.auth.roles import Role, may
from geo.errors import Invalid, NotFound
from geo.i18n import N_, current, label, templates, translate, words
from geo.incidents.models import ACTIONS, REFERENCE_NEEDED, ROUTES, SOURCES, STATUSES
from geo.incidents.service import LEVEL_AREA
from geo.mediation import service as mediators
from geo.mediation.categories import Category, Severity
from geo.planning.draft import default_household_range
from geo.settings import get_settings

router = APIRouter(tags=["maps"])
EMBED_PARAMETERS = ("basemap", "code", "category", "since", "until")   # what an embed view reads
Basemap = Annotated[str, Query(description="none (default, offline), osm, tianditu (needs a key) or amap")]


def _page(request: Request, view: str, basemap: str, **options) -> HTMLResponse:
    """A map page; its Content-Security-Policy lets the basemap's images in (see api.headers)."""
    html = maps.page(view, basemap=basemap, nonce=request.state.csp_nonce, layers=allowed_layers(request), **options)
    request.state.csp_image_hosts = maps.image_hosts(basemap)
    return HTMLResponse(html)


@router.get("/map", response_class=HTMLResponse)
def full_map(request: Request, session: Annotated[Session, Depends(get_read_session)], basemap: Basemap = "none",
             as_of: Annotated[AwareMoment | None, Query(description="moment of the alert layer (default now)")]
             = None) -> HTMLResponse:
    """Area levels with a layer control, H3 incident heat, incidents, mediators, cameras,
    early-warning alerts; search by area code; click a feature for its details. Opened with
    ``?key=``, the key becomes a session cookie and the page reloads without it."""
    return _page(request, "map", basemap, alerts_as_of=as_of and as_of.isoformat(), data_as_of=data_as_of(session))


PAGES = templates(Path(__file__).resolve().parents[1] / "templates")
FIELD_WORKER = (Path(__file__).resolve().parents[1] / "static" / "field-sw.js").read_bytes()


class FieldManifest(BaseModel):
    """A web app manifest (W3C): the field page as an app."""

    name: str
    short_name: str
    lang: str
    start_url: str
    scope: str
    display: str
    background_color: str
    theme_color: str
    icons: list[dict]


@router.get("/planner", response_class=HTMLResponse)
def planner(request: Request, session: Annotated[Session, Depends(get_read_session)],
            plan: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None) -> HTMLResponse:
    """The planner's page for a draft (?plan=): grids coloured by households against their
    village's target, draw, paint cells, split, merge, see the report and the diff, undo,
    submit for review, approve or send back, publish. Without ?plan= it lists the drafts and
    offers to open one. A role that may not change plans (a viewer given the review link)
    sees the draft read-only. The page paints cells of the index's own H3 resolution."""
    settings = get_settings()
    config = {"h3Resolution": index_resolution(session), "words": words(maps.PLANNER_WORDS),
              "mayEdit": may(request.state.principal.role, "POST", "/plans"),
              "measures": {name: translate(words) for name, words in maps.MEASURE_NAMES.items()},
              "review": settings.planning.publish_review,
              "targets": list(default_household_range())}
    return HTMLResponse(PAGES.get_template("planner.html").render(config=config))   # tojson escapes <, >, &, '


def _choices(vocabulary: str, codes) -> list[dict]:
    return [{"code": str(code), "label": label(vocabulary, str(code))} for code in codes]


def _lifecycle() -> dict:
    """What a page needs to show and take the lifecycle's steps, in the page's language."""
    return {"statuses": {s: label("status", s) for s in STATUSES}, "statusOrder": list(STATUSES),   # tojson sorts keys
            "actions": {a: label("action", a) for a in ACTIONS},
            "routes": _choices("route", ROUTES),
            "agreement_forms": [{"code": c, "label": translate(m)} for c, m in maps.AGREEMENT_FORMS.items()]}


@router.get("/dispatch", response_class=HTMLResponse)
def dispatch_workbench(request: Request, session: Annotated[Session, Depends(get_read_session)]) -> HTMLResponse:
    """The dispatcher's workbench: the queue by group and deadline, the case card with the
    proposed mediators and each lifecycle step, registration by a map click, live through
    ``GET /events``; j/k, Enter, d and n from the keyboard. Opened with ``?key=`` once; a key
    kept to an area shows that area's cases (and says so)."""
    principal = request.state.principal
    area = principal.area and {"code": principal.area, "name": area_name(session, principal.area) or principal.area}
    config = {"words": words(maps.DISPATCH_WORDS), "mayAct": may(principal.role, "POST", "/incidents"), "area": area,
              "categories": _choices("category", Category), "severities": _choices("severity", Severity),
              "levels": _choices("level", LEVEL_AREA), "sources": _choices("source", SOURCES),
              "referenceNeeded": {s: translate(m) for s, m in REFERENCE_NEEDED.items()}, **_lifecycle(),
              "datums": [{"code": c, "label": translate(m)} for c, m in maps.DATUMS.items()]}
    return HTMLResponse(PAGES.get_template("dispatch.html").render(config=config))   # tojson escapes <, >, &, '


@router.get("/mediator", response_class=HTMLResponse, responses=answers(404))
def mediator_page(request: Request, session: Annotated[Session, Depends(get_read_session)],
                  mediator: Annotated[int | None, Query(gt=0, le=2**62, description="whose page (dispatchers and "
                                                        "admins; a mediator key opens its own)")] = None
                  ) -> HTMLResponse:
    """A mediator's page, made for a phone: my cases still running, by deadline; accept one or
    hand it back, record each step of the mediation with what the law asks, see the place on
    a small map. Opened with a mediator key (``?key=`` once)."""
    principal = request.state.principal
    whose = principal.mediator_id if principal.role is Role.MEDIATOR else mediator
    if whose is None:
        raise Invalid("name the mediator whose page to open (?mediator=), or open it with a mediator key",
                      field="mediator")
    person = mediators.get(session, whose)
    config = {"words": words(maps.MEDIATOR_WORDS), "mediator": {"id": whose, "name": person["name"]},
              "mayAct": may(principal.role, "POST", "/incidents/1/transitions"), **_lifecycle()}
    return HTMLResponse(PAGES.get_template("mediator.html").render(config=config))   # tojson escapes <, >, &, '


@router.get("/field", response_class=HTMLResponse, responses=answers(404))
def field_page(request: Request, session: Annotated[Session, Depends(get_read_session)]) -> HTMLResponse:
    """A grid worker's page, made for a phone and for no signal: report a case at a tapped
    or located place with photos, check in on patrol, see the grid's open cases. Reports
    made offline wait on the phone and are sent once when the network returns. Opened with
    a grid worker's key (``?key=`` once), which names the grid."""
    area = request.state.principal.area
    if area is None:
        raise Invalid("open the field page with a grid worker's key (it names the grid)", field="credentials")
    config = {"words": words(maps.FIELD_WORDS), "area": {"code": area, "name": area_name(session, area) or area},
              "categories": _choices("category", Category), "severities": _choices("severity", Severity)}
    return HTMLResponse(PAGES.get_template("field.html").render(config=config))   # tojson escapes <, >, &, '


class ManifestResponse(JSONResponse):
    media_type = "application/manifest+json"


@router.get("/field/manifest.webmanifest", response_model=FieldManifest, response_class=ManifestResponse)
def field_manifest() -> dict:
    """What makes the field page installable on a phone's home screen."""
    return {"name": translate(N_("Field reports")), "short_name": translate(N_("Field reports")), "lang": current(),
            "start_url": "/field", "scope": "/field", "display": "standalone", "background_color": "#ffffff",
            "theme_color": "#1a7f37",
            "icons": [{"src": "/static/field-icon.svg", "sizes": "any", "type": "image/svg+xml"}]}


@router.get("/field/sw.js", response_class=Response, responses={200: {"content": {"text/javascript": {}},
                                                                     "description": "the field page's service worker"}})
def field_service_worker() -> Response:
    """The field page's service worker, allowed to serve /field (it lives under it)."""
    return Response(FIELD_WORKER, media_type="text/javascript",
                    headers={"Service-Worker-Allowed": "/field", "Cache-Control": "no-cache"})


@router.get("/embed/{view}", response_class=HTMLResponse)
def embed(request: Request, session: Annotated[Session, Depends(get_read_session)], view: str, basemap: Basemap = "none",
          code: Annotated[str | None, Query(pattern=r"^\d{6,12}$")] = None,
          category: Category | None = None, since: Moment | None = None, until: Moment | None = None) -> HTMLResponse:
    """A page made for an iframe: overview, area (?code=, a district, town or village in force) or heat."""
    if view not in maps.EMBED_VIEWS:
        raise NotFound("no map view {view}; there are {views}", field="view", view=view, views=sorted(maps.EMBED_VIEWS))
    title = translate(maps.EMBED_VIEWS[view])
    if code is not None:   # an unknown code is a 404 page, not the whole city
        title += " · " + area_in_force(session, code, field="code")["name"]
    filters = {"category": category and category.value, "since": since and since.isoformat(),
               "until": until and until.isoformat()}
    return _page(request, view, basemap, focus=code, filters=filters, title=title, data_as_of=data_as_of(session),
                 session=getattr(request.state, "page_session", None))


@router.get("/embed/{view}/snippet", response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {}, "text/html": {}},
                             "description": "the <iframe> as text; for a browser, a page around it"}})
def embed_snippet(request: Request, view: str, width: Annotated[int, Query(ge=100, le=4000)] = 800,
                  height: Annotated[int, Query(ge=100, le=4000)] = 600) -> Response:
    """The <iframe> HTML to paste into another portal; other query parameters go to the view.
    Asked for with an embed key, the frame carries that key; asked for by anyone else, it
    says ``key=EMBED_KEY`` for the portal to fill in (no other key is ever copied). A browser
    (Accept: text/html) gets a page around it: how the key works and what it opens."""
    src = public(f"/embed/{view}", [(k, v) for k, v in request.query_params.multi_items() if k in EMBED_PARAMETERS])
    key = getattr(request.state, "embed_key", None)

    def keyed(credential: str) -> str:
        return src + ("&" if "?" in src else "?") + f"key={credential}"
    snippet = maps.snippet(keyed(key or "EMBED_KEY"), view, width, height)
    if "text/html" not in request.headers.get("accept", ""):
        return PlainTextResponse(snippet)
    preview = keyed(key) if key else src
    return HTMLResponse(PAGES.get_template("snippet.html").render(
        view=view, title=translate(maps.EMBED_VIEWS[view]), snippet=snippet, embed_key=key, preview=preview,
        scope=maps.embed_scope(getattr(request.state, "principal", None))))
