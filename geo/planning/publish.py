"""Publishing a draft as a new generation, in one transaction; restoring an old generation.

Unchanged areas keep their rows (their generation range stays open); a changed or removed
area's row is closed at the base generation and a changed or added one gets a new row.
H3 cells and open incidents are reassigned, mediators' home villages follow their position.
A transaction-level advisory lock serialises publishes, and a draft whose base is no longer
the current generation is refused: two drafts of one generation cannot both be published.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import shapes
from geo.areas.models import Generation
from geo.areas.service import current_generation, index_resolution, resolve_generation
from geo.audit.service import record
from geo.changes import announce
from geo.codes import CITY_CODE
from geo.errors import Conflict, Invalid
from geo.planning import cells as cellmath
from geo.planning.diff import UNCHANGED, diff
from geo.planning.draft import areas, get_plan, open_plan, scope_prefix
from geo.planning.models import Plan
from geo.planning.validate import changed_codes, validate
from geo.settings import get_settings

_PUBLISH_LOCK = 460100_0005   # pg_advisory_xact_lock key: one publish at a time


class NotPublishable(Invalid):
    """The draft has errors, or warnings nobody accepted; ``report`` says which."""

    def __init__(self, message: str, report: dict, **values):
        super().__init__(message, field="accept_warnings" if report["errors"] == 0 else "plan_id", **values)
        self.extra = {"report": report}


def publishable(plan: Plan) -> None:
    """A Conflict unless the draft may be published now (approved, or a draft where review is optional)."""
    required = get_settings().planning.publish_review == "required"
    if plan.status == "approved" or (plan.status == "draft" and not required):
        return
    if plan.status in ("draft", "submitted"):
        raise Conflict("plan {plan_id} is {status}: another planner or an admin approves it before it is published "
                       "(GRID_PUBLISH_REVIEW=required)", field="plan_id", plan_id=plan.id, status=plan.status)
    raise Conflict("plan {plan_id} is {status}: only drafts can change", field="plan_id", plan_id=plan.id,
                   status=plan.status)


def publish(session: Session, plan_id: int, *, actor: str, accept_warnings: str | None = None,
            description: str | None = None, restoring: bool = False) -> dict:
    """Publish the draft (approved, where review is required); returns the new generation and
    what changed. A restore republishes boundaries that were in force once, without review."""
    session.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": str(get_settings().db.publish_timeout_ms)})
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK})
    plan = get_plan(session, plan_id, for_update=True, editable=restoring)
    if not restoring:
        publishable(plan)
    current = current_generation(session)
    if plan.base_generation != current:
        raise Conflict("plan {plan_id} is based on generation {base}, but generation {current} has been published "
                       "since: open a new plan on the current generation", field="plan_id",
                       plan_id=plan.id, base=plan.base_generation, current=current)
    changed = changed_codes(session, plan.id)   # one comparison with the base, used by every step below
    report = validate(session, plan, changed=changed)
    if report["errors"]:
        raise NotPublishable("the draft has {errors} errors; see the report", report, errors=report["errors"])
    if report["warnings"] and not (accept_warnings or "").strip():
        raise NotPublishable("the draft has {warnings} warnings: publish with a reason in accept_warnings to accept them",
                             report, warnings=report["warnings"])
    changes = diff(session, plan, changed)
    generation = Generation(description=description or plan.description or f"plan {plan.id}",
                            based_on=plan.base_generation, published_by=actor, plan_id=plan.id,
                            accepted_warnings=accept_warnings if report["warnings"] else None)
    session.add(generation)
    session.flush()
    new_ids = _write_areas(session, plan, generation.id, changed)
    shapes.rebuild(session, generation.id, only=new_ids)
    cells_moved = _reassign_cells(session, plan, generation.id, changed)
    _reassign_entities(session, changes["reassigned"])
    plan.status, plan.published_generation = "published", generation.id
    summary = {"generation": generation.id, "based_on": plan.base_generation, "plan": plan.id,
               "counts": {**changes["counts"], "h3_cells_reassigned": cells_moved},
               "warnings_accepted": report["warnings"]}
    record(session, actor=actor, action="publish", entity="generation", entity_id=generation.id,
           before={"generation": plan.base_generation}, after=summary)
    announce(session, "generations")
    return summary


def _write_areas(session: Session, plan: Plan, generation: int, changed: set[str]) -> list[int]:
    """Close the rows of changed and removed areas, insert the new ones; their new ids."""
    params = {"plan": plan.id, "changed": sorted(changed), "base": plan.base_generation, "new": generation,
              "prefix": scope_prefix(plan.scope_code), "scope": plan.scope_code}
    session.execute(text(f"""
        UPDATE areas_now a SET generation_high = :base
         WHERE in_force(a.generation_low, a.generation_high, :base) AND a.code LIKE :prefix AND a.code <> :scope
           AND NOT {UNCHANGED}"""), params)
    return list(session.scalars(text("""
        INSERT INTO areas (code, level, name, kind, parent_code, households, population, source,
                           generation_low, geom)
        SELECT code, level, name, kind, parent_code, households, population, 'plan ' || :plan, :new, geom
          FROM plan_areas WHERE plan_id = :plan AND code = ANY(:changed) RETURNING id"""), params))


def _reassign_cells(session: Session, plan: Plan, generation: int, changed: set[str]) -> int:
    """Cells under changed grids get the new chain of codes if it differs; returns how many moved."""
    draft = areas(session, plan.id, level="grid", codes=sorted(changed))
    if not draft:
        return 0
    resolution = index_resolution(session)
    cells, grid_codes = [], []
    for code, grid in draft.items():
        inside = cellmath.cells_in(grid.geom, resolution)
        cells.append(inside)
        grid_codes.extend([code] * len(inside))
    cells = np.concatenate(cells)
    moved = session.execute(text("""
        WITH wanted AS (SELECT * FROM unnest(CAST(:cells AS bigint[]), CAST(:grids AS text[])) AS w(h3, grid)),
        chain AS (SELECT code AS grid, parent_code AS village, left(parent_code, 9) AS town,
                         left(parent_code, 6) AS district
                    FROM plan_areas WHERE plan_id = :plan AND level = 'grid'),
        closed AS (
            UPDATE h3_cells_now c SET generation_high = :base FROM wanted w JOIN chain ch ON ch.grid = w.grid
             WHERE c.h3 = w.h3 AND in_force(c.generation_low, c.generation_high, :base)
               AND (c.grid_code, c.village_code, c.town_code, c.district_code)
                   IS DISTINCT FROM (ch.grid, ch.village, ch.town, ch.district)
            RETURNING c.h3, c.resolution, c.households, c.population, ch.grid, ch.village, ch.town, ch.district)
        INSERT INTO h3_cells (h3, generation_low, resolution, district_code, town_code, village_code, grid_code,
                              households, population)
        SELECT h3, :new, resolution, district, town, village, grid, households, population FROM closed"""),
                            {"cells": cells.tolist(), "grids": grid_codes, "plan": plan.id,
                             "base": plan.base_generation, "new": generation})
    return moved.rowcount


def _reassign_entities(session: Session, moves: dict) -> None:
    """Open incidents take their new grid's chain; mediators their new home village."""
    if moves["incidents"]:
        session.execute(text("""
            UPDATE incidents i SET grid_code = g.code, village_code = g.parent_code,
                   town_code = left(g.parent_code, 9), district_code = left(g.parent_code, 6)
              FROM unnest(CAST(:ids AS bigint[]), CAST(:codes AS text[])) AS m(id, code)
              JOIN (SELECT code, parent_code FROM areas_now WHERE level = 'grid') g
                ON g.code = m.code
             WHERE i.id = m.id"""), {"ids": [int(m["id"]) for m in moves["incidents"] if m["new"]],
                                     "codes": [m["new"] for m in moves["incidents"] if m["new"]]})
    if moves["mediators"]:
        session.execute(text("""
            UPDATE mediators SET home_village_code = m.code
              FROM unnest(CAST(:ids AS bigint[]), CAST(:codes AS text[])) AS m(id, code) WHERE mediators.id = m.id"""),
                        {"ids": [int(m["id"]) for m in moves["mediators"] if m["new"]],
                         "codes": [m["new"] for m in moves["mediators"] if m["new"]]})


def restore(session: Session, generation: int, *, actor: str) -> dict:
    """Roll back: publish the boundaries of an earlier generation as a new generation."""
    resolve_generation(session, generation)   # a 404 if it was never published, as everywhere
    plan = open_plan(session, scope=CITY_CODE, actor=actor, description=f"restore generation {generation}")
    session.execute(text("DELETE FROM plan_areas WHERE plan_id = :plan AND code <> :city"), {"plan": plan.id, "city": CITY_CODE})
    session.execute(text("""
        INSERT INTO plan_areas (plan_id, code, level, name, kind, parent_code, households, population, base_area_id, geom)
        SELECT :plan, a.code, a.level, a.name, a.kind, a.parent_code, coalesce(a.households, 0),
               coalesce(a.population, 0), now_row.id, a.geom
          FROM areas a LEFT JOIN areas_now now_row ON now_row.code = a.code
         WHERE in_force(a.generation_low, a.generation_high, :g) AND a.code <> :city"""),
                    {"plan": plan.id, "g": generation, "city": CITY_CODE})
    return publish(session, plan.id, actor=actor, accept_warnings=f"restore generation {generation}",
                   description=f"restore of generation {generation}", restoring=True)
