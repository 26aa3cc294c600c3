"""Early warning: a planted cluster must be found, pure noise must raise (almost) nothing."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy.orm import Session

from geo.warning.hotspots import Thresholds, scan
from geo.warning.service import alerts, defaults
from geo.warning.simulate import Scenario, calibrate, region
from warning_helpers import AS_OF, PLANTED, month_start, plant, quiet_place, remove_planted


def test_noise_raises_almost_nothing_and_a_planted_cluster_is_found():
    """100 noise replicates of a Haikou-sized city: an alert on noise is a false alarm, and
    Benjamini-Hochberg at 5 % bounds the share of runs with any (measured: 1-2 % at 300 runs)."""
    measured = calibrate(Thresholds(), Scenario(planted=20), runs=100)
    assert measured["tested_per_run"] > 5000
    assert measured["false_alarm_rate"] <= 0.05, measured
    assert measured["detection_rate"] >= 0.9, measured


def test_a_city_wide_rise_is_not_a_hotspot():
    """Twice the cases everywhere this month is a busy month, not a hotspot: the expected
    count follows the city's own recent share."""
    rng = np.random.default_rng(3)
    cells = region(8)
    rates = rng.lognormal(0, 1.5, len(cells))
    rates *= 3000 / rates.sum()
    found, _ = scan(cells, rng.poisson(2 * rates), rng.poisson(13 * rates), Thresholds())
    assert found == []
    # Against the calendar's share instead (1/14 of the cases recent), the same month would ring everywhere.
    found, _ = scan(cells, rng.poisson(2 * rates), rng.poisson(13 * rates), Thresholds(), recent_share=1 / 14)
    assert len(found) > 10


def test_the_generated_year_is_noise_and_raises_almost_nothing(engine):
    """The generated incidents fall uniformly in time wherever people live: no space-time
    interaction, so any hotspot found in them is a false alarm."""
    thresholds, rule = defaults()
    with Session(engine) as session:
        found = [len(alerts(session, as_of=month_start(AS_OF, back), thresholds=thresholds,
                                rule=rule)["hotspots"]) for back in range(9)]
    assert sum(found) <= 1, found


@pytest.fixture(scope="module")
def planted(engine):
    """A committed cluster of neighbourhood disputes in October 2026 (removed afterwards)."""
    with Session(engine) as session, session.begin():
        place = quiet_place(session)
        ids = plant(session, place)
    yield place, ids
    with Session(engine) as session, session.begin():
        remove_planted(session)


def test_the_planted_cluster_is_a_hotspot_and_a_repeat_with_its_evidence(engine, planted):
    place, ids = planted
    thresholds, rule = defaults()
    with Session(engine) as session:
        result = alerts(session, as_of=AS_OF, area=place["town_code"], thresholds=thresholds, rule=rule)
    assert len(result["hotspots"]) == 1
    hot = result["hotspots"][0]
    assert hot["village_code"] == place["village_code"] and hot["town_code"] == place["town_code"]
    evidence = hot["evidence"]
    assert evidence["recent"] >= PLANTED and evidence["recent"] > 4 * evidence["expected"]
    assert evidence["q_value"] <= thresholds.fdr and evidence["p_value"] <= evidence["q_value"]
    repeat = [r for r in result["repeats"] if set(ids) <= set(r["evidence"]["incident_ids"])]
    assert len(repeat) == 1 and repeat[0]["category"] == "neighbourhood" and repeat[0]["evidence"]["spread_m"] < 50
    # Another area does not list it; neither does a month before the cluster.
    with Session(engine) as session:
        other = alerts(session, as_of=AS_OF, area="460107" if place["district_code"] != "460107" else "460108")
        before = alerts(session, as_of=month_start(AS_OF, 1), area=place["town_code"])
    assert not any(h["village_code"] == place["village_code"] for h in other["hotspots"] + before["hotspots"])
    # A stricter false discovery rate than its q-value would keep it quiet.
    with Session(engine) as session:
        strict = alerts(session, as_of=AS_OF, area=place["town_code"],
                        thresholds=replace(thresholds, fdr=evidence["q_value"] / 2), rule=rule)
    assert strict["hotspots"] == []


def test_warnings_api_lists_the_cluster_and_serves_a_map_layer(client, planted):
    place, ids = planted
    params = {"area": place["district_code"], "as_of": AS_OF.isoformat()}
    body = client.get("/warnings", params=params).json()
    assert [h["village_code"] for h in body["hotspots"]] == [place["village_code"]]
    assert body["hotspot_rule"]["fdr"] == 0.05 and body["hotspot_rule"]["tested"] > 1000
    layer = client.get("/warnings", params={**params, "format": "geojson"}).json()
    assert layer["type"] == "FeatureCollection"
    kinds = {f["properties"]["kind"]: f for f in layer["features"]}
    assert kinds["hotspot"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert kinds["repeat"]["geometry"]["type"] == "Point"
    only_labour = client.get("/warnings", params={**params, "category": "labour"}).json()
    assert only_labour["hotspots"] == [] and all(r["category"] == "labour" for r in only_labour["repeats"])
    assert client.get("/warnings", params={**params, "repeat_min_count": PLANTED + 1}).json()["repeats"] == []


@pytest.mark.parametrize("params, field", [
    ({"fdr": 0.9}, "fdr"), ({"resolution": 11}, "resolution"), ({"as_of": "2026-11-01T00:00:00"}, "as_of"),
    ({"category": "gossip"}, "category"), ({"area": "460106001001001"}, "area"), ({"area": "460199"}, "area"),
    ({"area": "x"}, "area"),
])
def test_bad_warning_parameters_are_problems(client, params, field):
    """Out-of-range thresholds, a naive moment, an unknown category, a grid or unknown area."""
    response = client.get("/warnings", params=params)
    assert response.status_code in (404, 422) and response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field
