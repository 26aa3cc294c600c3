"""Hostile plan imports: a file is read only by the reader of its declared format (never an
OGR VRT, never a path or URL taken from its content), zips are bounded member by member, the
import obeys the limits of an edit, and every refusal is a clean 4xx problem."""
import http.server
import io
import json
import sqlite3
import struct
import tempfile
import threading
import time
import zipfile
from contextlib import closing

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.geometry
from h3.api import basic_int as h3
from planning_helpers import grids_of, village_with_grids
from pyproj import CRS

from geo.dataset import checks, load
from geo.planning import edits, exchange
from geo.planning.cells import cells_in

LEAKS = ("/tmp", "SELECT", "Traceback", "OGR", "GDAL")


def open_plan(client, village: str) -> int:
    response = client.post("/plans", json={"scope": village})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def upload(client, plan: int, name: str, body: bytes, **params):
    return client.post(f"/plans/{plan}/import", params=params, files={"file": (name, body)})


def refused(response, field: str) -> dict:
    """A 422 problem naming ``field`` that shows no paths, SQL or library text."""
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == field, problem
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text)
    return problem


def draft_grids(client, plan: int) -> dict:
    features = client.get(f"/plans/{plan}/areas", params={"level": "grid"}).json()["features"]
    return {f["id"]: f for f in features}


def edits_applied(client, plan: int) -> int:
    return client.get(f"/plans/{plan}").json()["edits_applied"]


def grid_collection(client, plan: int) -> dict:
    return json.loads(client.get(f"/plans/{plan}/export", params={"level": "grid"}).content)


def circle(around: shapely.Point, vertices: int) -> shapely.Polygon:
    """A ring of exactly ``vertices`` coordinates (the last repeats the first) about 50 m across."""
    angles = np.linspace(0, 2 * np.pi, vertices - 1, endpoint=False)
    return shapely.Polygon(np.column_stack([around.x + 2e-4 * np.cos(angles), around.y + 2e-4 * np.sin(angles)]))


@pytest.fixture(scope="module")
def village(engine) -> str:
    return village_with_grids(engine, 4, offset=21)


@pytest.fixture
def plan(client, village) -> int:
    return open_plan(client, village)


@pytest.fixture
def listener():
    """A loopback HTTP server that records every request it gets: (its URL, the paths asked)."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


@pytest.fixture
def temp_files(monkeypatch) -> list:
    """The temporary files and folders made while the test runs (an upload should make none)."""
    made = []
    for name in ("mkdtemp", "mkstemp"):
        original = getattr(tempfile, name)
        monkeypatch.setattr(tempfile, name, lambda *a, _original=original, **k: made.append(_original(*a, **k)) or made[-1])
    return made


def vrt(source: str, code: str, wkt: str) -> bytes:
    """An OGR VRT that names one area after the first line of ``source`` (a local file or URL)."""
    return f"""<OGRVRTDataSource><OGRVRTLayer name="grids">
  <SrcDataSource>CSV:{source}</SrcDataSource>
  <OpenOptions><OOI key="HEADERS">NO</OOI></OpenOptions>
  <SrcSQL>SELECT '{code}' AS code, field_1 AS name, '{wkt}' AS wkt FROM passwd WHERE field_1 LIKE 'root%'</SrcSQL>
  <GeometryField encoding="WKT" field="wkt"/><LayerSRS>EPSG:4326</LayerSRS>
</OGRVRTLayer></OGRVRTDataSource>""".encode()


@pytest.mark.parametrize("name", ["areas.geojson", "areas.gpkg"])
@pytest.mark.parametrize("target", ["/etc/passwd", "url"])
def test_a_vrt_under_another_name_reads_no_file_and_fetches_no_url(client, engine, village, plan, listener, name,
                                                                   target):
    url, hits = listener
    code, grid = next(iter(grids_of(engine, village).items()))
    source = "/etc/passwd" if target == "/etc/passwd" else f"/vsicurl/{url}/passwd.csv"
    response = upload(client, plan, name, vrt(source, code, grid.wkt))
    assert hits == []
    assert name in refused(response, "file")["detail"]
    assert not any("root:" in g["properties"]["name"] for g in draft_grids(client, plan).values())
    assert edits_applied(client, plan) == 0


def test_vsi_paths_in_properties_are_only_text(client, plan, listener):
    url, hits = listener
    collection = grid_collection(client, plan)
    collection["features"][0]["properties"] |= {"code": f"/vsicurl/{url}/x", "name": "/vsizip//etc/passwd/x"}
    problem = refused(upload(client, plan, "areas.geojson", json.dumps(collection).encode()), "code")
    assert problem["detail"].startswith("feature 1")
    assert hits == [] and edits_applied(client, plan) == 0


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def declaring(archive: bytes, size: int) -> bytes:
    """The zip with every member's uncompressed size, in the local and central headers, set to ``size``."""
    data = bytearray(archive)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            data[at + offset:at + offset + 4] = struct.pack("<I", size)
            at = data.find(signature, at + 4)
    return bytes(data)


def bomb() -> bytes:
    """A 150 MiB Shapefile of zeros, deflated to a few hundred kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("grids.shp", "w") as member:
        for _ in range(150):
            member.write(bytes(2**20))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def exported_shapefile(client, village) -> bytes:
    plan = open_plan(client, village)
    return client.get(f"/plans/{plan}/export", params={"format": "shp", "level": "grid"}).content


@pytest.mark.parametrize("attack", ["huge declared size", "lying small size", "bomb", "parent folder", "absolute"])
def test_hostile_zips_are_refused_quickly_and_nothing_is_written(client, plan, exported_shapefile, temp_files, attack):
    parts = {info.filename: zipfile.ZipFile(io.BytesIO(exported_shapefile)).read(info)
             for info in zipfile.ZipFile(io.BytesIO(exported_shapefile)).infolist()}
    body = {"huge declared size": lambda: declaring(zipped(parts), 0xFFFF_FFF0),
            "lying small size": lambda: declaring(zipped({"grids.shp": bytes(20 * 2**20), "grids.dbf": b""}), 1000),
            "bomb": bomb,
            "parent folder": lambda: zipped({f"../{name}": content for name, content in parts.items()}),
            "absolute": lambda: zipped({f"/srv/{name}": content for name, content in parts.items()})}[attack]()
    started = time.monotonic()
    problem = refused(upload(client, plan, "grids.zip", body), "file")
    assert time.monotonic() - started < 5
    assert "grids.zip" in problem["detail"]
    assert temp_files == [] and edits_applied(client, plan) == 0


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "zip"])
def test_a_polygon_beyond_the_edit_vertex_limit_is_refused(client, engine, village, plan, tmp_path, fmt):
    code, grid = next(iter(grids_of(engine, village).items()))
    frame = gpd.GeoDataFrame({"code": [code]}, geometry=[circle(grid.representative_point(), 150_017)], crs=4326)
    if fmt == "zip":
        frame.to_file(tmp_path / "grids.shp")
        body = zipped({p.name: p.read_bytes() for p in tmp_path.iterdir()})
    else:
        frame.to_file(tmp_path / f"grids.{fmt}", driver="GeoJSON" if fmt == "geojson" else "GPKG")
        body = (tmp_path / f"grids.{fmt}").read_bytes()
    problem = refused(upload(client, plan, f"grids.{fmt}", body), "geometry")
    assert str(edits.MAX_VERTICES) in problem["detail"] and problem["detail"].startswith("feature 1")
    assert edits_applied(client, plan) == 0


def test_a_million_vertices_are_refused_before_any_geometry_work(client, engine, village, plan, tmp_path):
    code, grid = next(iter(grids_of(engine, village).items()))
    frame = gpd.GeoDataFrame({"code": [code]}, geometry=[circle(grid.representative_point(), 1_000_025)], crs=4326)
    frame.to_file(tmp_path / "grids.gpkg", driver="GPKG")
    body = (tmp_path / "grids.gpkg").read_bytes()
    started = time.monotonic()
    refused(upload(client, plan, "grids.gpkg", body), "geometry")
    assert time.monotonic() - started < 5


def test_features_beyond_the_bound_are_refused(client, plan):
    feature = {"type": "Feature", "properties": {"code": "460106001001001"},
               "geometry": {"type": "Polygon", "coordinates": [[[110, 20], [110.001, 20], [110, 20.001], [110, 20]]]}}
    collection = {"type": "FeatureCollection", "features": [feature] * 10_001}
    problem = refused(upload(client, plan, "many.geojson", json.dumps(collection).encode()), "file")
    assert "features" in problem["detail"] and "many.geojson" in problem["detail"]


def test_a_file_beyond_the_vertex_bound_is_refused(client, plan, monkeypatch):
    monkeypatch.setattr(exchange, "MAX_FILE_VERTICES", 10)
    body = json.dumps(grid_collection(client, plan)).encode()
    assert "vertices" in refused(upload(client, plan, "grids.geojson", body), "file")["detail"]


def test_an_import_beyond_the_draft_area_bound_is_refused(client, plan, monkeypatch):
    collection = grid_collection(client, plan)
    template = collection["features"][0]
    new = json.loads(json.dumps(template))
    new["properties"]["code"] = template["properties"]["code"][:12] + "998"
    held = len(client.get(f"/plans/{plan}/areas").json()["features"])
    monkeypatch.setattr(edits, "MAX_PLAN_AREAS", held)
    body = json.dumps({"type": "FeatureCollection", "features": [new]}).encode()
    assert str(held) in refused(upload(client, plan, "more.geojson", body), "file")["detail"]
    assert edits_applied(client, plan) == 0


def test_layers_without_geometry_are_4xx(client, plan, tmp_path):
    pyogrio.write_dataframe(pd.DataFrame({"code": ["460106001001001"], "name": ["a"]}), tmp_path / "table.gpkg",
                            driver="GPKG")
    problem = refused(upload(client, plan, "table.gpkg", (tmp_path / "table.gpkg").read_bytes()), "geometry")
    assert "table.gpkg" in problem["detail"]
    collection = grid_collection(client, plan)
    for feature in collection["features"]:
        feature["geometry"] = None
    problem = refused(upload(client, plan, "nulls.geojson", json.dumps(collection).encode()), "geometry")
    assert problem["detail"].startswith("feature 1")
    assert edits_applied(client, plan) == 0


@pytest.mark.parametrize("name,body,field", [
    ("bad.geojson", (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                     b'"geometry": {"type": "Polygon", "coordinates": [[["a", "b"]]]}}]}'), "geometry"),
    ("bad.geojson", (b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": '
                     b'"+init=/etc/passwd"}}, "features": []}'), "crs"),
    ("bad.geojson", b"[1, 2", "file"),
    ("bad.geojson", b'{"type": "FeatureCollection", "features": []}', "file"),
    ("bad.gpkg", b"SQLite format 3\x00" + bytes(200), "file"),
    ("bad.zip", b"PK\x03\x04 not really", "file"),
])
def test_damaged_files_are_problems_without_internals(client, plan, name, body, field):
    assert name in refused(upload(client, plan, name, body), field)["detail"] or field == "geometry"


def sqlite(path, *statements: str) -> None:
    with closing(sqlite3.connect(path)) as database:
        for statement in statements:
            database.execute(statement)
        database.commit()


def test_a_gpkg_layer_is_read_only_from_a_real_table(client, plan, tmp_path):
    """gpkg_contents naming a view (or anything not a table in sqlite_master) reads nothing from it."""
    frame = gpd.GeoDataFrame.from_features(grid_collection(client, plan)["features"], crs=4326)
    frame.to_file(tmp_path / "grids.gpkg", driver="GPKG", layer="grids")
    sqlite(tmp_path / "grids.gpkg", "ALTER TABLE grids RENAME TO hidden", "CREATE VIEW grids AS SELECT * FROM hidden")
    refused(upload(client, plan, "grids.gpkg", (tmp_path / "grids.gpkg").read_bytes()), "geometry")


def test_a_prj_naming_a_grid_file_is_read_without_it(client, plan, tmp_path):
    """A BOUNDCRS can name a grid file by any path; PROJ would open it, so only its source CRS is used."""
    frame = renamed(client, plan)
    frame.rename(columns={"parent_code": "parent"}).to_crs(4547).to_file(tmp_path / "grids.shp")
    (tmp_path / "grids.prj").write_text(
        f"BOUNDCRS[SOURCECRS[{CRS.from_epsg(4547).to_wkt()}],TARGETCRS[{CRS.from_epsg(4326).to_wkt()}],"
        'ABRIDGEDTRANSFORMATION["hostile",METHOD["NTv2",ID["EPSG",9615]],'
        'PARAMETERFILE["Latitude and longitude difference file","/etc/passwd"]]]')
    response = upload(client, plan, "grids.zip", zipped({p.name: p.read_bytes() for p in tmp_path.iterdir()}))
    assert response.status_code == 201, response.json()
    for code, geometry in zip(frame["code"], frame.geometry):
        assert shapely.geometry.shape(draft_grids(client, plan)[code]["geometry"]).hausdorff_distance(geometry) < 1e-6


def test_painting_a_cell_twice_paints_it_once(client, engine, village, plan):
    grids = grids_of(engine, village)
    target, other = sorted(grids)[:2]
    cell = h3.int_to_str(int(cells_in(grids[other], 11)[0]))
    response = client.post(f"/plans/{plan}/edits", json={"op": "paint", "target": target, "cells": [cell, cell]})
    assert response.status_code == 201, response.json()
    lat, lon = h3.cell_to_latlng(h3.str_to_int(cell))
    assert shapely.geometry.shape(draft_grids(client, plan)[target]["geometry"]).contains(shapely.Point(lon, lat))


def renamed(client, plan: int) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame.from_features(grid_collection(client, plan)["features"], crs=4326)
    frame["name"] = [f"导入{i}" for i in range(len(frame))]
    return frame


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "gpkg-wal", "zip-gbk", "geojson-epsg"])
def test_valid_files_still_import(client, plan, tmp_path, fmt):
    frame = renamed(client, plan)
    if fmt == "zip-gbk":
        frame.rename(columns={"parent_code": "parent"}).to_crs(4547).to_file(tmp_path / "grids.shp", encoding="GBK")
        body = zipped({p.name: p.read_bytes() for p in tmp_path.iterdir()})
    elif fmt.startswith("gpkg"):
        frame.to_crs(4547).to_file(tmp_path / "grids.gpkg", driver="GPKG")
        if fmt == "gpkg-wal":
            sqlite(tmp_path / "grids.gpkg", "PRAGMA journal_mode = WAL")
        body = (tmp_path / "grids.gpkg").read_bytes()
        assert fmt != "gpkg-wal" or body[18:20] == b"\x02\x02"
    elif fmt == "geojson-epsg":   # a legacy crs member
        frame.to_crs(4547).to_file(tmp_path / "grids.geojson", driver="GeoJSON")
        body = (tmp_path / "grids.geojson").read_bytes()
        assert b"EPSG" in body
    else:
        body = frame.to_json().encode()
    response = upload(client, plan, f"grids.{fmt.split('-')[0]}", body)
    assert response.status_code == 201, response.json()
    imported = draft_grids(client, plan)
    for code, name, geometry in zip(frame["code"], frame["name"], frame.geometry):
        assert imported[code]["properties"]["name"] == name
        assert shapely.geometry.shape(imported[code]["geometry"]).hausdorff_distance(geometry) < 1e-6


@pytest.fixture(scope="module")
def built_areas(settings) -> gpd.GeoDataFrame:
    return gpd.read_parquet(settings.dataset.build_dir / "areas.parquet")


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_the_loader_reads_boundary_files_with_the_same_readers(built_areas, tmp_path, fmt):
    built_areas.to_file(tmp_path / f"areas.{fmt}", driver="GeoJSON" if fmt == "geojson" else "GPKG")
    read = load.read_boundaries(tmp_path / f"areas.{fmt}")
    assert list(read["code"]) == list(built_areas["code"])
    assert shapely.equals_exact(read.geometry.to_numpy(), built_areas.geometry.to_numpy(), 1e-9).all()
    checks.validate_areas(read)
    (tmp_path / "hostile.gpkg").write_bytes(vrt("/etc/passwd", "460106001001001", "POINT(110 20)"))
    with pytest.raises(Exception, match="not a GeoPackage"):
        load.read_boundaries(tmp_path / "hostile.gpkg")


@pytest.mark.parametrize("name", ['<img src=x onerror="alert(1)">', "网格\x00一", "x" * 101])
def test_an_imported_or_drawn_name_with_markup_or_controls_is_refused(client, plan, name):
    collection = grid_collection(client, plan)
    collection["features"][0]["properties"]["name"] = name
    problem = refused(upload(client, plan, "grids.geojson", json.dumps(collection).encode()), "name")
    assert "feature 1" in problem["detail"]
    grid = collection["features"][0]
    drawn = client.post(f"/plans/{plan}/edits", json={"op": "add_grid", "village": grid["properties"]["code"][:12],
                                                      "geometry": grid["geometry"], "name": name})
    assert drawn.status_code == 422 and drawn.json()["field"] == "name", drawn.text   # the field, not the op
    assert edits_applied(client, plan) == 0


@pytest.mark.parametrize("name", ['"><img src=x onerror=alert(1)>.geojson', "a\u202eb.geojson", "a\u200bb.geojson",
                                  "x" * 250 + ".geojson"])
def test_an_uploaded_file_name_is_checked_like_any_name_before_it_is_kept(client, plan, name):
    """The file name goes into the edit log and the audit trail: markup, bidi overrides,
    controls and overlong names are refused, naming the file."""
    refused(upload(client, plan, name, json.dumps(grid_collection(client, plan)).encode()), "file")
    assert edits_applied(client, plan) == 0


def test_a_file_over_the_upload_limit_is_413_like_any_body_over_its_limit(client, plan, monkeypatch):
    monkeypatch.setattr(exchange, "MAX_FILE_BYTES", 1000)
    response = upload(client, plan, "big.geojson", b" " * 1001)
    assert (response.status_code, response.json()["field"]) == (413, "file")


def test_a_geopackage_whose_catalogue_is_a_computing_view_is_refused_at_once(client, plan, tmp_path):
    """gpkg_contents as a recursive view of millions of rows pinned a CPU core."""
    path = tmp_path / "areas.gpkg"
    with sqlite3.connect(path) as database:
        database.executescript("""
            CREATE TABLE gpkg_spatial_ref_sys (srs_name, srs_id INTEGER PRIMARY KEY, organization, organization_coordsys_id,
                                               definition, description);
            CREATE TABLE gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m);
            CREATE VIEW gpkg_contents AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
                SELECT 'grids' AS table_name, 'features' AS data_type FROM r;""")
    started = time.perf_counter()
    refused(upload(client, plan, "areas.gpkg", path.read_bytes()), "file")
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("cell", ["f" * 20, "8b" + "f" * 200_000, "8b4172124618fff\x00"])
def test_an_assignment_csv_with_impossible_cells_is_refused(client, plan, cell):
    body = f"h3,grid_code\n{cell},460106005001001\n".encode()
    problem = upload(client, plan, "cells.csv", body)
    assert problem.status_code == 422 and problem.json()["field"] in ("h3", "file"), problem.text


def test_a_new_grid_drawn_crossing_itself_is_refused_not_a_500(client, plan):
    """A bow-tie outline made GEOS throw while cutting it from the village (a 500)."""
    grid = grid_collection(client, plan)["features"][0]
    west, south, east, north = shapely.geometry.shape(grid["geometry"]).bounds
    bow_tie = {"type": "Polygon", "coordinates": [[[west, south], [east, north], [east, south], [west, north], [west, south]]]}
    drawn = client.post(f"/plans/{plan}/edits", json={"op": "add_grid", "village": grid["properties"]["code"][:12],
                                                      "geometry": bow_tie})
    assert drawn.status_code == 422 and drawn.json()["field"] == "geometry", drawn.text
    assert edits_applied(client, plan) == 0
