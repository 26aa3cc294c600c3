"""TileJSON and MapLibre styles of the service's vector tiles."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tiles.grid import MAX_ZOOM

Zoom = Annotated[int, Field(ge=0, le=MAX_ZOOM)]


class VectorLayer(BaseModel):
    """A layer of the tiles: its fields and zoom range."""

    id: str = Field(description="the layer's name in the tile")
    description: str
    minzoom: Zoom
    maxzoom: Zoom
    fields: dict[str, Literal["String", "Number", "Boolean"]] = Field(description="property -> type")


class TileJSON(BaseModel):
    """TileJSON 3.0.0 of a layer list."""

    tilejson: Literal["3.0.0"]
    name: str = Field(description="the layer list asked for")
    scheme: Literal["xyz"]
    tiles: list[str] = Field(description="URL templates of the tiles, with this query's tile parameters")
    minzoom: Zoom
    maxzoom: Zoom
    bounds: tuple[float, float, float, float] = Field(description="west, south, east, north in WGS-84")
    center: tuple[float, float, int] = Field(description="lon, lat (WGS-84) and zoom")
    vector_layers: list[VectorLayer]


class StyleSource(BaseModel):
    """The service's vector tiles, by their TileJSON."""

    type: Literal["vector"]
    url: str = Field(description="the TileJSON")


class StyleLayer(BaseModel):
    """A MapLibre style layer (modelled loosely: see the MapLibre style specification)."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: Literal["background", "fill", "line", "circle", "symbol"]
    source: str | None = Field(None, description="absent for the background")
    source_layer: str | None = Field(None, alias="source-layer", description="the tile layer drawn; absent for the "
                                                                             "background")
    paint: dict[str, Any]
    layout: dict[str, Any] | None = Field(None, description="a symbol layer's text: the area's name, in the "
                                                            "style's glyphs")
    minzoom: int | None = Field(None, description="the zoom from which the layer is drawn")
    filter: list[Any] | None = Field(None, description="a MapLibre expression choosing the layer's features")


class Style(BaseModel):
    """A MapLibre style (version 8) drawing the service's own tiles."""

    version: Literal[8]
    name: str
    glyphs: str = Field(description="the fonts the labels are drawn with, served by this service: "
                                    "{fontstack} and {range} filled in by the map")
    sources: dict[str, StyleSource]
    layers: list[StyleLayer]
    center: tuple[float, float] = Field(description="lon, lat in WGS-84")
    zoom: Zoom
