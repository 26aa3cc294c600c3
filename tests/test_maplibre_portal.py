"""Another portal draws our MapLibre style, as a portal developer would: MapLibre GL JS from our
/vendor, the embed key in a header, every request to this service or the portal itself, and
the areas' names written in glyphs served here (Chinese in the browser's CJK font)."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy.orm import Session

from conftest import CHROMIUM
from geo.auth import keys

ARTEFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artefacts"
PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="stylesheet" href="{service}/vendor/maplibre-gl/maplibre-gl.css">
<script src="{service}/vendor/maplibre-gl/maplibre-gl.js"></script></head>
<body style="margin:0"><div id="map" style="width:900px;height:640px"></div><script>
const service = {service_json}, key = {key_json};
window.portalMap = new maplibregl.Map({{container: "map", style: service + "/styles/overview.json",
  center: [110.33, 20.02], zoom: 10,
  transformRequest: url => url.startsWith(service) ? {{url, headers: {{"X-API-Key": key}}}} : {{url}}}});
window.firstIdle = new Promise(settled => portalMap.once("idle", settled));
</script></body></html>"""


@pytest.fixture(scope="module")
def webgl_browser():
    """Headless Chromium with WebGL in software (SwiftShader): MapLibre needs it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless=new", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
            "--disable-background-networking", "--disable-component-update", "--no-first-run"])
        yield chromium
        chromium.close()


def placed_names(page, layer: str, change: str = "") -> list[str]:
    """The names MapLibre placed on screen for a label layer once the map has settled after
    `change` (JavaScript run on `portalMap`, or the first load)."""
    return page.evaluate("""([layer, change]) => new Promise(done => {
        const names = () => done(portalMap.queryRenderedFeatures({layers: [layer]}).map(f => f.properties.name));
        if (!change) return firstIdle.then(names);
        portalMap.once("idle", names);
        new Function("portalMap", change)(portalMap);
    })""", [layer, change])


@pytest.fixture(scope="module")
def portal(engine, live_server):
    """(origin, key): a portal's own web server on another loopback port (another origin, on the
    service's network, as Chromium wants for a page calling a private address), serving its map
    page, and the embed key an administrator made for it."""
    page = {}

    class Portal(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    origin = f"http://localhost:{server.server_port}"
    with Session(engine) as session, session.begin():
        key, _ = keys.create(session, name="tests-maplibre-portal", role="embed", origins=[origin])
    page["html"] = PAGE.format(service=live_server, service_json=json.dumps(live_server), key_json=json.dumps(key))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield origin
    server.shutdown()


def test_a_portal_draws_the_overview_style_with_names_and_nothing_from_another_host(webgl_browser, live_server, portal):
    page = webgl_browser.new_page(viewport={"width": 900, "height": 640})
    requested, failed, errors = [], [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append((response.status, response.url)))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(portal + "/map.html")
    districts = placed_names(page, "district-label")
    assert len(districts) >= 3 and all("区" in name for name in districts), districts   # 秀英区, 龙华区 ...
    villages = placed_names(page, "village-label", "portalMap.jumpTo({center: [110.33, 20.03], zoom: 13.5})")
    assert len(villages) >= 5, villages
    own = placed_names(page, "portal-label", """portalMap.addSource("portal", {type: "geojson", data: {
        type: "Feature", properties: {name: "12345 热线 Hotline"}, geometry: {type: "Point", coordinates: [110.33, 20.03]}}});
        portalMap.addLayer({id: "portal-label", type: "symbol", source: "portal", layout: {
            "text-field": ["get", "name"], "text-font": ["Noto Sans Regular"], "text-allow-overlap": true}})""")
    assert own == ["12345 热线 Hotline"], own   # the portal's own Latin and digits, in our glyphs
    fonts = [url for url in requested if "/fonts/" in url]
    assert fonts and all(urlparse(url).path.startswith("/fonts/Noto%20Sans%20Regular/") for url in fonts), fonts
    hosts = {urlparse(url).netloc for url in requested if urlparse(url).scheme != "blob"}   # MapLibre's workers
    assert hosts == {urlparse(live_server).netloc, urlparse(portal).netloc}, hosts
    assert not failed and not errors, (failed, errors)
    assert not any("key=" in url for url in requested)   # the key travels in a header only
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "maplibre-portal.png"))   # kept for a person to look at
    page.close()
