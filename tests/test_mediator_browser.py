"""A mediator's day on /mediator at a phone's width in headless Chromium: my cases by
deadline, accept one, record the mediation to an agreement, hand another back; in Chinese
and in English, with whatever a case holds shown as text."""
from sqlalchemy import text

from geo.i18n import label
from test_mediator import dispatched_to, fresh_loads  # noqa: F401 (its fixture too: new cases removed)

PHONE = {"width": 390, "height": 844}
# The small map's second shape, the case's village outline, lies wholly within the map.
WHOLE_VILLAGE_SHOWN = """() => {
  const paths = document.querySelectorAll('#case-map path');
  if (paths.length < 2) return false;
  const outline = paths[1].getBoundingClientRect(), map = document.getElementById('case-map').getBoundingClientRect();
  return outline.left >= map.left - 1 && outline.right <= map.right + 1
      && outline.top >= map.top - 1 && outline.bottom <= map.bottom + 1;
}"""


def phone(browser, live_server, key, language="zh-CN"):
    context = browser.new_context(viewport=PHONE, locale=language, is_mobile=True, has_touch=True,
                                  extra_http_headers={"Accept-Language": language})
    page, errors = context.new_page(), []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server}/mediator?key={key}")
    page.wait_for_selector("#count:not(:empty)")
    assert key not in page.url   # the key became a session cookie
    return page, errors


def test_a_mediator_accepts_and_concludes_a_case_on_a_phone(browser, live_server, api_keys, client, mediator_id, engine):
    case = dispatched_to(client, mediator_id, description="两户因排水沟堵塞发生争执",
                         parties=[{"role": "applicant", "name": "符某", "phone": "13800000011"},
                                  {"role": "respondent", "name": "王某"}])
    other = dispatched_to(client, mediator_id, description="邻里噪音纠纷")
    page, errors = phone(browser, live_server, api_keys["mediator"])
    steps = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/transitions") and steps.append(r.post_data_json["to"]))
    assert page.title().startswith("我的案件") and "在办案件" in page.inner_text("#count")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]   # no sideways scrolling
    assert f"案件 {case['id']}" in page.inner_text(f"#cases button[data-id='{case['id']}']")   # two alike cases told apart
    page.click(f"#cases button[data-id='{case['id']}']")
    page.wait_for_selector("#case:not([hidden])")
    assert "两户因排水沟堵塞发生争执" in page.inner_text("#c-facts")
    calls = page.eval_on_selector_all("#c-facts a[href^='tel:']", "links => links.map(a => a.getAttribute('href'))")
    assert calls == ["tel:" + case["reporter_phone"], "tel:13800000011"]   # the reporter, then the applicant
    facts = page.inner_text("#c-facts")
    assert "申请人" in facts and "符某" in facts and "被申请人" in facts and "王某" in facts
    page.wait_for_selector("#case-map path.leaflet-interactive")   # the case's point on the small map
    page.wait_for_function(WHOLE_VILLAGE_SHOWN)

    page.click("#accept")
    accepted = label("status", "accepted", "zh-CN")
    page.wait_for_function(f"() => document.getElementById('c-facts').textContent.includes({accepted!r})")
    for to in ("mediating", "agreement"):
        form = f"#c-actions form[data-to='{to}']"
        page.wait_for_selector(form)
        if to == "agreement":
            page.select_option(f"{form} select[name=agreement_form]", "oral")
        page.fill(f"{form} input[name=note]", "双方同意清理水沟并分担费用")
        if to == "mediating":   # Enter twice, as an impatient thumb does: the step is sent once
            page.press(f"{form} input[name=note]", "Enter")
            page.keyboard.press("Enter")
        else:
            page.click(f"{form} button")
        page.wait_for_function(f"() => document.getElementById('c-facts').textContent.includes({label('status', to, 'zh-CN')!r})")
    assert "双方同意清理水沟" in page.inner_text("#c-events")
    assert steps == ["accepted", "mediating", "agreement"], steps

    # Another case: handed back with a reason; it leaves my list and waits for the dispatchers.
    page.click("#back")
    page.click(f"#cases button[data-id='{other['id']}']")
    page.wait_for_selector("#decline")
    page.fill("#decline input[name=reason]", "与一方当事人系亲属，申请回避")
    page.click("#decline button")
    page.wait_for_function("() => document.getElementById('message').textContent.includes('已退回')")
    page.wait_for_selector("#list:not([hidden])")
    page.wait_for_selector(f"#cases button[data-id='{other['id']}']", state="detached")   # the list, drawn again
    assert page.locator(f"#cases button[data-id='{other['id']}']").count() == 0
    with engine.connect() as conn:
        status, form, waiting = conn.execute(text(
            "SELECT a.status, a.agreement_form, b.mediator_id FROM incidents a, incidents b WHERE a.id = :a AND b.id = :b"),
            {"a": case["id"], "b": other["id"]}).one()
    assert (status, form, waiting) == ("agreement", "oral", None)
    assert not errors, errors


def test_the_mediator_page_reads_english_and_shows_a_case_as_text(browser, live_server, api_keys, client, mediator_id, engine):
    case = dispatched_to(client, mediator_id)
    hostile = '<img src=x onerror="window.pwned=1">the "east" wall & the gate'
    with engine.begin() as conn:   # as if it had got in by another way: the page still shows it as text
        conn.execute(text("UPDATE incidents SET description = :d WHERE id = :id"), {"d": hostile, "id": case["id"]})
    page, errors = phone(browser, live_server, api_keys["mediator"], language="en")
    assert page.title().startswith("My cases") and "cases still running" in page.inner_text("#count")
    page.click(f"#cases button[data-id='{case['id']}']")
    page.wait_for_selector("#case:not([hidden])")
    assert hostile in page.inner_text("#c-facts") and page.locator("#c-facts img").count() == 0
    assert page.evaluate("() => window.pwned") is None
    assert page.inner_text("#accept") == "Accept the case" and "Hand back" in page.inner_text("#c-actions")
    assert not errors, errors
