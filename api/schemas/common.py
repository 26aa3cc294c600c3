"""Shapes shared by several nouns: pages of a list, coordinates, GeoJSON geometries and
features, area references."""
from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, FiniteFloat

from geo.codes import Level

Item = TypeVar("Item")
Properties = TypeVar("Properties")
Lon = Annotated[FiniteFloat, Field(ge=-180, le=180)]
Lat = Annotated[FiniteFloat, Field(ge=-90, le=90)]


class Page(BaseModel, Generic[Item]):
    """One page of a list: ``total`` matching, ``limit`` and ``offset`` as asked."""

    total: int = Field(ge=0)
    limit: int = Field(ge=1)
    offset: int = Field(ge=0)
    items: list[Item]


class Items(BaseModel, Generic[Item]):
    """A whole (short) list with its length."""

    total: int = Field(ge=0)
    items: list[Item]


class Geometry(BaseModel):
    """A GeoJSON geometry (RFC 7946), coordinates as [lon, lat] in the request's ``crs``."""

    type: Literal["Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]
    coordinates: list[Any]


class AreaRef(BaseModel):
    """An area by code and name."""

    code: str
    name: str


class AreaInForce(AreaRef):
    """An area of the boundary generation in force, with its level."""

    level: Level


class GeoFeature(BaseModel, Generic[Properties]):
    """A GeoJSON Feature (RFC 7946) with its ``id``."""

    type: Literal["Feature"]
    id: str
    geometry: Geometry
    properties: Properties
