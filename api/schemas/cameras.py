"""Sharp Eyes cameras: a camera's place and view as sent and as read, who sees a place, coverage."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, FiniteFloat

from api.schemas.common import Geometry, Items, Page
from api.schemas.common import Lat, Lon

GB28181 = "20-digit GB/T 28181 id"


class CameraUpdate(BaseModel):
    """Where a camera stands (in the request's ``crs``) and what it sees."""

    lon: Lon
    lat: Lat
    heading_deg: Annotated[FiniteFloat, Field(ge=0, lt=360, description="clockwise from north")]
    fov_deg: Annotated[FiniteFloat, Field(gt=0, le=360)]
    range_m: Annotated[FiniteFloat, Field(gt=0, le=2000)]


class CameraCreate(CameraUpdate):
    id: str = Field(description=f"{GB28181} under a Haikou centre code")


class CameraRead(BaseModel):
    """A camera and its field of view."""

    id: str = Field(description=GB28181)
    industry: str = Field(description="industry code: digits 9-10 of the id")
    device_type: str = Field(description="device type: digits 11-13 of the id")
    heading_deg: float = Field(description="clockwise from north")
    fov_deg: float
    range_m: float
    position: Geometry = Field(description="a Point in the request's crs")
    fov: Geometry = Field(description="the field of view: a Polygon in the request's crs")


CameraList = Page[CameraRead]


class CameraSeeing(CameraRead):
    """A camera whose field of view covers the point asked about."""

    distance_m: float = Field(description="metres on the ground from the point")


CamerasCovering = Items[CameraSeeing]


class CameraCoverage(BaseModel):
    """Cameras standing in an area and the share of its H3 cells at least one camera sees."""

    code: str
    cameras: int
    cells: int
    cells_seen: int
    coverage_share: float = Field(ge=0, le=1)
