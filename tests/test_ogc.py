"""OGC API - Features: the standard's pages, paging and filters, and GDAL reading the service as it is."""
import pyogrio

from geo.auth.keys import mint_token


def test_landing_conformance_and_collections(client):
    landing = client.get("/").json()
    assert {"service-desc", "conformance", "data"} <= {link["rel"] for link in landing["links"]}
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in client.get("/conformance").json()["conformsTo"]
    ids = [c["id"] for c in client.get("/collections").json()["collections"]]
    assert ids == ["districts", "towns", "villages", "grids", "cameras", "mediators"]


def test_items_page_filter_and_choose_properties(client):
    first = client.get("/collections/villages/items", params={"limit": 10})
    assert first.headers["content-type"] == "application/geo+json"
    body = first.json()
    assert body["numberMatched"] == 457 and body["numberReturned"] == 10
    after = client.get(next(link["href"] for link in body["links"] if link["rel"] == "next")).json()
    assert not {f["id"] for f in body["features"]} & {f["id"] for f in after["features"]}
    boxed = client.get("/collections/towns/items", params={"bbox": "110.32,20.02,110.34,20.04",
                                                           "properties": "code,name"}).json()
    assert 0 < boxed["numberMatched"] < 43
    assert all(set(f["properties"]) == {"code", "name"} for f in boxed["features"])


def test_mediators_carry_no_personal_data(client):
    features = client.get("/collections/mediators/items", params={"limit": 50}).json()["features"]
    assert features and all(not {"name", "phone"} & set(f["properties"]) for f in features)
    bad = client.get("/collections/mediators/items", params={"properties": "name"})
    assert bad.status_code == 422 and bad.json()["field"] == "properties"


def test_one_item_and_missing_ones(client):
    assert client.get("/collections/towns/items/460106005").json()["properties"]["name"] == "海垦街道"
    assert client.get("/collections/towns/items/460106099").status_code == 404
    assert client.get("/collections/people/items").json()["field"] == "collectionId"


def test_gdal_reads_the_service_as_it_is(live_server, settings):
    token = mint_token(settings.auth.jwt_secret, subject="gdal", role="viewer")   # GDAL's OAPIF sends bearer tokens
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": token})
    try:
        towns = pyogrio.read_dataframe(f"OAPIF:{live_server}", layer="towns")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})
    assert len(towns) == 43 and {"code", "name"} <= set(towns.columns)
    assert towns.geometry.geom_type.isin(["MultiPolygon", "Polygon"]).all()
