"""Keys kept to an area: a town centre's dispatcher reaches the incidents of its town (lists,
cards, steps, registration, the sweep, the event stream) and nothing of the other towns."""
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from conftest import removing_new_incidents
from geo.auth import keys
from geo.errors import Invalid, NotFound
from test_events import OTHER_TOWN_POINT, Stream, register
from test_incidents import BASE, HERE, report


@pytest.fixture(autouse=True)
def fresh_loads(engine):
    with removing_new_incidents(engine):
        yield


@pytest.fixture(scope="module")
def town(engine) -> dict:
    """HERE's town, and a village of another town."""
    with engine.connect() as conn:
        code, name = conn.execute(text("""SELECT code, name FROM areas_now WHERE level = 'town'
            AND ST_Covers(geom, ST_SetSRID(ST_Point(:lon, :lat), 4326))"""), {"lon": HERE[0], "lat": HERE[1]}).one()
        elsewhere = conn.execute(text("SELECT code FROM areas_now WHERE level = 'village' AND left(code, 9) <> :t "
                                      "ORDER BY code LIMIT 1"), {"t": code}).scalar_one()
        inside = conn.execute(text("SELECT code FROM areas_now WHERE level = 'village' AND left(code, 9) = :t "
                                   "ORDER BY code LIMIT 1"), {"t": code}).scalar_one()
    return {"code": code, "name": name, "elsewhere": elsewhere, "village": inside}


@pytest.fixture(scope="module")
def town_keys(engine, town) -> dict[str, str]:
    with Session(engine) as session, session.begin():
        return {role: keys.create(session, name=f"tests-{role}-of-{town['code']}", role=role, expires_days=1,
                                  area=town["code"])[0] for role in ("dispatcher", "viewer")}


def test_lists_keep_to_the_keys_area(anonymous, town_keys, town, engine):
    headers = {"X-API-Key": town_keys["dispatcher"]}
    listed = anonymous.get("/incidents", params={"limit": 1000}, headers=headers).json()
    with engine.connect() as conn:
        in_town = conn.execute(text("SELECT count(*) FROM incidents WHERE town_code = :t"), {"t": town["code"]}).scalar_one()
    assert listed["total"] == in_town > 0 and {i["area_chain"]["town"] for i in listed["items"]} == {town["code"]}
    groups = anonymous.get("/incidents/groups", headers=headers).json()
    assert groups["total"] == in_town
    village = anonymous.get("/incidents", params={"area": town["village"]}, headers=headers).json()
    assert {i["area_chain"]["village"] for i in village["items"]} <= {town["village"]}
    for path in ("/incidents", "/incidents/groups"):
        refused = anonymous.get(path, params={"area": town["elsewhere"]}, headers=headers)
        assert refused.status_code == 403 and refused.json()["field"] == "area", refused.json()
    city = anonymous.get("/incidents", params={"area": town["code"][:6]}, headers=headers)   # its district: wider
    assert city.status_code == 403


def test_another_areas_incident_is_as_if_it_did_not_exist(client, anonymous, town_keys, town):
    headers = {"X-API-Key": town_keys["dispatcher"]}
    other = report(client, at=OTHER_TOWN_POINT, dispatch=False)
    assert other["area_chain"]["town"] != town["code"]
    assert anonymous.get(f"/incidents/{other['id']}", headers=headers).status_code == 404
    for path, body in (("transitions", {"to": "refused", "note": "不属本镇"}), ("dispatch", {"mode": "auto"}),
                       ("escalate", {"reason": "越级上报"}), ("extend", {"days": 5, "agreement": "双方同意延期"})):
        answer = anonymous.post(f"/incidents/{other['id']}/{path}", json=body, headers=headers)
        assert answer.status_code == 404, (path, answer.json())
    after = client.get(f"/incidents/{other['id']}").json()
    assert (after["status"], after["mediator_id"], len(after["events"])) == (other["status"], None, len(other["events"]))
    own = report(client, dispatch=False)
    assert anonymous.get(f"/incidents/{own['id']}", headers=headers).status_code == 200
    stepped = anonymous.post(f"/incidents/{own['id']}/dispatch", json={"mode": "auto"}, headers=headers)
    assert stepped.status_code == 200 and stepped.json()["mediator_id"]


def test_an_area_key_registers_in_its_area_only(anonymous, town_keys, town, engine):
    headers = {"X-API-Key": town_keys["dispatcher"], "Accept-Language": "zh-CN"}
    marker = "区域钥匙越界登记测试"
    outside = anonymous.post("/incidents", json={**BASE, "lon": OTHER_TOWN_POINT[0], "lat": OTHER_TOWN_POINT[1],
                                                 "description": marker}, headers=headers)
    assert outside.status_code == 403 and outside.json()["field"] == "lon", outside.json()
    assert town["code"] in outside.json()["detail"]
    with engine.connect() as conn:   # one transaction: neither the case nor its events were kept
        assert conn.execute(text("SELECT count(*) FROM incidents WHERE description = :d"), {"d": marker}).scalar_one() == 0
    inside = anonymous.post("/incidents", json={**BASE, "lon": HERE[0], "lat": HERE[1]}, headers=headers)
    assert inside.status_code == 201 and inside.json()["area_chain"]["town"] == town["code"]


def test_the_sweep_and_the_tiles_keep_to_the_area(anonymous, town_keys, town, engine):
    headers = {"X-API-Key": town_keys["dispatcher"]}
    swept = anonymous.post("/incidents/escalate-overdue", headers=headers)
    assert swept.status_code == 200
    if swept.json()["escalated"]:
        with engine.connect() as conn:
            towns = conn.execute(text("SELECT DISTINCT town_code FROM incidents WHERE id = ANY(:ids)"),
                                 {"ids": swept.json()["escalated"]}).scalars().all()
        assert towns == [town["code"]]
    viewer = {"X-API-Key": town_keys["viewer"]}
    assert anonymous.get("/tiles/incidents/12/3355/1790.mvt", headers=viewer).status_code == 403   # the city's, one by one
    assert anonymous.get("/tiles/villages/12/3355/1790.mvt", headers=viewer).status_code in (200, 204)
    page = anonymous.get("/map", headers=viewer)
    assert page.status_code == 200 and '"layers": "incidents"' not in page.text and '"layers": "villages"' in page.text


def test_an_area_keys_stream_keeps_to_its_area(live_server, admin_key, town_keys, town):
    local = Stream(live_server, town_keys["viewer"])
    try:
        local.next("ready")
        inside = register(live_server, admin_key)
        outside = register(live_server, admin_key, at=OTHER_TOWN_POINT)
        got = local.incidents(3)
    finally:
        local.close()
    assert any(e["incident_id"] == inside["id"] for e in got)
    assert outside["id"] not in {e["incident_id"] for e in got} and {e["town_code"] for e in got} == {town["code"]}


def test_area_keys_are_dispatchers_or_viewers_of_an_area_in_force(engine, town):
    with Session(engine) as session:
        with pytest.raises(Invalid):
            keys.create(session, name="tests-planner-of-a-town", role="planner", area=town["code"])
        with pytest.raises(NotFound):
            keys.create(session, name="tests-of-nowhere", role="dispatcher", area="460106399")
        with pytest.raises(Invalid):   # a grid: a grid worker's, not a centre's
            keys.create(session, name="tests-of-a-grid", role="viewer", area=town["village"] + "001")
        session.rollback()


def test_a_towns_workbench_says_whose_cases_it_shows(browser, live_server, town_keys, town, engine):
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN"})
    page = context.new_page()
    with page.expect_response(lambda r: "/incidents/groups" in r.url) as answered:
        page.goto(f"{live_server}/dispatch?key={town_keys['dispatcher']}")
    page.wait_for_selector("#groups button")
    assert page.inner_text("#filter-status") == f"区域：{town['name']}（{town['code']}）"
    with engine.connect() as conn:
        in_town = conn.execute(text("SELECT count(*) FROM incidents WHERE town_code = :t"), {"t": town["code"]}).scalar_one()
    assert answered.value.json()["total"] == in_town
    shown = page.eval_on_selector_all("#cases li", "items => items.map(li => Number(li.dataset.id))")
    if shown:
        with engine.connect() as conn:
            towns = conn.execute(text("SELECT DISTINCT town_code FROM incidents WHERE id = ANY(:ids)"),
                                 {"ids": shown}).scalars().all()
        assert towns == [town["code"]]
    context.close()


def test_alerts_and_reports_name_the_areas_cases_only(anonymous, town_keys, town, engine):
    """Repeat disputes list their cases' ids: an area key's alerts and reports are its area's."""
    headers = {"X-API-Key": town_keys["viewer"]}
    alerts = anonymous.get("/warnings", params={"as_of": "2026-12-01T00:00:00+08:00"}, headers=headers)
    assert alerts.status_code == 200 and alerts.json()["area"]["code"] == town["code"]
    ids = [i for r in alerts.json()["repeats"] for i in r["evidence"]["incident_ids"]]
    if ids:
        with engine.connect() as conn:
            towns = conn.execute(text("SELECT DISTINCT town_code FROM incidents WHERE id = ANY(:ids)"),
                                 {"ids": ids}).scalars().all()
        assert towns == [town["code"]]
    for path in ("/warnings", "/reports/monthly"):
        refused = anonymous.get(path, params={"area": town["elsewhere"][:9]}, headers=headers)
        assert refused.status_code == 403 and refused.json()["field"] == "area", (path, refused.json())
    report = anonymous.get("/reports/monthly", params={"month": "2026-11"}, headers=headers)
    assert report.status_code == 200 and report.json()["area"]["code"] == town["code"]
