"""Render one Mapbox Vector Tile from PostGIS: ST_AsMVT per layer, layers concatenated."""
from __future__ import annotations

import numpy as np
import shapely
from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.shapes import band_for_zoom
from geo.crs import Datum, geometry_from_wgs84
from geo.hexes import hexagons
from tiles.grid import BUFFER, EXTENT, source_box
from tiles.registry import Layer, h3_resolution_for

_MVT = f"""
    SELECT ST_AsMVT(t, :layer_name, {EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Transform(src.geom, 3857), ST_TileEnvelope(:z, :x, :y), {EXTENT}, {BUFFER}, true)
               AS geom, {{fields}}
          FROM ({{source}}) src) t
     WHERE t.geom IS NOT NULL"""
# In another datum the layer's rows are read twice: once for their geometry, shifted here
# vertex by vertex, and once for the tile, with the shifted geometry joined back by key.
_SHIFTED = """SELECT ST_SetSRID(ST_GeomFromWKB(u.wkb), 4326) AS geom, {fields}
    FROM ({sql} LIMIT :cap) q JOIN unnest(CAST(:keys AS text[]), CAST(:wkb AS bytea[])) AS u(key, wkb)
      ON u.key = q.{key}::text"""
_H3_SOURCE = """SELECT ST_SetSRID(ST_GeomFromWKB(u.wkb), 4326) AS geom, u.h3, u.value
    FROM unnest(CAST(:wkb AS bytea[]), CAST(:h3 AS text[]), CAST(:value AS float8[])) AS u(wkb, h3, value)"""
_CHILD_RES = 11


def children_range(cells: list[int], resolution: int) -> tuple[list[int], list[int]]:
    """For each cell, the smallest and largest resolution-11 descendant as integers: every
    descendant lies in [lo, hi] and no other cell of that resolution does."""
    digits = range(resolution + 1, _CHILD_RES + 1)
    clear = sum(7 << ((15 - d) * 3) for d in digits)
    sixes = sum(6 << ((15 - d) * 3) for d in digits)
    lo = [((c & ~(15 << 52)) | (_CHILD_RES << 52)) & ~clear for c in cells]
    return lo, [v | sixes for v in lo]


def render(session: Session, layers: list[Layer], z: int, x: int, y: int, datum: Datum,
           generation: int, filters: dict) -> bytes:
    """The tile's bytes (empty when no layer has a feature there)."""
    west, south, east, north = source_box(z, x, y, datum)
    params = {"z": z, "x": x, "y": y, "west": west, "south": south, "east": east, "north": north,
              "generation": generation, "band": band_for_zoom(z),
              **{name: filters.get(name) for name in ("since", "until", "category", "plan", "levels")}}
    parts = []
    for layer in layers:
        if not layer.minzoom <= z <= layer.maxzoom:
            continue
        fields = ", ".join(f"src.{name}" for name in layer.fields)
        if layer.h3_sql:
            source, extra = _H3_SOURCE, _h3_rows(session, layer, z, (west, south, east, north), params, datum)
            if extra is None:
                continue
        elif datum is Datum.WGS84:
            source, extra = f"{layer.sql} LIMIT :cap", {"cap": layer.cap}
        else:
            extra = _shifted_geometries(session, layer, params, datum)
            source = _SHIFTED.format(sql=layer.sql, key=layer.key,
                                     fields=", ".join(f"q.{name}" for name in layer.fields))
        tile = session.execute(text(_MVT.format(fields=fields, source=source)),
                               {**params, **extra, "layer_name": layer.name}).scalar_one()
        if tile:
            parts.append(bytes(tile))
    return b"".join(parts)


def _shifted_geometries(session: Session, layer: Layer, params: dict, datum: Datum) -> dict:
    rows = session.execute(text(f"SELECT q.{layer.key}::text, ST_AsBinary(q.geom) FROM ({layer.sql} LIMIT :cap) q"),
                           {**params, "cap": layer.cap}).all()
    shifted = geometry_from_wgs84(shapely.from_wkb(np.array([r[1] for r in rows], dtype=object)), datum)
    return {"cap": layer.cap, "keys": [r[0] for r in rows], "wkb": list(shapely.to_wkb(shifted))}


def _h3_rows(session: Session, layer: Layer, z: int, box: tuple, params: dict, datum: Datum) -> dict | None:
    """Aggregate the layer per H3 cell of the zoom's resolution; hexagons made here."""
    resolution = h3_resolution_for(z)
    west, south, east, north = box
    outline = h3.LatLngPoly([(south, west), (south, east), (north, east), (north, west)])
    cells = list(h3.h3shape_to_cells_experimental(outline, resolution, contain="overlap"))
    if not cells:
        return None
    lo, hi = children_range(cells, resolution)
    rows = session.execute(text(layer.h3_sql), {**params, "cells": cells, "lo": lo, "hi": hi,
                                                "resolution": resolution}).all()
    rows = rows[: layer.cap]
    if not rows:
        return None
    shapes = geometry_from_wgs84(hexagons(cell for cell, _ in rows), datum)
    return {"wkb": list(shapely.to_wkb(shapes)), "h3": [h3.int_to_str(int(c)) for c, _ in rows],
            "value": [float(v) for _, v in rows]}
