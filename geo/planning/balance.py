"""Which grids need fixing: those whose households are outside their village's target range,
and those that are not compact (Polsby-Popper below the report's threshold), for a published
generation or a draft, most households first. What the planner page colours and lists."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import CITY_CODE
from geo.planning.draft import household_range, scope_prefix
from geo.planning.models import Plan
from geo.planning.validate import MIN_POLSBY_POPPER
from geo.settings import get_settings

# Grids with their households and compactness (4πA/P², on the spheroid), from ``{source}``.
_GRIDS = """SELECT g.code, g.name, g.parent_code AS village, g.households,
                   4 * pi() * ST_Area(g.geom::geography) / nullif(ST_Perimeter(g.geom::geography) ^ 2, 0)
                       AS polsby_popper
              FROM {source} g WHERE g.level = 'grid' AND g.code LIKE :prefix ORDER BY g.households DESC, g.code"""
_IN_GENERATION = "(SELECT * FROM areas WHERE in_force(generation_low, generation_high, :g))"
_IN_PLAN = "(SELECT * FROM plan_areas WHERE plan_id = :plan)"


def _summarise(rows, scope: str, target_of) -> dict:
    out_of_range, not_compact = [], []
    for row in rows:
        low, high = target_of(row.village)
        if not low <= row.households <= high:
            out_of_range.append({"code": row.code, "name": row.name, "village": row.village,
                                 "households": row.households, "target": [low, high],
                                 "side": "under" if row.households < low else "over"})
        if row.polsby_popper is not None and row.polsby_popper < MIN_POLSBY_POPPER:
            not_compact.append({"code": row.code, "name": row.name, "village": row.village,
                                "polsby_popper": round(row.polsby_popper, 3)})
    dataset = get_settings().dataset
    return {"scope": scope, "grids": len(rows), "default_target": [dataset.households_per_grid_min,
                                                                   dataset.households_per_grid_max],
            "least_polsby_popper": MIN_POLSBY_POPPER, "out_of_range": out_of_range, "not_compact": not_compact}


def of_generation(session: Session, generation: int, scope: str = CITY_CODE) -> dict:
    """The grids of ``scope`` in ``generation`` that need fixing (its villages' default range)."""
    rows = session.execute(text(_GRIDS.format(source=_IN_GENERATION)),
                           {"g": generation, "prefix": scope_prefix(scope)}).all()
    dataset = get_settings().dataset
    return _summarise(rows, scope, lambda village: (dataset.households_per_grid_min, dataset.households_per_grid_max))


def of_plan(session: Session, plan: Plan) -> dict:
    """The draft's grids that need fixing, against the plan's own targets where it sets them."""
    rows = session.execute(text(_GRIDS.format(source=_IN_PLAN)),
                           {"plan": plan.id, "prefix": scope_prefix(plan.scope_code)}).all()
    return _summarise(rows, plan.scope_code, lambda village: household_range(plan, village))
