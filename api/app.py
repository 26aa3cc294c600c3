"""The FastAPI application factory."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError

from api import problems
from api.limits import BodyLimit
from api.security import ResponseHeaders, authorize, key_cache
from api.routers import (areas, audit, cameras, dashboard, generations, health, incidents, locate, maps, mediators, ogc,
                         plans, reports, tiles, warnings)
from geo.areas.locate import cache as locate_cache
from geo.changes import watcher
from geo.db import session_factory
from geo.settings import PROJECT_ROOT, get_settings

# Map JavaScript installed from the npm registry at set-up (web/package.json), served here.
_NODE = PROJECT_ROOT / "web" / "node_modules"
VENDOR = {"/vendor/leaflet": _NODE / "leaflet" / "dist",
          "/vendor/vectorgrid": _NODE / "leaflet.vectorgrid" / "dist",
          "/vendor/leaflet-draw": _NODE / "leaflet-draw" / "dist",
          "/vendor/h3-js": _NODE / "h3-js" / "dist",
          "/static": PROJECT_ROOT / "api" / "static"}


@asynccontextmanager
async def lifespan(_: FastAPI):
    """Listen for changes made by other processes, and build the locate index before the
    first request (if a dataset is loaded)."""
    watcher.start()
    try:
        with session_factory()() as session:
            locate_cache.get(session)
    except SQLAlchemyError:
        pass   # no database or no schema yet: the index is built on first use
    yield
    watcher.stop()


watcher.on("api_keys", key_cache.clear)


def create_app() -> FastAPI:
    app = FastAPI(title="Haikou grid management", lifespan=lifespan, dependencies=[Depends(authorize)],
                  description="Areas, H3 cells, mediation and cameras of Haikou (海口市) on PostGIS.",
                  version="0.1.0")
    problems.install(app)
    app.add_middleware(ResponseHeaders)
    app.add_middleware(BodyLimit, limit=get_settings().max_body_bytes)
    for module in (health, areas, locate, mediators, incidents, cameras, tiles, generations, plans, audit, dashboard,
                   warnings, reports, ogc, maps):
        app.include_router(module.router)
    problems.document(app)
    for prefix, folder in VENDOR.items():
        if folder.is_dir():
            app.mount(prefix, StaticFiles(directory=folder), name=prefix.strip("/").replace("/", "-"))

    return app
