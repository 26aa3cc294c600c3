"""Boundary files in and out: GeoJSON, GeoPackage, zipped Shapefile (through pyogrio), and
the block-assignment CSV of H3 cell → grid code.

Reading checks every feature before anything is used and names the first bad one, so an
import is all or nothing. Coordinates come in the file's CRS (from its ``.prj`` or CRS
member), or in the datum the caller names (GCJ-02 and BD-09 have no EPSG code, so a
file in them says nothing and the caller must).
"""
from __future__ import annotations

import csv
import io
import tempfile
import warnings
import zipfile
from enum import StrEnum
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from h3.api import basic_int as h3
from pyproj import CRS
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import CodeError, Kind, Level, parse_area_code
from geo.crs import Datum, geometry_from_wgs84, geometry_to_wgs84
from geo.errors import Invalid
from geo.planning.draft import UNCOUNTED, DraftArea, as_multi

MAX_FILE_BYTES = 50 * 1024 * 1024
COLUMNS = ["code", "level", "name", "kind", "parent_code", "households", "population"]


class Format(StrEnum):
    GEOJSON = "geojson"
    GPKG = "gpkg"
    SHAPEFILE = "shp"
    CSV = "csv"


MEDIA_TYPES = {Format.GEOJSON: "application/geo+json", Format.GPKG: "application/geopackage+sqlite3",
               Format.SHAPEFILE: "application/zip", Format.CSV: "text/csv"}
SUFFIX = {Format.GEOJSON: ".geojson", Format.GPKG: ".gpkg", Format.SHAPEFILE: ".zip", Format.CSV: ".csv"}


def format_of(filename: str) -> Format:
    name = filename.lower()
    for fmt, suffixes in ((Format.GEOJSON, (".geojson", ".json")), (Format.GPKG, (".gpkg",)),
                          (Format.SHAPEFILE, (".zip", ".shp.zip")), (Format.CSV, (".csv",))):
        if name.endswith(suffixes):
            return fmt
    raise Invalid(f"cannot tell the format of {filename!r}: use .geojson, .gpkg, a zipped Shapefile (.zip) or .csv",
                  field="file")


def read_areas(data: bytes, fmt: Format, datum: Datum | None) -> list[DraftArea]:
    """Features of a boundary file as draft areas in WGS-84; ``datum`` overrides the file's CRS."""
    frame = _read_frame(data, fmt)
    if datum is None and frame.crs is None:
        raise Invalid("the file has no CRS (.prj): say which with crs=wgs84, gcj02 or bd09", field="crs")
    if datum is None and frame.crs is not None and not CRS(frame.crs).equals(CRS.from_epsg(4326)):
        frame = frame.to_crs(4326) if CRS(frame.crs).to_epsg() != 4490 else frame   # CGCS2000 ≈ WGS-84 (cm)
    if "code" not in frame.columns:
        raise Invalid("the features need a 'code' property", field="file")
    result = []
    for i, row in enumerate(frame.itertuples(index=False)):
        result.append(_area(i, row, datum or Datum.WGS84))
    codes = [a.code for a in result]
    if len(set(codes)) != len(codes):
        duplicate = next(c for c in codes if codes.count(c) > 1)
        raise Invalid(f"code {duplicate} appears more than once in the file", field="code")
    return result


def _read_frame(data: bytes, fmt: Format) -> gpd.GeoDataFrame:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{SUFFIX[fmt]}"
        path.write_bytes(data)
        if fmt is Format.SHAPEFILE:
            try:
                with zipfile.ZipFile(path) as archive:
                    shp = [n for n in archive.namelist() if n.lower().endswith(".shp")]
            except zipfile.BadZipFile as exc:
                raise Invalid("the Shapefile upload is not a valid zip archive", field="file") from exc
            if len(shp) != 1:
                raise Invalid(f"the zip must hold exactly one .shp, found {len(shp)}", field="file")
            source = f"/vsizip/{path}/{shp[0]}"
        else:
            source = str(path)
        try:
            return gpd.read_file(source, engine="pyogrio")
        except Exception as exc:   # pyogrio raises several types for unreadable data
            raise Invalid(f"cannot read the {fmt.value} file: {exc}", field="file") from exc


def _area(i: int, row, datum: Datum) -> DraftArea:
    where = f"feature {i + 1}"
    code = str(row.code).strip() if row.code is not None else ""
    try:
        parsed = parse_area_code(code)
    except CodeError as exc:
        raise Invalid(f"{where}: {exc}", field="code") from exc
    where += f" (code {code})"
    if parsed.level is Level.CITY:
        raise Invalid(f"{where}: the city outline cannot be imported", field="code")
    geometry = row.geometry
    if geometry is None or geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise Invalid(f"{where}: a Polygon or MultiPolygon geometry is needed", field="geometry")
    coordinates = shapely.get_coordinates(geometry)
    if not np.isfinite(coordinates).all():
        raise Invalid(f"{where}: coordinates must be finite numbers", field="geometry")
    if datum is not Datum.WGS84:
        geometry = geometry_to_wgs84(geometry, datum)
    x0, y0, x1, y1 = geometry.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise Invalid(f"{where}: coordinates are not longitudes and latitudes (a projected file without its CRS?)",
                      field="geometry")
    level = getattr(row, "level", None) or parsed.level.value
    if level != parsed.level.value:
        raise Invalid(f"{where}: level {level!r} does not match a {len(code)}-digit code", field="level")
    name = getattr(row, "name", None) or code
    kind = getattr(row, "kind", None) or parsed.kind.value
    if kind not in {k.value for k in Kind}:
        raise Invalid(f"{where}: kind {kind!r} is not one of {[k.value for k in Kind]}", field="kind")
    return DraftArea(code, level, str(name), kind, parsed.parent, UNCOUNTED, UNCOUNTED, None, as_multi(geometry))


def read_assignment(data: bytes) -> dict[int, str]:
    """A CSV with columns h3 and grid_code (block assignment) as {cell: grid code}."""
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    except UnicodeDecodeError as exc:
        raise Invalid("the CSV must be UTF-8 text", field="file") from exc
    if not rows or not {"h3", "grid_code"} <= set(rows[0]):
        raise Invalid("the CSV needs a header with columns h3 and grid_code", field="file")
    result = {}
    for line, row in enumerate(rows, start=2):
        cell, code = (row["h3"] or "").strip(), (row["grid_code"] or "").strip()
        try:
            value = h3.str_to_int(cell)
            if not h3.is_valid_cell(value):
                raise ValueError
        except ValueError as exc:
            raise Invalid(f"line {line}: {cell!r} is not an H3 cell", field="h3") from exc
        try:
            if parse_area_code(code).level is not Level.GRID:
                raise CodeError(f"{code} is not a 15-digit grid code")
        except CodeError as exc:
            raise Invalid(f"line {line}: {exc}", field="grid_code") from exc
        if result.setdefault(value, code) != code:
            raise Invalid(f"line {line}: cell {cell} is given to two grids", field="h3")
    return result


def write_areas(frame: gpd.GeoDataFrame, fmt: Format, datum: Datum, layer: str) -> bytes:
    """Areas (WGS-84) as a file in ``fmt``; coordinates in ``datum`` (GCJ-02/BD-09 files carry no CRS)."""
    frame = frame.copy()
    if datum is not Datum.WGS84:
        frame["geometry"] = [geometry_from_wgs84(g, datum) for g in frame.geometry]
        frame = frame.set_crs(None, allow_override=True)
        frame["datum"] = datum.value
    with tempfile.TemporaryDirectory() as folder:
        if fmt is Format.SHAPEFILE:   # dBase field names have at most 10 characters
            target = Path(folder) / f"{layer}.shp"
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="'crs' was not provided")
                frame.rename(columns={"parent_code": "parent"}).to_file(target, engine="pyogrio", encoding="UTF-8")
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(Path(folder).iterdir()):
                    archive.write(part, part.name)
            return buffer.getvalue()
        target = Path(folder) / f"{layer}{SUFFIX[fmt]}"
        driver = "GeoJSON" if fmt is Format.GEOJSON else "GPKG"
        with warnings.catch_warnings():   # a GCJ-02/BD-09 file has no CRS on purpose (see the module docstring)
            warnings.filterwarnings("ignore", message="'crs' was not provided")
            frame.to_file(target, driver=driver, engine="pyogrio", layer=layer)
        return target.read_bytes()


def write_assignment(cells: pd.DataFrame) -> bytes:
    """Columns h3 (string index) and grid_code as CSV."""
    out = pd.DataFrame({"h3": [h3.int_to_str(int(c)) for c in cells["h3"]], "grid_code": cells["grid_code"]})
    return out.to_csv(index=False).encode()


_LEVEL_FILTER = "(CAST(:level AS text) IS NULL OR level = :level)"


def generation_areas(session: Session, generation: int, level: str | None) -> gpd.GeoDataFrame:
    """A published generation's areas (all levels, or one) as a WGS-84 frame."""
    return _frame(session, f"""SELECT {", ".join(COLUMNS)}, ST_AsBinary(geom) AS wkb FROM areas
        WHERE generation_low <= :g AND coalesce(generation_high, :g) >= :g AND {_LEVEL_FILTER} ORDER BY code""",
                  {"g": generation, "level": level})


def plan_areas(session: Session, plan_id: int, level: str | None) -> gpd.GeoDataFrame:
    """A draft's areas as a WGS-84 frame."""
    return _frame(session, f"""SELECT {", ".join(COLUMNS)}, ST_AsBinary(geom) AS wkb FROM plan_areas
        WHERE plan_id = :plan AND {_LEVEL_FILTER} ORDER BY code""", {"plan": plan_id, "level": level})


def _frame(session: Session, sql: str, params: dict) -> gpd.GeoDataFrame:
    rows = session.execute(text(sql), params).all()
    frame = pd.DataFrame([tuple(r)[:-1] for r in rows], columns=COLUMNS)
    geometry = shapely.from_wkb(np.array([r[-1] for r in rows], dtype=object)) if rows else []
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs="EPSG:4326")

