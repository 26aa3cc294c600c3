"""Bounded work for any reader: a report's data never reaches its CSS or makes the PDF renderer
fetch; reports are kept by data version and drawn a few at a time; a past generation's locate
index is built once however many ask, and never holds up the current one."""
from __future__ import annotations

import io
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pypdf
import pytest
from conftest import serving
from PIL import Image
from planning_helpers import current_generation
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import stamp
from geo.planning.publish import restore
from geo.reports import render
from geo.reports.monthly import last_month, report

MONTH = last_month()   # the generated incidents end at the time of loading
BLUE = b"\x00\x00\xff"   # the secret image's pixels
POINT = {"lon": 110.33, "lat": 20.03}


@pytest.fixture
def listener():
    """A loopback HTTP server that records every path asked for (and answers with a tiny PNG)."""
    hits: list[str] = []
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")

    class Record(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png.getvalue())

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Record)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], hits
    server.shutdown()


def _images(pdf: bytes) -> set[bytes]:
    """The distinct images a PDF embeds, also inside patterns and forms (a background is a pattern)."""
    found, seen = set(), set()

    def walk(obj):
        obj = obj.get_object() if isinstance(obj, pypdf.generic.IndirectObject) else obj
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, pypdf.generic.StreamObject) and obj.get("/Subtype") == "/Image":
            found.add(obj.get_data())
        elif isinstance(obj, dict):
            for key, value in obj.items():
                if key != "/Parent":
                    walk(value)
        elif isinstance(obj, list):
            for value in obj:
                walk(value)

    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        walk(page["/Resources"])
    return found


def _renamed(engine, town_name: str | None = None, village_name: str | None = None) -> tuple[str, bytes, bytes]:
    """(page, PDF) of a small town's report with the town and/or one of its villages renamed, and
    the clean PDF; the names are rolled back."""
    with Session(engine) as session, session.begin():
        town, village = session.execute(text("""
            SELECT t.code, min(v.code) FROM areas t JOIN areas v ON v.parent_code = t.code AND v.generation_high IS NULL
             WHERE t.level = 'town' AND t.generation_high IS NULL GROUP BY t.code ORDER BY count(*), t.code LIMIT 1""")).one()
        clean = render.pdf(render.html(session, report(session, town, MONTH)))
        for code, name in ((town, town_name), (village, village_name)):
            if name is not None:
                session.execute(text("UPDATE areas SET name = :n WHERE code = :c AND generation_high IS NULL"),
                                {"n": name, "c": code})
        page = render.html(session, report(session, town, MONTH))
        pdf = render.pdf(page)
        session.rollback()
    return page, pdf, clean


@pytest.fixture
def secret(tmp_path):
    """A local image the PDF must never embed."""
    path = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), tuple(BLUE)).save(path)
    return path.as_uri()


def test_a_town_name_cannot_leave_the_footer_css_nor_make_the_pdf_fetch(engine, listener, secret):
    """A town named so as to close the footer's CSS string (a newline ends a CSS string whatever
    the HTML escaping), fetch a URL and embed a local image: the page's style sheets hold no
    name, the PDF fetches nothing and embeds only the clean report's images (the colour bar)."""
    port, hits = listener
    name = (f'x"\n;}}}} @page{{background:url(http://127.0.0.1:{port}/leak)}} '
            f'body{{background:url({secret})}} x{{content:"')
    page, pdf, clean = _renamed(engine, town_name=name)
    styles = "".join(re.findall(r"<style[^>]*>(.*?)</style>", page, flags=re.DOTALL))
    assert "leak" not in styles and "secret" not in styles and "background:url" not in styles
    assert hits == []
    assert _images(pdf) == _images(clean)
    footer = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"{MONTH} · 1 / " in footer   # the footer still names the month, from the page's own text


def test_a_village_name_on_the_map_stays_text(engine, listener, secret):
    """A village named as markup that would leave the map's SVG, and as mathtext: the map labels
    it as plain text, escaped; nothing is fetched or embedded."""
    port, hits = listener
    name = f'</text></svg><img src="http://127.0.0.1:{port}/leak"><img src="{secret}"> $\\foo$ -->'
    page, pdf, clean = _renamed(engine, village_name=name)
    assert "<img" not in page and page.count("<svg") == 3 and "$\\foo$" in page
    # As many images as the clean report, none of them the secret (the map's raster itself may
    # shift by a pixel with the label's text: weasyprint lays it out again).
    images = _images(pdf)
    assert hits == [] and len(images) == len(_images(clean))
    assert not any(BLUE * 64 in image for image in images)


def stamp_of(engine) -> tuple:
    with Session(engine) as session:
        return stamp(session)


def test_parallel_pdf_requests_draw_once_and_the_rest_wait_or_hit(engine, admin_key):
    """Four simultaneous PDF requests with one render slot: one draws, the others get 503 with
    Retry-After (or the kept report), none fails; the same request afterwards is kept."""
    with Session(engine) as session:
        town = session.scalar(text("SELECT min(code) FROM areas WHERE level = 'town' AND generation_high IS NULL"))
    params = {"area": town, "month": MONTH, "format": "pdf"}
    with serving({**os.environ, "GRID_REPORT_RENDERS": "1"}) as base:
        def ask(_):
            return httpx.get(f"{base}/reports/monthly", params=params, headers={"X-API-Key": admin_key}, timeout=120)

        with ThreadPoolExecutor(4) as pool:
            burst = list(pool.map(ask, range(4)))
        drawn = [r for r in burst if r.status_code == 200 and r.headers["x-report-cache"] == "miss"]
        busy = [r for r in burst if r.status_code == 503]
        kept = [r for r in burst if r.status_code == 200 and r.headers["x-report-cache"] == "hit"]
        assert len(drawn) == 1 and len(drawn) + len(busy) + len(kept) == 4, [r.status_code for r in burst]
        for r in busy:
            assert r.headers["content-type"] == "application/problem+json" and int(r.headers["retry-after"]) >= 1
        for _ in range(5):   # another writer may move the data version meanwhile, which rightly redraws
            version, started = stamp_of(engine), time.perf_counter()
            again = ask(0)
            seconds = time.perf_counter() - started
            if stamp_of(engine) == version:
                break
        assert again.status_code == 200 and again.headers["x-report-cache"] == "hit" and seconds < 2
        assert again.content.startswith(b"%PDF")


@pytest.fixture(scope="module")
def generations(engine, client):
    """Three generations (the start and two restored copies of it, the last current); restored
    to the start's boundaries afterwards. The app hears these commits of its process at once."""
    start = current_generation(engine)
    made = [start]
    for _ in range(2):
        with Session(engine) as session, session.begin():
            made.append(restore(session, start, actor="tests")["generation"])
    yield made
    with Session(engine) as session, session.begin():
        restore(session, start, actor="tests")


def test_a_past_index_is_built_once_and_never_holds_up_the_current_one(client, generations):
    """Four requests at once for a past generation share one build; meanwhile the current
    generation answers at once, and another past generation gets 503 at once (no queue)."""
    past, other, current = generations
    assert client.get("/locate", params=POINT).json()["generation"] == current   # the current index, built
    indexes = client.app.state.services.indexes
    indexes.past.clear()
    builds = indexes.past_builds
    with ThreadPoolExecutor(5) as pool:
        answers = [pool.submit(client.get, "/locate", params={**POINT, "generation": past}) for _ in range(4)]
        deadline = time.monotonic() + 30
        while indexes.building is None:
            assert time.monotonic() < deadline and not any(a.done() for a in answers), "no build started"
            time.sleep(0.02)
        started = time.perf_counter()
        now = client.get("/locate", params=POINT)
        current_seconds = time.perf_counter() - started
        started = time.perf_counter()
        refused = client.get("/locate", params={**POINT, "generation": other})
        refused_seconds = time.perf_counter() - started
        assert indexes.building == past, "the build ended before the checks: make it slower or them faster"
        answers = [a.result() for a in answers]
    assert [a.json()["generation"] for a in answers] == [past] * 4
    assert indexes.past_builds == builds + 1
    assert now.status_code == 200 and now.json()["generation"] == current and current_seconds < 1.0
    assert refused.status_code == 503 and refused.json()["field"] == "generation" and refused_seconds < 1.0
    assert int(refused.headers["retry-after"]) > 0
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.get("/locate", params={**POINT, "generation": other}).json()["generation"] == other
    assert client.get("/locate", params={**POINT, "generation": past}).json()["generation"] == past
    assert indexes.past_builds == builds + 2
    assert indexes.past.size_bytes <= indexes.past.max_bytes
