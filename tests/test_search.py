"""GET /search: areas by Chinese name (full or partial) or code, for the pages' search boxes."""
from __future__ import annotations

from sqlalchemy import text


def test_a_partial_name_finds_the_area_with_where_it_lies(client):
    found = client.get("/search", params={"q": "海垦"}).json()["items"]
    first = found[0]
    assert (first["code"], first["name"], first["level"]) == ("460106005", "海垦街道", "town")
    assert first["within"] == ["龙华区"] and first["level_label"]
    west, south, east, north = first["bbox"]
    assert 110.1 < west < east < 110.8 and 19.5 < south < north < 20.2
    assert all("海垦" in a["name"] for a in found)


def test_an_exact_name_comes_first_then_names_that_begin_with_it(client, engine):
    with engine.connect() as conn:   # a village whose name begins the names of other areas (its grids)
        village = conn.execute(text("""SELECT v.name FROM areas_now v WHERE v.level = 'village' AND EXISTS (
            SELECT 1 FROM areas_now g WHERE g.name LIKE v.name || '_%' AND g.code <> v.code)
            ORDER BY v.code LIMIT 1""")).scalar_one()
    found = client.get("/search", params={"q": village, "limit": 50}).json()["items"]
    assert found[0]["name"] == village and found[0]["level"] == "village"
    begins = [a["name"].startswith(village) for a in found[1:]]
    assert begins and begins == sorted(begins, reverse=True)   # those that begin with it before the rest


def test_a_code_prefix_finds_the_area_then_what_is_in_it(client):
    found = client.get("/search", params={"q": "460106005", "limit": 50}).json()["items"]
    assert found[0]["code"] == "460106005" and all(a["code"].startswith("460106005") for a in found)
    assert [a["level"] for a in found[:2]] == ["town", "village"]


def test_search_text_is_text_wildcards_and_markup_included(client):
    for wildcard in ("%", "_", "\\"):
        assert client.get("/search", params={"q": wildcard}).json()["total"] == 0
    for bad in ("<script>alert(1)</script>", " ", "x" * 51):
        answer = client.get("/search", params={"q": bad})
        assert (answer.status_code, answer.json()["field"]) == (422, "q"), answer.text


def test_an_embed_page_may_search_and_the_box_follows_the_crs(anonymous, api_keys, client):
    embedded = anonymous.get("/search", params={"q": "海垦街道"}, headers={"X-API-Key": api_keys["embed"]})
    assert embedded.status_code == 200
    wgs = client.get("/search", params={"q": "海垦街道"}).json()["items"][0]["bbox"]
    gcj = client.get("/search", params={"q": "海垦街道", "crs": "gcj02"}).json()["items"][0]["bbox"]
    assert 0.002 < gcj[0] - wgs[0] < 0.01   # GCJ-02 lies a few hundred metres east of WGS-84 here
