"""What a draft would change against the generation it is based on: areas and assignments."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.planning.draft import scope_prefix
from geo.planning.models import Plan
from geo.planning.validate import changed_codes

_BASE = "in_force(a.generation_low, a.generation_high, :g)"
# A base area ``a`` the draft keeps as it was (same row, same code, not changed): publish keeps its row.
UNCHANGED = """EXISTS (SELECT 1 FROM plan_areas q WHERE q.plan_id = :plan AND q.base_area_id = a.id
                                AND q.code = a.code AND NOT q.code = ANY(:changed))"""
_AREA_DIFF = f"""
    SELECT coalesce(p.code, a.code) AS code, coalesce(p.level, a.level) AS level,
           CASE WHEN a.id IS NULL THEN 'added' WHEN p.code IS NULL THEN 'removed' ELSE 'changed' END AS change,
           a.name AS name_before, p.name AS name_after, a.parent_code AS parent_before, p.parent_code AS parent_after,
           round(a.area_m2) AS area_m2_before, round(ST_Area(p.geom::geography)) AS area_m2_after,
           a.households AS households_before, p.households AS households_after
      FROM (SELECT * FROM plan_areas WHERE plan_id = :plan AND code = ANY(:changed)) p
      FULL JOIN (SELECT a.* FROM areas a WHERE {_BASE} AND a.code LIKE :prefix AND a.code <> :scope
                    AND NOT {UNCHANGED}) a
        ON a.code = p.code
     ORDER BY 1"""

# The entities a boundary change can reassign: fixed SQL per kind (nothing from a request).
# (table, old assignment, level it is assigned at, which rows count)
ENTITIES = {
    "incidents": ("incidents", "e.grid_code", "grid", "is_open(e.status)"),
    "cameras": ("cameras", f"(SELECT min(a.code) FROM areas a WHERE a.level = 'grid' AND {_BASE} "
                           "AND ST_Covers(a.geom, e.position))", "grid", "true"),
    "mediators": ("mediators", "e.home_village_code", "village", "true"),
}


def _moves_sql(kind: str) -> str:
    table, old, level, rows = ENTITIES[kind]
    return f"""
    WITH touched AS (
        SELECT geom FROM plan_areas WHERE plan_id = :plan AND level = '{level}' AND code = ANY(:touched)
        UNION ALL
        SELECT a.geom FROM areas a WHERE a.level = '{level}' AND {_BASE} AND a.code = ANY(:touched)),
    candidates AS (SELECT DISTINCT e.id FROM {table} e JOIN touched t ON ST_Covers(t.geom, e.position) WHERE {rows})
    SELECT id, old, new FROM (
        SELECT e.id::text AS id, {old} AS old,
               (SELECT min(p.code) FROM plan_areas p WHERE p.plan_id = :plan AND p.level = '{level}'
                   AND ST_Covers(p.geom, e.position)) AS new
          FROM {table} e JOIN candidates USING (id)) m
     WHERE old IS DISTINCT FROM new ORDER BY id"""


def diff(session: Session, plan: Plan, changed: set[str] | None = None) -> dict:
    """Areas added, removed and changed (with area and household changes), and every open
    incident, camera and mediator whose grid (mediators: village) would change."""
    changed = sorted(changed_codes(session, plan.id) if changed is None else changed)
    params = {"plan": plan.id, "changed": changed, "g": plan.base_generation, "prefix": scope_prefix(plan.scope_code),
              "scope": plan.scope_code}
    rows = [dict(r) for r in session.execute(text(_AREA_DIFF), params).mappings()]
    areas = {"added": [], "removed": [], "changed": []}
    for row in rows:
        areas[row.pop("change")].append(row)
    touched = [r["code"] for r in rows]
    moves = {kind: [dict(r) for r in session.execute(text(_moves_sql(kind)),
                                                    {**params, "touched": touched}).mappings()]
             for kind in ENTITIES}
    return {"plan": plan.id, "base_generation": plan.base_generation, "areas": areas,
            "counts": {**{k: len(v) for k, v in areas.items()}, **{f"{k}_reassigned": len(v) for k, v in moves.items()}},
            "reassigned": moves}
