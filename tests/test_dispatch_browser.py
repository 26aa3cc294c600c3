"""A dispatcher's morning on /dispatch in headless Chromium (Debian's), driven by Playwright:
register a case by clicking the map, see it arrive live in a second dispatcher's browser,
dispatch the proposed mediator from the keyboard, take the case through its lifecycle to
archived, then find an overdue case of a town and reassign it. In Chinese, as a Haikou
dispatcher reads it; and the same page in English."""
import re
import time

from sqlalchemy import text

from geo.i18n import label

# A 1x1 PNG: what a phone's photo of the place stands for here.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63385161"
                    "03000388017dec2bb09e0000000049454e44ae426082")


def workbench(browser, live_server, key, language="zh-CN"):
    """The workbench in a browser of its own (its own session cookie), and the page's errors."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=language,
                                  extra_http_headers={"Accept-Language": language})
    page, errors = context.new_page(), []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda r: r.status >= 400 and errors.append(f"{r.request.method} {r.url} {r.status}"))
    page.goto(f"{live_server}/dispatch?key={key}")
    page.wait_for_selector("#groups button")
    assert key not in page.url   # the key became a session cookie
    return page, errors


def test_a_dispatchers_morning(browser, live_server, api_keys, engine, tmp_path):
    key = api_keys["dispatcher"]
    mine, errors = workbench(browser, live_server, key)
    other, other_errors = workbench(browser, live_server, key)
    assert mine.title() == "调度工作台" and "已超期" in mine.inner_text("#groups")
    other.wait_for_function("() => document.getElementById('live').textContent === '实时'")

    # Register: n opens the form; a place search takes the map to the village, a click gives the point.
    with engine.connect() as conn:
        village = conn.execute(text("""SELECT name FROM areas_now v WHERE level = 'village'
            AND ST_Contains(geom, ST_Centroid(ST_Envelope(geom)))   -- the middle of its box, where the map centres
            AND (SELECT count(*) FROM areas_now o WHERE o.level <> 'grid' AND o.name LIKE '%' || v.name || '%') = 1
            ORDER BY ST_Area(geom) DESC LIMIT 1""")).scalar_one()
    mine.keyboard.press("n")
    assert mine.is_visible("#register")
    mine.fill("#r-place", village)
    mine.press("#r-place", "Enter")
    mine.click(f"#r-places button:has-text('{village}')")
    mine.wait_for_function("() => document.getElementById('message').textContent.includes('请在地图上点击确切位置')")
    box = mine.locator("#map").bounding_box()
    mine.wait_for_timeout(400)   # the map's move to the village
    mine.click("#map", position={"x": box["width"] / 2, "y": box["height"] / 2})
    assert mine.input_value("#r-lon") and mine.input_value("#r-lat")
    mine.select_option("#r-category", "neighbourhood")
    mine.select_option("#r-severity", "minor")
    mine.fill("#r-description", "两户因围墙界线发生争执")
    mine.fill("#r-reporter", "王某")
    mine.fill("#r-phone", "13800000001")
    mine.fill("#r-applicant", "王某")
    mine.fill("#r-applicant-phone", "13800000001")
    mine.fill("#r-respondent", "陈某某")
    mine.select_option("#r-source", "hotline")   # a 12345 call: the ticket number is asked for first
    mine.click("#r-submit")
    mine.wait_for_function("() => document.getElementById('message').textContent.includes('须填写工单号')")
    assert mine.evaluate("document.activeElement.id") == "r-source-ref"
    mine.fill("#r-source-ref", "<b>12345</b>")   # the service refuses it: said by the form's label, the cursor there
    mine.click("#r-submit")
    mine.wait_for_function("() => document.getElementById('message').textContent.startsWith('来源编号')")
    assert "source_ref" not in mine.inner_text("#message")
    assert mine.evaluate("document.activeElement.id") == "r-source-ref"
    del errors[:]   # the refusal itself: its 422 and the browser's note of it
    mine.fill("#r-source-ref", "12345-20261204-00318")
    mine.click("#r-submit")
    mine.wait_for_function("() => /已登记为案件 \\d+/.test(document.getElementById('message').textContent)")
    case_id = int(re.search(r"案件 (\d+)", mine.inner_text("#message"))[1])

    # Live: the other workbench hears of it and counts it, without reloading (how soon, under load,
    # is measured by scripts/bench/events_fanout.py, not here).
    other.wait_for_function(f"() => document.getElementById('live').textContent.includes('案件 {case_id}')",
                            timeout=15_000)
    other.click("#groups button[data-group='unassigned']")
    other.wait_for_selector(f"#cases li[data-id='{case_id}']")

    # The card: names, the parties, the rule, the proposed mediators; d dispatches the first.
    mine.wait_for_selector("#c-proposed li button")
    parties = "申请人 王某 13800000001；被申请人 陈某某"
    mine.wait_for_function(f"() => document.getElementById('c-facts').textContent.includes({parties!r})")
    assert "12345热线 · 12345-20261204-00318" in mine.inner_text("#c-facts")
    photo = tmp_path / "围墙现场.png"   # a photo of the place, kept with the case
    photo.write_bytes(PNG)
    mine.set_input_files("#c-file", str(photo))
    mine.click("#c-upload-send")
    mine.wait_for_selector("#c-files a:has-text('围墙现场.png')")
    assert "已存入案件" in mine.inner_text("#message")
    with engine.connect() as conn:
        placed = conn.execute(text("SELECT a.name FROM incidents i JOIN areas_now a ON a.code = i.village_code "
                                   "WHERE i.id = :id"), {"id": case_id}).scalar_one()
    assert placed == village   # the click after the search fell in the village searched for
    assert "龙华区" in mine.inner_text("#c-facts") or "美兰区" in mine.inner_text("#c-facts") \
        or "琼山区" in mine.inner_text("#c-facts") or "秀英区" in mine.inner_text("#c-facts")
    assert mine.inner_text("#c-rule")
    proposed = mine.inner_text("#c-proposed li:first-child").split(" — ")[0].split(" · ")[0]
    mine.click("#c-title")   # out of any field
    mine.keyboard.press("d")
    mine.wait_for_function(f"() => document.getElementById('c-facts').textContent.includes({proposed!r})")

    # The lifecycle, each step with the law's fields, to archived.
    for to in ("accepted", "mediating", "agreement", "follow_up", "archived"):
        form = f"#c-actions form[data-to='{to}']"
        mine.wait_for_selector(form)
        if to == "agreement":
            mine.select_option(f"{form} select[name=agreement_form]", "written")
        mine.fill(f"{form} input[name=note]", f"第{to}步")
        mine.click(f"{form} button")
        mine.wait_for_function(f"() => document.getElementById('c-facts').textContent.includes({label('status', to, 'zh-CN')!r})")
    assert "归档" in mine.inner_text("#c-events") or label("status", "archived", "zh-CN") in mine.inner_text("#c-events")
    for _ in range(50):   # the page may draw the answer a moment before the commit is visible here
        with engine.connect() as conn:
            status = conn.execute(text("SELECT status FROM incidents WHERE id = :id"), {"id": case_id}).scalar_one()
        if status == "archived":
            break
        time.sleep(0.1)
    assert status == "archived"
    with engine.connect() as conn:
        town, name, overdue_id = conn.execute(text("""
            SELECT a.code, a.name, min(i.id) FROM incidents i JOIN areas_now a ON a.code = i.town_code
             WHERE i.stage_due_at < now() AND i.mediator_id IS NOT NULL AND i.category <> 'public_safety'
             GROUP BY a.code, a.name ORDER BY count(*) DESC LIMIT 1""")).one()

    # An overdue case of a town, found by the town's name, reassigned with a reason.
    mine.fill("#f-area", name)
    mine.click("#filters button")
    mine.wait_for_function(f"() => document.getElementById('filter-status').textContent.includes({town!r})")
    mine.click("#groups button[data-group='overdue']")
    mine.wait_for_selector("#cases li")
    mine.click(f"#cases li[data-id='{overdue_id}']")
    mine.wait_for_function(f"() => document.getElementById('c-title').textContent.includes('案件 {overdue_id}')")
    mine.wait_for_selector("#c-proposed li button")
    mine.on("dialog", lambda dialog: dialog.accept("原调解员超期未办结，改派"))
    before = mine.inner_text("#c-events").count("改派")   # an earlier run on this database may have reassigned it
    mine.locator("#c-proposed li button").last.click()   # not the mediator handling it: that one has no button
    mine.wait_for_function(f"() => document.getElementById('c-events').textContent.split('改派').length - 1 > {before}")
    # The new mediator's cases of that status, by the number the card shows.
    mediator = int(re.search(r"#(\d+)", mine.inner_text("#c-facts"))[1])
    for _ in range(50):   # the page may draw the answer a moment before the commit is visible here
        with engine.connect() as conn:
            now, status = conn.execute(text("SELECT mediator_id, status FROM incidents WHERE id = :id"),
                                       {"id": overdue_id}).one()
        if now == mediator:
            break
        time.sleep(0.1)
    assert now == mediator
    with engine.connect() as conn:
        assert conn.execute(text("SELECT note FROM incident_events WHERE incident_id = :id AND action = 'reassign' "
                                 "ORDER BY id DESC LIMIT 1"), {"id": overdue_id}).scalar_one() is not None
    mine.fill("#f-area", "")
    mine.fill("#f-mediator", str(mediator))
    mine.select_option("#f-status", status)
    with mine.expect_response(lambda r: "/incidents/groups" in r.url and f"mediator_id={mediator}" in r.url) as counted:
        mine.click("#filters button")
    with engine.connect() as conn:
        theirs = conn.execute(text("SELECT id FROM incidents WHERE mediator_id = :m AND status = :s"),
                              {"m": mediator, "s": status}).scalars().all()
    assert counted.value.json()["total"] == len(theirs) >= 1 and overdue_id in theirs
    mine.wait_for_function("(theirs) => [...document.querySelectorAll('#cases li')].every("
                           "li => theirs.includes(Number(li.dataset.id)))", arg=theirs)
    assert not errors and not other_errors, (errors + other_errors, mine.inner_text("#message"))


def test_the_workbench_reads_english_on_request_and_keeps_markup_as_text(browser, live_server, api_keys, engine):
    page, errors = workbench(browser, live_server, api_keys["dispatcher"], language="en")
    assert page.title() == "Dispatch workbench" and "overdue" in page.inner_text("#groups")
    page.keyboard.press("n")
    assert page.is_visible("#register") and "Register a case" in page.inner_text("#register")
    # Markup in a description is refused, naming the field, in the page's language; quotes and
    # ampersands are plain text and shown as written.
    page.click("#map", position={"x": 420, "y": 450})
    page.fill("#r-description", '<img src=x onerror="window.pwned=1">')
    page.click("#r-submit")
    page.wait_for_function("() => document.getElementById('message').textContent.startsWith('description:')")
    assert "markup" in page.inner_text("#message")
    page.fill("#r-description", 'the "east" wall & the gate')
    page.click("#r-submit")
    page.wait_for_selector("#card:not([hidden])")
    page.wait_for_function("""() => document.getElementById('c-facts').textContent.includes('the "east" wall & the gate')""")
    assert page.evaluate("() => window.pwned") is None and page.locator("#c-facts img").count() == 0
    assert [e for e in errors if "422" not in e] == [], errors   # the refusal itself is logged


def test_a_viewer_reads_the_queue_and_cards_without_the_steps(browser, live_server, api_keys):
    page, errors = workbench(browser, live_server, api_keys["viewer"])
    page.click("#groups button[data-group='in_mediation']")   # a group of more than 200: drawn 200 at a time
    page.wait_for_function("() => document.querySelectorAll('#cases li').length === 200")
    total = int(re.search(r"共 (\d+) 件", page.inner_text("#shown"))[1])
    page.click("#more")
    page.wait_for_function(f"() => document.querySelectorAll('#cases li').length === {min(total, 400)}")
    assert page.locator("#new-case").count() == 0
    page.wait_for_selector("#cases li")
    page.click("#cases li:first-child")
    page.wait_for_selector("#c-proposed li")
    assert page.locator("#c-actions form").count() == 0 and page.locator("#c-proposed button").count() == 0
    page.keyboard.press("n")
    assert not page.is_visible("#register")
    outlines = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)"
                             ".filter(n => n.includes('/tiles/towns,villages/'))")
    assert outlines and all(u.startswith(live_server) for u in outlines)   # from our own tiles, none refused
    assert not errors, errors
