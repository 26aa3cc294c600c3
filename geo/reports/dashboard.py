"""Dashboard figures for an area (the city by default), from the generation in force:
full-time mediator coverage per village (the city's target is every village), cameras
and the share of H3 cells a camera sees per grid, time to conclusion (median and p90)
and the share of open incidents that are overdue."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import area_in_force
from geo.codes import CITY_CODE, area_prefix
from geo.incidents.deadlines import overdue_sql
from geo.incidents.service import in_area
from geo.mediation.categories import MEDIATED_SQL

def figures(session: Session, code: str = CITY_CODE) -> dict:
    area = area_in_force(session, code)
    level = area["level"]
    prefix = area_prefix(code) + "%"
    villages = [dict(r) for r in session.execute(text("""
        SELECT v.code, v.name, count(m.id) FILTER (WHERE m.employment = 'full_time') AS full_time_mediators,
               count(m.id) AS mediators
          FROM areas_now v LEFT JOIN mediators m ON m.home_village_code = v.code
         WHERE v.level = 'village' AND v.code LIKE :p
         GROUP BY v.code, v.name ORDER BY v.code"""), {"p": prefix}).mappings()]
    covered = sum(v["full_time_mediators"] > 0 for v in villages)
    grids = [dict(r) for r in session.execute(text("""
        WITH seen AS (SELECT DISTINCT h3 FROM camera_cells),
        cells AS (SELECT h.grid_code, count(*) AS cells, count(s.h3) AS seen FROM h3_cells_now h LEFT JOIN seen s USING (h3)
                   WHERE h.grid_code LIKE :p GROUP BY h.grid_code)
        SELECT g.code, g.name, coalesce(c.cells, 0) AS cells,
               round(coalesce(c.seen, 0)::numeric / greatest(c.cells, 1), 4)::float8 AS camera_coverage,
               (SELECT count(*) FROM cameras k WHERE ST_Covers(g.geom, k.position)) AS cameras
          FROM areas_now g LEFT JOIN cells c ON c.grid_code = g.code
         WHERE g.level = 'grid' AND g.code LIKE :p ORDER BY g.code"""),
                                                     {"p": prefix}).mappings()]
    where = in_area(level)
    incidents = session.execute(text(f"""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM concluded_at - registered_at) / 86400)
                   FILTER (WHERE concluded_at IS NOT NULL),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM concluded_at - registered_at) / 86400)
                   FILTER (WHERE concluded_at IS NOT NULL),
               count(*) FILTER (WHERE concluded_at IS NOT NULL),
               count(*) FILTER (WHERE is_open(status)),
               count(*) FILTER (WHERE is_open(status) AND {overdue_sql()})
          FROM incidents WHERE {where} AND {MEDIATED_SQL.format(alias="")}"""), {"area": code}).one()
    median, p90, concluded, open_, overdue = incidents
    return {
        "area": area,
        "mediator_coverage": {"villages": len(villages), "with_full_time_mediator": covered,
                              "share": round(covered / len(villages), 4) if villages else None, "target": 1.0,
                              "villages_without": [v["code"] for v in villages if not v["full_time_mediators"]],
                              "by_village": villages},
        "cameras": {"grids": len(grids), "cameras": sum(g["cameras"] for g in grids),
                    "grids_without_camera": sum(g["cameras"] == 0 for g in grids), "by_grid": grids},
        "time_to_conclusion_days": {"concluded": concluded, "median": median and round(median, 2),
                                    "p90": p90 and round(p90, 2)},
        "overdue": {"open": open_, "overdue": overdue, "share": round(overdue / open_, 4) if open_ else None},
    }
