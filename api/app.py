"""The FastAPI application factory."""
from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from api import problems
from api.routers import areas, cameras, health, incidents, locate, mediators, ogc, tiles
from geo.areas.locate import cache as locate_cache
from geo.db import session_factory


@asynccontextmanager
async def lifespan(_: FastAPI):
    """Build the locate index before the first request (if a dataset is loaded)."""
    try:
        with session_factory()() as session:
            locate_cache.get(session)
    except SQLAlchemyError:
        pass   # no database or no schema yet: the index is built on first use
    yield


def create_app() -> FastAPI:
    app = FastAPI(title="Haikou grid management", lifespan=lifespan,
                  description="Areas, H3 cells, mediation and cameras of Haikou (海口市) on PostGIS.",
                  version="0.1.0")
    problems.install(app)
    app.include_router(health.router)
    app.include_router(areas.router)
    app.include_router(locate.router)
    app.include_router(mediators.router)
    app.include_router(incidents.router)
    app.include_router(cameras.router)
    app.include_router(tiles.router)
    app.include_router(ogc.router)

    return app
