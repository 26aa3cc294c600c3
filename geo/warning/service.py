"""Early warning (未动先知) from the incidents table: H3 hotspots and repeat disputes,
listed by area with their evidence, as JSON or as a GeoJSON map layer."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import shapely
from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import area_in_force
from geo.codes import CITY_CODE, area_prefix
from geo.errors import Invalid
from geo.hexes import hexagons
from geo.mediation.categories import LABELS_ZH, Category
from geo.settings import get_settings
from geo.warning.hotspots import Hotspot, Thresholds, scan

METRIC_SRID = 32649   # UTM 49N: metres for the repeat radius across Haikou


@dataclass(frozen=True)
class RepeatRule:
    """Repeat disputes: ``min_count`` cases of one category within ``radius_m`` of each other
    (DBSCAN core distance) in ``window_days``."""

    window_days: int = 90
    radius_m: float = 50.0
    min_count: int = 3


def defaults() -> tuple[Thresholds, RepeatRule]:
    """Thresholds and the repeat rule from settings (GRID_WARNING_*, GRID_REPEAT_*)."""
    s = get_settings()
    return (Thresholds(**{f.name: getattr(s.warnings, f.name) for f in fields(Thresholds)}),
            RepeatRule(**{f.name: getattr(s.repeats, f.name) for f in fields(RepeatRule)}))


def with_overrides(base, overrides: dict):
    """``base`` with the overrides that are set (None: keep the default)."""
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def _counts(session: Session, *, as_of: datetime, thresholds: Thresholds, category: str | None) -> pd.DataFrame:
    """Recent and baseline cases per H3 cell at the thresholds' resolution."""
    split = as_of - timedelta(days=thresholds.window_days)
    start = split - timedelta(days=thresholds.baseline_days)
    rows = session.execute(text("""
        SELECT h3, count(*) FILTER (WHERE registered_at > :split) AS recent,
               count(*) FILTER (WHERE registered_at <= :split) AS baseline
          FROM incidents
         WHERE registered_at > :start AND registered_at <= :as_of AND h3 IS NOT NULL
           AND (CAST(:category AS text) IS NULL OR category = :category)
         GROUP BY h3"""), {"split": split, "start": start, "as_of": as_of, "category": category}).all()
    frame = pd.DataFrame(rows, columns=["h3", "recent", "baseline"])
    frame["cell"] = [h3.cell_to_parent(int(c), thresholds.resolution) for c in frame["h3"]]
    return frame.groupby("cell", as_index=False)[["recent", "baseline"]].sum()


def _places(session: Session, points: list[tuple[float, float]]) -> list[dict]:
    """The village (with its town and district) holding, or nearest to, each point."""
    if not points:
        return []
    rows = session.execute(text("""
        SELECT v.code AS village_code, v.name AS village, t.code AS town_code, t.name AS town,
               d.code AS district_code, d.name AS district
          FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS p(lon, lat, i)
          CROSS JOIN LATERAL (SELECT code, name, parent_code FROM areas_now WHERE level = 'village'
                               ORDER BY geom <-> ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326) LIMIT 1) v
          JOIN areas_now t ON t.code = v.parent_code
          JOIN areas_now d ON d.code = t.parent_code
         ORDER BY p.i"""), {"lon": [p[0] for p in points], "lat": [p[1] for p in points]}).mappings()
    return [dict(r) for r in rows]


def _in_area(place: dict, code: str) -> bool:
    return code == CITY_CODE or place["village_code"].startswith(code)


def hotspots(session: Session, *, as_of: datetime, thresholds: Thresholds, area: str = CITY_CODE,
             category: str | None = None) -> dict:
    """Hotspots of the whole city (one false-discovery family), those in ``area`` listed."""
    counts = _counts(session, as_of=as_of, thresholds=thresholds, category=category)
    found, tested = scan(counts["cell"].to_numpy(np.uint64), counts["recent"].to_numpy(), counts["baseline"].to_numpy(),
                         thresholds)
    centres = [h3.cell_to_latlng(h.centre)[::-1] for h in found]
    listed = [_hotspot(h, place) for h, place in zip(found, _places(session, centres)) if _in_area(place, area)]
    return {"tested": tested, "recent_cases": int(counts["recent"].sum()), "baseline_cases": int(counts["baseline"].sum()),
            "hotspots": listed}


def _hotspot(found: Hotspot, place: dict) -> dict:
    outline = shapely.union_all(hexagons(found.cells))
    return {"kind": "hotspot", **place, "cell": h3.int_to_str(found.centre),
            "cells": [h3.int_to_str(c) for c in found.cells],
            "evidence": {"recent": found.recent, "baseline": found.baseline, "expected": round(found.expected, 2),
                         "ratio": round(found.ratio, 2), "p_value": found.p_value, "q_value": found.q_value},
            "geometry": shapely.geometry.mapping(outline)}


def repeats(session: Session, *, as_of: datetime, rule: RepeatRule, area: str = CITY_CODE,
            category: str | None = None) -> list[dict]:
    """Places where one category of dispute comes back: DBSCAN per category over the window."""
    rows = session.execute(text("""
        WITH recent AS (
            SELECT id, category, registered_at, position,
                   ST_ClusterDBSCAN(ST_Transform(position, :srid), eps := :radius, minpoints := :min_count)
                       OVER (PARTITION BY category) AS cluster
              FROM incidents
             WHERE registered_at > :since AND registered_at <= :as_of AND village_code LIKE :prefix
               AND (CAST(:category AS text) IS NULL OR category = :category)),
        clusters AS (
            SELECT category, cluster, ST_Centroid(ST_Collect(position)) AS centre
              FROM recent WHERE cluster IS NOT NULL GROUP BY category, cluster)
        SELECT r.category, count(*) AS cases, array_agg(r.id ORDER BY r.registered_at) AS incident_ids,
               min(r.registered_at) AS first, max(r.registered_at) AS last,
               ST_X(c.centre) AS lon, ST_Y(c.centre) AS lat,
               max(ST_Distance(ST_Transform(r.position, :srid), ST_Transform(c.centre, :srid))) AS spread_m
          FROM recent r JOIN clusters c USING (category, cluster)
         GROUP BY r.category, r.cluster, c.centre ORDER BY cases DESC, last DESC"""),
        {"srid": METRIC_SRID, "radius": rule.radius_m, "min_count": rule.min_count, "as_of": as_of,
         "since": as_of - timedelta(days=rule.window_days), "prefix": area_prefix(area) + "%",
         "category": category}).mappings().all()
    places = _places(session, [(r["lon"], r["lat"]) for r in rows])
    return [{"kind": "repeat", **place, "category": r["category"], "category_zh": LABELS_ZH[Category(r["category"])],
             "evidence": {"cases": r["cases"], "first": r["first"].isoformat(), "last": r["last"].isoformat(),
                          "spread_m": round(r["spread_m"], 1), "incident_ids": r["incident_ids"]},
             "geometry": {"type": "Point", "coordinates": [round(r["lon"], 7), round(r["lat"], 7)]}}
            for r, place in zip(rows, places)]


def alerts(session: Session, *, as_of: datetime, area: str = CITY_CODE, category: str | None = None,
           thresholds: Thresholds | None = None, rule: RepeatRule | None = None) -> dict:
    """Hotspots and repeat disputes of ``area`` as of ``as_of``, with the rules that found them."""
    if thresholds is None or rule is None:
        base_thresholds, base_rule = defaults()
        thresholds, rule = thresholds or base_thresholds, rule or base_rule
    place = area_in_force(session, area)
    if place["level"] == "grid":
        raise Invalid("alerts are listed for the city, a district, a town or a village, not a grid", field="area")
    found = hotspots(session, as_of=as_of, thresholds=thresholds, area=area, category=category)
    return {"area": place, "as_of": as_of.isoformat(), "category": category,
            "hotspot_rule": {**asdict(thresholds), "method": "space-time permutation (binomial), Benjamini-Hochberg",
                             "tested": found["tested"], "recent_cases": found["recent_cases"],
                             "baseline_cases": found["baseline_cases"]},
            "repeat_rule": asdict(rule),
            "hotspots": found["hotspots"],
            "repeats": repeats(session, as_of=as_of, rule=rule, area=area, category=category)}


def feature_collection(result: dict) -> dict:
    """The alerts as a GeoJSON layer: hotspot outlines and repeat points, evidence as properties."""
    features = [{"type": "Feature", "geometry": a["geometry"],
                 "properties": {k: v for k, v in a.items() if k not in ("geometry", "cells")}}
                for a in result["hotspots"] + result["repeats"]]
    return {"type": "FeatureCollection", "features": features}
