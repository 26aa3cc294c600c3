"""Mediators: CRUD, derived load, nearest eligible with reasons."""
import pytest
from sqlalchemy import text

NEW = {"name": "测试调解员", "phone": "13900000000", "employment": "part_time", "organisation_id": 1,
       "home_village_code": None, "skills": ["neighbourhood"], "capacity": 2, "on_duty": True,
       "lon": 110.33, "lat": 20.03}


@pytest.fixture
def village(client):
    return client.get("/locate", params={"lon": 110.33, "lat": 20.03}).json()["village"]["code"]


@pytest.fixture
def mediator(client, village):
    body = client.post("/mediators", json={**NEW, "home_village_code": village}).json()
    yield body
    client.delete(f"/mediators/{body['id']}")


def test_create_read_update_delete_with_audit(client, engine, village):
    with engine.connect() as conn:
        last_entry = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
    created = client.post("/mediators", json={**NEW, "home_village_code": village})
    assert created.status_code == 201
    mediator = created.json()
    assert mediator["load"] == 0 and mediator["available"] and mediator["skills"] == ["neighbourhood"]
    changed = client.patch(f"/mediators/{mediator['id']}", json={"on_duty": False, "capacity": 3}).json()
    assert changed["on_duty"] is False and changed["capacity"] == 3 and not changed["available"]
    assert client.delete(f"/mediators/{mediator['id']}").status_code == 204
    assert client.get(f"/mediators/{mediator['id']}").status_code == 404
    with engine.connect() as conn:
        actions = [r[0] for r in conn.execute(text(
            "SELECT action FROM audit_log WHERE entity = 'mediator' AND entity_id = :id AND id > :last ORDER BY id"),
            {"id": str(mediator["id"]), "last": last_entry})]
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize("change,field", [
    ({"skills": ["astrology"]}, "skills.0"), ({"capacity": 0}, "capacity"), ({"employment": "volunteer"}, "employment"),
    ({"home_village_code": "460106004999"}, "home_village_code"), ({"lon": 111.5}, "position"),
    ({"organisation_id": 999999}, "organisation_id"), ({"lat": "NaN"}, "lat"),
])
def test_bad_mediator_is_4xx_naming_the_field_and_writes_nothing(client, engine, village, change, field):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM mediators")).scalar_one()
    response = client.post("/mediators", json={**NEW, "home_village_code": village, **change})
    assert response.status_code == 422 and response.json()["field"] == field
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM mediators")).scalar_one() == before


def test_nearest_ranks_by_ground_distance_among_eligible(client, engine):
    body = client.get("/mediators/nearest", params={"lon": 110.33, "lat": 20.03, "category": "neighbourhood",
                                                    "k": 5, "excluded": True}).json()
    results = body["results"]
    assert len(results) == 5
    distances = [m["distance_m"] for m in results]
    assert distances == sorted(distances)
    for m in results:
        assert m["on_duty"] and "neighbourhood" in m["skills"] and m["load"] < m["capacity"]
        assert f"{m['distance_m']:.0f} m" in m["why"]
    with engine.connect() as conn:
        reference = conn.execute(text("""
            SELECT ST_Distance(position::geography, ST_SetSRID(ST_MakePoint(110.33, 20.03), 4326)::geography)
              FROM mediators WHERE id = :id"""), {"id": results[0]["id"]}).scalar_one()
    assert results[0]["distance_m"] == pytest.approx(reference, abs=0.01)
    for m in body["excluded"]:
        assert m["reasons"] and m["distance_m"] <= distances[-1]


def test_off_duty_and_full_mediators_are_excluded_with_the_reason(client, engine, mediator):
    lon, lat = mediator["position"]["coordinates"]
    params = {"lon": lon, "lat": lat, "category": "neighbourhood", "k": 50, "excluded": True}

    def passed_over() -> dict:
        ranked = client.get("/mediators/nearest", params=params).json()
        assert (mediator["id"] in [m["id"] for m in ranked["results"]]) == (mediator["id"] not in {
            m["id"] for m in ranked["excluded"]})
        return {m["id"]: m["reasons"] for m in ranked["excluded"]}

    assert mediator["id"] not in passed_over()
    cases = []
    try:
        for n in range(mediator["capacity"]):   # her two open cases fill her
            case = client.post("/incidents", params={"dispatch": False}, json={
                "lon": lon, "lat": lat, "category": "neighbourhood", "severity": "minor",
                "description": f"full mediator {n}", "occurred_at": "2026-11-20T09:30:00+08:00"}).json()
            cases.append(case["id"])
            dispatched = client.post(f"/incidents/{case['id']}/dispatch", json={
                "mode": "manual", "mediator_id": mediator["id"], "reason": "the parties asked for her"})
            assert dispatched.status_code == 200, dispatched.json()
        assert passed_over()[mediator["id"]] == ["at capacity (2/2 open cases)"]
        client.patch(f"/mediators/{mediator['id']}", json={"on_duty": False})
        assert passed_over()[mediator["id"]] == ["off duty", "at capacity (2/2 open cases)"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incidents WHERE id = ANY(:ids)"), {"ids": cases})


def test_nearest_to_a_place_outside_haikou_is_refused_like_a_case_there(client):
    """A case or a mediator cannot be placed at (0, 0): neither can a search for mediators."""
    for params in ({"lon": 0, "lat": 0}, {"lon": 116.40, "lat": 39.90}):   # the Gulf of Guinea, Beijing
        answer = client.get("/mediators/nearest", params={**params, "category": "labour"})
        assert (answer.status_code, answer.json()["field"]) == (422, "position"), answer.text
    assert client.get("/mediators/99999999").json()["field"] == "mediator_id"


def test_crs_of_the_query_does_not_change_the_answer(client):
    from geo.crs import from_wgs84

    lon, lat = from_wgs84(110.33, 20.03, "bd09")
    wgs = client.get("/mediators/nearest", params={"lon": 110.33, "lat": 20.03, "k": 3}).json()["results"]
    bd = client.get("/mediators/nearest", params={"lon": float(lon), "lat": float(lat), "crs": "bd09", "k": 3}).json()
    assert [m["id"] for m in wgs] == [m["id"] for m in bd["results"]]
    assert bd["results"][0]["position"]["coordinates"][0] > wgs[0]["position"]["coordinates"][0] + 0.005
