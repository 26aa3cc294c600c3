"""Cameras: GB/T 28181 validation, sectors, who covers a point, coverage per area."""
import pytest
from sqlalchemy import text

CAMERA = {"id": "46010600011320999001", "lon": 110.33, "lat": 20.03, "heading_deg": 90.0, "fov_deg": 60.0,
          "range_m": 100.0}


@pytest.fixture
def camera(client):
    response = client.post("/cameras", json=CAMERA)
    assert response.status_code == 201, response.json()
    yield response.json()
    client.delete(f"/cameras/{CAMERA['id']}")


def test_a_camera_sees_ahead_within_its_range_and_angle(client, camera):
    assert camera["fov"]["type"] == "Polygon"
    ahead = client.get("/cameras/covering", params={"lon": 110.3305, "lat": 20.03}).json()["items"]    # ~52 m east
    behind = client.get("/cameras/covering", params={"lon": 110.3295, "lat": 20.03}).json()["items"]   # ~52 m west
    too_far = client.get("/cameras/covering", params={"lon": 110.3312, "lat": 20.03}).json()["items"]  # ~125 m east
    assert CAMERA["id"] in [c["id"] for c in ahead]
    assert CAMERA["id"] not in [c["id"] for c in behind] + [c["id"] for c in too_far]
    distances = [c["distance_m"] for c in ahead]
    assert distances == sorted(distances)


def test_turning_a_camera_moves_what_it_sees(client, camera, engine):
    turned = client.put(f"/cameras/{CAMERA['id']}", json={**CAMERA, "heading_deg": 270.0})
    assert turned.status_code == 200
    behind = client.get("/cameras/covering", params={"lon": 110.3295, "lat": 20.03}).json()["items"]
    assert CAMERA["id"] in [c["id"] for c in behind]
    with engine.connect() as conn:
        seen = conn.execute(text("SELECT count(*) FROM camera_cells WHERE camera_id = :id"), {"id": CAMERA["id"]})
        assert seen.scalar_one() > 0


def test_coverage_share_counts_cells_seen(client, camera):
    village = client.get("/locate", params={"lon": 110.33, "lat": 20.03}).json()["village"]["code"]
    stats = client.get(f"/areas/{village}/cameras").json()
    assert stats["cameras"] >= 1 and 0 < stats["cells_seen"] <= stats["cells"]
    assert stats["coverage_share"] == pytest.approx(stats["cells_seen"] / stats["cells"], abs=1e-6)
    assert client.get("/areas/460106099/cameras").status_code == 404


@pytest.mark.parametrize("change,field", [
    ({"id": "4601060001132099900"}, "id"), ({"id": "11010600011320999001"}, "id"),
    ({"id": "46010600991320999001"}, "id"), ({"id": "46010600011180999001"}, "id"),
    ({"heading_deg": 360}, "heading_deg"), ({"fov_deg": 0}, "fov_deg"), ({"range_m": -5}, "range_m"),
    ({"lon": 113.0}, "position"),
])
def test_bad_cameras_are_422_naming_the_field_and_write_nothing(client, engine, change, field):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM cameras")).scalar_one()
    response = client.post("/cameras", json={**CAMERA, **change})
    assert response.status_code == 422 and response.json()["field"] == field
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM cameras")).scalar_one() == before


def test_duplicate_camera_is_409(client, camera):
    again = client.post("/cameras", json=CAMERA)
    assert again.status_code == 409 and again.json()["field"] == "id"
