"""Vector tiles: layers and fields, caching and ETags, never stale, GCJ-02 shift, gap-free shapes."""
import math

import mapbox_vector_tile
import pytest
import shapely
from sqlalchemy import text

from geo.codes import HAIKOU_BOUNDS
from geo.crs import from_wgs84
from tiles.cache import TileCache
from tiles.grid import EXTENT
from tiles.registry import LAYERS

PERSONAL = {"phone", "reporter_name", "reporter_phone"}
PEOPLE_LAYERS = {"mediators", "incidents"}


def tile_of(lon, lat, z):
    n = 2 ** z
    lat_r = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(lat_r)) / math.pi) / 2 * n)


def decode(body):
    return mapbox_vector_tile.decode(body)


def test_a_multi_layer_tile_holds_each_layer_with_its_registered_fields(client):
    x, y = tile_of(110.33, 20.03, 14)
    response = client.get(f"/tiles/towns,villages,grids,cameras,mediators/14/{x}/{y}.mvt")
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = decode(response.content)
    assert set(layers) == {"towns", "villages", "grids", "cameras", "mediators"}
    for name, layer in layers.items():
        assert layer["features"], name
        keys = set().union(*(f["properties"] for f in layer["features"]))
        assert keys <= set(LAYERS[name].fields) and not keys & PERSONAL
        assert name not in PEOPLE_LAYERS or "name" not in keys


def test_incidents_are_points_at_high_zoom_and_heat_below(client):
    x, y = tile_of(110.33, 20.03, 15)
    points = decode(client.get(f"/tiles/incidents/15/{x}/{y}.mvt").content)["incidents"]["features"]
    assert points and {f["geometry"]["type"] for f in points} == {"Point"}
    assert not set().union(*(f["properties"] for f in points)) & PERSONAL
    x, y = tile_of(110.33, 20.03, 11)
    assert client.get(f"/tiles/incidents/11/{x}/{y}.mvt").status_code == 204
    heat = decode(client.get(f"/tiles/incident_heat/11/{x}/{y}.mvt").content)["incident_heat"]["features"]
    assert heat and all(f["properties"]["value"] >= 1 for f in heat)
    labour = decode(client.get(f"/tiles/incident_heat/11/{x}/{y}.mvt", params={"category": "labour"}).content)
    assert sum(f["properties"]["value"] for f in labour["incident_heat"]["features"]) < \
        sum(f["properties"]["value"] for f in heat)


def test_etag_gives_304_and_empty_tiles_204(client):
    x, y = tile_of(110.33, 20.03, 12)
    first = client.get(f"/tiles/towns/12/{x}/{y}.mvt")
    again = client.get(f"/tiles/towns/12/{x}/{y}.mvt", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    sea_x, sea_y = tile_of(110.6, 20.4, 12)
    assert client.get(f"/tiles/towns/12/{sea_x}/{sea_y}.mvt").status_code == 204


def test_a_data_change_makes_dynamic_tiles_new_and_leaves_boundaries_alone(client, engine):
    x, y = tile_of(110.3301, 20.0301, 16)
    before = client.get(f"/tiles/incidents/16/{x}/{y}.mvt")
    towns_before = client.get(f"/tiles/towns/16/{x}/{y}.mvt").headers["etag"]
    created = client.post("/incidents", params={"dispatch": False}, json={
        "lon": 110.3301, "lat": 20.0301, "category": "other", "severity": "minor", "description": "tile test",
        "occurred_at": "2026-11-27T08:00:00+08:00"}).json()
    try:
        after = client.get(f"/tiles/incidents/16/{x}/{y}.mvt", headers={"If-None-Match": before.headers["etag"]})
        assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
        ids = [f["properties"]["id"] for f in decode(after.content)["incidents"]["features"]]
        assert created["id"] in ids
        assert client.get(f"/tiles/towns/16/{x}/{y}.mvt").headers["etag"] == towns_before
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": created["id"]})


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_shifted_tiles_put_features_where_the_basemap_draws_them(client, engine, datum):
    with engine.connect() as conn:
        mediator_id, lon, lat = conn.execute(text(
            "SELECT id, ST_X(position), ST_Y(position) FROM mediators ORDER BY id LIMIT 1")).one()
    z = 17
    glon, glat = (float(v) for v in from_wgs84(lon, lat, datum))
    x, y = tile_of(glon, glat, z)
    body = client.get(f"/tiles/mediators/{z}/{x}/{y}.mvt", params={"crs": datum}).content
    feature = next(f for f in decode(body)["mediators"]["features"] if f["properties"]["id"] == mediator_id)
    px, py = feature["geometry"]["coordinates"]
    n = 2 ** z
    expected_x = ((glon + 180) / 360 * n - x) * EXTENT
    merc_y = (1 - math.asinh(math.tan(math.radians(glat))) / math.pi) / 2 * n
    expected_y = (1 - (merc_y - y)) * EXTENT   # the decoder flips y to point up
    assert abs(px - expected_x) <= 1 and abs(py - expected_y) <= 1


def test_shifted_polygon_tiles_match_the_shifted_boundary(client, engine):
    z = 14
    x, y = tile_of(110.34, 20.035, z)
    plain = decode(client.get(f"/tiles/towns/{z}/{x}/{y}.mvt").content)["towns"]["features"]
    shifted = decode(client.get(f"/tiles/towns/{z}/{x}/{y}.mvt", params={"crs": "gcj02"}).content)["towns"]["features"]
    assert {f["properties"]["code"] for f in plain} & {f["properties"]["code"] for f in shifted}


def test_simplified_shapes_stay_gap_free_coverages(engine):
    with engine.connect() as conn:
        for band in (0, 1, 2):
            for level in ("town", "village", "grid"):
                wkb = [r[0] for r in conn.execute(text("""SELECT ST_AsBinary(s.geom) FROM area_shapes s
                    JOIN areas a ON a.id = s.area_id WHERE s.band = :b AND a.level = :l AND a.generation_high IS NULL"""),
                                                       {"b": band, "l": level})]
                assert shapely.coverage_is_valid(shapely.from_wkb(wkb)), (band, level)


def test_layer_lists_are_allow_listed_deduplicated_and_bounded(client):
    x, y = tile_of(110.33, 20.03, 12)
    once = client.get(f"/tiles/towns/12/{x}/{y}.mvt").content
    assert client.get(f"/tiles/towns,towns/12/{x}/{y}.mvt").content == once
    unknown = client.get(f"/tiles/towns,areas;drop table areas/12/{x}/{y}.mvt")
    assert unknown.status_code == 404 and unknown.json()["field"] == "layers"
    too_many = client.get("/tiles/" + ",".join(LAYERS) + f"/12/{x}/{y}.mvt")
    assert too_many.status_code == 422 and too_many.json()["field"] == "layers"
    assert client.get("/tiles/towns/12/99999/1.mvt").json()["field"] == "x"
    assert client.get("/tiles/towns/30/1/1.mvt").json()["field"] == "z"


def test_tilejson_describes_the_layers(client):
    body = client.get("/tiles/towns,incident_heat.json", params={"crs": "gcj02"}).json()
    assert body["tilejson"] == "3.0.0" and body["tiles"][0].endswith("/tiles/towns,incident_heat/{z}/{x}/{y}.mvt?crs=gcj02")
    layers = {layer["id"]: layer for layer in body["vector_layers"]}
    assert layers["towns"]["fields"]["code"] == "String" and layers["incident_heat"]["maxzoom"] == 14


def test_the_cache_is_bounded_by_bytes_and_evicts_the_least_recently_used():
    cache = TileCache(max_bytes=1000)
    for i in range(10):
        cache.put(("t", i), b"x" * 200)
        cache.get(("t", 0))
    assert cache.size_bytes <= 1000 and cache.get(("t", 0)) is not None and cache.get(("t", 1)) is None


def test_styles_draw_only_registered_layers_from_the_views_tilejson(client):
    style = client.get("/styles/dispatch.json", params={"crs": "gcj02"}).json()
    assert style["version"] == 8 and style["sources"]["haikou"]["url"].endswith("?crs=gcj02")
    tilejson = client.get(style["sources"]["haikou"]["url"].replace("http://testserver", "")).json()
    known = {layer["id"] for layer in tilejson["vector_layers"]}
    used = {layer["source-layer"] for layer in style["layers"] if "source-layer" in layer}
    assert used and used <= known
    assert client.get("/styles/nowhere.json").json()["field"] == "view"


def _labels_in(client, z, box, headers=None):
    """Every label feature of the tiles at zoom ``z`` covering ``box`` (west, south, east, north)."""
    (x0, y0), (x1, y1) = tile_of(box[0], box[3], z), tile_of(box[2], box[1], z)
    found = []
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            response = client.get(f"/tiles/labels/{z}/{x}/{y}.mvt", headers=headers)
            assert response.status_code in (200, 204)
            found += decode(response.content).get("labels", {"features": []})["features"] if response.content else []
    return found


def test_each_area_is_named_once_by_one_label_point_from_its_levels_zoom(client, engine):
    with engine.connect() as conn:
        districts = dict(conn.execute(text("SELECT code, name FROM areas_now WHERE level = 'district'")).all())
        town_code, town, west, south, east, north = conn.execute(text("""
            SELECT code, name, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)
              FROM areas_now WHERE level = 'town' ORDER BY area_m2 LIMIT 1""")).one()
    city = _labels_in(client, 9, HAIKOU_BOUNDS)
    assert sorted(f["properties"]["code"] for f in city) == sorted(districts)   # each once, across tiles
    assert {f["properties"]["name"] for f in city} == set(districts.values())
    assert {f["properties"]["level"] for f in city} == {"district"}            # towns only from zoom 11
    close = _labels_in(client, 13, (west, south, east, north))
    levels = {f["properties"]["level"] for f in close}
    assert (town_code, town) in {(f["properties"]["code"], f["properties"]["name"]) for f in close}
    assert {"town", "village"} <= levels and "grid" not in levels               # grids only from zoom 15


def test_an_embed_key_reads_the_names_of_its_own_levels_only(client, anonymous, engine):
    from sqlalchemy.orm import Session

    from geo.auth import keys

    with Session(engine) as session, session.begin():
        key, _ = keys.create(session, name="tests-districts-only", role="embed", origins=["https://portal.example"],
                             layers=["districts"])
    portal = {"Origin": "https://portal.example", "X-API-Key": key}
    core = (110.30, 20.00, 110.36, 20.05)
    assert {"town", "village", "grid"} <= {f["properties"]["level"] for f in _labels_in(client, 15, core)}
    assert {f["properties"]["level"] for f in _labels_in(anonymous, 15, core, portal)} <= {"district"}
    assert {f["properties"]["level"] for f in _labels_in(anonymous, 9, HAIKOU_BOUNDS, portal)} == {"district"}
    x, y = tile_of(110.33, 20.02, 15)
    answer = anonymous.get(f"/tiles/labels/15/{x}/{y}.mvt", headers=portal)
    assert answer.headers["cache-control"].startswith("private")   # one URL, an answer per key: no shared cache


def test_styles_write_names_in_fonts_served_here_for_any_portal(client, anonymous):
    style = client.get("/styles/overview.json").json()
    symbols = [layer for layer in style["layers"] if layer["type"] == "symbol"]
    assert [layer["id"] for layer in symbols] == ["village-label", "town-label", "district-label"]
    assert all(layer["source-layer"] == "labels" and layer["layout"]["text-field"] == ["get", "name"] for layer in symbols)
    assert [layer["minzoom"] for layer in symbols] == [13, 11, 0]
    glyphs = style["glyphs"].replace("http://testserver", "")
    url = glyphs.format(fontstack=symbols[0]["layout"]["text-font"][0], range="0-255")
    response = anonymous.get(url, headers={"Origin": "https://anywhere.example"})   # no key: a font, not data
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    assert b"Noto Sans Regular" in response.content and len(response.content) > 10_000   # the Latin range's glyphs
    for fontstack, range_, field in (("Noto Sans Regular", "1-256", "range"), ("Noto Sans Regular", "0-99999", "range"),
                                     ("Noto Sans Regular", "0256-0511", "range"), ("Noto Sans Regular", "0-255%0A", "range"),
                                     ("Noto Sans Regular%0A", "0-255", "fontstack"), ("Arial Bold", "0-255", "fontstack")):
        refused = anonymous.get(glyphs.format(fontstack=fontstack, range=range_))
        assert refused.status_code == 404 and refused.json()["field"] == field
    assert anonymous.get(glyphs.format(fontstack="Arial Bold,Noto Sans Regular", range="256-511")).status_code == 200


def test_a_portal_drawing_a_style_with_its_key_in_a_header_passes_the_cors_preflight(anonymous, api_keys):
    asks = {"Origin": "https://portal.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-api-key"}
    x, y = tile_of(110.33, 20.02, 10)
    for path in ("/styles/overview.json", f"/tiles/districts,towns,villages,labels/10/{x}/{y}.mvt"):
        preflight = anonymous.options(path, headers=asks)
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "https://portal.example"
        assert "X-API-Key" in preflight.headers["access-control-allow-headers"]
        answer = anonymous.get(path, headers={"Origin": "https://portal.example", "X-API-Key": api_keys["embed"]})
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "https://portal.example"
    refused = anonymous.options("/incidents", headers=asks)   # no preflight for what embeds cannot read
    assert refused.status_code in (401, 403) and "access-control-allow-origin" not in refused.headers
    for odd in ({"Origin": "null"}, {"Origin": "<script>x</script>"}, {"Access-Control-Request-Method": "DELETE"}):
        refused = anonymous.options("/styles/overview.json", headers={**asks, **odd})
        assert refused.status_code in (401, 403, 405) and "access-control-allow-origin" not in refused.headers, odd
