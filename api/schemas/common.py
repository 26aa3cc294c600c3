"""Shapes shared by several nouns: pages of a list, coordinates, GeoJSON geometries and
features, area references."""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, Field, FiniteFloat, model_validator

from geo.codes import Level
from geo.i18n import code_of, label

Item = TypeVar("Item")
Properties = TypeVar("Properties")
Lon = Annotated[FiniteFloat, Field(ge=-180, le=180)]
Lat = Annotated[FiniteFloat, Field(ge=-90, le=90)]


def by_label(vocabulary: str, codes):
    """A before-validator: the code whose label (Chinese or English) was sent, else the value as sent."""
    def code(value):
        return (code_of(vocabulary, value, codes) or value) if isinstance(value, str) else value
    return BeforeValidator(code)


def LabelField(of: str):   # noqa: N802 (a field factory, named like Field)
    """The field that carries ``of``'s label in the request's language (filled by Labelled)."""
    return Field(None, description=f"`{of}` in the request's language (zh-CN by default, or English)")


class Labelled(BaseModel):
    """A model whose enumerated fields come with their labels: ``LABELS`` maps a field to its
    vocabulary (geo.catalogue.VOCABULARIES), and its ``<field>_label`` is filled from it."""

    LABELS: ClassVar[dict[str, str]] = {}

    @model_validator(mode="after")
    def _labelled(self):
        for field, vocabulary in self.LABELS.items():
            if (code := getattr(self, field, None)) is not None:
                setattr(self, f"{field}_label", label(vocabulary, code))
        return self


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
