"""A grid worker's /field page on a phone-sized headless Chromium: it keeps working with no
signal (its service worker serves it), two reports and a check-in made offline wait on the
phone, and when the network returns each reaches the service once."""
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from conftest import removing_new_incidents

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63385161"
                    "03000388017dec2bb09e0000000049454e44ae426082")


@pytest.fixture
def grid_worker(engine):
    """A grid with people in it, a point inside it, and a grid worker's key for it."""
    from geo.auth import keys

    with Session(engine) as session, session.begin():
        grid = session.execute(text("""SELECT code, name, ST_X(ST_PointOnSurface(geom)) AS lon,
                                              ST_Y(ST_PointOnSurface(geom)) AS lat
                                         FROM areas_now WHERE level = 'grid' AND households > 300
                                        ORDER BY code LIMIT 1""")).mappings().one()
        key, _ = keys.create(session, name="tests-grid-worker", role="grid_worker", expires_days=1, area=grid["code"])
    with removing_new_incidents(engine):
        yield {**grid, "key": key}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM patrol_checkins WHERE actor = 'key:tests-grid-worker'"))


def test_reports_made_with_no_signal_are_registered_once_when_it_returns(browser, live_server, engine, grid_worker,
                                                                        tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-CN"}, permissions=["geolocation"],
                                  geolocation={"longitude": grid_worker["lon"], "latitude": grid_worker["lat"]})
    page, errors = context.new_page(), []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/field?key={grid_worker['key']}")
    assert page.url.endswith("/field"), "the key leaves the address once it is a session"
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)
    assert "网格员上报" in page.title() and grid_worker["name"] in page.inner_text("h1")
    manifest = page.evaluate("fetch('/field/manifest.webmanifest', {credentials: 'omit'}).then(r => r.json())")
    assert manifest["start_url"] == "/field" and manifest["display"] == "standalone" and manifest["icons"]

    context.set_offline(True)
    page.reload()   # no signal: the service worker serves the page
    page.wait_for_function("() => document.getElementById('network').textContent.includes('无信号')")
    photo = tmp_path / "路灯.png"
    photo.write_bytes(PNG)
    tag = uuid.uuid4().hex[:6]   # this run's reports, whatever else the database holds
    lamp, litter = f"路口路灯损坏，夜间无照明 {tag}", f"巷道内垃圾堆放，散发异味 {tag}"
    for description, photos in ((lamp, [str(photo)]), (litter, [])):
        page.click("#here")
        page.wait_for_function("() => document.getElementById('place').textContent.includes(',')")
        page.select_option("#f-category", "other")
        page.fill("#f-description", description)
        page.set_input_files("#f-photos", photos)
        page.click("#send")
        page.wait_for_function("() => document.getElementById('message').textContent.includes('有信号时自动发送')")
    page.click("#check-in")
    page.wait_for_function("() => document.getElementById('network').textContent.includes('3 条待发送')")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM incidents WHERE description = :d"), {"d": lamp}).scalar_one() == 0

    context.set_offline(False)   # the signal returns: what waited is sent
    page.wait_for_function("() => document.getElementById('network').textContent.includes('0 条待发送')", timeout=30_000)
    with engine.connect() as conn:
        filed = conn.execute(text("""SELECT description, channel, grid_code,
                                            (SELECT count(*) FROM incident_attachments a WHERE a.incident_id = i.id) AS files
                                       FROM incidents i WHERE description IN (:lamp, :litter)
                                      ORDER BY description"""), {"lamp": lamp, "litter": litter}).all()
        checkins = conn.execute(text("SELECT grid_code FROM patrol_checkins WHERE actor = 'key:tests-grid-worker'")).all()
    assert [(f.description, f.channel, f.grid_code, f.files) for f in filed] == [
        (litter, "grid_worker", grid_worker["code"], 0),
        (lamp, "grid_worker", grid_worker["code"], 1)], "each report once, in the grid, with its photo"
    assert [c.grid_code for c in checkins] == [grid_worker["code"]]
    page.wait_for_function("() => document.getElementById('mine').textContent.includes('路灯') || "
                           "document.getElementById('mine').children.length > 0")
    assert not errors, errors
    context.close()


def test_a_grid_workers_key_reaches_its_grid_only(client, anonymous, grid_worker, api_keys):
    worker = {"X-API-Key": grid_worker["key"]}
    listed = anonymous.get("/incidents", headers=worker).json()
    assert all(i["grid_code"] == grid_worker["code"] for i in listed["items"])
    assert all("reporter_name" not in i for i in listed["items"])
    outside = anonymous.post("/incidents", headers=worker, json={
        "category": "other", "severity": "minor", "description": "别处的事", "occurred_at": "2026-11-20T09:30:00+08:00",
        "lon": 110.20, "lat": 20.0, "source": "grid_worker"})
    assert outside.status_code == 403
    away = anonymous.post("/patrols", headers=worker, json={"lon": 110.20, "lat": 20.0, "at": "2026-12-01T09:00:00+08:00"})
    assert away.status_code == 403
    here = {"lon": grid_worker["lon"], "lat": grid_worker["lat"], "at": "2026-12-01T09:00:00+08:00"}
    first, again = (anonymous.post("/patrols", headers={**worker, "Idempotency-Key": "patrol-0001-tests"}, json=here)
                    for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert first.json()["grid_code"] == grid_worker["code"]
    for path in ("/dispatch", "/mediators", "/reports/monthly", "/plans"):
        assert anonymous.get(path, headers=worker).status_code == 403, path
    assert anonymous.get("/field", headers={"X-API-Key": api_keys["viewer"]}).status_code in (403, 422)
