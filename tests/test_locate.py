"""Locate: the in-memory index against PostGIS ST_Covers, CRS equivalence, the API."""
import io

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from geo.areas.locate_index import OUTSIDE, LocateIndex
from geo.crs import from_wgs84
from geo.db import session_factory


@pytest.fixture(scope="module")
def index(client) -> LocateIndex:
    with session_factory()() as session:
        return client.app.state.services.indexes.get(session)


def _postgis_answers(engine, lon, lat) -> np.ndarray:
    """The reference: the smallest code among grids whose polygon covers the point."""
    frame = pd.DataFrame({"id": np.arange(len(lon)), "lon": lon, "lat": lat})
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, float_format="%.17g")
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE probe (id int, lon float8, lat float8) ON COMMIT DROP"))
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy("COPY probe FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        rows = conn.execute(text("""
            SELECT p.id, min(g.code) FROM probe p
              LEFT JOIN areas g ON g.level = 'grid' AND g.generation_high IS NULL
               AND ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
             GROUP BY p.id ORDER BY p.id""")).all()
    return np.array([r[1] for r in rows], dtype=object)


def _fast_answers(index, lon, lat) -> np.ndarray:
    grid, _ = index.locate(lon, lat)
    return np.where(grid == OUTSIDE, None, index.chain.grid[np.maximum(grid, 0)])


def test_fast_path_equals_st_covers_on_random_points(index, engine):
    rng = np.random.default_rng(2026)
    n = 120_000
    lon, lat = rng.uniform(110.10, 110.72, n), rng.uniform(19.52, 20.12, n)
    fast, reference = _fast_answers(index, lon, lat), _postgis_answers(engine, lon, lat)
    assert (fast != None).sum() > 60_000 and (fast == None).sum() > 10_000  # noqa: E711
    mismatches = np.flatnonzero(fast != reference)
    assert len(mismatches) == 0, list(zip(lon[mismatches][:5], lat[mismatches][:5], fast[mismatches][:5],
                                          reference[mismatches][:5]))


def test_points_on_shared_boundaries_go_to_the_smallest_code(index, engine, db_areas):
    grids = db_areas[db_areas["level"] == "grid"].geometry.to_numpy()
    vertices = shapely.get_coordinates(shapely.boundary(grids[::7]))[::25]
    lon, lat = vertices[:, 0], vertices[:, 1]
    fast, reference = _fast_answers(index, lon, lat), _postgis_answers(engine, lon, lat)
    assert len(lon) > 1_000
    assert (fast == reference).all()


def test_the_same_place_in_any_crs_gives_the_same_answer(client):
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(110.25, 110.45, 2_000), rng.uniform(19.9, 20.05, 2_000)
    answers = {}
    for datum in ("wgs84", "gcj02", "bd09"):
        x, y = from_wgs84(lon, lat, datum)
        body = client.post("/locate", params={"crs": datum}, json={"points": np.column_stack([x, y]).tolist()}).json()
        answers[datum] = [r and r["grid"] for r in body["results"]]
    assert sum(a is not None for a in answers["wgs84"]) > 1_500
    assert answers["wgs84"] == answers["gcj02"] == answers["bd09"]


def test_locate_one_point_gives_the_whole_chain(client, engine):
    body = client.get("/locate", params={"lon": 110.33, "lat": 20.03}).json()
    assert body["grid"]["code"].startswith(body["village"]["code"])
    assert body["village"]["code"].startswith(body["town"]["code"])
    assert body["town"]["code"].startswith(body["district"]["code"])
    with engine.connect() as conn:
        covering = conn.execute(text("SELECT code FROM areas WHERE level = 'grid' AND "
                                     "ST_Covers(geom, ST_SetSRID(ST_MakePoint(110.33, 20.03), 4326))")).scalar_one()
    assert body["grid"]["code"] == covering and len(body["h3"]) == 15


def test_outside_haikou_is_404_problem(client):
    response = client.get("/locate", params={"lon": 110.5, "lat": 20.5})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_swapped_coordinates_get_a_hint_or_a_range_error(client):
    response = client.get("/locate", params={"lon": 20.03, "lat": 110.33})
    assert response.status_code == 422 and response.json()["field"] == "lat"
    response = client.get("/locate", params={"lon": 19.9, "lat": 20.03})
    assert response.status_code == 404


@pytest.mark.parametrize("params,field", [({"lon": "nan", "lat": 20.0}, "lon"), ({"lon": 110.3, "lat": "inf"}, "lat"),
                                          ({"lon": 110.3}, "lat"), ({"lon": 110.3, "lat": 20.0, "crs": "utm"}, "crs")])
def test_bad_coordinates_are_422_naming_the_field(client, params, field):
    response = client.get("/locate", params=params)
    assert response.status_code == 422 and response.json()["field"] == field


def test_batch_keeps_order_and_accepts_geojson(client):
    points = [[110.33, 20.03], [110.5, 20.5], [110.35, 20.0]]
    plain = client.post("/locate", json={"points": points}).json()
    features = {"type": "FeatureCollection",
                "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": p}} for p in points]}
    geojson = client.post("/locate", json=features).json()
    assert plain["results"] == geojson["results"]
    assert plain["count"] == 3 and plain["located"] == 2 and plain["results"][1] is None
    single = client.get("/locate", params={"lon": 110.35, "lat": 20.0}).json()
    assert plain["results"][2]["grid"] == single["grid"]["code"]


def test_batch_limits_and_bad_items(client):
    too_many = client.post("/locate", json={"points": [[110.3, 20.0]] * 100_001})
    assert too_many.status_code == 422 and too_many.json()["field"] == "points"
    bad = client.post("/locate", json={"points": [[110.3, 20.0], [110.3, "x"]]})
    assert bad.status_code == 422 and bad.json()["field"].startswith("points.1")
    both = client.post("/locate", json={"points": [], "type": "FeatureCollection", "features": []})
    assert both.status_code == 422


def test_a_batch_answers_each_point_as_a_single_locate_does(client):
    rng = np.random.default_rng(11)
    points = np.column_stack([rng.uniform(110.1, 110.72, 80), rng.uniform(19.52, 20.12, 80)]).round(6).tolist()
    batch = client.post("/locate", params={"names": True}, json={"points": points}).json()
    assert batch["count"] == 80 and batch["located"] == sum(r is not None for r in batch["results"])
    for (lon, lat), result in zip(points, batch["results"]):
        single = client.get("/locate", params={"lon": lon, "lat": lat})
        if single.status_code == 404:
            assert result is None
        else:
            assert result == {k: single.json()[k] for k in ("district", "town", "village", "grid", "h3")}
    assert 0 < batch["located"] < 80   # the box holds sea as well as city


@pytest.mark.parametrize("points", [[[200.0, 20.0]], [[110.3, 95.0]], [[110.3, 20.0, 5.0]], [[110.3], [110.3, 20.0]],
                                    [[110.3, None]], [[[110.3, 20.0]]], [[110.3, "x"]]])
def test_a_batch_point_that_is_no_coordinate_pair_is_a_422_naming_it(client, points):
    response = client.post("/locate", json={"points": points})
    assert response.status_code == 422 and response.json()["field"].startswith("points.0"), response.json()


def test_area_children_and_neighbours(client):
    children = client.get("/areas/460106004/children").json()
    assert children["total"] >= 3 and all(a["parent_code"] == "460106004" for a in children["items"])
    neighbours = client.get("/areas/460106004/neighbours").json()["items"]
    assert neighbours and all(a["level"] == "town" and a["code"] != "460106004" for a in neighbours)
    assert client.get("/areas/460106099/neighbours").status_code == 404


def test_area_geometry_in_gcj02_is_shifted_about_500_m(client):
    wgs = client.get("/areas/460106004").json()["geometry"]["coordinates"][0][0][0]
    gcj = client.get("/areas/460106004", params={"crs": "gcj02"}).json()["geometry"]["coordinates"][0][0][0]
    shift_m = np.hypot((gcj[0] - wgs[0]) * 104_600, (gcj[1] - wgs[1]) * 110_700)
    assert 300 < shift_m < 700
