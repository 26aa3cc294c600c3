"""The validation report of a draft: every problem with its place on the map and a message.

Errors (publishing is refused): invalid or empty geometry, a malformed or misplaced code,
a missing parent, an area outside its parent, siblings that overlap or leave a gap in
their parent, and a changed area that falls apart into pieces. Warnings (publishing
needs a reason): changed areas that are not compact (Polsby-Popper), grids whose
households are outside the village's target range, and villages whose households no
number of grids can keep in range (with what the planner can do).

Pieces of overlap, gap or overhang smaller than ``NOISE_M2`` are crumbs of floating-point
overlay (micrometres wide), not planning mistakes, and are ignored.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import CODE_LENGTH, CodeError, Level, parse_area_code
from geo.i18n import N_, label, translate
from geo.planning.draft import NOISE_M2, DraftArea, areas, household_range, scope_prefix, separate_pieces, unbalanced
from geo.planning.models import Plan
from geo.plane import local_xy

MIN_POLSBY_POPPER = 0.15
GAP_WIDTH_M = 1.0   # gaps narrower than this are called slivers in the report


def _metric(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geometry, lambda lonlat: local_xy(lonlat[:, 0], lonlat[:, 1]))


def _geojson(geometry: shapely.Geometry) -> dict:
    return shapely.geometry.mapping(shapely.set_precision(geometry, 1e-7))


def polsby_popper(geometry: shapely.Geometry) -> float:
    """4πA/P² in the local metric plane: 1 for a disc, near 0 for a ribbon."""
    flat = _metric(geometry)
    return 4 * math.pi * flat.area / flat.length ** 2 if flat.length else 0.0


def changed_codes(session: Session, plan_id: int) -> set[str]:
    """Areas that differ from the published row they started from (or are new): the same shape
    drawn from another vertex is not a change."""
    return {r[0] for r in session.execute(text("""
        SELECT p.code FROM plan_areas p LEFT JOIN areas a ON a.id = p.base_area_id
         WHERE p.plan_id = :plan AND (a.id IS NULL OR p.name <> a.name OR p.parent_code IS DISTINCT FROM a.parent_code
               OR NOT (ST_OrderingEquals(p.geom, a.geom) OR (ST_IsValid(p.geom) AND ST_Equals(p.geom, a.geom))))"""),
        {"plan": plan_id})}


class Report:
    def __init__(self):
        self.problems: list[dict] = []

    def add(self, severity: str, check: str, codes: list[str], message: str,
            geometry: shapely.Geometry | None = None, values: dict | None = None, **extra) -> None:
        """A problem; its message (with ``values`` in its braces) in the language of the request."""
        problem = {"severity": severity, "check": check, "codes": codes, "message": translate(message, values),
                   **extra}
        if geometry is not None and not geometry.is_empty:
            problem["geometry"] = _geojson(geometry)
        self.problems.append(problem)

    def as_dict(self, plan: Plan) -> dict:
        errors = sum(p["severity"] == "error" for p in self.problems)
        return {"plan": plan.id, "edit": plan.applied, "valid": errors == 0, "errors": errors,
                "warnings": len(self.problems) - errors, "problems": self.problems}


def validate(session: Session, plan: Plan, focus: set[str] | None = None, changed: set[str] | None = None) -> dict:
    """Check the draft (see the module docstring for errors and warnings): the areas in
    ``focus`` (after an edit, those it touched) or else every area changed since the base
    generation, each with its parent, siblings and children. Areas and families no change
    reaches were valid when their generation was published, and are not checked again."""
    changed = changed_codes(session, plan.id) if changed is None else changed
    known = set(session.scalars(text("SELECT code FROM plan_areas WHERE plan_id = :p"), {"p": plan.id}))
    whole = focus is None
    if whole:
        focus = changed | removed_parents(session, plan)
    nearby = areas(session, plan.id, codes=sorted(focus))
    parents = {a.parent_code for a in nearby.values()} | set(focus)
    draft = areas(session, plan.id, codes=sorted(parents)) | areas(session, plan.id, parents=sorted(parents))
    report = Report()
    valid = {code: a for code, a in draft.items() if _geometry_ok(a, report)}
    _codes_and_parents(draft, known, plan, report)
    families = defaultdict(list)
    for a in draft.values():
        if a.parent_code in parents:
            families[a.parent_code].append(a)
    for parent_code, children in sorted(families.items()):
        if parent_code in valid:
            _family(valid[parent_code], [c for c in children if c.code in valid], report)
    for code in sorted(changed & set(valid)):
        _shape(valid[code], plan, report)
    for village in sorted({valid[c].parent_code for c in changed & set(valid) if valid[c].level == Level.GRID}):
        if village in draft:
            _balance(draft[village], plan, report)
    result = report.as_dict(plan)
    result["scope"] = (translate(N_("every change since generation {generation}"), {"generation": plan.base_generation})
                       if whole else translate(N_("the edited areas, their siblings and children")))
    return result


def removed_parents(session: Session, plan: Plan) -> set[str]:
    """Parents of the base generation's areas that the draft no longer has."""
    return set(session.scalars(text("""
        SELECT DISTINCT a.parent_code FROM areas a
         WHERE in_force(a.generation_low, a.generation_high, :g) AND a.code LIKE :prefix
           AND a.parent_code IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM plan_areas p WHERE p.plan_id = :plan AND p.code = a.code)"""),
        {"g": plan.base_generation, "prefix": scope_prefix(plan.scope_code), "plan": plan.id}))


def _geometry_ok(a: DraftArea, report: Report) -> bool:
    if a.geom.is_empty:
        report.add("error", "empty", [a.code], N_("{code} has no area left"), values={"code": a.code})
        return False
    if shapely.is_valid(a.geom):
        return True
    reason = shapely.is_valid_reason(a.geom)
    where = re.search(r"\[([-\d.eE]+) ([-\d.eE]+)\]", reason)
    point = shapely.Point(float(where[1]), float(where[2])) if where else shapely.point_on_surface(a.geom)
    report.add("error", "invalid_geometry", [a.code], N_("{code} is not a valid shape: {reason}"), point,
               values={"code": a.code, "reason": reason}, repair={"op": "repair", "code": a.code})
    return False


def _codes_and_parents(draft: dict[str, DraftArea], known: set[str], plan: Plan, report: Report) -> None:
    for code, a in sorted(draft.items()):
        try:
            parsed = parse_area_code(code)
            if parsed.level.value != a.level:
                raise CodeError("a {level} code has {digits} digits", level=a.level, digits=CODE_LENGTH[Level(a.level)])
        except (CodeError, ValueError) as exc:
            report.add("error", "code", [code], N_("{code}: {reason}"), shapely.point_on_surface(a.geom),
                       values={"code": code, "reason": exc.translated() if isinstance(exc, CodeError) else str(exc)})
            continue
        if code == plan.scope_code:
            continue
        if a.parent_code not in known:
            report.add("error", "parent", [code], N_("{code}: its parent {parent} is not in the draft"),
                       shapely.point_on_surface(a.geom), values={"code": code, "parent": a.parent_code})
        elif not code.startswith(a.parent_code) and parsed.level is not Level.DISTRICT:
            report.add("error", "code", [code], N_("{code} does not start with its parent's code {parent}"),
                       shapely.point_on_surface(a.geom), values={"code": code, "parent": a.parent_code})


def _pieces(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    return [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon) and _metric(p).area >= NOISE_M2]


def _family(parent: DraftArea, children: list[DraftArea], report: Report) -> None:
    """Children inside the parent, not overlapping, leaving no gap."""
    if not children:
        return
    geoms = np.array([c.geom for c in children])
    for child in children:
        for piece in _pieces(shapely.difference(child.geom, parent.geom)):
            report.add("error", "outside_parent", [child.code, parent.code],
                       N_("{code} reaches {area} outside its parent {parent}"), piece,
                       values={"code": child.code, "area": _m2(piece), "parent": parent.code},
                       area_m2=round(_metric(piece).area, 2))
    if not shapely.coverage_is_valid(geoms):
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="intersects")
        for i, j in zip(left, right):
            if i >= j:
                continue
            for piece in _pieces(shapely.intersection(geoms[i], geoms[j])):
                report.add("error", "overlap", [children[i].code, children[j].code],
                           N_("{code} and {other} overlap by {area}"), piece,
                           values={"code": children[i].code, "other": children[j].code, "area": _m2(piece)},
                           area_m2=round(_metric(piece).area, 2))
    for piece in _pieces(shapely.difference(parent.geom, shapely.union_all(geoms))):
        flat = _metric(piece)
        width = 2 * flat.area / flat.length
        message = (N_("a sliver of {area} (about {width} m wide) in {parent} belongs to none of its parts ({level})")
                   if width < GAP_WIDTH_M else
                   N_("a gap of {area} (about {width} m wide) in {parent} belongs to none of its parts ({level})"))
        report.add("error", "gap", [parent.code], message, piece,
                   values={"area": _m2(piece), "width": f"{width:.1f}", "parent": parent.code,
                           "level": label("level", children[0].level)},
                   area_m2=round(flat.area, 2), width_m=round(width, 2))


def _balance(village: DraftArea, plan: Plan, report: Report) -> None:
    """A village whose households no number of grids keeps in its target range: say so once,
    with what the planner can do (options, as the API names them)."""
    low, high = household_range(plan, village.code)
    found = unbalanced(village.code, village.name, village.households, low, high)
    if found:
        message, values = found
        report.add("warning", "balance", [village.code], message, values=values, households=village.households,
                   target=[low, high], options=["accept_warnings", "household_targets", "merge"])


def _m2(piece: shapely.Geometry) -> str:
    return f"{_metric(piece).area:,.1f} m²"


def _shape(a: DraftArea, plan: Plan, report: Report) -> None:
    """Contiguity and compactness of a changed area; households of a changed grid."""
    parts = [p for p in separate_pieces(a.geom) if _metric(p).area >= NOISE_M2]
    if len(parts) > 1:
        small = min(parts, key=lambda p: p.area)
        report.add("error", "contiguity", [a.code], N_("{code} is in {pieces} separate pieces"), small,
                   values={"code": a.code, "pieces": len(parts)}, pieces=len(parts))
    score = polsby_popper(a.geom)
    if score < MIN_POLSBY_POPPER:
        report.add("warning", "compactness", [a.code],
                   N_("{code} is not compact: Polsby-Popper {score} < {least}"), None,
                   values={"code": a.code, "score": f"{score:.2f}", "least": MIN_POLSBY_POPPER},
                   polsby_popper=round(score, 3))
    if a.level == Level.GRID:
        low, high = household_range(plan, a.parent_code)
        if not low <= a.households <= high:
            report.add("warning", "households", [a.code],
                       N_("{code} has {households} households; the target for {parent} is {low}-{high}"), None,
                       values={"code": a.code, "households": a.households, "parent": a.parent_code, "low": low,
                               "high": high}, households=a.households, target=[low, high])
