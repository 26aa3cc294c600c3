"""Open311 GeoReport v2 against the specification's field lists (wiki.open311.org/GeoReport_v2),
in JSON and XML: public reads with nothing personal, filings by intake keys (the key in the
form, as the specification sends it), tokens, and the same checks as POST /incidents."""
import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text

from conftest import removing_new_incidents

# The fields each answer carries, as the specification lists them.
SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
ATTRIBUTE_FIELDS = {"variable", "code", "datatype", "required", "datatype_description", "order", "description"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
                  "address", "address_id", "zipcode", "lat", "long", "media_url"}
FILED_FIELDS = {"service_request_id", "token", "service_notice", "account_id"}
ZH = {"Accept-Language": "zh-CN"}


@pytest.fixture(autouse=True)
def fresh(engine):
    with removing_new_incidents(engine):
        yield


@pytest.fixture
def village(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("""SELECT v.code, v.name, d.name AS district, t.name AS town,
                                                ST_X(ST_PointOnSurface(v.geom)) AS lon, ST_Y(ST_PointOnSurface(v.geom)) AS lat
                                           FROM areas_now v JOIN areas_now t ON t.code = v.parent_code
                                           JOIN areas_now d ON d.code = t.parent_code
                                          WHERE v.level = 'village' ORDER BY v.code DESC LIMIT 1""")).mappings().one())


def spec_example(api_key: str, village: dict, **changes) -> dict:
    """The specification's example filing (every field it shows), with a Haikou place and service."""
    return {"api_key": api_key, "jurisdiction_id": "460100", "service_code": "neighbourhood",
            "lat": str(village["lat"]), "long": str(village["lon"]), "address_string": village["name"],
            "email": "smit333@sfgov.edu", "device_id": "tt222111", "account_id": "123456", "first_name": "某",
            "last_name": "王", "phone": "111111111", "description": "楼上住户深夜噪音扰民，多次协商未果",
            "media_url": "http://www.city.gov/media/12345", "attribute[source]": "hotline",
            "attribute[source_ref]": "12345-20261204-00777", **changes}


def xml_items(response, item: str) -> list[dict]:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return [{child.tag: child.text for child in element} for element in ET.fromstring(response.content).iter(item)]


def test_services_list_every_category_grouped_in_both_formats(anonymous):
    listed = anonymous.get("/open311/v2/services.json", headers=ZH)
    assert listed.status_code == 200
    services = listed.json()
    assert len(services) == 16 and all(set(s) == SERVICE_FIELDS for s in services)
    neighbourhood = next(s for s in services if s["service_code"] == "neighbourhood")
    assert neighbourhood["service_name"] == "邻里纠纷" and neighbourhood["group"] == "民间纠纷"
    assert "邻里纠纷" in neighbourhood["description"] and "/" in neighbourhood["description"]
    as_xml = xml_items(anonymous.get("/open311/v2/services.xml", headers={"Accept-Language": "en"}), "service")
    assert [s["service_code"] for s in as_xml] == [s["service_code"] for s in services]
    assert set(as_xml[0]) == SERVICE_FIELDS and as_xml[0]["metadata"] == "true"
    assert next(s for s in as_xml if s["service_code"] == "neighbourhood")["group"] == "civil disputes"


def test_a_service_definition_lists_its_attributes(anonymous):
    definition = anonymous.get("/open311/v2/services/neighbourhood.json").json()
    assert definition["service_code"] == "neighbourhood"
    codes = {a["code"]: a for a in definition["attributes"]}
    assert set(codes) == {"severity", "source", "source_ref", "occurred_at"}
    assert all(ATTRIBUTE_FIELDS <= set(a) for a in codes.values())
    assert {v["key"] for v in codes["source"]["values"]} >= {"hotline", "portal", "grid_worker"}
    root = ET.fromstring(anonymous.get("/open311/v2/services/neighbourhood.xml").content)
    assert root.tag == "service_definition" and len(root.findall("attributes/attribute")) == 4
    assert root.find("attributes/attribute/values/value/key") is not None
    assert anonymous.get("/open311/v2/services/potholes.json").status_code == 404


def test_a_filing_with_the_key_in_its_form_registers_a_case_once(anonymous, client, api_keys, village):
    key = str(uuid.uuid4())
    filing = spec_example(api_keys["intake"], village)
    filed = anonymous.post("/open311/v2/requests.json", data=filing, headers={"Idempotency-Key": key})
    assert filed.status_code == 201, filed.json()
    answer = filed.json()
    assert len(answer) == 1 and set(answer[0]) == FILED_FIELDS
    assert answer[0]["token"] == "open311:" + key and answer[0]["account_id"] == "123456"
    case_id = int(answer[0]["service_request_id"])
    again = anonymous.post("/open311/v2/requests.json", data=filing, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == str(case_id)   # a retry files once
    other = anonymous.post("/open311/v2/requests.json", data={**filing, "service_code": "labour"},
                           headers={"Idempotency-Key": key})
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"   # another form under the key
    case = client.get(f"/incidents/{case_id}").json()
    assert (case["source"], case["source_ref"], case["reporter_name"], case["category"]) == \
        ("hotline", "12345-20261204-00777", "王某", "neighbourhood")
    assert case["area_chain"]["village"] == village["code"]
    assert case["media_url"] == "http://www.city.gov/media/12345"
    seen = client.get(f"/incidents/{case_id}", headers={"X-API-Key": api_keys["viewer"]}).json()
    assert "media_url" not in seen and "source_ref" not in seen and "reporter_name" not in seen   # personal data
    assert client.get("/incidents", params={"source": "hotline", "since": case["registered_at"]}).json()["total"] == 1
    token = anonymous.get(f"/open311/v2/tokens/open311:{key}.json").json()
    assert token == [{"service_request_id": str(case_id), "token": "open311:" + key}]


def test_a_token_finds_filings_only_not_the_keys_of_other_registrations(anonymous, client):
    key = str(uuid.uuid4())
    registered = client.post("/incidents", json={"category": "neighbourhood", "severity": "minor", "description": "x",
                                                 "occurred_at": "2026-11-20T09:30:00+08:00", "lon": 110.33, "lat": 20.03},
                             headers={"Idempotency-Key": key})
    assert registered.status_code == 201
    assert anonymous.get(f"/open311/v2/tokens/{key}.json").status_code == 404


def test_the_public_reads_of_a_request_carry_nothing_personal(anonymous, api_keys, village):
    filing = spec_example(api_keys["intake"], village)
    case_id = anonymous.post("/open311/v2/requests.json", data=filing).json()[0]["service_request_id"]
    one = anonymous.get(f"/open311/v2/requests/{case_id}.json", headers=ZH)
    assert one.status_code == 200
    request = one.json()[0]
    assert set(request) == REQUEST_FIELDS and request["status"] == "open" and request["status_notes"] == "已登记"
    assert request["address"] == village["district"] + village["town"] + village["name"]
    assert request["address_id"] == village["code"] and request["description"] is None
    assert "人民调解委员会" in request["agency_responsible"] or "中心" in request["agency_responsible"]
    for secret in ("王某", "111111111", "噪音", "12345-20261204-00777", "smit333", "media/12345"):
        assert secret not in one.text
    as_xml = xml_items(anonymous.get(f"/open311/v2/requests/{case_id}.xml"), "request")
    assert as_xml[0]["service_request_id"] == case_id and set(as_xml[0]) == REQUEST_FIELDS
    assert anonymous.get("/open311/v2/requests/999999999.json").status_code == 404


def test_requests_are_filtered_by_status_service_and_dates(anonymous, client):
    opened = anonymous.get("/open311/v2/requests.json", params={"status": "open", "service_code": "labour"}).json()
    assert opened and all(r["status"] == "open" and r["service_code"] == "labour" for r in opened)
    assert len(opened) <= 1000
    ids = ",".join(r["service_request_id"] for r in opened[:3])
    assert [r["service_request_id"] for r in anonymous.get("/open311/v2/requests.json",
                                                           params={"service_request_id": ids}).json()] == ids.split(",")
    window = anonymous.get("/open311/v2/requests.json", params={"start_date": "2026-10-01T00:00:00+08:00",
                                                                 "end_date": "2026-10-02T00:00:00+08:00"}).json()
    assert window and all("2026-09-30T16" <= r["requested_datetime"] < "2026-10-01T16" for r in window)
    assert anonymous.get("/open311/v2/requests.json", params={"status": "pending"}).status_code == 422
    both = anonymous.get("/open311/v2/requests.json", params={"status": "open,closed",
                                                               "service_code": "labour,medical"}).json()
    assert {r["status"] for r in both} == {"open", "closed"} and {r["service_code"] for r in both} == {"labour", "medical"}
    backwards = anonymous.get("/open311/v2/requests.json", params={"start_date": "2026-10-08T00:00:00+08:00",
                                                                    "end_date": "2026-10-01T00:00:00+08:00"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "start_date"
    assert anonymous.get("/open311/v2/requests.json", params={"service_code": "potholes"}).status_code == 404
    assert anonymous.get("/open311/v2/requests.json", params={"api_key": "x"}).status_code == 422   # keys stay out of URLs


@pytest.mark.parametrize("changes,field", [
    ({"description": ""}, "description"), ({"long": None}, "long"), ({"service_code": "potholes"}, "service_code"),
    ({"attribute[source_ref]": None}, "attribute[source_ref]"), ({"lat": "0", "long": "0"}, "lat"),
    ({"phone": "call me"}, "phone"), ({"jurisdiction_id": "110000"}, "jurisdiction_id"),
    ({"last_name": "<b>王</b>"}, "last_name"), ({"lat": None, "long": None, "address_string": "不存在的地方"}, "address_string"),
    ({"account_id": "acc\x01<&>"}, "account_id"), ({"email": "a\x00@b"}, "email"), ({"description": "   "}, "description"),
    ({"description": "a\ufffdb"}, "description"), ({"media_url": 'https://x/"><script>'}, "media_url"),
    ({"attribute[occurred_at]": "2099-12-01T10:00:00+08:00"}, "attribute[occurred_at]"),
])
def test_a_bad_filing_is_422_naming_its_field_and_files_nothing(anonymous, client, api_keys, village, changes, field):
    before = client.get("/incidents", params={"limit": 1}).json()["total"]
    filing = {k: v for k, v in spec_example(api_keys["intake"], village, **changes).items() if v is not None}
    refused = anonymous.post("/open311/v2/requests.json", data=filing, headers=ZH)
    assert refused.status_code == 422 and refused.json()["field"] == field, refused.json()
    assert not any(word in refused.json()["detail"] for word in ("position", "moment", "between")), refused.json()
    assert client.get("/incidents", params={"limit": 1}).json()["total"] == before


def test_a_filing_by_address_stands_in_the_village_it_names(anonymous, client, api_keys, village):
    filing = spec_example(api_keys["intake"], village, lat=None, long=None,
                          address_string=f"海口市{village['district']}{village['town']}{village['name']}123号")
    filed = anonymous.post("/open311/v2/requests.json", data={k: v for k, v in filing.items() if v is not None})
    assert filed.status_code == 201, filed.json()
    assert client.get(f"/incidents/{filed.json()[0]['service_request_id']}").json()["area_chain"]["village"] \
        == village["code"]


def test_who_may_file_and_read(anonymous, api_keys, village):
    filing = spec_example(api_keys["viewer"], village)
    assert anonymous.post("/open311/v2/requests.json", data=filing).status_code == 403
    assert anonymous.post("/open311/v2/requests.json", data={**filing, "api_key": ""}).status_code == 401
    intake = {"X-API-Key": api_keys["intake"]}
    assert anonymous.get("/incidents", headers=intake).status_code == 403   # an intake key files, it does not read cases
    assert anonymous.post("/incidents", headers=intake, json={}).status_code == 403
    assert anonymous.post("/open311/v2/requests.xml", data={**filing, "api_key": api_keys["dispatcher"]}).status_code == 201


def test_a_huge_form_is_refused_before_it_is_parsed(anonymous, api_keys):
    body = f"api_key={api_keys['intake']}&description=".encode() + b"x" * 70_000
    refused = anonymous.post("/open311/v2/requests.json", content=body,
                             headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 413 and refused.json()["field"] == "body"


def test_discovery_names_the_endpoint_and_its_formats(anonymous):
    found = anonymous.get("/open311/discovery.json").json()
    assert found["endpoints"][0]["url"].endswith("/open311/v2")
    assert set(found["endpoints"][0]["formats"]) == {"text/xml", "application/json"}
    assert ET.fromstring(anonymous.get("/open311/discovery.xml").content).find("endpoints/endpoint/url") is not None


def test_anonymous_reads_get_a_keys_rate_per_address(anonymous, settings):
    """Each public list is up to 1,000 requests: an address past the rate limit waits, as a key does."""
    before = settings.limits.rate_limit_per_minute
    settings.limits.rate_limit_per_minute = 5
    try:
        answers = [anonymous.get("/open311/v2/services.json") for _ in range(8)]
    finally:
        settings.limits.rate_limit_per_minute = before
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 3
    assert int(answers[-1].headers["retry-after"]) >= 1
