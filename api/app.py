"""The FastAPI application factory."""
from __future__ import annotations

import gc
import re
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from api import bodies, logs, problems
from api.headers import SecurityHeaders
from api.language import Language
from api.limits import BodyLimit
from api.routers import (
    areas,
    attachments,
    audit,
    cameras,
    dashboard,
    events,
    generations,
    health,
    incidents,
    locate,
    maps,
    mediators,
    ogc,
    open311,
    patrols,
    plans,
    reports,
    search,
    tiles,
    warnings,
    webhooks,
)
from api import security
from api.security import Gate
from api.state import Services
from geo.i18n import N_, current, translate
from geo.db import session_factory
from geo.settings import PROJECT_ROOT, get_settings

# Map JavaScript installed from the npm registry at set-up (web/package.json), served here.
_NODE = PROJECT_ROOT / "web" / "node_modules"
VENDOR = {"/vendor/leaflet": _NODE / "leaflet" / "dist",
          "/vendor/vectorgrid": _NODE / "leaflet.vectorgrid" / "dist",
          "/vendor/leaflet-draw": _NODE / "leaflet-draw" / "dist",
          "/vendor/h3-js": _NODE / "h3-js" / "dist",
          "/vendor/maplibre-gl": _NODE / "maplibre-gl" / "dist",   # for portals drawing our styles offline
          "/vendor/swagger-ui": _NODE / "swagger-ui-dist",
          "/static": PROJECT_ROOT / "api" / "static"}
REDOC_BUNDLE = "/vendor/redoc/redoc.standalone.js"
_FOREIGN_SOURCE = re.compile(rb'src:"https?://[^"]*"')
EMPTY_SVG = b"data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E"


@asynccontextmanager
async def lifespan(app: FastAPI):
    """Listen for changes (this process's commits and other processes' notifications), send
    webhook deliveries, and build the locate index before the first request (if a dataset is loaded)."""
    services: Services = app.state.services
    services.watcher.start()
    if get_settings().webhooks.deliver:
        services.courier.start()
    try:
        with session_factory()() as session:
            services.indexes.get(session)
    except SQLAlchemyError:
        pass   # no database or no schema yet: the index is built on first use
    gc.freeze()   # what start-up made lives as long as the process: later collections need not walk it
    yield
    services.courier.stop()
    services.watcher.stop()


def _amend_openapi(app: FastAPI, *steps) -> None:
    """The OpenAPI document as FastAPI makes it, then changed by each step, once."""
    made = app.openapi

    def openapi() -> dict:
        if not app.openapi_schema:
            schema = made()
            for step in steps:
                step(schema)
        return app.openapi_schema

    app.openapi = openapi


DOCS_TITLE = N_("Haikou grid management API")


def _with_nonce(request: Request, page: HTMLResponse) -> HTMLResponse:
    """A documentation page whose inline scripts run under the request's CSP nonce, in the
    request's language (its own words; Swagger UI's and ReDoc's stay English: they have no
    translations)."""
    html = page.body.decode().replace("<script>", f'<script nonce="{request.state.csp_nonce}">')
    return HTMLResponse(html.replace("<html>", f'<html lang="{current()}">', 1))


async def docs(request: Request) -> HTMLResponse:
    """Swagger UI from our own /vendor: it works offline."""
    return _with_nonce(request, get_swagger_ui_html(
        openapi_url="/openapi.json", title=translate(DOCS_TITLE),
        swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js", swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="data:,"))


async def redoc(request: Request) -> HTMLResponse:
    """ReDoc from our own /vendor, without its Google fonts: it works offline. Its search runs
    in a worker it makes from a blob: URL."""
    request.scope["state"]["csp_worker_sources"] = ("blob:",)
    return _with_nonce(request, get_redoc_html(
        openapi_url="/openapi.json", title=translate(DOCS_TITLE), redoc_js_url=REDOC_BUNDLE,
        redoc_favicon_url="data:,", with_google_fonts=False))


@lru_cache(maxsize=1)
def _redoc_bundle() -> bytes:
    """ReDoc's bundle with every element source it names on another host (today its footer's
    logo) made an empty image: nothing it draws loads from outside."""
    bundle = (_NODE / "redoc" / "bundles" / "redoc.standalone.js").read_bytes()
    return _FOREIGN_SOURCE.sub(b'src:"' + EMPTY_SVG + b'"', bundle)


async def redoc_bundle(_: Request) -> Response:
    return Response(_redoc_bundle(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})


def _operation_id(route: APIRoute) -> str:
    """An operation's id is its handler's name (``locate_point``, ``create_incident``): what a
    generated client calls its functions."""
    return route.name


def create_app() -> FastAPI:
    app = FastAPI(title="Haikou grid management", lifespan=lifespan,
                  docs_url=None, redoc_url=None, generate_unique_id_function=_operation_id,
                  description=(Path(__file__).parent / "openapi.md").read_text(encoding="utf-8"),
                  version="0.1.0")
    settings = get_settings()
    app.state.services = Services.made_from(settings)
    logs.install()
    problems.install(app)
    # Outermost last: the language; headers on every answer; credentials before anything else; then the body's size.
    app.add_middleware(BodyLimit, limit=settings.limits.max_body_bytes, json_limit=settings.limits.max_json_bytes)
    app.add_middleware(Gate)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Language)   # outermost: every answer, a refusal too, is in the request's language
    # The busiest first: Starlette tries the routes in order, and a map asks for tiles by the dozen.
    for module in (tiles, locate, health, areas, search, mediators, incidents, cameras, generations, plans, audit,
                   attachments, patrols, dashboard, warnings, reports, ogc, open311, webhooks, maps, events):
        app.include_router(module.router)
    _amend_openapi(app, problems.document, bodies.document, security.document, events.document)
    app.add_route("/docs", docs, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)
    app.add_route(REDOC_BUNDLE, redoc_bundle, include_in_schema=False)
    for prefix, folder in VENDOR.items():
        if folder.is_dir():
            app.mount(prefix, StaticFiles(directory=folder), name=prefix.strip("/").replace("/", "-"))

    return app
