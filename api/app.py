"""The FastAPI application factory."""
from __future__ import annotations

from fastapi import FastAPI

from api import problems
from api.routers import areas, health


def create_app() -> FastAPI:
    app = FastAPI(title="Haikou grid management",
                  description="Areas, H3 cells, mediation and cameras of Haikou (海口市) on PostGIS.",
                  version="0.1.0")
    problems.install(app)
    app.include_router(health.router)
    app.include_router(areas.router)

    @app.get("/", include_in_schema=False)
    def index() -> dict:
        return {"service": app.title, "docs": "/docs", "areas": "/areas", "health": "/health"}

    return app
