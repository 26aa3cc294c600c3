"""Monthly joint-meeting reports: figures that add up, a month in Haikou time, HTML, PDF
with Chinese text in a CJK font, zipped CSV, the CLI."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta

import pypdf
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.reports import charts
from geo.codes import HAIKOU_TIME
from geo.reports.monthly import last_month, month_bounds, report
from page_text import HAN, english_words, visible_text, without
from warning_helpers import plant, quiet_place, remove_planted

MONTH = last_month()   # the generated incidents end at the time of loading


@pytest.fixture(scope="module")
def town(engine) -> str:
    with Session(engine) as session:
        return session.scalar(text("""SELECT town_code FROM incidents WHERE registered_at >= :start
                                        GROUP BY town_code ORDER BY count(*) DESC, town_code LIMIT 1"""),
                              {"start": month_bounds(MONTH)[0]})


def test_the_figures_add_up_and_match_the_rows(engine, town):
    start, end = month_bounds(MONTH)
    with Session(engine) as session:
        r = report(session, town, MONTH)
        rows = session.execute(text("""
            SELECT registered_at, concluded_at, due_at, agreement_at, termination_routes, status, category, village_code,
                   mediator_id, channel,
                   EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'escalate'
                           AND e.at >= :s AND e.at < :e) AS escalated
              FROM incidents i WHERE town_code = :t"""), {"t": town, "s": start, "e": end}).all()
    within = lambda t: t is not None and start <= t < end   # noqa: E731
    expected = {
        "registered": sum(within(x.registered_at) for x in rows),
        "concluded": sum(within(x.concluded_at) for x in rows),
        "agreements": sum(within(x.agreement_at) for x in rows),
        "terminations": sum(x.termination_routes is not None and within(x.concluded_at) for x in rows),
        "escalations": sum(x.escalated for x in rows),
        "overdue": sum(x.registered_at < end and x.due_at < end and x.status != "refused"
                       and x.category != "public_safety"
                       and (x.concluded_at is None or x.concluded_at >= end) for x in rows),
    }
    assert {k: r["summary"][k] for k in expected} == expected
    assert expected["registered"] > 20 and expected["agreements"] > 0 and expected["escalations"] > 0
    for key in expected:
        assert sum(v[key] for v in r["villages"]) == expected[key], key
        assert sum(c[key] for c in r["categories"]) == expected[key], key
        assert sum(c[key] for c in r["sources"]) == expected[key], key
    assert {c["source"]: c["registered"] for c in r["sources"]} == {
        channel: sum(within(x.registered_at) for x in rows if x.channel == channel) for channel in {x.channel for x in rows}}
    assert {c["source"]: c["source_zh"] for c in r["sources"]}["hotline"] == "12345热线"
    assert r["trend"][-1] == {"month": MONTH, "registered": expected["registered"], "concluded": expected["concluded"]}
    year, month = map(int, MONTH.split("-"))
    first = [f"{(year * 12 + month - 12 + k) // 12}-{(year * 12 + month - 12 + k) % 12 + 1:02d}" for k in range(2)]
    assert [t["month"] for t in r["trend"]][:2] == first and len(r["trend"]) == 12
    households = {v["code"]: v["households"] for v in r["villages"]}
    for v in r["villages"]:
        assert v["per_1000_households"] == round(1000 * v["registered"] / households[v["code"]], 2)
    assert sum(m["assigned"] for m in r["mediators"]) == sum(within(x.registered_at) for x in rows if x.mediator_id)


def test_a_month_is_a_month_in_haikou_time(engine, town):
    """20:00 on 31 October in Haikou is noon UTC that day; 01:00 on 1 November is still
    31 October in UTC. Each counts in its Haikou month."""
    with Session(engine) as session, session.begin():
        before = {m: report(session, town, m)["summary"]["registered"] for m in ("2026-10", "2026-11")}
        place = quiet_place(session) | {"town_code": town}
        plant(session, place, count=1, start=datetime(2026, 10, 31, 20, tzinfo=HAIKOU_TIME))
        plant(session, place, count=1, start=datetime(2026, 11, 1, 1, tzinfo=HAIKOU_TIME))
        after = {m: report(session, town, m)["summary"]["registered"] for m in ("2026-10", "2026-11")}
        session.rollback()
    assert after == {m: n + 1 for m, n in before.items()}


def test_the_pdf_has_chinese_text_in_a_cjk_font_a_map_and_the_alerts(client, engine):
    with Session(engine) as session, session.begin():
        place = quiet_place(session)
        plant(session, place)
    try:
        response = client.get("/reports/monthly", params={"area": place["town_code"], "month": MONTH, "format": "pdf",
                                                           "lang": "zh-CN"})
        body = client.get("/reports/monthly", params={"area": place["town_code"], "month": MONTH}).json()
    finally:
        with Session(engine) as session, session.begin():
            remove_planted(session)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert f"report-{place['town_code']}-{MONTH}.pdf" in response.headers["content-disposition"]
    pdf = pypdf.PdfReader(io.BytesIO(response.content))
    words = "".join(page.extract_text() for page in pdf.pages)
    assert body["area"]["name"] in words and "矛盾纠纷排查调处联席会议月报" in words and "邻里" in words
    assert [h["village_code"] for h in body["hotspots"]] == [place["village_code"]]
    assert body["hotspots"][0]["cell"] in words   # the alert is in the report, with its evidence
    fonts = {str(f.get_object()["/BaseFont"]) for page in pdf.pages
             for f in page["/Resources"].get("/Font", {}).values()}
    assert any("WenQuanYi" in f or "CJK" in f for f in fonts), fonts


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_the_report_page_speaks_one_language(client, town, language):
    """In Chinese, no English word is left but the fixed ones (H3, CSV, UTC); in English, the
    report's own words are English and only the data's names are Chinese."""
    page = client.get("/reports/monthly", params={"area": town, "month": MONTH, "format": "html", "lang": language})
    body = client.get("/reports/monthly", params={"area": town, "month": MONTH}).json()
    words = visible_text(page.text)
    assert f'<html lang="{language}">' in page.text
    if language == "zh-CN":
        assert english_words(words) == set(), english_words(words)
        assert "概况" in words and "邻里" in words and "每千户受理" in page.text   # the chart's legend too
    else:
        names = [body["area"]["name"], *(v["name"] for v in body["villages"]),
                 *(v["town"] for v in body["villages"]), *(m["organisation"] for m in body["mediators"])]
        assert HAN.findall(without(words, names)) == [], HAN.findall(without(words, names))[:20]
        assert "Summary" in words and "Neighbourhood" in words


def test_html_has_the_map_and_charts_and_csv_has_every_table(client, town):
    page = client.get("/reports/monthly", params={"area": town, "month": MONTH, "format": "html"})
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") == 3 and "cases per 1,000 households" in page.text
    body = client.get("/reports/monthly", params={"area": town, "month": MONTH}).json()
    archive = zipfile.ZipFile(io.BytesIO(client.get("/reports/monthly", params={"area": town, "month": MONTH,
                                                                                  "format": "csv"}).content))
    assert "按来源" not in page.text and "By source" in page.text
    assert {"summary.csv", "categories.csv", "sources.csv", "villages.csv", "mediators.csv", "trend.csv", "hotspots.csv",
            "repeats.csv"} <= set(archive.namelist())
    villages = archive.read("villages.csv").decode("utf-8")
    assert villages.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(villages.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == [v["name"] for v in body["villages"]]
    assert sum(int(r["registered"]) for r in rows) == body["summary"]["registered"]


def test_district_and_city_reports_add_a_town_table(client):
    district = client.get("/reports/monthly", params={"area": "460106", "month": MONTH}).json()
    city = client.get("/reports/monthly", params={"month": MONTH}).json()
    assert sum(t["registered"] for t in district["towns"]) == district["summary"]["registered"]
    assert len(city["villages"]) == 457 and len(city["towns"]) == 43
    assert sum(t["registered"] for t in city["towns"]) == city["summary"]["registered"]


def test_a_city_page_lists_the_busiest_villages_and_a_town_page_all(client, town):
    """457 rows of villages made a city PDF take 15 s to lay out: the page keeps the 60 with
    most cases (the CSV all of them); a town's page lists every village."""
    def listed(params) -> tuple[set, dict]:
        page = client.get("/reports/monthly", params={**params, "month": MONTH, "format": "html"}).text
        table = page[page.index("By village</h2>"):page.index("Mediator workload")]
        body = client.get("/reports/monthly", params={**params, "month": MONTH}).json()
        return {v["name"] for v in body["villages"] if f"<td class=\"t\">{v['name']}</td>" in table}, body

    shown, city = listed({})
    busiest = sorted(city["villages"], key=lambda v: -v["registered"])
    assert len(shown) == 60 and "all are in the CSV" in client.get(
        "/reports/monthly", params={"month": MONTH, "format": "html"}).text
    assert {v["name"] for v in busiest[:50]} <= shown and busiest[-1]["name"] not in shown
    shown, body = listed({"area": town})
    assert shown == {v["name"] for v in body["villages"]}


@pytest.mark.parametrize("params, status, field", [
    ({"month": "2026-13"}, 422, "month"), ({"month": "October"}, 422, "month"),
    ({"area": "460106001001"}, 422, "area"), ({"area": "460199"}, 404, "area"), ({"format": "docx"}, 422, "format"),
])
def test_bad_report_requests_are_problems(client, params, status, field):
    response = client.get("/reports/monthly", params=params)
    assert response.status_code == status and response.json()["field"] == field


def test_the_cli_writes_the_report_files(tmp_path, town):
    done = subprocess.run([sys.executable, "-m", "geo.cli", "report", "monthly", "--area", town, "--month", MONTH,
                           "--format", "csv", "--format", "json", "--out", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"report-{town}-{MONTH}.csv.zip", f"report-{town}-{MONTH}.json"]
    failed = subprocess.run([sys.executable, "-m", "geo.cli", "report", "monthly", "--month", "2026-00"],
                            capture_output=True, text=True)
    assert failed.returncode == 1 and "YYYY-MM" in failed.stderr


def test_a_cjk_font_is_installed_for_pages_and_charts():
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    assert listed.strip(), "no CJK font: scripts/lib.sh installs fonts-wqy-microhei"
    assert charts.cjk_font() is not None
    assert month_bounds("2026-12")[1] - month_bounds("2026-12")[0] == timedelta(days=31)
