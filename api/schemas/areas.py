"""Areas: the city, districts, towns, villages and grids of a generation."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import Items, LabelField, Labelled, Page
from api.schemas.common import GeoFeature
from geo.codes import Kind, Level
from geo.crs import Datum


class AreaBase(Labelled):
    """What every answer says of an area (published or in a draft)."""

    LABELS = {"level": "level", "kind": "kind"}
    code: str = Field(description="6 (city, district), 9 (town), 12 (village) or 15 digits (grid)")
    level: Level
    level_label: str | None = LabelField("level")
    name: str
    kind: Kind
    kind_label: str | None = LabelField("kind")
    parent_code: str | None = Field(description="null for the city")


class AreaRead(AreaBase):
    """An area's figures, without its geometry."""

    households: int | None
    population: int | None
    area_m2: float = Field(description="area on the WGS-84 ellipsoid, in m²")
    source: str = Field(description="where the boundary, code and name come from")


AreaList = Page[AreaRead]


class AreaLabel(BaseModel):
    """Where a map writes an area's name: a point inside the area."""

    code: str
    name: str
    lon: float
    lat: float


class AreaLabels(BaseModel):
    """The names of one level's areas in a map's view, largest areas first."""

    level: Literal["district", "town", "village", "grid"]
    crs: Datum = Field(description="the datum of lon and lat")
    items: list[AreaLabel]
AreaItems = Items[AreaRead]


class AreaProperties(AreaRead):
    """An area's figures, its children and the generation and crs of the answer."""

    children: int = Field(ge=0, description="areas one level down")
    generation: int
    crs: Datum = Field(description="the datum of the geometry's coordinates")


class AreaFeature(GeoFeature[AreaProperties]):
    """One area as a GeoJSON Feature; its id is the code."""


class AreaFound(AreaBase):
    """An area whose name or code matched a search, with the names of the areas it lies in."""

    within: list[str] = Field(description="the names of its district, town and village, top down")
    bbox: list[float] = Field(min_length=4, max_length=4, description="west, south, east, north in the request's crs")


AreaSearch = Items[AreaFound]
