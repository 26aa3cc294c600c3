"""The language layer: Chinese first, English on request; every message and label translated;
labels beside codes in answers, and labels accepted where codes are."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from conftest import removing_new_incidents

from geo import catalogue, i18n

@pytest.fixture
def visitor(engine):
    """The app as a new visitor finds it: no language asked for, no cookie yet."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with TestClient(create_app()) as client:
        yield client


PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}!:]*)[^{}]*\}(?!\})")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_and_label_is_translated(language):
    """zh-CN: every message of the code and every label; English: every label (a message is
    its own English). Run `gridctl i18n update` and fill in what this lists."""
    assert catalogue.untranslated(language) == []


def test_a_translation_keeps_the_values_of_its_message():
    """A Chinese message names the same values as its English one, so filling it cannot fail."""
    for message in catalogue.template():
        if message.id and not message.context:
            wanted = set(PLACEHOLDER.findall(message.id))
            chinese = i18n.translate(message.id, language="zh-CN")
            assert set(PLACEHOLDER.findall(chinese)) == wanted, (message.id, chinese)
            assert HAN.search(chinese) or not any(c in string.ascii_letters for c in PLACEHOLDER.sub("", chinese)), \
                (message.id, chinese)   # Chinese, unless it is only names and values


def test_every_message_is_given_the_values_it_names():
    """``Invalid("no plan {plan_id}", plan_id=...)``: a name without its value would turn a
    refusal into a 500 in every language."""
    errors = set(catalogue._MESSAGE_CALLS) - {"N_", "translate", "__init__"} | {"Problem"}
    unfilled = []
    for path in sorted(Path(catalogue.ROOT).glob("[gat]*/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            name = getattr(node, "func", None) and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
            at = 2 if name == "Problem" else 0
            if name in errors and len(node.args) > at and isinstance(node.args[at], ast.Constant):
                named = {n for _, n, _, _ in string.Formatter().parse(node.args[at].value) if n}
                given = {k.arg for k in node.keywords} - {"field", "headers"}
                if given and named != given:
                    unfilled.append((f"{path.relative_to(catalogue.ROOT)}:{node.lineno}", named, given))
    assert unfilled == []


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    (None, None, None, "zh-CN"),
    (None, None, "en-GB,en;q=0.9", "en"),
    (None, None, "fr-FR,de;q=0.8", "zh-CN"),
    (None, None, "en;q=0.2,zh-TW;q=0.8", "zh-CN"),
    (None, "en", "zh-CN", "en"),
    ("zh", "en", "en", "zh-CN"),
    ("en", None, "zh-CN,zh", "en"),
    ("klingon", "en", None, "en"),
])
def test_the_language_is_the_query_then_the_cookie_then_accept_language(query, cookie, accept, expected):
    assert i18n.negotiate(query, cookie, accept) == expected


def test_problems_are_in_chinese_by_default_and_in_english_on_request(visitor, admin_key):
    key = {"X-API-Key": admin_key}
    chinese = visitor.get("/incidents/99999999", headers={**key, "Accept-Language": "zh-CN"})
    assert chinese.status_code == 404 and chinese.headers["content-language"] == "zh-CN"
    problem = chinese.json()
    assert HAN.search(problem["title"]) and HAN.search(problem["detail"]) and "99999999" in problem["detail"]
    assert problem["field"] == "incident_id"   # field names stay as they are
    english = visitor.get("/incidents/99999999", params={"lang": "en"}, headers={**key, "Accept-Language": "zh-CN"})
    assert english.json()["title"] == "Not found" and english.json()["detail"] == "no incident 99999999"
    assert english.headers["content-language"] == "en" and "lang=en" in english.headers["set-cookie"]
    remembered = visitor.get("/incidents", headers={"Accept-Language": "zh-CN"})   # the cookie, over the header
    assert remembered.status_code == 401 and remembered.json()["title"] == "Unauthenticated"
    visitor.cookies.clear()
    refused = visitor.get("/incidents", headers={"Accept-Language": "zh-CN"})   # refused before any route
    assert refused.status_code == 401 and HAN.search(refused.json()["detail"])


def test_each_field_error_is_in_the_request_language_and_names_the_field(visitor, admin_key):
    headers = {"X-API-Key": admin_key, "Accept-Language": "zh-CN"}
    answer = visitor.get("/mediators/nearest", params={"lon": 500, "lat": "north"}, headers=headers).json()
    assert {e["field"] for e in answer["errors"]} == {"lon", "lat"}
    assert all(HAN.search(e["message"]) for e in answer["errors"]), answer
    assert HAN.search(answer["title"]) and answer["detail"].startswith(answer["field"] + ": ")
    named = visitor.post("/plans", json={"scope": "<b>x</b>"}, headers=headers).json()   # a check of our own
    assert named["field"] == "scope" and HAN.search(named["detail"]), named


def test_answers_carry_labels_beside_codes_in_the_request_language(visitor, admin_key):
    key = {"X-API-Key": admin_key}
    for language in i18n.LANGUAGES:
        incident = visitor.get("/incidents", params={"limit": 1, "lang": language}, headers=key).json()["items"][0]
        for field, vocabulary in (("category", "category"), ("status", "status"), ("severity", "severity"),
                                  ("responsible_level", "level")):
            assert incident[f"{field}_label"] == i18n.label(vocabulary, incident[field], language) != incident[field]
        area = visitor.get("/areas/460106", params={"lang": language}, headers=key).json()["properties"]
        assert area["level_label"] == {"zh-CN": "区级", "en": "District"}[language]
    visitor.cookies.clear()   # ?lang= was remembered
    chinese = visitor.get("/incidents", params={"limit": 1}, headers=key).json()["items"][0]
    assert HAN.search(chinese["category_label"]) and HAN.search(chinese["status_label"])


def test_a_label_is_accepted_wherever_its_code_is(visitor, admin_key, engine):
    key = {"X-API-Key": admin_key}
    by_code = visitor.get("/incidents", params={"category": "labour", "status": "mediating", "limit": 5}, headers=key)
    by_label = visitor.get("/incidents", params={"category": "劳动争议纠纷", "status": "调解中", "limit": 5}, headers=key)
    in_english = visitor.get("/incidents", params={"category": "Labour dispute", "limit": 5}, headers=key)
    assert by_code.status_code == by_label.status_code == in_english.status_code == 200
    assert by_label.json()["total"] == by_code.json()["total"] > 0
    assert {i["category"] for i in in_english.json()["items"]} == {"labour"}
    assert visitor.get("/incidents", params={"category": "不存在的纠纷"}, headers=key).status_code == 422
    with removing_new_incidents(engine):
        made = visitor.post("/incidents", params={"dispatch": False}, headers=key, json={
            "lon": 110.33, "lat": 20.03, "category": "邻里纠纷", "severity": "一般", "description": "噪音扰民",
            "occurred_at": "2026-11-20T09:30:00+08:00"})
        assert made.status_code == 201, made.text
        assert (made.json()["category"], made.json()["severity"]) == ("neighbourhood", "general")
        assert made.json()["category_label"] == "邻里纠纷"


def test_the_reasons_of_a_ranking_are_in_the_request_language(visitor, admin_key):
    params = {"lon": 110.33, "lat": 20.03, "category": "neighbourhood", "excluded": True, "k": 3}
    for language, word in (("zh-CN", HAN), ("en", re.compile("nearest eligible"))):
        ranked = visitor.get("/mediators/nearest", params={**params, "lang": language},
                               headers={"X-API-Key": admin_key}).json()
        assert all(word.search(m["why"]) for m in ranked["results"]), ranked["results"]
        assert all(word.search(r) or language == "en" for m in ranked.get("excluded", []) for r in m["reasons"])


def test_a_path_no_route_has_is_a_problem_in_the_request_language(visitor, client, api_keys):
    """The framework's own 404 and 405 were English JSON ("Not Found"), to a browser too."""
    viewer = {"X-API-Key": api_keys["viewer"]}
    missing = visitor.get("/nonexistent", headers=viewer)
    assert missing.status_code == 404 and missing.json()["title"] == "未找到" and "/nonexistent" in missing.json()["detail"]
    page = visitor.get("/nonexistent", headers={**viewer, "Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "未找到" in page.text
    wrong = client.post("/areas/labels")   # in English, the client's language
    assert wrong.status_code == 405 and wrong.json()["title"] == "Method not allowed"
