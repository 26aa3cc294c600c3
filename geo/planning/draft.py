"""A draft's areas in and out of PostGIS, the edit log, undo and redo.

An edit computes the new versions of the areas it touches; ``commit_edit`` writes them
and logs the old and new versions (geometry as WKB, so undo restores the exact bytes).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import shapely
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.areas.models import Area, in_force
from geo.areas.service import current_generation
from geo.audit.service import record
from geo.codes import CITY_CODE, CodeError, Level, parse_area_code
from geo.errors import Conflict, Invalid, NotFound
from geo.i18n import N_
from geo.planning.models import Plan, PlanEdit, PlanReview
from geo.settings import get_settings

UNCOUNTED = -1


@dataclass(frozen=True)
class DraftArea:
    code: str
    level: str
    name: str
    kind: str
    parent_code: str | None
    households: int
    population: int
    base_area_id: int | None
    geom: shapely.Geometry

    def to_json(self) -> dict:
        row = asdict(self)
        row["geom"] = shapely.to_wkb(self.geom, hex=True)
        return row

    @classmethod
    def from_json(cls, row: dict) -> "DraftArea":
        return cls(**{**row, "geom": shapely.from_wkb(row["geom"])})

    def with_geom(self, geom: shapely.Geometry) -> "DraftArea":
        """The area with a new boundary; its households are recounted when the edit is applied."""
        return replace(self, geom=as_multi(geom), households=UNCOUNTED, population=UNCOUNTED)


def as_multi(geometry: shapely.Geometry) -> shapely.MultiPolygon:
    """The polygonal part of ``geometry`` as a MultiPolygon (lines and points of a collection dropped)."""
    if isinstance(geometry, shapely.MultiPolygon):
        return geometry
    if isinstance(geometry, shapely.Polygon):
        return shapely.MultiPolygon([geometry] if not geometry.is_empty else [])
    return shapely.MultiPolygon([g for g in shapely.get_parts(geometry)
                                 if isinstance(g, shapely.Polygon) and not g.is_empty])


TOUCH_DEG = 1e-8   # about 1 mm: parts this close count as touching (overlay leaves shared edges a hair apart)
NOISE_M2 = 0.01    # pieces smaller than this are crumbs of floating-point overlay, not planning changes
M2_PER_DEG2 = 111_320.0 ** 2 * 0.94   # square metres per square degree at Haikou's latitude (cos 20°)


def separate_pieces(geometry: shapely.Geometry) -> list[shapely.Geometry]:
    """The pieces of a (Multi)Polygon that do not touch one another, largest first."""
    parts = list(shapely.get_parts(geometry))
    group = list(range(len(parts)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    if len(parts) > 1:
        tree = shapely.STRtree(parts)
        for i, j in zip(*tree.query(parts, predicate="dwithin", distance=TOUCH_DEG)):
            group[root(i)] = root(j)
    pieces: dict[int, list] = {}
    for i, part in enumerate(parts):
        pieces.setdefault(root(i), []).append(part)
    merged = [shapely.union_all(p) if len(p) > 1 else p[0] for p in pieces.values()]
    return sorted(merged, key=lambda g: -g.area)


def scope_prefix(scope: str) -> str:
    """The LIKE prefix of the codes in a scope (district codes do not start with the city's)."""
    return CITY_CODE[:4] + "%" if scope == CITY_CODE else scope + "%"


def default_household_range() -> tuple[int, int]:
    """Households per grid aimed at where no plan sets a village's own target (settings)."""
    dataset = get_settings().dataset
    return dataset.households_per_grid_min, dataset.households_per_grid_max


def household_range(plan: Plan, village: str) -> tuple[int, int]:
    """Households per grid the plan aims at in ``village``: its own target, or the default."""
    low, high = plan.household_targets.get(village, default_household_range())
    return int(low), int(high)


# Why a village cannot be split into grids of its target range, and what the planner can do.
UNBALANCED = N_("{name} ({village}) has {households} households: {fewer} grid(s) would hold about {over} each, over {high}; "
                "{more} would hold about {under} each, under {low}. Accept the warning with a reason, widen the "
                "village's target range, or merge with a neighbouring village's grid")
TOO_FEW = N_("{name} ({village}) has {households} households, fewer than one grid's {low}. Accept the warning with a reason, "
             "widen the village's target range, or merge with a neighbouring village's grid")


def unbalanced(village: str, name: str, households: int, low: int, high: int) -> tuple[str, dict] | None:
    """Why ``village`` (its code and name) cannot make grids of ``low``-``high`` households each, as a message and
    its values (None: some number of grids can): e.g. 595 households make one grid over 500 or
    two under 300."""
    more = max(1, math.ceil(households / high))   # the fewest grids that keep each at or under high
    if households / more >= low:
        return None
    values = {"village": village, "name": name, "households": households, "low": low, "high": high, "more": more,
              "under": round(households / more)}
    if more == 1:
        return TOO_FEW, values
    return UNBALANCED, {**values, "fewer": more - 1, "over": round(households / (more - 1))}


def get_plan(session: Session, plan_id: int, *, for_update: bool = False, editable: bool = False) -> Plan:
    query = select(Plan).where(Plan.id == plan_id)
    plan = session.scalar(query.with_for_update() if for_update else query)
    if plan is None:
        raise NotFound("no plan {plan_id}", field="plan_id", plan_id=plan_id)
    if editable and plan.status != "draft":
        raise Conflict("plan {plan_id} is {status}: only drafts can change", field="plan_id",
                       plan_id=plan_id, status=plan.status)
    return plan


def summary(session: Session, plan: Plan) -> dict:
    """A plan as the API shows it: its state, whether it can undo and redo, its areas per level,
    whether it went stale and its review."""
    return summaries(session, [plan])[0]


def summaries(session: Session, plans: list[Plan]) -> list[dict]:
    """``summary`` of each plan, read in one query per kind for all of them (a list of 200)."""
    current = current_generation(session)
    ids = [p.id for p in plans]
    counts: dict[int, dict[str, int]] = {i: {} for i in ids}
    for plan_id, level, n in session.execute(text("SELECT plan_id, level, count(*) FROM plan_areas "
                                                  "WHERE plan_id = ANY(:ids) GROUP BY plan_id, level"), {"ids": ids}):
        counts[plan_id][level] = n
    redoable = set(session.scalars(select(PlanEdit.plan_id).join(Plan, Plan.id == PlanEdit.plan_id)
                                   .where(PlanEdit.plan_id.in_(ids), PlanEdit.seq > Plan.applied).distinct()))
    reviews: dict[int, list[dict]] = {i: [] for i in ids}
    for r in session.scalars(select(PlanReview).where(PlanReview.plan_id.in_(ids)).order_by(PlanReview.id)):
        reviews[r.plan_id].append(_review_step(r))
    return [{"id": plan.id, "scope": plan.scope_code, "description": plan.description, "status": plan.status,
             "base_generation": plan.base_generation, "published_generation": plan.published_generation,
             "created_by": plan.created_by, "created_at": plan.created_at, "edits_applied": plan.applied,
             "can_undo": plan.applied > 0, "can_redo": plan.id in redoable,
             "household_targets": plan.household_targets, "areas": counts[plan.id],
             "stale": plan.status in ("draft", "submitted", "approved") and plan.base_generation != current,
             "reviews": reviews[plan.id]} for plan in plans]


def _review_step(r: PlanReview) -> dict:
    return {"action": r.action, "actor": r.actor, "note": r.note, "edit": r.edit, "at": r.at}


def latest_plans(session: Session, status: str | None = None, limit: int = 200, by: str | None = None) -> list[Plan]:
    """The newest plans, of ``status`` and made ``by`` an actor if given."""
    query = select(Plan).order_by(Plan.id.desc())
    if status:
        query = query.where(Plan.status == status)
    if by:
        query = query.where(Plan.created_by == by)
    return list(session.scalars(query.limit(limit)))


def edit_log(session: Session, plan: Plan) -> list[dict]:
    """Every edit of the plan in order; those after ``plan.applied`` are undone."""
    rows = session.scalars(select(PlanEdit).where(PlanEdit.plan_id == plan.id).order_by(PlanEdit.seq))
    return [{"seq": e.seq, "op": e.op, "params": e.params, "actor": e.actor, "at": e.at, "applied": e.seq <= plan.applied,
             "changed": sorted(e.after)} for e in rows]


MAX_HOUSEHOLDS_PER_GRID = 100_000   # a target beyond is a typing slip (a city grid holds hundreds)


def _check_targets(scope: str, targets: dict) -> None:
    for village, (low, high) in targets.items():
        if len(village) != 12 or not village.startswith(scope_prefix(scope)[:-1]) \
                or not 1 <= low <= high <= MAX_HOUSEHOLDS_PER_GRID:
            raise Invalid("household target for {village}: a village in the scope and [min, max] with "
                          "1 <= min <= max <= {most}", field="household_targets", village=village,
                          most=MAX_HOUSEHOLDS_PER_GRID)


def set_targets(session: Session, plan_id: int, targets: dict, *, actor: str) -> Plan:
    """Set the households per grid the draft aims at in some of its villages (the others keep
    theirs); the report and autogrid follow them."""
    plan = get_plan(session, plan_id, for_update=True, editable=True)
    if not targets:
        raise Invalid("name at least one village and its [min, max]", field="household_targets")
    _check_targets(plan.scope_code, targets)
    before = dict(plan.household_targets)
    plan.household_targets = {**before, **{village: list(bounds) for village, bounds in targets.items()}}
    record(session, actor=actor, action="set_targets", entity="plan", entity_id=plan.id,
           before={"household_targets": before}, after={"household_targets": plan.household_targets})
    return plan


def rebase(session: Session, plan_id: int, *, actor: str) -> Plan:
    """Move a stale draft onto the generation in force, where no generation since its base
    touched its scope (its areas' rows are then the same rows); otherwise a Conflict naming
    the areas changed since, with the generation that changed them."""
    plan = get_plan(session, plan_id, for_update=True, editable=True)
    current = current_generation(session)
    if plan.base_generation == current:
        raise Conflict("plan {plan_id} is on the generation in force already", field="plan_id", plan_id=plan.id)
    changed = session.execute(text("""
        SELECT code, CASE WHEN generation_low > :base THEN generation_low ELSE generation_high + 1 END AS generation
          FROM areas WHERE code LIKE :prefix AND (generation_low > :base OR generation_high >= :base)
         ORDER BY code, 2"""), {"base": plan.base_generation, "prefix": scope_prefix(plan.scope_code)}).all()
    if changed:
        first = {}
        for code, generation in changed:   # each area once, with the first generation that changed it
            first[code] = min(generation, first.get(code, generation))
        conflicts = sorted(first.items())
        error = Conflict("{count} areas of the plan's scope changed since generation {base}, e.g. {first} in "
                         "generation {generation}: open a new draft on the generation in force", field="plan_id",
                         count=len(conflicts), base=plan.base_generation, first=conflicts[0][0],
                         generation=conflicts[0][1])
        error.extra = {"conflicts": [{"code": c, "generation": g} for c, g in conflicts[:200]]}
        raise error
    before = plan.base_generation
    plan.base_generation = current
    record(session, actor=actor, action="rebase", entity="plan", entity_id=plan.id,
           before={"base_generation": before}, after={"base_generation": current})
    return plan


def open_plan(session: Session, *, scope: str, actor: str, description: str = "",
              household_targets: dict | None = None) -> Plan:
    """A draft of ``scope`` (the city, a district, a town or a village) and everything under
    it, copied from the current generation."""
    try:
        parsed = parse_area_code(scope)
    except CodeError as exc:
        raise exc.at("scope") from None
    if parsed.level is Level.GRID:
        raise Invalid("a plan's scope is the city, a district, a town or a village, not a grid", field="scope")
    generation = current_generation(session)
    if generation is None:
        raise Conflict("no boundary generation is published yet", field="scope")
    if not session.scalar(select(Area.id).where(Area.code == scope, in_force(Area, generation))):
        raise NotFound("no area {scope} in generation {generation}", field="scope", scope=scope, generation=generation)
    _check_targets(scope, household_targets or {})
    plan = Plan(base_generation=generation, scope_code=scope, description=description, created_by=actor,
                applied=0, household_targets=household_targets or {}, status="draft")
    session.add(plan)
    session.flush()
    record(session, actor=actor, action="create", entity="plan", entity_id=plan.id, before=None,
           after={"scope": scope, "base_generation": generation, "household_targets": plan.household_targets})
    session.execute(text("""
        INSERT INTO plan_areas (plan_id, code, level, name, kind, parent_code, households, population, base_area_id, geom)
        SELECT :plan, code, level, name, kind, parent_code, coalesce(households, 0), coalesce(population, 0), id, geom
          FROM areas WHERE code LIKE :prefix AND in_force(generation_low, generation_high, :g)"""),
                    {"plan": plan.id, "prefix": scope_prefix(scope), "g": generation})
    return plan


def _rows_to_areas(rows) -> dict[str, DraftArea]:
    return {r.code: DraftArea(r.code, r.level, r.name, r.kind, r.parent_code, r.households, r.population,
                              r.base_area_id, shapely.from_wkb(r.wkb)) for r in rows}


_SELECT = """SELECT code, level, name, kind, parent_code, households, population, base_area_id,
                    ST_AsBinary(geom) AS wkb FROM plan_areas WHERE plan_id = :plan"""


def areas(session: Session, plan_id: int, *, codes=None, level: str | None = None, parent: str | None = None,
          parents=None, touching: shapely.Geometry | None = None) -> dict[str, DraftArea]:
    """The draft's areas, filtered by codes, level, parent(s) and/or intersection with a geometry."""
    sql, params = _SELECT, {"plan": plan_id}
    if codes is not None:
        sql += " AND code = ANY(:codes)"
        params["codes"] = list(codes)
    if parents is not None:
        sql += " AND parent_code = ANY(:parents)"
        params["parents"] = list(parents)
    if level:
        sql += " AND level = :level"
        params["level"] = level
    if parent:
        sql += " AND parent_code = :parent"
        params["parent"] = parent
    if touching is not None:
        sql += " AND ST_Intersects(geom, ST_GeomFromWKB(:touch, 4326))"
        params["touch"] = shapely.to_wkb(touching)
    return _rows_to_areas(session.execute(text(sql + " ORDER BY code"), params))


def area(session: Session, plan_id: int, code: str, field: str = "code") -> DraftArea:
    found = areas(session, plan_id, codes=[code])
    if not found:
        raise NotFound("no area {code} in plan {plan_id}", field=field, code=code, plan_id=plan_id)
    return found[code]


def _write(session: Session, plan_id: int, versions: dict[str, DraftArea | None]) -> None:
    session.execute(text("DELETE FROM plan_areas WHERE plan_id = :plan AND code = ANY(:codes)"),
                    {"plan": plan_id, "codes": list(versions)})
    rows = [a for a in versions.values() if a is not None]
    if rows:
        session.execute(text("""
            INSERT INTO plan_areas (plan_id, code, level, name, kind, parent_code, households, population,
                                    base_area_id, geom)
            VALUES (:plan, :code, :level, :name, :kind, :parent_code, :households, :population, :base_area_id,
                    ST_Multi(ST_GeomFromWKB(:wkb, 4326)))"""),
                        [{"plan": plan_id, **{k: v for k, v in asdict(a).items() if k != "geom"},
                          "wkb": shapely.to_wkb(a.geom)} for a in rows])


def same_area(a: DraftArea | None, b: DraftArea | None) -> bool:
    """Whether two versions of an area are the same: name, parent, counts and shape (however its
    rings start or run, to within the crumbs of floating-point overlay: an edit that rebuilds a
    grid as it was changes nothing)."""
    if a is None or b is None:
        return a is b
    if (a.name, a.kind, a.parent_code, a.households, a.population) != (b.name, b.kind, b.parent_code, b.households,
                                                                       b.population):
        return False
    if shapely.equals_exact(a.geom, b.geom, 0):
        return True
    try:
        return shapely.symmetric_difference(a.geom, b.geom).area * M2_PER_DEG2 < NOISE_M2
    except shapely.errors.GEOSException:   # an invalid shape: compared vertex by vertex only
        return False


def commit_edit(session: Session, plan: Plan, op: str, params: dict, after: dict[str, DraftArea | None],
                actor: str, unchanged_because: str | None = None) -> PlanEdit:
    """Write the edit's new area versions (those that differ from the draft's) and log it;
    edits undone before it are forgotten. An edit that changes nothing is refused, saying
    why when the edit knows (``unchanged_because``)."""
    before = areas(session, plan.id, codes=list(after))
    after = {code: a for code, a in after.items() if not same_area(before.get(code), a)}
    if not after:
        if unchanged_because:
            raise Invalid("the {op} edit changes nothing: {why}", field="op", op=op, why=unchanged_because)
        raise Invalid("the {op} edit changes nothing", field="op", op=op)
    session.execute(text("DELETE FROM plan_edits WHERE plan_id = :plan AND seq > :applied"),
                    {"plan": plan.id, "applied": plan.applied})
    _write(session, plan.id, after)
    plan.applied += 1
    edit = PlanEdit(plan_id=plan.id, seq=plan.applied, op=op, params=params, actor=actor,
                    before={code: (before[code].to_json() if code in before else None) for code in after},
                    after={code: (a.to_json() if a is not None else None) for code, a in after.items()})
    session.add(edit)
    session.flush()
    record(session, actor=actor, action=op, entity="plan", entity_id=plan.id, before={"edit": edit.seq - 1},
           after={"edit": edit.seq, "changed": sorted(after), "params": params})
    return edit


def step(session: Session, plan: Plan, *, forward: bool, actor: str) -> PlanEdit:
    """Undo the last applied edit, or redo the next undone one."""
    seq = plan.applied + 1 if forward else plan.applied
    edit = session.get(PlanEdit, (plan.id, seq)) if seq >= 1 else None
    if edit is None:
        if forward:
            raise Conflict("nothing to redo", field="plan_id")
        raise Conflict("nothing to undo", field="plan_id")
    versions = edit.after if forward else edit.before
    _write(session, plan.id, {code: (DraftArea.from_json(row) if row else None) for code, row in versions.items()})
    before = plan.applied
    plan.applied = seq if forward else seq - 1
    record(session, actor=actor, action="redo" if forward else "undo", entity="plan", entity_id=plan.id,
           before={"edit": before}, after={"edit": plan.applied, "changed": sorted(versions)})
    return edit


def discard(session: Session, plan_id: int, *, actor: str) -> None:
    """A discarded draft stays readable but can no longer change or be published."""
    plan = get_plan(session, plan_id, for_update=True, editable=True)
    plan.status = "discarded"
    record(session, actor=actor, action="discard", entity="plan", entity_id=plan.id, before={"status": "draft"},
           after={"status": "discarded"})
