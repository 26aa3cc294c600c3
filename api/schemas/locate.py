"""Locate: which district, town, village and grid a point lies in."""
from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

import numpy as np
import orjson
from pydantic import BaseModel, Field, model_validator

from api.schemas.common import AreaRef, Lat, Lon
from geo.crs import Datum

MAX_BATCH = 100_000
Ref = TypeVar("Ref")
Used = Annotated[int, Field(description="the generation of the boundaries used")]


class PointGeometry(BaseModel):
    type: Literal["Point"]
    coordinates: tuple[Lon, Lat]


class PointFeature(BaseModel):
    type: Literal["Feature"]
    geometry: PointGeometry
    properties: dict | None = None


class LocateBatch(BaseModel):
    """Either ``points`` ([[lon, lat], ...]) or a GeoJSON FeatureCollection of Points."""

    type: Literal["FeatureCollection"] | None = None
    features: list[PointFeature] | None = Field(None, max_length=MAX_BATCH)
    points: list[tuple[Lon, Lat]] | None = Field(None, max_length=MAX_BATCH)

    @model_validator(mode="after")
    def one_form(self):
        if (self.points is None) == (self.features is None):
            raise ValueError("send either 'points' or a FeatureCollection's 'features', not both or neither")
        return self

    def coordinates(self) -> np.ndarray:
        """The points as an (n, 2) array of lon, lat."""
        pairs = self.points if self.points is not None else [f.geometry.coordinates for f in self.features]
        return np.array(pairs, dtype=np.float64).reshape(-1, 2)


def plain_points(data: bytes) -> np.ndarray | None:
    """The (n, 2) array of a body ``{"points": [[lon, lat], ...]}`` that LocateBatch accepts,
    read without a Python object per point beyond the JSON parser's; None for any other body
    (a FeatureCollection, or one the model must explain in a 422)."""
    if data.count(b'"') != 2 or any(word in data for word in (b"true", b"false", b"null")):
        return None   # another key or a string somewhere; a boolean or null is no coordinate
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or body.keys() != {"points"} or not isinstance(body["points"], list) \
            or not 0 < len(body["points"]) <= MAX_BATCH:
        return None
    try:
        points = np.array(body["points"], dtype=np.float64)
    except (ValueError, TypeError):   # ragged, or nested deeper
        return None
    if points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all() \
            or np.abs(points[:, 0]).max() > 180 or np.abs(points[:, 1]).max() > 90:
        return None
    return points


class Chain(BaseModel, Generic[Ref]):
    """The areas a point lies in, and its H3 cell."""

    district: Ref
    town: Ref
    village: Ref
    grid: Ref
    h3: str = Field(description="the H3 cell (hexadecimal index) at the resolution of the cell index")


class LocatedAreas(Chain[AreaRef]):
    """The areas a point lies in by code and name, and its H3 cell."""


class LocatedCodes(Chain[str]):
    """The codes of the areas a point lies in, and its H3 cell."""


class _Asked(BaseModel):
    lon: float = Field(description="as sent, in crs")
    lat: float = Field(description="as sent, in crs")
    crs: Datum
    generation: Used


class Located(LocatedAreas, _Asked):   # fields in this order: the point as asked, then its areas
    """Where one point lies."""


class LocatedBatch(BaseModel):
    """Where each point of a batch lies."""

    count: int = Field(ge=0, description="points sent")
    located: int = Field(ge=0, description="points inside Haikou")
    crs: Datum
    generation: Used
    results: list[LocatedAreas | LocatedCodes | None] = Field(
        description="one per point, in order: null outside Haikou, codes only unless names=true")
