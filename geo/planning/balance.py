"""Which grids need fixing: those whose households are outside their village's target range,
and those that are not compact (Polsby-Popper below the report's threshold), for a published
generation or a draft, most households first; and the measures a comparison of two plans (or
a plan and the generation in force) sets side by side, as Districtr and Dave's Redistricting
users read them."""
from __future__ import annotations

from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import current_generation
from geo.codes import CITY_CODE
from geo.errors import Invalid
from geo.planning.cells import grid_of_cells, load_cells
from geo.planning.diff import diff
from geo.planning.draft import NOISE_M2, areas, default_household_range, household_range, scope_prefix
from geo.planning.models import Plan
from geo.planning.validate import MIN_POLSBY_POPPER

# Grids with their households, compactness (Polsby-Popper 4πA/P²; Reock: area over its smallest
# enclosing circle's; both on the spheroid) and pieces (crumbs under NOISE_M2 aside), from ``{source}``.
_GRIDS = """SELECT g.code, g.name, g.parent_code AS village, g.households,
       4 * pi() * ST_Area(g.geom::geography) / nullif(ST_Perimeter(g.geom::geography) ^ 2, 0) AS polsby_popper,
       {shapes}
  FROM {source} g WHERE g.level = 'grid' AND g.code LIKE :prefix ORDER BY g.households DESC, g.code"""
_SHAPES = """ST_Area(g.geom::geography) / nullif(ST_Area(ST_MinimumBoundingCircle(g.geom)::geography), 0) AS reock,
       (SELECT count(*) FROM ST_Dump(g.geom) d WHERE ST_Area(d.geom::geography) >= :noise) AS pieces"""
_NO_SHAPES = "NULL AS reock, NULL AS pieces"   # the fix list needs neither (they double its time city-wide)
_IN_GENERATION = "(SELECT * FROM areas WHERE in_force(generation_low, generation_high, :g))"
_IN_PLAN = "(SELECT * FROM plan_areas WHERE plan_id = :plan)"


def _grids(session: Session, scope: str, *, plan: Plan | None = None, generation: int | None = None,
           shapes: bool = False) -> list:
    """The grid rows (_GRIDS) of ``scope`` in the draft ``plan``, or else in ``generation``;
    with Reock and pieces if ``shapes``."""
    source, params = (_IN_PLAN, {"plan": plan.id}) if plan is not None else (_IN_GENERATION, {"g": generation})
    return session.execute(text(_GRIDS.format(source=source, shapes=_SHAPES if shapes else _NO_SHAPES)),
                           {**params, "prefix": scope_prefix(scope), "noise": NOISE_M2}).all()


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
    return {"scope": scope, "grids": len(rows), "default_target": list(default_household_range()),
            "least_polsby_popper": MIN_POLSBY_POPPER, "out_of_range": out_of_range, "not_compact": not_compact}


def of_generation(session: Session, generation: int, scope: str = CITY_CODE) -> dict:
    """The grids of ``scope`` in ``generation`` that need fixing (its villages' default range)."""
    return _summarise(_grids(session, scope, generation=generation), scope, lambda village: default_household_range())


def of_plan(session: Session, plan: Plan) -> dict:
    """The draft's grids that need fixing, against the plan's own targets where it sets them."""
    return _summarise(_grids(session, plan.scope_code, plan=plan), plan.scope_code,
                      lambda village: household_range(plan, village))


def cut_edges(assignment: dict[int, str]) -> int:
    """Pairs of neighbouring H3 cells that lie in different grids (the cut edges of the cell
    graph, as redistricting tools count them); cells outside ``assignment`` are not counted."""
    cut = 0
    for cell, grid in assignment.items():
        for neighbour in h3.grid_ring(cell, 1):
            other = assignment.get(neighbour)
            if other is not None and other != grid and neighbour > cell:
                cut += 1
    return cut


def measures(session: Session, *, plan: Plan | None = None, generation: int | None = None,
             scope: str = CITY_CODE, resolution: int) -> dict:
    """What a side of a comparison holds: grids, households per grid (min, max, spread, how
    many out of range), compactness (mean and least Polsby-Popper and Reock), grids in more
    than one piece, and cut edges between H3 cells."""
    rows = _grids(session, scope, plan=plan, generation=generation, shapes=True)
    if plan is not None:
        summary = _summarise(rows, scope, lambda village: household_range(plan, village))
        inside = scope_prefix(scope)[:-1]
        assignment = grid_of_cells({code: grid for code, grid in areas(session, plan.id, level="grid").items()
                                    if code.startswith(inside)}, resolution)
    else:
        summary = _summarise(rows, scope, lambda village: default_household_range())
        table = load_cells(session, generation, scope)
        assignment = {int(c): code for c, code in table["grid_code"].items() if code}
    households = [r.households for r in rows]

    def spread(values) -> dict:
        values = [v for v in values if v is not None]
        return {"mean": round(sum(values) / len(values), 3), "least": round(min(values), 3)} if values else None

    return {"grids": len(rows), "households_min": min(households, default=0), "households_max": max(households, default=0),
            "households_spread": max(households, default=0) - min(households, default=0),
            "out_of_range": len(summary["out_of_range"]), "polsby_popper": spread(r.polsby_popper for r in rows),
            "reock": spread(r.reock for r in rows), "in_pieces": sum(r.pieces > 1 for r in rows),
            "cut_edges": cut_edges(assignment)}


MEASURES = ("grids", "households_min", "households_max", "households_spread", "out_of_range", "polsby_popper_mean",
            "polsby_popper_least", "reock_mean", "reock_least", "in_pieces", "cut_edges", "incidents_reassigned",
            "cameras_reassigned", "mediators_reassigned")


def compare(session: Session, plan: Plan, other: Plan | None, resolution: int) -> dict:
    """The plan beside ``other`` (another plan, or None: the generation in force) over the
    plan's scope: every MEASURES row for both sides; a plan's reassignments are against its base.
    A district at most: the city's 1.1 million cells take half a minute a side."""
    if other is not None and (other.id == plan.id or not plan.scope_code.startswith(scope_prefix(other.scope_code)[:-1])):
        raise Invalid("compare with another plan whose scope holds this plan's ({scope})", field="with",
                      scope=plan.scope_code)
    if plan.scope_code == CITY_CODE:
        raise Invalid("a comparison covers a district, a town or a village: open the plan on one of them, or compare "
                      "its districts' plans", field="plan_id")
    def side(p: Plan | None) -> dict:
        if p is None:
            found = measures(session, generation=current_generation(session), scope=plan.scope_code,
                             resolution=resolution)
            moves = dict.fromkeys(("incidents_reassigned", "cameras_reassigned", "mediators_reassigned"), 0)
        else:
            found = measures(session, plan=p, scope=plan.scope_code, resolution=resolution)
            moves = {k: v for k, v in diff(session, p)["counts"].items() if k.endswith("_reassigned")}
        flat = {k: v for k, v in found.items() if not isinstance(v, dict | type(None))}
        for name in ("polsby_popper", "reock"):
            flat[f"{name}_mean"], flat[f"{name}_least"] = ((found[name] or {}).get("mean"), (found[name] or {}).get("least"))
        return {**flat, **moves}

    left, right = side(plan), side(other)
    return {"plan": plan.id, "with": other.id if other else "current", "scope": plan.scope_code,
            "rows": [{"measure": m, "plan": left[m], "other": right[m]} for m in MEASURES]}
