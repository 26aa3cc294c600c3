"""OGC API - Features answers: landing page, conformance, collections, items."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import GeoFeature


class Link(BaseModel):
    """A link to another resource of the service (never with a key)."""

    href: str
    rel: str = Field(description="relation: self, next, prev, items, collection, data, conformance, service-desc...")
    type: str = Field(description="media type of the target")


class LandingPage(BaseModel):
    """This service as an OGC API, and where its parts are."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """The conformance classes this service implements."""

    conformsTo: list[str] = Field(description="URIs of the conformance classes")


class SpatialExtent(BaseModel):
    """Where the features lie."""

    bbox: list[list[float]] = Field(description="one [west, south, east, north] box in crs; [[]] when the collection "
                                                "is empty")
    crs: str


class Extent(BaseModel):
    """The extent of a collection (spatial only)."""

    spatial: SpatialExtent


class Collection(BaseModel):
    """One collection of features."""

    id: str
    title: str
    itemType: Literal["feature"]
    crs: list[str] = Field(description="URIs of the coordinate systems of its items (CRS84: lon, lat on WGS-84)")
    extent: Extent
    links: list[Link]


class Collections(BaseModel):
    """Every collection."""

    links: list[Link]
    collections: list[Collection]


class Feature(GeoFeature[dict[str, Any]]):
    """A feature of a collection: its properties as the collection lists them (or those asked
    for); coordinates in the request's ``crs``."""


class LinkedFeature(Feature):
    """One feature on its own, with links to itself and its collection."""

    links: list[Link]


class FeatureCollection(BaseModel):
    """A page of a collection's features, ordered by id."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    numberMatched: int = Field(ge=0, description="features matching the query, on every page")
    numberReturned: int = Field(ge=0, description="features on this page")
    timeStamp: datetime
    links: list[Link] = Field(description="self, and next and prev where there are more")
