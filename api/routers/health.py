"""Liveness and what is loaded."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.schemas.health import Health
from geo.areas.service import active_generation
from geo.replicas import read_router

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(session: Annotated[Session, Depends(get_session)]) -> dict:
    """Database reachable, PostGIS version, active boundary generation, and each read
    replica: in rotation or why not, and its replay lag."""
    postgis = session.execute(text("SELECT postgis_lib_version()")).scalar_one()
    return {"status": "ok", "postgis": postgis, "generation": active_generation(session),
            "replicas": read_router().status()}
