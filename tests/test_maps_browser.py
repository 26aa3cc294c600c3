"""The map pages in a real headless Chromium (Debian's), driven by Playwright: offline, drawn, usable."""
import re
from pathlib import Path
from urllib.parse import urlparse

import shapely
from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo import i18n
from geo.auth import keys
from planning_helpers import boundaries_restored, border_cell, centre, current_generation, grids_of, village_with_grids
from warning_helpers import AS_OF, plant, quiet_place, remove_planted

def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    requested, errors = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(url)
    return page, requested, errors


ARTEFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artefacts"


def test_the_full_map_draws_our_tiles_with_nothing_from_outside(browser, live_server, admin_key):
    page, requested, errors = open_page(browser, f"{live_server}/map?key={admin_key}")
    page.wait_for_function("() => window.haikouMap !== undefined")
    page.wait_for_selector(".leaflet-tile-pane path", timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert page.locator(".leaflet-tile-pane path").count() > 10
    assert page.locator(".leaflet-control-layers-overlays label").count() == 10
    hosts = {urlparse(url).netloc for url in requested if not url.startswith("data:")}
    assert hosts == {urlparse(live_server).netloc}, hosts
    assert any(".mvt" in url for url in requested)
    assert not errors, errors
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "map.png"))   # kept for a person to look at


def test_a_report_opened_with_its_key_keeps_the_key_out_of_the_address_bar(browser, live_server, api_keys):
    """A viewer opens a monthly report with ?key= (no page links to it, so the key is in the
    URL the first time): the browser lands on the same report without the key, and reads it."""
    key = api_keys["viewer"]
    page, requested, errors = open_page(browser, f"{live_server}/reports/monthly?area=460106&format=html&key={key}")
    assert key not in page.url and "area=460106" in page.url and "format=html" in page.url
    assert "460106" in page.inner_text("body") and page.locator("svg").count() >= 1
    assert [url for url in requested if key in url] == [requested[0]]   # only the first visit carried it
    page.close()


def test_the_api_docs_work_with_no_other_host(browser, live_server):
    """Swagger UI and ReDoc come from this service (an isolated network has no CDN) and show
    the operations of the OpenAPI document."""
    for path, operation in (("/docs", "#operations-locate-locate_point"), ("/redoc", "#tag\\/locate")):
        page, requested, errors = open_page(browser, live_server + path)
        page.wait_for_selector(operation, timeout=20_000)
        page.wait_for_load_state("networkidle")
        hosts = {urlparse(url).netloc for url in requested if not url.startswith(("data:", "blob:"))}
        assert hosts == {urlparse(live_server).netloc}, (path, hosts)
        assert not errors, (path, errors)
        shown = page.inner_text("body")   # how to get in and how to embed a map, from the docs alone
        assert "X-API-Key" in shown and "在门户中嵌入地图" in shown and "/embed/{view}/snippet" in shown, path
        page.screenshot(path=str(ARTEFACTS / f"api{path.replace('/', '-')}.png"))
        page.close()


def test_the_map_speaks_chinese_to_a_chinese_browser_and_english_on_request(browser, live_server, admin_key):
    """Layer names, the search box, the dashboard and the alert layer's name in the page's
    language: Chinese for a zh-CN browser (nothing English left in them), English with ?lang=en."""
    page = browser.new_page(locale="zh-CN", viewport={"width": 1200, "height": 800})
    page.goto(f"{live_server}/map?key={admin_key}")
    page.wait_for_function("() => window.lastDashboard === '460100'")
    assert page.locator("html").get_attribute("lang") == "zh-CN" and page.title() == "海口市网格化服务管理"
    control = page.inner_text(".leaflet-control-layers-overlays")
    assert "区" in control and "预警" in control and "雪亮工程摄像机" in control
    seen = " ".join([control, page.inner_text("#dashboard"), page.get_attribute("#area-code", "placeholder"),
                     page.inner_text("#area-go")])
    assert not re.findall(r"(?<!H)[A-Za-z]{3,}", seen), seen   # no English word left (H3 and p90 are names)
    page.goto(f"{live_server}/map?lang=en")
    page.wait_for_function("() => window.lastDashboard === '460100'")
    assert page.locator("html").get_attribute("lang") == "en" and "villages" in page.inner_text("#dashboard")
    assert "Districts" in page.inner_text(".leaflet-control-layers-overlays")
    page.screenshot(path=str(ARTEFACTS / "map-en.png"))
    page.close()


def test_search_by_area_code_moves_the_map_there(browser, live_server, admin_key):
    page, _, errors = open_page(browser, f"{live_server}/map?key={admin_key}")
    page.wait_for_function("() => window.haikouMap !== undefined")
    page.fill("#area-code", "460106005")
    page.click("#area-go")
    page.wait_for_function("() => window.lastSearch !== undefined")
    assert page.evaluate("window.lastSearch") == "海垦街道"
    assert page.evaluate("window.haikouMap.map.getZoom()") >= 12
    page.wait_for_function("() => window.lastDashboard === '460106005'")   # the figures follow the search
    assert "7/7 villages" in page.inner_text("#dashboard")
    assert not errors, errors
    outlines = 'document.querySelectorAll(\'.leaflet-overlay-pane path[stroke="#08519c"]\').length'
    assert page.evaluate(outlines) == 1
    page.fill("#area-code", "460105")
    page.press("#area-code", "Enter")   # Enter searches too
    page.wait_for_function("() => window.lastSearch === '秀英区'")
    assert page.evaluate(outlines) == 1   # the latest search's outline only
    page.fill("#area-code", "海垦")   # a name, or part of one, is searched for
    page.press("#area-code", "Enter")
    page.wait_for_function("() => window.lastSearch === '海垦街道'")
    page.wait_for_function("() => window.lastDashboard === '460106005'")


def test_a_search_that_finds_nothing_says_why_beside_the_box(browser, live_server, admin_key):
    page, _, _ = open_page(browser, f"{live_server}/map?key={admin_key}")
    page.wait_for_function("() => window.haikouMap !== undefined")
    for typed in ("999999", "<img src=x onerror=alert(1)>", "不存在的地方"):
        page.fill("#area-code", typed)
        page.click("#area-go")
        page.wait_for_function("() => document.getElementById('area-message').textContent !== ''")
        assert page.locator("#area-message img").count() == 0   # shown as text
        shown = page.inner_text("#area-message")
        assert shown == page.evaluate("window.lastSearch") or typed in shown
        page.evaluate("document.getElementById('area-message').textContent = ''")


def test_the_alert_layer_shows_a_planted_hotspot_with_its_evidence(browser, live_server, admin_key, engine):
    with Session(engine) as session, session.begin():
        place = quiet_place(session)
        plant(session, place)
    try:
        page, _, errors = open_page(browser, f"{live_server}/map?key={admin_key}&as_of={AS_OF.isoformat().replace('+', '%2B')}")
        page.wait_for_function("() => window.alertCount !== undefined", timeout=20_000)
        assert page.evaluate("window.alertCount") >= 2   # the hotspot and the repeat dispute
        page.get_by_text("Alerts", exact=True).click()
        page.wait_for_selector(".leaflet-overlay-pane path.leaflet-interactive")
        page.locator(".leaflet-overlay-pane path.leaflet-interactive").first.click(force=True)
        popup = page.wait_for_selector(".leaflet-popup-content").inner_text()
        assert "expected" in popup or "repeat dispute" in popup   # the page is English here (the browser asks for it)
        assert not errors, errors
        page.screenshot(path=str(ARTEFACTS / "alerts.png"))
    finally:
        with Session(engine) as session, session.begin():
            remove_planted(session)


def test_embed_views_and_the_amap_basemap_ask_for_gcj02_overlays(browser, live_server, api_keys):
    page, requested, errors = open_page(browser, f"{live_server}/embed/heat?basemap=amap&key={api_keys['embed']}")
    page.wait_for_function("() => window.haikouMap !== undefined")
    page.wait_for_timeout(1500)
    tiles = [url for url in requested if ".mvt" in url]
    assert tiles and all("crs=gcj02" in url for url in tiles)
    page, requested, errors = open_page(browser, f"{live_server}/embed/area?code=460106005&key={api_keys['embed']}")
    page.wait_for_function("() => window.lastSearch !== undefined")
    page.wait_for_selector(".leaflet-tile-pane path", timeout=20_000)
    assert page.evaluate("window.lastSearch") == "海垦街道" and not errors
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "embed-area.png"))


def test_the_snippet_embeds_a_working_iframe(browser, live_server, client, engine, settings):
    with Session(engine) as session, session.begin():   # a portal on the test server's own origin
        key, _ = keys.create(session, name="tests-portal", role="embed", expires_days=1, origins=[live_server])
    snippet = client.get("/embed/overview/snippet", params={"width": 640, "height": 480},
                         headers={"X-API-Key": key, "Origin": live_server}).text
    assert snippet.startswith("<iframe") and 'width="640"' in snippet
    assert f"key={key}" in snippet   # asked for with the embed key, the frame carries it
    html = snippet.replace(settings.web.public_url, f"{live_server}/")
    page = browser.new_page()
    page.goto(f"{live_server}/health")
    page.set_content(f"<html><body><h1>portal</h1>{html}</body></html>")
    frame = page.frame_locator("iframe")
    frame.locator(".leaflet-tile-pane path").first.wait_for(timeout=20_000)
    assert frame.locator(".leaflet-tile-pane path").count() > 0


def test_the_snippet_page_shows_the_frame_and_what_the_key_opens(browser, live_server, api_keys):
    """Opened in a browser with the embed key, the snippet is a page: the <iframe> to paste
    (as text, carrying the key), how the key works, and the key's origins, views and layers."""
    key = api_keys["embed"]
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live_server}/embed/area/snippet?code=460106005&width=640&key={key}")
    snippet = page.inner_text("#snippet")
    assert snippet.startswith("<iframe") and f"key={key}" in snippet and "code=460106005" in snippet
    assert "https://portal.example" in page.inner_text("#scope-origins")
    layers = page.inner_text("#scope-layers")   # asked for not from the portal: the public layers only
    assert "网格" in layers and "案件" not in layers and "摄像机视野" not in layers
    page.click("#open-view")
    page.wait_for_function("() => window.lastSearch !== undefined", timeout=20_000)
    assert "/embed/area" in page.url and page.locator("#map-title").is_visible()
    page.close()


def test_bad_map_parameters_are_problems(client):
    assert client.get("/map", params={"basemap": "google"}).json()["field"] == "basemap"
    assert client.get("/embed/area").json()["field"] == "code"
    assert client.get("/embed/nowhere").status_code == 404
    assert client.get("/embed/area", params={"code": "460106099"}).status_code == 404   # no such town


def test_a_page_opened_with_a_bad_code_says_so_in_chinese_with_a_404(browser, live_server, api_keys):
    """A portal framing an unknown area, or a person mistyping a map address, sees a page
    saying what is wrong (in Chinese by default), not the whole city with 200."""
    page = browser.new_page(locale="zh-CN")
    answer = page.goto(f"{live_server}/embed/area?code=460106099&key={api_keys['embed']}")
    assert answer.status == 404 and page.locator("html").get_attribute("lang") == "zh-CN"
    assert "460106099" in page.inner_text("body") and "未找到" in page.inner_text("h1")
    answer = page.goto(f"{live_server}/map?basemap=google&key={api_keys['viewer']}&lang=en")
    assert answer.status == 422 and "basemap" in page.inner_text("body") and page.locator("script").count() == 0
    page.close()


def on_screen(page, lon, lat, leaflet_map="window.planner.map") -> tuple[float, float]:
    """Where the page's Leaflet map shows (lon, lat)."""
    return page.evaluate(f"""([lat, lng]) => {{ var m = {leaflet_map}, p = m.latLngToContainerPoint([lat, lng]);
        var box = m.getContainer().getBoundingClientRect(); return [p.x + box.left, p.y + box.top]; }}""", [lat, lon])


def toggle(page, overlay):
    """Click an overlay's name in the layer control (it is on the map after, or off)."""
    page.locator(".leaflet-control-layers").get_by_text(overlay, exact=True).click()


def drawn(page, overlay):
    """Wait until the overlay's tiles in view have all come and been drawn (Leaflet's isLoading)."""
    page.wait_for_function("(title) => { const layer = window.haikouMap.overlays[title];"
                           " return layer._map && !layer.isLoading(); }", arg=overlay)


def click_at(page, lon, lat):
    """A real mouse click where the planner's map shows (lon, lat)."""
    page.mouse.click(*on_screen(page, lon, lat))


def fixable_by_one_cell(engine):
    """A village whose largest grid can give one border cell to a neighbour that then stays
    below it: (village, grids, households, source, target, cell, the cell's households)."""
    for offset in range(30, 80):
        village = village_with_grids(engine, 4, offset=offset)
        grids = grids_of(engine, village)
        with engine.connect() as conn:
            households = dict(conn.execute(text("SELECT code, households FROM areas_now WHERE parent_code = :v "
                                                "AND level = 'grid'"), {"v": village}).all())
        source = max(households, key=households.get)
        if sorted(households.values())[-2] >= households[source]:
            continue   # not the one largest
        for target in sorted(c for c in grids if c != source and grids[c].intersection(grids[source]).length > 0):
            _, cell = border_cell(grids, target, source=source)
            with engine.connect() as conn:
                moved = conn.execute(text("SELECT households FROM h3_cells WHERE h3 = :c AND generation_high IS NULL"),
                                     {"c": cell}).scalar_one()
            if moved >= 1 and households[target] + moved <= households[source] - 1:
                return village, grids, households, source, target, cell, moved
    raise AssertionError("no village whose largest grid one cell can even out")


def test_the_planner_finds_fixes_submits_and_publishes_after_a_second_planner_approves(browser, live_server, client,
                                                                                        anonymous, engine, api_keys):
    """Grids out of their range are listed (most households first) and coloured; a cell painted
    over, the draft is submitted, approved by someone who did not make it, published after a
    confirmation, and a draft opened on the old generation is marked stale."""
    village, grids, households, source, target, cell, moved = fixable_by_one_cell(engine)
    after = {**households, source: households[source] - moved, target: households[target] + moved}
    # A range the largest grid (source) is over and that one painted cell brings every grid into.
    low, high = min(min(households.values()), min(after.values())), households[source] - 1
    outside = {source}
    planner = {"X-API-Key": api_keys["planner"]}
    plan = anonymous.post("/plans", json={"scope": village, "household_targets": {village: [low, high]}},
                          headers=planner).json()["id"]
    other = anonymous.post("/plans", json={"scope": village_with_grids(engine, 4, offset=31)}, headers=planner).json()["id"]
    page, requested, errors = open_page(browser, f"{live_server}/planner?plan={plan}&key={api_keys['planner']}")
    page.on("dialog", lambda dialog: dialog.accept())   # the confirmation before publishing
    with boundaries_restored(engine) as start:
        page.wait_for_function("() => window.plannerReady === true", timeout=20_000)
        listed = page.eval_on_selector_all("#out-of-range li", "items => items.map(li => li.dataset.code)")
        assert set(listed) == outside and listed[0] == max(outside, key=households.get)   # most households first
        page.click("#out-of-range li >> nth=0")
        page.wait_for_function(f"() => (window.plannerSelection || [])[0] === '{listed[0]}'")
        page.fill("#target-high", str(high - 1))   # the village's range, set on the page: narrower, then back
        page.click("#target-set")
        page.wait_for_function("() => document.getElementById('status').textContent.includes('target set')")
        assert client.get(f"/plans/{plan}").json()["household_targets"] == {village: [low, high - 1]}
        page.fill("#target-high", str(high))
        page.click("#target-set")
        page.wait_for_function(f"() => document.getElementById('target-high').value === '{high}' && "
                               "document.querySelectorAll('#out-of-range li').length === 1")

        inside = shapely.point_on_surface(grids[target])
        click_at(page, inside.x, inside.y)
        page.wait_for_function(f"() => (window.plannerSelection || [])[0] === '{target}'")
        page.click("#tool-paint")
        click_at(page, *centre(cell))
        assert page.inner_text("#paint-count") == "1"
        totals = {f"{target}: {households[target]} → {households[target] + moved} households",
                  f"{source}: {households[source]} → {households[source] - moved} households"}
        page.wait_for_function("(want) => want.every(w => document.getElementById('paint-totals').textContent"
                               ".includes(w))", arg=sorted(totals))
        assert page.locator(".leaflet-overlay-pane path").count() > 50   # the village's cells, shaded
        page.click("#apply-paint")
        page.wait_for_function("() => document.getElementById('status').textContent.includes('cells painted')")
        assert page.inner_text("#report-status") == "valid"
        assert "1 changed" not in page.inner_text("#diff") and "2 changed" in page.inner_text("#diff")
        grid_households = client.get(f"/plans/{plan}/areas", params={"level": "grid"}).json()["features"]
        after = {f["properties"]["code"]: f["properties"]["households"] for f in grid_households}
        assert after[target] == households[target] + moved and after[source] == households[source] - moved
        page.wait_for_function("() => window.outOfRange === 0")   # the listed grid is in range now, and none other out
        assert page.is_disabled("#publish")   # not before a second planner approves it

        page.fill("#review-note", "a border cell of the school goes to its neighbour")
        page.click("#submit-review")
        page.wait_for_function("() => document.getElementById('status').textContent.includes('submitted for review')")
        assert page.is_disabled("#tool-paint") and page.is_disabled("#submit-review")   # frozen while in review
        frozen = client.post(f"/plans/{plan}/edits", json={"op": "paint", "target": source,
                                                          "cells": [h3.int_to_str(cell)]})
        assert frozen.status_code == 409 and client.post(f"/plans/{plan}/undo").status_code == 409
        own = anonymous.post(f"/plans/{plan}/approve", headers=planner)
        assert own.status_code == 409 and own.json()["field"] == "actor"   # who made it does not approve it
        with Session(engine) as session, session.begin():   # a second planner, on a page of their own
            second, _ = keys.create(session, name="tests-second-planner", role="planner", expires_days=1)
        reviewer, _, reviewer_errors = open_page(browser, f"{live_server}/planner?plan={plan}&key={second}")
        reviewer.wait_for_function("() => window.plannerReady === true", timeout=20_000)
        assert "submitted" in reviewer.inner_text("#review-state") and reviewer.is_disabled("#tool-paint")
        reviewer.fill("#review-note", "checked the school's border cell")
        reviewer.click("#approve")
        reviewer.wait_for_function("() => document.getElementById('review-state').textContent.includes('approved')")
        assert not reviewer_errors, reviewer_errors
        reviewer.close()
        page.reload()
        page.wait_for_function("() => window.plannerReady === true", timeout=20_000)
        assert "approved" in page.inner_text("#review-state") and not page.is_disabled("#publish")
        assert [line.split(" · ")[1] for line in page.inner_text("#reviews").splitlines()] == ["submitted", "approved"]
        page.fill("#accept-warnings", "checked in the browser test")
        page.click("#publish")
        page.wait_for_function("() => window.publishedGeneration !== undefined", timeout=30_000)
        published = page.evaluate("window.publishedGeneration")
        assert published == current_generation(engine) > start
        page.wait_for_function("() => document.getElementById('plan-info').textContent.includes('published')")
        assert page.is_disabled("#publish") and f"generation {published}" in page.inner_text("#diff")
        lon, lat = centre(cell)
        located = client.get("/locate", params={"lon": lon, "lat": lat, "generation": published}).json()
        assert located["grid"]["code"] == target   # this process may see the new generation up to 1 s late
        hosts = {urlparse(url).netloc for url in requested if not url.startswith("data:")}
        assert hosts == {urlparse(live_server).netloc}, hosts
        assert not errors, errors
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "planner.png"))

        page.goto(f"{live_server}/planner")   # the drafts: the one on the old generation is stale
        page.wait_for_function("() => window.plannerReady === true", timeout=20_000)
        stale = page.locator(f"#drafts li[data-id='{other}']")
        assert "stale" in stale.get_attribute("class") and "stale" in stale.inner_text()


def test_a_viewer_given_the_review_link_sees_the_draft_read_only(browser, live_server, client, engine, api_keys):
    village = village_with_grids(engine, 4, offset=32)
    plan = client.post("/plans", json={"scope": village}).json()["id"]
    page, _, errors = open_page(browser, f"{live_server}/planner?plan={plan}&key={api_keys['viewer']}")
    page.wait_for_function("() => window.plannerReady === true", timeout=20_000)
    assert page.locator("path.leaflet-interactive").count() >= 4   # the draft's grids, on the map
    for part in ("#editing", "#reviewing", "#publishing"):
        assert not page.is_visible(part), part
    assert page.input_value("#review-link").endswith(f"/planner?plan={plan}") and "key" not in page.input_value("#review-link")
    page.click("#compare")   # beside the generation in force, as the API has it
    page.wait_for_selector("#comparison tr[data-measure='cut_edges']")
    rows = client.get(f"/plans/{plan}/compare").json()["rows"]
    shown = page.eval_on_selector_all("#comparison tr[data-measure]", "rows => rows.map(r => [r.dataset.measure, "
                                      "r.cells[1].textContent, r.cells[2].textContent])")
    assert [m for m, _, _ in shown] == [r["measure"] for r in rows]
    assert all(float(p) == r["plan"] and float(o) == r["other"] for (_, p, o), r in zip(shown, rows))
    assert "Reock" in page.inner_text("#comparison") and page.get_attribute("#compare-csv", "href").endswith("format=csv")
    page.click("#side-by-side")   # the generation in force on a second map that follows this one
    page.wait_for_function("() => window.plannerReady === true && window.planner2 !== undefined")
    page.wait_for_selector("#comparison tr[data-measure='cut_edges']")
    page.wait_for_function("() => !window.compareLayer.isLoading()")
    page.evaluate("() => window.planner.map.setView([20.03, 110.33], 15)")
    centre_of = "(m) => [m.getCenter().lat.toFixed(5), m.getCenter().lng.toFixed(5), m.getZoom()]"
    assert page.evaluate(f"() => ({centre_of})(window.planner2)") == page.evaluate(f"() => ({centre_of})(window.planner.map)")
    assert not errors, errors


def test_a_click_on_an_incident_point_opens_its_popup(browser, live_server, admin_key, engine):
    with engine.connect() as conn:
        lon, lat, category = conn.execute(text(
            "SELECT ST_X(position), ST_Y(position), category FROM incidents WHERE source = 'generated' "
            "AND is_open(status) ORDER BY id LIMIT 1")).one()
    page, _, errors = open_page(browser, f"{live_server}/map?key={admin_key}")
    page.wait_for_function("() => window.haikouMap !== undefined")
    page.evaluate("([lat, lng]) => window.haikouMap.map.setView([lat, lng], 18)", [lat, lon])
    page.wait_for_load_state("networkidle")
    toggle(page, "Incidents: open")
    drawn(page, "Incidents: open")
    page.mouse.click(*on_screen(page, lon, lat, "window.haikouMap.map"))
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=10_000).inner_text()
    assert i18n.label("category", category, "en") in popup and "category" in popup   # named, and labelled
    assert not errors, errors   # the old page threw in Leaflet and opened nothing
    chinese = browser.new_page(locale="zh-CN", viewport={"width": 1200, "height": 800})
    chinese.goto(f"{live_server}/map?key={admin_key}")
    chinese.wait_for_function("() => window.haikouMap !== undefined")
    chinese.evaluate("([lat, lng]) => window.haikouMap.map.setView([lat, lng], 18)", [lat, lon])
    toggle(chinese, "案件：在办")
    drawn(chinese, "案件：在办")
    chinese.mouse.click(*on_screen(chinese, lon, lat, "window.haikouMap.map"))
    popup = chinese.wait_for_selector(".leaflet-popup-content", timeout=10_000).inner_text()
    assert i18n.label("category", category, "zh-CN") in popup and "类别" in popup and "category" not in popup
    assert chinese.get_attribute(".leaflet-popup-close-button", "aria-label") == "关闭"   # Leaflet's own was English
    chinese.close()


def test_the_map_explains_itself_a_legend_for_what_is_shown_and_names_that_fit_the_zoom(browser, live_server,
                                                                                      admin_key, engine):
    """The legend lists the overlays on the map with their symbols (a ramp with its numbers,
    incidents by status); names are written district by district at low zoom, grid by grid
    close in; an area is clicked anywhere inside, not only on its line."""
    page, _, errors = open_page(browser, f"{live_server}/map?key={admin_key}")
    page.wait_for_function("() => window.labelsShown !== undefined")
    assert page.evaluate("window.labelsShown") == {"level": "district", "count": 4}
    assert set(page.locator(".area-label-district").all_inner_texts()) == {"秀英区", "龙华区", "琼山区", "美兰区"}
    legend = page.inner_text("#legend")
    assert "Districts" in legend and "Towns" in legend and "Grids" not in legend and "data as of" in legend
    toggle(page, "Incident heat (H3)")
    toggle(page, "Incidents: open")
    legend = page.inner_text("#legend")
    assert "incidents per H3 cell" in legend and "≥ 30" in legend
    assert "Mediating" in legend and "overdue (ringed)" in legend and "Agreement reached" not in legend
    with engine.connect() as conn:   # a grid's inside, far from its boundary
        code, lon, lat = conn.execute(text("""SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) p
            FROM areas_now WHERE level = 'town' ORDER BY area_m2 DESC LIMIT 1) t""")).one()
    page.evaluate("([lat, lng]) => window.haikouMap.map.setView([lat, lng], 15)", [lat, lon])
    page.wait_for_function("() => window.labelsShown.level === 'town'")   # grids' names only with their lines
    toggle(page, "Grids")
    page.wait_for_function("() => window.labelsShown.level === 'grid'")
    assert page.locator(".area-label-grid").count() == page.evaluate("window.labelsShown.count") > 0
    toggle(page, "Incident heat (H3)")   # off again, with the grids: the town's fill is on top
    toggle(page, "Incidents: open")
    toggle(page, "Grids")
    page.wait_for_load_state("networkidle")
    page.mouse.click(*on_screen(page, lon, lat, "window.haikouMap.map"))
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=10_000).inner_text()
    assert code in popup   # the town's popup, from a click in the middle of it
    assert not errors, errors
