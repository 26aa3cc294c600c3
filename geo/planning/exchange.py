"""Boundary files in and out: GeoJSON, GeoPackage, zipped Shapefile, and the block-assignment
CSV of H3 cell → grid code.

Uploads are read by this module's own readers, one per declared format, never by GDAL: GDAL
picks its driver from the content, so a file named ``.geojson`` or ``.gpkg`` holding an OGR
VRT would open other files on the server or fetch URLs. GeoJSON is parsed as JSON, a
GeoPackage as a read-only in-memory SQLite database, a Shapefile with pyshp from the zip's
members in memory; nothing is written to disk and no content is ever taken as a path.

Reading checks every feature before anything is used and names the first bad one, so an
import is all or nothing; the limits (features, vertices a polygon and in all, unzipped
bytes) are checked before the geometry they bound is built. Coordinates come in the file's
CRS (from its ``.prj`` or CRS member), or in the datum the caller names (GCJ-02 and BD-09
have no EPSG code, so a file in them says nothing and the caller must).
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import sqlite3
import tempfile
import time
import warnings
import zipfile
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapefile
import shapely
import shapely.geometry
from h3.api import basic_int as h3
from pyproj import CRS, Transformer
from pyproj.exceptions import ProjError
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import CITY_CODE, CodeError, Kind, Level, parse_area_code
from geo.crs import Datum, geometry_from_wgs84, geometry_to_wgs84
from geo.errors import Invalid, TooLarge
from geo.planning.draft import UNCOUNTED, DraftArea, as_multi
from geo.planning import edits
from geo.planning.cells import load_cells
from geo.planning.edits import MAX_VERTICES
from geo.planning.models import PlanEdit
from geo.text import check_name

MAX_FILE_BYTES = 50 * 1024 * 1024
FILE_NAME_LENGTH = 255                   # an uploaded file's name, kept in the edit log
MAX_UNZIPPED_BYTES = 2 * MAX_FILE_BYTES   # a zip's members, as declared and as they really inflate
MAX_ZIP_MEMBERS = 100
MAX_FEATURES = 10_000                     # Haikou has about 3,000 areas
MAX_ASSIGNED_CELLS = 2_000_000            # block-assignment rows (Haikou has 1.1 million cells)
MAX_FILE_VERTICES = 1_000_000             # Haikou's areas below the city have about 550,000
COLUMNS = ["code", "level", "name", "kind", "parent_code", "households", "population"]
WGS84 = CRS.from_epsg(4326)


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
    raise Invalid("cannot tell the format of {filename!r}: use .geojson, .gpkg, a zipped Shapefile (.zip) or .csv",
                  field="file", filename=filename)


class Layer(NamedTuple):
    """A boundary file's features as (properties, geometry or None) and its CRS (None if it names none)."""
    crs: CRS | None
    features: list[tuple[dict, shapely.Geometry | None]]


class _Limits:
    """The bounds of one file, counted as its features are read."""

    def __init__(self, name: str):
        self.name, self.features, self.vertices = name, 0, 0

    def feature(self, count: int = 1) -> None:
        self.features += count
        if self.features > MAX_FEATURES:
            raise Invalid("{file}: at most {most} features in a file", field="file",
                          file=self.name, most=MAX_FEATURES)

    def polygon(self, i: int, vertices: int) -> None:
        if vertices > MAX_VERTICES:
            raise Invalid("feature {feature}: at most {max_vertices} vertices in a polygon, it has {vertices}",
                          field="geometry", feature=i + 1, max_vertices=MAX_VERTICES, vertices=vertices)
        self.vertices += vertices
        if self.vertices > MAX_FILE_VERTICES:
            raise Invalid("{file}: at most {most} vertices in a file", field="file",
                          file=self.name, most=MAX_FILE_VERTICES)


def read_layer(data: bytes, fmt: Format, name: str) -> Layer:
    """The features of a boundary file in its declared format, read by that format's reader only."""
    if fmt not in _READERS:
        raise Invalid("{file}: a {fmt} file holds no boundaries", field="file", file=name, fmt=fmt.value)
    layer = _READERS[fmt](data, _Limits(name))
    if not layer.features:
        raise Invalid("{file}: the file holds no features", field="file", file=name)
    return layer


def read_areas(data: bytes, fmt: Format, datum: Datum | None, name: str) -> list[DraftArea]:
    """Features of a boundary file as draft areas in WGS-84; ``datum`` overrides the file's CRS."""
    layer = read_layer(data, fmt, name)
    if datum is None and layer.crs is None:
        raise Invalid("the file has no CRS (.prj): say which with crs=wgs84, gcj02 or bd09", field="crs")
    geometries = [g for _, g in layer.features]
    if datum is None:
        geometries = _to_wgs84(geometries, layer.crs)
    result = [_area(i, properties, geometry, datum or Datum.WGS84)
              for i, ((properties, _), geometry) in enumerate(zip(layer.features, geometries))]
    seen = set()
    for a in result:
        if a.code in seen:
            raise Invalid("code {code} appears more than once in the file", field="code", code=a.code)
        seen.add(a.code)
    return result


def _to_wgs84(geometries: list, crs: CRS) -> list:
    """The geometries (or None) from ``crs`` to WGS-84 longitudes and latitudes."""
    if crs.to_epsg() in (4326, 4490):   # CGCS2000 ≈ WGS-84 (cm)
        return geometries
    try:
        transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
    except ProjError as exc:
        raise Invalid("the file's CRS cannot be converted to WGS-84", field="crs") from exc
    return [None if g is None else shapely.transform(g, lambda xy: np.column_stack(transformer.transform(*xy.T)))
            for g in geometries]


_EPSG_NAME = re.compile(r"(?:EPSG:+|urn:ogc:def:crs:EPSG:[\d.]*:)(\d{1,6})", re.IGNORECASE)


def _read_geojson(data: bytes, limits: _Limits) -> Layer:
    """A FeatureCollection parsed as JSON; polygons are counted before shapely builds them."""
    try:
        document = orjson.loads(data.removeprefix(codecs.BOM_UTF8))
    except orjson.JSONDecodeError as exc:
        raise Invalid("{file}: not JSON (line {line}, column {column})", field="file",
                      file=limits.name, line=exc.lineno, column=exc.colno) from exc
    is_collection = isinstance(document, dict) and document.get("type") == "FeatureCollection"
    features = document.get("features") if is_collection else None
    if not isinstance(features, list):
        raise Invalid("{file}: not a GeoJSON FeatureCollection", field="file", file=limits.name)
    limits.feature(len(features))
    result = []
    for i, feature in enumerate(features):
        properties = (feature.get("properties") or {}) if isinstance(feature, dict) else None
        if not isinstance(properties, dict):
            raise Invalid("feature {feature}: not a GeoJSON Feature with properties", field="file", feature=i + 1)
        geometry = feature.get("geometry")
        polygonal = isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon")
        result.append((properties, _geojson_polygon(i, geometry, limits) if polygonal else None))
    return Layer(_geojson_crs(document.get("crs"), limits.name), result)


def _geojson_polygon(i: int, geometry: dict, limits: _Limits) -> shapely.Geometry:
    """A GeoJSON (Multi)Polygon as shapely, its vertices counted before it is built."""
    malformed = Invalid("feature {feature}: the coordinates are not GeoJSON polygon rings", field="geometry", feature=i + 1)
    coordinates = geometry.get("coordinates")
    try:
        polygons = coordinates if geometry["type"] == "MultiPolygon" else [coordinates]
        vertices = sum(len(ring) for polygon in polygons for ring in polygon)
    except TypeError as exc:
        raise malformed from exc
    limits.polygon(i, vertices)
    try:
        return shapely.geometry.shape(geometry)
    except Exception as exc:   # shapely raises several types for malformed coordinates
        raise malformed from exc


def _geojson_crs(member, name: str) -> CRS:
    """RFC 7946's WGS-84, or the EPSG code that a legacy (2008) ``crs`` member names."""
    if member is None:
        return WGS84
    properties = member.get("properties") if isinstance(member, dict) else None
    label = properties.get("name") if isinstance(properties, dict) else None
    label = label if isinstance(label, str) else ""
    if label.upper().endswith(":CRS84"):
        return WGS84
    if found := _EPSG_NAME.fullmatch(label):
        try:
            return CRS.from_epsg(int(found[1]))
        except ProjError:
            pass
    raise Invalid("{file}: the crs member must name a known EPSG code (or be left out for WGS-84)", field="crs", file=name)


_SQLITE_MAGIC = b"SQLite format 3\x00"
GPKG_SECONDS = 10.0   # the most a GeoPackage's queries may take
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}   # by the envelope code, bits 1-3 of the flags byte


def _read_gpkg(data: bytes, limits: _Limits) -> Layer:
    """The one feature table of a GeoPackage, from a read-only SQLite database in memory."""
    if not data.startswith(_SQLITE_MAGIC):
        raise Invalid("{file}: not a GeoPackage (an SQLite database)", field="file", file=limits.name)
    if data[18:20] == b"\x02\x02":   # WAL mode: an upload has no -wal file, so read it as a rollback database
        data = data[:18] + b"\x01\x01" + data[20:]
    database = sqlite3.connect(":memory:")
    deadline = time.monotonic() + GPKG_SECONDS
    database.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)   # a recursive view ends here
    try:
        database.deserialize(data)
        database.executescript("PRAGMA query_only = ON; PRAGMA trusted_schema = OFF;")
        return _gpkg_layer(database, limits)
    except (sqlite3.Error, ValueError, TypeError) as exc:   # a damaged or hostile database; SQLite's text is no help
        raise Invalid("{file}: cannot be read as a GeoPackage", field="file", file=limits.name) from exc
    finally:
        database.close()


def _gpkg_layer(database: sqlite3.Connection, limits: _Limits) -> Layer:
    found = {n for (n,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
                                            "('gpkg_contents', 'gpkg_geometry_columns', 'gpkg_spatial_ref_sys')")}
    if len(found) != 3:   # the catalogue must be tables, not views that compute anything
        raise Invalid("{file}: not a GeoPackage (its gpkg_contents, gpkg_geometry_columns and "
                      "gpkg_spatial_ref_sys tables are missing)", field="file", file=limits.name)
    tables = database.execute("""SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
        LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
        WHERE c.table_name IN (SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%')
        ORDER BY c.table_name""").fetchall()
    layers = [t for t in tables if t[1] is not None]
    if len(layers) != 1:
        if tables and not layers:
            raise Invalid("{file}: the GeoPackage must hold one layer with geometry, it has only attribute tables",
                          field="geometry", file=limits.name)
        raise Invalid("{file}: the GeoPackage must hold one layer with geometry, it has {found}", field="geometry",
                      file=limits.name, found=len(layers))
    table, column, srs_id = layers[0]
    properties = [c for (c,) in database.execute("SELECT name FROM pragma_table_info(?)", (table,)) if c != column]
    rows = database.execute(f"SELECT {', '.join(map(_quoted, [column, *properties]))} FROM {_quoted(table)} "
                            f"LIMIT {MAX_FEATURES + 1}").fetchall()
    limits.feature(len(rows))
    features = []
    for i, (blob, *values) in enumerate(rows):
        geometry = _gpkg_geometry(i, blob)
        if geometry is not None:
            limits.polygon(i, shapely.get_num_coordinates(geometry))
        features.append((dict(zip(properties, values)), geometry))
    return Layer(_gpkg_crs(database, srs_id, limits.name), features)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _gpkg_geometry(i: int, blob) -> shapely.Geometry | None:
    """A GeoPackage geometry blob: 'GP', version, flags, srs id, envelope, then WKB."""
    if blob is None:
        return None
    envelope = _ENVELOPE_BYTES.get((blob[3] >> 1) & 7) if isinstance(blob, bytes) and len(blob) >= 8 else None
    if envelope is not None and blob[:2] == b"GP":
        try:
            return shapely.from_wkb(blob[8 + envelope:])
        except shapely.errors.ShapelyError:
            pass
    raise Invalid("feature {feature}: not a GeoPackage geometry", field="geometry", feature=i + 1)


def _gpkg_crs(database: sqlite3.Connection, srs_id: int, name: str) -> CRS | None:
    """The layer's CRS from gpkg_spatial_ref_sys; None for the undefined systems (0 and -1)."""
    found = database.execute("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys "
                             "WHERE srs_id = ?", (srs_id,)).fetchone()
    if srs_id in (0, -1) or found is None:
        return None
    organization, number, definition = found
    if str(organization).upper() == "EPSG" and str(number).isdigit():
        try:
            return CRS.from_epsg(int(number))
        except ProjError:
            pass
    return _wkt_crs(str(definition), name)


def _wkt_crs(wkt: str, name: str) -> CRS:
    """A CRS from WKT (a .prj, a GeoPackage definition) without the transformation a BOUNDCRS
    carries: that can name a grid file by any path, which PROJ would open."""
    try:
        crs = CRS.from_wkt(wkt)
    except ProjError as exc:
        raise Invalid("{file}: the file's CRS is not one this service can read", field="crs", file=name) from exc
    return crs.source_crs if crs.is_bound else crs


_SHAPEFILE_PARTS = ("shp", "shx", "dbf", "prj", "cpg")
_POLYGONS = (shapefile.POLYGON, shapefile.POLYGONZ, shapefile.POLYGONM)


def _read_shapefile(data: bytes, limits: _Limits) -> Layer:
    """The one Shapefile in a zip, read by pyshp from the unzipped parts in memory."""
    parts = _unzipped(data, limits.name)
    if "dbf" not in parts:
        raise Invalid("{file}: the Shapefile's .dbf (its properties) is missing", field="file", file=limits.name)
    crs = _wkt_crs(parts["prj"].decode("utf-8", "replace"), limits.name) if "prj" in parts else None
    features = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # pyshp warns of odd rings, which validation reports
            reader = shapefile.Reader(**{k: io.BytesIO(v) for k, v in parts.items() if k != "prj"})
            for i, item in enumerate(reader.iterShapeRecords()):
                limits.feature()
                geometry = None
                if item.shape.shapeType in _POLYGONS:
                    limits.polygon(i, len(item.shape.points))
                    geometry = shapely.geometry.shape(item.shape.__geo_interface__)
                features.append((item.record.as_dict(), geometry))
    except Invalid:
        raise
    except Exception as exc:   # pyshp raises many types for a damaged file; its text would not help a planner
        raise Invalid("{file}: the Shapefile cannot be read", field="file", file=limits.name) from exc
    return Layer(crs, features)


def _unzipped(data: bytes, name: str) -> dict[str, bytes]:
    """The parts of the zip's one Shapefile by suffix, read member by member in memory: sizes
    declared in the central directory bounded, and the bytes that really inflate counted."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise Invalid("{file}: at most {most} files in the zip", field="file", file=name, most=MAX_ZIP_MEMBERS)
            for member in members:
                if "/" in member.filename or "\\" in member.filename or ".." in member.filename:
                    raise Invalid("{file}: the zip member {member!r} is not a plain file name (the Shapefile's files go "
                                  "at the top of the zip)", field="file", file=name, member=member.filename[:100])
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                raise Invalid("{file}: unzips to more than {mib} MiB", field="file", file=name,
                              mib=MAX_UNZIPPED_BYTES // 2 ** 20)
            shp = [m.filename for m in members if m.filename.lower().endswith(".shp")]
            if len(shp) != 1:
                raise Invalid("{file}: the zip must hold exactly one .shp, found {found}", field="file", file=name,
                              found=len(shp))
            stem, budget, parts = shp[0][:-4], MAX_UNZIPPED_BYTES, {}
            for member in members:
                base, _, suffix = member.filename.rpartition(".")
                if base == stem and suffix.lower() in _SHAPEFILE_PARTS:
                    with archive.open(member) as unzipping:
                        parts[suffix.lower()] = unzipping.read(budget + 1)
                    budget -= len(parts[suffix.lower()])
                    if budget < 0:
                        raise Invalid("{file}: unzips to more than {mib} MiB", field="file", file=name,
                              mib=MAX_UNZIPPED_BYTES // 2 ** 20)
            return parts
    except Invalid:
        raise
    except Exception as exc:   # zipfile, zlib, bz2 and lzma raise many types for a damaged or lying archive
        raise Invalid("{file}: not a readable zip archive", field="file", file=name) from exc


_READERS = {Format.GEOJSON: _read_geojson, Format.GPKG: _read_gpkg, Format.SHAPEFILE: _read_shapefile}


def _area(i: int, properties: dict, geometry: shapely.Geometry | None, datum: Datum) -> DraftArea:
    where = f"feature {i + 1}"
    code = str(properties.get("code")).strip() if properties.get("code") is not None else ""
    try:
        parsed = parse_area_code(code)
    except CodeError as exc:
        raise Invalid("{where}: {exc}", field="code", where=where, exc=exc) from exc
    where += f" (code {code})"
    if parsed.level is Level.CITY:
        raise Invalid("{where}: the city outline cannot be imported", field="code", where=where)
    if geometry is None or geometry.is_empty or geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise Invalid("{where}: a Polygon or MultiPolygon geometry is needed", field="geometry", where=where)
    coordinates = shapely.get_coordinates(geometry)
    if not np.isfinite(coordinates).all():
        raise Invalid("{where}: coordinates must be finite numbers", field="geometry", where=where)
    if datum is not Datum.WGS84:
        geometry = geometry_to_wgs84(geometry, datum)
    x0, y0, x1, y1 = geometry.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise Invalid("{where}: coordinates are not longitudes and latitudes (a projected file without its CRS?)",
                      field="geometry", where=where)
    level = properties.get("level") or parsed.level.value
    if level != parsed.level.value:
        raise Invalid("{where}: level {level!r} does not match a {digits}-digit code", field="level", where=where,
                      level=level, digits=len(code))
    try:
        name = check_name(str(properties.get("name") or code), "name")
    except Invalid as exc:
        raise Invalid("{where}: {problem}", field="name", where=where, problem=exc) from exc
    kind = properties.get("kind") or parsed.kind.value
    kinds = [k.value for k in Kind]
    if kind not in kinds:
        raise Invalid("{where}: kind {kind!r} is not one of {kinds}", field="kind", where=where, kind=kind, kinds=kinds)
    return DraftArea(code, level, name, kind, parsed.parent, UNCOUNTED, UNCOUNTED, None, as_multi(geometry))


def read_assignment(data: bytes) -> dict[int, str]:
    """A CSV with columns h3 and grid_code (block assignment) as {cell: grid code}."""
    try:
        rows = list(itertools.islice(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))), MAX_ASSIGNED_CELLS + 1))
    except UnicodeDecodeError as exc:
        raise Invalid("the CSV must be UTF-8 text", field="file") from exc
    except csv.Error as exc:   # a field past the csv module's limit, a NUL...
        raise Invalid("the CSV cannot be read as comma-separated h3,grid_code lines", field="file") from exc
    if len(rows) > MAX_ASSIGNED_CELLS:
        raise Invalid("at most {max_assigned_cells} cells in one assignment", field="file", max_assigned_cells=MAX_ASSIGNED_CELLS)
    if not rows or not {"h3", "grid_code"} <= set(rows[0]):
        raise Invalid("the CSV needs a header with columns h3 and grid_code", field="file")
    result = {}
    for line, row in enumerate(rows, start=2):
        cell, code = (row["h3"] or "").strip(), (row["grid_code"] or "").strip()
        try:
            value = h3.str_to_int(cell) if re.fullmatch(r"[0-9a-fA-F]{15}", cell) else 0
            if not h3.is_valid_cell(value):
                raise ValueError
        except (ValueError, OverflowError) as exc:
            raise Invalid("line {line}: {cell!r} is not an H3 cell", field="h3", line=line, cell=cell) from exc
        try:
            if parse_area_code(code).level is not Level.GRID:
                raise CodeError("{code} is not a 15-digit grid code", code=code)
        except CodeError as exc:
            raise Invalid("line {line}: {exc}", field="grid_code", line=line, exc=exc) from exc
        if result.setdefault(value, code) != code:
            raise Invalid("line {line}: cell {cell} is given to two grids", field="h3", line=line, cell=cell)
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
        WHERE in_force(generation_low, generation_high, :g) AND {_LEVEL_FILTER} ORDER BY code""",
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


def import_file(session: Session, plan_id: int, data: bytes, filename: str, crs: Datum | None, *,
                actor: str) -> PlanEdit:
    """One edit from an uploaded file, read with the reader of the format its name declares:
    areas (replacing those with the same code), or a CSV of H3 cell -> grid code."""
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge("the file is larger than {mib} MiB", field="file", mib=MAX_FILE_BYTES // 2 ** 20)
    filename = check_name(filename, "file", max_length=FILE_NAME_LENGTH)   # it is kept in the edit log
    fmt = format_of(filename)
    log = {"file": filename, "bytes": len(data), "crs": crs and crs.value}
    if fmt is Format.CSV:
        return edits.apply(session, plan_id, "assign_cells", actor=actor, log_params=log,
                           assignment=read_assignment(data))
    return edits.apply(session, plan_id, "import", actor=actor, log_params=log,
                       features=read_areas(data, fmt, crs, filename))


def export_generation(session: Session, generation: int, fmt: Format, level: str | None, datum: Datum,
                      name: str) -> bytes:
    """A published generation's areas in ``fmt`` (layer ``name``), or with CSV its block
    assignment (every H3 cell and its grid code, by cell)."""
    if fmt is Format.CSV:
        return write_assignment(load_cells(session, generation, CITY_CODE).reset_index().sort_values("h3"))
    return write_areas(generation_areas(session, generation, level), fmt, datum, name)
