"""Dashboard figures of an area: mediator coverage, cameras, time to conclusion, overdue share."""
from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import AreaInForce, AreaRef


class VillageMediators(AreaRef):
    full_time_mediators: int
    mediators: int


class MediatorCoverage(BaseModel):
    """Villages with at least one full-time mediator living there (the target: every village)."""

    villages: int
    with_full_time_mediator: int
    share: float | None = Field(description="with_full_time_mediator / villages (null: no villages)")
    target: float
    villages_without: list[str] = Field(description="codes of the villages without a full-time mediator")
    by_village: list[VillageMediators] = Field(None, description="absent with lists=false")


class GridCameras(AreaRef):
    cells: int = Field(description="H3 cells of the grid")
    camera_coverage: float = Field(ge=0, le=1, description="share of those cells a camera sees")
    cameras: int = Field(description="cameras standing in the grid")


class CameraFigures(BaseModel):
    grids: int
    cameras: int
    grids_without_camera: int
    by_grid: list[GridCameras] = Field(None, description="absent with lists=false")


class ConclusionDays(BaseModel):
    """Days from registration to conclusion of the concluded incidents (null: none concluded)."""

    concluded: int
    median: float | None
    p90: float | None


class OverdueShare(BaseModel):
    open: int
    overdue: int
    share: float | None = Field(description="overdue / open (null: none open)")


class Dashboard(BaseModel):
    """The figures of an area, from the boundary generation in force."""

    area: AreaInForce
    mediator_coverage: MediatorCoverage
    cameras: CameraFigures
    time_to_conclusion_days: ConclusionDays
    overdue: OverdueShare
