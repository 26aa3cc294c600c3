"""Every page, in both languages, in headless Chromium: the page says which language it is in,
a Chinese page shows no English word but the fixed ones (codes, formats, units), an English
page no Chinese but the data's names, no character is drawn as a box, and a screenshot of
each is kept under build/test-artefacts/pages/ for a person to look at."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from geo.reports.monthly import last_month
from page_text import HAN, english_words, without

ARTEFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artefacts" / "pages"
LANGUAGES = {"zh-CN": "zh-CN", "en": "en-GB"}   # the page's language -> the browser's locale asking for it
MONTH = last_month()   # the generated incidents end at the time of loading

# Each page: its path (with the key of the role that opens it), and what shows it is drawn.
PAGES = {
    "map": ("/map?key={admin}", "() => window.lastDashboard === '460100' && window.labelsShown !== undefined"),
    "planner": ("/planner?key={planner}", "() => window.plannerReady === true"),
    "planner-draft": ("/planner?plan={plan}&key={planner}", "() => window.plannerReady === true"),
    "dispatch": ("/dispatch?key={dispatcher}", "() => document.querySelectorAll('#cases li').length > 0"),
    "mediator": ("/mediator?key={mediator}", "() => document.getElementById('count').textContent.length > 0"),
    "field": ("/field?key={grid_worker}", "() => document.getElementById('network').textContent.length > 0"),
    "embed-overview": ("/embed/overview?key={embed}", "() => window.labelsShown !== undefined"),
    "embed-area": ("/embed/area?code={town}&key={embed}", "() => window.lastSearch && window.labelsShown"),
    "embed-heat": ("/embed/heat?key={embed}", "() => window.labelsShown !== undefined"),
    "embed-snippet": ("/embed/overview/snippet?key={embed}", "() => document.getElementById('snippet') !== null"),
    "report": ("/reports/monthly?area={town}&month=" + MONTH + "&format=html&key={viewer}",
               "() => document.querySelectorAll('svg').length === 3"),
    "not-found": ("/embed/area?code=460106398&key={embed}", "() => document.body.innerText.length > 0"),
    "bad-code": ("/embed/area?code=460106999&key={embed}", "() => document.body.innerText.length > 0"),
}

# What a reader reads on a page: its text and its elements' titles, placeholders and labels,
# without code samples (a snippet, a command), which are the same in every language.
_READ = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('code, pre, script, style').forEach(e => e.remove());
  const said = [...document.querySelectorAll('[title], [placeholder], [aria-label], [alt]')]
    .flatMap(e => ['title', 'placeholder', 'aria-label', 'alt'].map(a => e.getAttribute(a) || ''));
  document.body.appendChild(copy); copy.style.display = 'block';
  const shown = copy.innerText; copy.remove();
  return [document.title, shown, ...said].join('\\n');
}"""

# The characters of ``chars`` drawn as the font's "missing glyph" box: each is drawn on a
# canvas in the page's font and compared with a code point no font has.
_BOXES = """(chars) => {
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 48;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  g.font = '32px ' + getComputedStyle(document.body).fontFamily;
  const drawn = (c) => { g.clearRect(0, 0, 48, 48); g.fillText(c, 4, 38); return g.getImageData(0, 0, 48, 48).data.join(); };
  const box = drawn('\\u{10FFFD}');
  return chars.filter(c => drawn(c) === box);
}"""


@pytest.fixture(scope="module")
def places(engine, client, api_keys):
    """The keys and places the pages open, a draft plan, and every name the data holds."""
    with engine.connect() as conn:
        town = conn.execute(text("SELECT code FROM areas_now WHERE level = 'town' ORDER BY code LIMIT 1")).scalar_one()
        names = set(conn.execute(text("SELECT name FROM areas_now UNION SELECT name FROM organisations "
                                      "UNION SELECT name FROM mediators")).scalars())
    plan = client.post("/plans", json={"scope": town}).json()["id"]
    yield {**api_keys, "town": town, "plan": plan}, names
    client.delete(f"/plans/{plan}")   # the draft is discarded


def test_the_box_check_finds_a_character_no_font_has(browser, live_server):
    """The check below can fail: a code point outside every font is reported as a box."""
    page = browser.new_page()
    page.goto(f"{live_server}/openapi.json")
    assert page.evaluate(_BOXES, ["\U0010FFFC", "A"]) == ["\U0010FFFC"]
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_every_page_speaks_its_language_and_draws_every_character(browser, live_server, places, name, language):
    values, names = places
    path, drawn = PAGES[name]
    page = browser.new_page(locale=LANGUAGES[language], viewport={"width": 1280, "height": 860})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server + path.format(**values))
    page.wait_for_function(drawn, timeout=30_000)
    page.wait_for_load_state("networkidle")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}-{language}.png"), full_page=name in ("report", "embed-snippet"))
    read = page.evaluate(_READ)
    assert page.locator("html").get_attribute("lang") == language
    if language == "zh-CN":
        assert english_words(read) == set(), (name, sorted(english_words(read)))
    else:
        assert HAN.findall(without(read, names)) == [], (name, HAN.findall(without(read, names))[:30])
    if name in ("embed-overview", "embed-area", "embed-heat"):   # a title, a legend, the data's date
        assert page.locator("#map-title").is_visible() and page.locator("#legend").is_visible()
        assert ("数据截至" if language == "zh-CN" else "data as of") in page.inner_text("#legend")
    characters = sorted({c for c in read if not c.isspace()})
    assert page.evaluate(_BOXES, characters) == [], name
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_say_their_language_and_draw_every_character(browser, live_server, path, language):
    """Swagger UI's and ReDoc's own buttons stay English (neither has translations); the
    service's words in them (title, the access and embedding guide) are bilingual, and drawn."""
    page = browser.new_page(locale=LANGUAGES[language], viewport={"width": 1280, "height": 860})
    page.goto(live_server + path)
    page.wait_for_function("() => document.body.innerText.includes('在门户中嵌入地图')", timeout=30_000)
    assert page.locator("html").get_attribute("lang") == language
    assert page.title() == ("海口市网格化服务管理 API" if language == "zh-CN" else "Haikou grid management API")
    read = page.evaluate(_READ)
    assert page.evaluate(_BOXES, sorted({c for c in read if not c.isspace()})[:2000]) == []
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"api{path.replace('/', '-')}-{language}.png"))
    page.close()
