"""Liveness and what is loaded."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.schemas.health import Health
from geo.areas.service import current_generation
from geo.db import postgis_version
from geo.replicas import read_router

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(session: Annotated[Session, Depends(get_session)]) -> dict:
    """Database reachable, PostGIS version, the boundary generation in force, and each read
    replica: in rotation or why not, and its replay lag."""
    return {"status": "ok", "postgis": postgis_version(session), "generation": current_generation(session),
            "replicas": read_router().status()}
