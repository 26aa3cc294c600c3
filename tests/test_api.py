"""The HTTP API over the loaded dataset: areas and problem+json errors."""


def test_health_reports_postgis_and_generation(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["postgis"].startswith("3.") and body["generation"] >= 1


def test_towns_of_a_district(client):
    body = client.get("/areas", params={"parent": "460106", "level": "town"}).json()
    assert body["total"] == 11
    assert {a["code"][:6] for a in body["items"]} == {"460106"}
    assert [a["code"] for a in body["items"]] == sorted(a["code"] for a in body["items"])


def test_paging(client):
    first = client.get("/areas", params={"level": "village", "limit": 10}).json()
    second = client.get("/areas", params={"level": "village", "limit": 10, "offset": 10}).json()
    assert first["total"] == 457 and len(first["items"]) == 10
    assert not {a["code"] for a in first["items"]} & {a["code"] for a in second["items"]}


def test_one_area_as_geojson_feature(client):
    feature = client.get("/areas/460106005").json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "MultiPolygon"
    assert feature["properties"]["name"] == "海垦街道" and feature["properties"]["children"] >= 3
    full = client.get("/areas/460106005").json()["geometry"]
    simple = client.get("/areas/460106005", params={"simplify_m": 50}).json()["geometry"]
    count = lambda g: sum(len(ring) for poly in g["coordinates"] for ring in poly)  # noqa: E731
    assert count(simple) < count(full)


def test_bad_code_is_a_problem_naming_the_field(client):
    response = client.get("/areas/99999")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "code"


def test_unknown_area_is_404_problem(client):
    response = client.get("/areas/460106099")
    assert response.status_code == 404 and response.json()["field"] == "code"


def test_bad_query_parameter_is_422_naming_it(client):
    response = client.get("/areas", params={"limit": "many"})
    assert response.status_code == 422 and response.json()["field"] == "limit"
    response = client.get("/areas", params={"level": "planet"})
    assert response.status_code == 422 and response.json()["field"] == "level"


def test_database_outage_is_503_problem_with_retry_after(engine):
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from api.app import create_app
    from api.dependencies import get_session

    unreachable = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")

    def session_on_unreachable_database():
        with Session(unreachable) as session:
            yield session

    app = create_app()
    app.dependency_overrides[get_session] = session_on_unreachable_database
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"


def test_areas_in_a_box_in_any_crs(client):
    from geo.crs import from_wgs84

    wgs = client.get("/areas", params={"level": "village", "bbox": "110.32,20.02,110.34,20.04"}).json()
    (w, e), (s, n) = from_wgs84([110.32, 110.34], [20.02, 20.04], "gcj02")
    gcj = client.get("/areas", params={"level": "village", "crs": "gcj02", "bbox": f"{w},{s},{e},{n}"}).json()
    assert 0 < wgs["total"] < 457 and wgs["items"] == gcj["items"]
    assert client.get("/areas", params={"bbox": "1,2,3"}).json()["field"] == "bbox"
