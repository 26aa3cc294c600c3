"""Dashboard figures against the same quantities counted another way."""
import numpy as np
from sqlalchemy import text


def test_mediator_coverage_finds_a_village_without_a_full_time_mediator(client, engine):
    city = client.get("/dashboard").json()["mediator_coverage"]
    assert (city["villages"], city["with_full_time_mediator"], city["share"], city["target"]) == (457, 457, 1.0, 1.0)
    with engine.connect() as conn:
        village = conn.execute(text("SELECT home_village_code FROM mediators WHERE employment = 'full_time' "
                                    "ORDER BY home_village_code LIMIT 1")).scalar_one()
    with engine.begin() as conn:
        moved = conn.execute(text("UPDATE mediators SET employment = 'part_time' WHERE home_village_code = :v "
                                  "AND employment = 'full_time' RETURNING id"), {"v": village}).scalars().all()
    try:
        city = client.get("/dashboard").json()["mediator_coverage"]
        assert city["villages_without"] == [village] and city["share"] == round(456 / 457, 4)
        town = client.get("/dashboard", params={"area": village[:9]}).json()["mediator_coverage"]
        assert town["villages_without"] == [village]
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE mediators SET employment = 'full_time' WHERE id = ANY(:ids)"), {"ids": moved})


def test_cameras_and_coverage_per_grid(client, engine):
    town = client.get("/dashboard", params={"area": "460106005"}).json()["cameras"]
    grid = town["by_grid"][0]
    with engine.connect() as conn:
        cells = set(conn.execute(text("SELECT h3 FROM h3_cells WHERE grid_code = :g AND generation_high IS NULL"),
                                 {"g": grid["code"]}).scalars())
        seen = set(conn.execute(text("SELECT h3 FROM camera_cells WHERE h3 = ANY(:c)"), {"c": list(cells)}).scalars())
        cameras = conn.execute(text("""SELECT count(*) FROM cameras c JOIN areas t ON t.code = '460106005'
            AND t.generation_high IS NULL AND ST_Covers(t.geom, c.position)""")).scalar_one()
    assert grid["cells"] == len(cells) and grid["camera_coverage"] == round(len(seen) / len(cells), 4)
    assert town["cameras"] == cameras and town["grids"] == len(town["by_grid"])


def test_time_to_conclusion_and_overdue_share(client, engine):
    district = client.get("/dashboard", params={"area": "460106"}).json()
    with engine.connect() as conn:
        days = conn.execute(text("""SELECT extract(epoch FROM concluded_at - registered_at) / 86400 FROM incidents
            WHERE district_code = '460106' AND concluded_at IS NOT NULL""")).scalars().all()
    figures = district["time_to_conclusion_days"]
    assert figures["concluded"] == len(days)
    assert abs(figures["median"] - np.percentile(np.array(days, dtype=float), 50)) < 0.01
    assert abs(figures["p90"] - np.percentile(np.array(days, dtype=float), 90)) < 0.01
    counts = {c["code"]: c for c in client.get("/incidents/counts", params={"level": "district"}).json()["items"]}
    with engine.connect() as conn:   # public-safety events are placed, not mediated: not in the share
        placed = conn.execute(text("""SELECT count(*) FROM incidents WHERE district_code = '460106'
            AND category = 'public_safety' AND is_open(status)""")).scalar_one()
    assert (district["overdue"]["open"], district["overdue"]["overdue"]) == (counts["460106"]["open"] - placed,
                                                                             counts["460106"]["overdue"])


def test_unknown_or_malformed_areas_are_problems(client, anonymous, api_keys):
    assert client.get("/dashboard", params={"area": "460199"}).status_code == 404
    assert client.get("/dashboard", params={"area": "abc"}).json()["field"] == "area"
    assert client.get("/dashboard", params={"area": "214687001508354"}).json()["field"] == "area"   # found by fuzzing
    assert anonymous.get("/dashboard", headers={"X-API-Key": api_keys["viewer"]}).status_code == 200
    assert anonymous.get("/dashboard", headers={"X-API-Key": api_keys["embed"]}).status_code == 403
