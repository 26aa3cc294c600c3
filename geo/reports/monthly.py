"""The figures of a month for a town's (or district's, or the city's) joint meeting to
screen and settle disputes (矛盾纠纷排查调处联席会议).

A month is a calendar month in Haikou's time (UTC+8). Counts by event date: cases
registered, concluded, ended in an agreement or a termination, and escalated in the
month; overdue means open at the month's end past its deadline (the deadline as it
stands now, extensions included). Hotspots and repeat disputes are those of the early
warning as of the month's end, the month being the recent window.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import area_in_force
from geo.codes import HAIKOU_TIME, area_prefix
from geo.errors import Invalid
from geo.i18n import label
from geo.incidents.service import in_area
from geo.mediation.categories import LABELS_ZH, MEDIATED_SQL, Category
from geo.warning.service import alerts, defaults

REPORTED_LEVELS = ("city", "district", "town")   # a monthly report is of one of these
TREND_MONTHS = 12

# Counts of one month, for any grouping of incidents ``i`` (:start and :end bound the month).
_COUNTS = f"""
    count(*) FILTER (WHERE i.registered_at >= :start AND i.registered_at < :end) AS registered,
    count(*) FILTER (WHERE i.concluded_at >= :start AND i.concluded_at < :end) AS concluded,
    count(*) FILTER (WHERE i.agreement_at >= :start AND i.agreement_at < :end) AS agreements,
    count(*) FILTER (WHERE i.termination_routes IS NOT NULL AND i.concluded_at >= :start AND i.concluded_at < :end)
        AS terminations,
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM incident_events e WHERE e.incident_id = i.id AND e.action = 'escalate'
                                      AND e.at >= :start AND e.at < :end)) AS escalations,
    count(*) FILTER (WHERE i.registered_at < :end AND i.due_at < :end AND i.status <> 'refused'
                       AND {MEDIATED_SQL.format(alias='i.')}
                       AND (i.concluded_at IS NULL OR i.concluded_at >= :end)) AS overdue"""
_DAYS = "extract(epoch FROM i.concluded_at - i.registered_at) / 86400"
_TIMES = f"""
    percentile_cont(0.5) WITHIN GROUP (ORDER BY {_DAYS})
        FILTER (WHERE i.concluded_at >= :start AND i.concluded_at < :end) AS median_days,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY {_DAYS})
        FILTER (WHERE i.concluded_at >= :start AND i.concluded_at < :end) AS p90_days"""
# Only incidents that touch the month (or are open at its end) can count.
_TOUCHES = """(i.registered_at < :end AND (i.concluded_at IS NULL OR i.concluded_at >= :start
                OR i.registered_at >= :start OR i.due_at < :end))"""


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of ``YYYY-MM`` in Haikou time."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month or ""):
        raise Invalid("month {month!r} is not YYYY-MM", field="month", month=month)
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=HAIKOU_TIME)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def last_month(now: datetime | None = None) -> str:
    """The latest full month in Haikou time: the usual subject of a meeting."""
    first = (now or datetime.now(HAIKOU_TIME)).astimezone(HAIKOU_TIME).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _months_before(start: datetime, count: int) -> list[datetime]:
    """The starts of ``count`` months ending with the one at ``start``, oldest first."""
    months = [start]
    while len(months) < count:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def _round(row: dict) -> dict:
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}


def report(session: Session, code: str, month: str) -> dict:
    """Every figure of the monthly report of area ``code``."""
    area = area_in_force(session, code)
    if area["level"] not in REPORTED_LEVELS:
        raise Invalid("monthly reports are for the city, a district or a town, not a {level}", field="area", level=area['level'])
    start, end = month_bounds(month)
    if start > datetime.now(HAIKOU_TIME):
        raise Invalid("{month} has not begun: there is nothing to report yet", field="month", month=month)
    where = in_area(area["level"], "i.")
    params = {"area": code, "start": start, "end": end, "prefix": area_prefix(code)}

    def rows(sql: str) -> list[dict]:
        return [_round(dict(r)) for r in session.execute(text(sql), params).mappings()]

    summary = rows(f"SELECT {_COUNTS}, {_TIMES} FROM incidents i WHERE {where} AND {_TOUCHES}")[0]
    categories = rows(f"""SELECT i.category, {_COUNTS}, {_TIMES} FROM incidents i
                           WHERE {where} AND {_TOUCHES} GROUP BY i.category ORDER BY registered DESC, i.category""")
    for row in categories:
        row["category_zh"] = LABELS_ZH[Category(row["category"])]
    sources = rows(f"""SELECT i.channel AS source, {_COUNTS} FROM incidents i
                        WHERE {where} AND {_TOUCHES} GROUP BY i.channel ORDER BY registered DESC, i.channel""")
    for row in sources:
        row["source_zh"] = label("source", row["source"], "zh-CN")
    villages = rows(f"""
        WITH counts AS (SELECT i.village_code, {_COUNTS} FROM incidents i
                         WHERE {where} AND {_TOUCHES} GROUP BY i.village_code)
        SELECT v.code, v.name, t.name AS town, v.households, coalesce(c.registered, 0) AS registered,
               coalesce(c.concluded, 0) AS concluded, coalesce(c.agreements, 0) AS agreements,
               coalesce(c.terminations, 0) AS terminations, coalesce(c.escalations, 0) AS escalations,
               coalesce(c.overdue, 0) AS overdue,
               round(1000.0 * coalesce(c.registered, 0) / nullif(v.households, 0), 2)::float8 AS per_1000_households
          FROM areas_now v JOIN areas_now t ON t.code = v.parent_code
          LEFT JOIN counts c ON c.village_code = v.code
         WHERE v.level = 'village' AND v.code LIKE :prefix || '%'
         ORDER BY v.code""")
    mediators = rows(f"""
        SELECT m.id AS mediator_id, m.employment, o.name AS organisation,
               count(*) FILTER (WHERE i.registered_at >= :start AND i.registered_at < :end) AS assigned,
               count(*) FILTER (WHERE i.concluded_at >= :start AND i.concluded_at < :end) AS concluded,
               count(*) FILTER (WHERE i.concluded_at IS NULL OR i.concluded_at >= :end) AS open_at_month_end
          FROM incidents i JOIN mediators m ON m.id = i.mediator_id JOIN organisations o ON o.id = m.organisation_id
         WHERE {where} AND {_TOUCHES}
         GROUP BY m.id, m.employment, o.name ORDER BY assigned DESC, open_at_month_end DESC, m.id""")
    months = _months_before(start, TREND_MONTHS)
    params.update(labels=[m.strftime("%Y-%m") for m in months], starts=months, ends=months[1:] + [end])
    trend = rows(f"""
        SELECT m.label AS month,
               count(i.id) FILTER (WHERE i.registered_at >= m.start AND i.registered_at < m.end_) AS registered,
               count(i.id) FILTER (WHERE i.concluded_at >= m.start AND i.concluded_at < m.end_) AS concluded
          FROM unnest(CAST(:labels AS text[]), CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]))
               WITH ORDINALITY AS m(label, start, end_, n)
          LEFT JOIN incidents i ON {where} AND i.registered_at < m.end_
               AND ((i.registered_at >= m.start) OR (i.concluded_at >= m.start AND i.concluded_at < m.end_))
         GROUP BY m.label, m.n ORDER BY m.n""")
    thresholds, _ = defaults()
    warning = alerts(session, as_of=end, area=code, thresholds=replace(thresholds, window_days=(end - start).days))
    result = {"area": area, "month": month, "start": start.isoformat(), "end": end.isoformat(),
              "last_day": (end - timedelta(days=1)).date().isoformat(), "summary": summary,
              "categories": categories, "sources": sources, "villages": villages, "mediators": mediators, "trend": trend,
              "hotspots": warning["hotspots"], "repeats": warning["repeats"], "hotspot_rule": warning["hotspot_rule"],
              "repeat_rule": warning["repeat_rule"]}
    if area["level"] != "town":
        result["towns"] = _towns(villages, session, params)
    return result


def _towns(villages: list[dict], session: Session, params: dict) -> list[dict]:
    """The village rows summed per town."""
    names = dict(session.execute(text("""SELECT code, name FROM areas_now WHERE level = 'town'
                                           AND code LIKE :prefix || '%'"""), params).all())
    towns: dict[str, dict] = {}
    for v in villages:
        code = v["code"][:9]
        town = towns.setdefault(code, {"code": code, "name": names.get(code, v["town"]), "households": 0, "registered": 0,
                                       "concluded": 0, "agreements": 0, "terminations": 0, "escalations": 0, "overdue": 0})
        for key in ("households", "registered", "concluded", "agreements", "terminations", "escalations", "overdue"):
            town[key] += v[key] or 0
    for town in towns.values():
        town["per_1000_households"] = round(1000 * town["registered"] / town["households"], 2) if town["households"] else None
    return sorted(towns.values(), key=lambda t: t["code"])
