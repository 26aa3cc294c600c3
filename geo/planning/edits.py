"""The edits a planner makes to a draft. Each computes the new versions of the areas it
touches (None for an area it removes); ``apply`` recounts households and logs the edit.

Geometries arrive in WGS-84. Nothing here repairs a geometry unasked: ``repair`` is an
edit of its own, offered by the validation report.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd
import shapely
import shapely.ops
from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import index_resolution
from geo.codes import SEQUENCES, Kind, Level, child_code
from geo.dataset.geography import neighbour_pairs
from geo.dataset.partition import grid_count, reading_order
from geo.errors import Invalid
from geo.i18n import translate
from geo.planning import autogrid, cells as cellmath
from geo.planning.draft import (M2_PER_DEG2, NOISE_M2, UNCOUNTED, DraftArea, area, areas, as_multi, commit_edit,
                                get_plan, household_range, scope_prefix, unbalanced)
from geo.planning.models import Plan, PlanEdit
from geo.plane import local_xy
from geo.progress import steps

Versions = dict[str, DraftArea | None]
MAX_VERTICES = 100_000     # a polygon's vertices, drawn in an edit or read from a file
MAX_PLAN_AREAS = 20_000    # a draft's areas (Haikou has about 3,000)
API_AUTOGRID_VILLAGES = 40  # villages one autogrid request re-grids (a town's; the city's take 31 s: the command)


@dataclass
class Context:
    session: Session
    plan: Plan
    resolution: int
    allocated: set[str] = field(default_factory=set)   # codes handed out by this edit, not yet written
    notes: list[str] = field(default_factory=list)     # why the edit may change nothing (in the reader's language)
    _cells: pd.DataFrame | None = None

    @cached_property
    def frame(self) -> shapely.Geometry:
        """The scope's fixed outline (read once per edit)."""
        return self.area(self.plan.scope_code).geom

    @property
    def cells(self) -> pd.DataFrame:
        """The scope's cells in the base generation (households, population, grid), read once."""
        if self._cells is None:
            self._cells = cellmath.load_cells(self.session, self.plan.base_generation, self.plan.scope_code)
        return self._cells

    def area(self, code: str, field: str = "code") -> DraftArea:
        return area(self.session, self.plan.id, code, field)

    def editable(self, code: str, field: str = "code") -> DraftArea:
        if code == self.plan.scope_code:
            raise Invalid("{code} is the plan's scope: its outline is fixed in this plan", field=field, code=code)
        return self.area(code, field)

    def new_codes(self, parent: str, kind: Kind, centres: list[shapely.Point]) -> list[str]:
        """The next free codes under ``parent`` (never used in any generation or this draft),
        numbered west to east, north to south."""
        taken = self.allocated | {row[0] for row in self.session.execute(text(
            "SELECT code FROM areas WHERE parent_code = :p UNION SELECT code FROM plan_areas "
            "WHERE plan_id = :plan AND parent_code = :p"), {"p": parent, "plan": self.plan.id})}
        low, high = SEQUENCES[kind]
        used = [int(c[-3:]) for c in taken if low <= int(c[-3:]) <= high]
        first = max(used, default=low - 1) + 1
        if first + len(centres) - 1 > high:
            raise Invalid("no free {kind} codes left under {parent} ({low:03d}-{high:03d})", field="code",
                          kind=kind.value, parent=parent, low=low, high=high)
        xy = local_xy([p.x for p in centres], [p.y for p in centres])
        ranks = reading_order(xy, row_height=300.0)
        codes = [child_code(parent, first + int(r)) for r in ranks]
        self.allocated.update(codes)
        return codes


def _kind_of_new(level: str, template: DraftArea) -> Kind:
    return Kind.GRID if level == Level.GRID else Kind(template.kind)


def _polygonal(geometry: shapely.Geometry, field: str) -> shapely.MultiPolygon:
    result = as_multi(geometry)
    if result.is_empty:
        raise Invalid("a (Multi)Polygon with area is needed", field=field)
    return result


def _children(ctx: Context, parent: str) -> dict[str, DraftArea]:
    return areas(ctx.session, ctx.plan.id, parent=parent)


def _reparent(ctx: Context, moving: list[DraftArea], parent: DraftArea) -> Versions:
    """Move areas (and everything under them) to a new parent: they get codes under it."""
    if not moving:
        return {}
    level = moving[0].level
    kinds = {}
    for a in moving:
        kinds.setdefault(_kind_of_new(level, a), []).append(a)
    versions: Versions = {}
    for kind, group in kinds.items():
        codes = ctx.new_codes(parent.code, kind, [shapely.point_on_surface(a.geom) for a in group])
        for old, code in zip(group, codes):
            versions[old.code] = None
            versions[code] = replace(old, code=code, parent_code=parent.code, base_area_id=None)
            versions.update(_reparent(ctx, list(_children(ctx, old.code).values()), versions[code]))
    return versions


def replace_polygon(ctx: Context, *, code: str, geometry: shapely.Geometry) -> Versions:
    """Set an area's boundary to ``geometry`` exactly as drawn (overlaps and gaps are reported)."""
    target = ctx.editable(code)
    return {code: target.with_geom(_polygonal(geometry, "geometry"))}


def paint(ctx: Context, *, target: str, cells: list[str]) -> Versions:
    """Give H3 cells to ``target``: its siblings lose them (inside the parent only)."""
    chosen = ctx.editable(target, "target")
    ids = []
    for i, cell in enumerate(cells):
        where = f"cells[{i}]"
        if not _is_hex(cell) or not h3.is_valid_cell(h3.str_to_int(cell)):
            raise Invalid("{cell!r} is not an H3 cell index", field=where, cell=cell)
        if h3.get_resolution(h3.str_to_int(cell)) != ctx.resolution:
            raise Invalid("cell {cell} has resolution {resolution}; paint cells of resolution {wanted}", field=where,
                          cell=cell, resolution=h3.get_resolution(h3.str_to_int(cell)), wanted=ctx.resolution)
        ids.append(h3.str_to_int(cell))
    ids = list(dict.fromkeys(ids))   # a cell named twice is painted once
    parent = ctx.area(chosen.parent_code, "target")
    painted = shapely.intersection(cellmath.hexagon_union(np.array(ids, dtype=np.int64)), parent.geom)
    if as_multi(painted).is_empty:
        raise Invalid("none of the cells is inside {parent_code}, the parent of {target}", field="cells",
                      parent_code=parent.code, target=target)
    versions: Versions = {target: chosen.with_geom(shapely.union(chosen.geom, painted))}
    for code, sibling in areas(ctx.session, ctx.plan.id, level=chosen.level, parent=chosen.parent_code,
                               touching=painted).items():
        if code != target and _overlaps(sibling, painted):
            versions[code] = _shrunk(sibling, painted)
    return versions


def _is_hex(cell: str) -> bool:
    return isinstance(cell, str) and 1 <= len(cell) <= 16 and all(c in "0123456789abcdefABCDEF" for c in cell)


def _overlaps(a: DraftArea, shape: shapely.Geometry) -> bool:
    """Whether the two share area (not only an edge), so that ``a`` must give some up."""
    return shapely.area(shapely.intersection(a.geom, shape)) * M2_PER_DEG2 >= NOISE_M2


def _shrunk(a: DraftArea, taken: shapely.Geometry) -> DraftArea | None:
    rest = as_multi(shapely.difference(a.geom, taken))
    return None if rest.is_empty and a.level == Level.GRID else a.with_geom(rest)


def split(ctx: Context, *, code: str, line: shapely.Geometry) -> Versions:
    """Cut an area along a line; the piece with most households keeps the code."""
    target = ctx.editable(code)
    if not isinstance(line, (shapely.LineString, shapely.MultiLineString)):
        raise Invalid("the splitting line must be a LineString", field="line")
    pieces = [p for part in shapely.get_parts(target.geom)
              for p in shapely.get_parts(shapely.ops.split(part, line))]
    if len(pieces) <= len(shapely.get_parts(target.geom)):
        raise Invalid("the line does not cut {code} in two: it must cross the area from edge to edge", field="line", code=code)
    counts = cellmath.census(ctx.cells, pieces, ctx.resolution, ctx.frame)
    keep = int(np.argmax([hh * 1e9 + shapely.area(p) for p, (hh, _) in zip(pieces, counts)]))
    others = [p for i, p in enumerate(pieces) if i != keep]
    parent = ctx.area(target.parent_code)
    codes = ctx.new_codes(parent.code, _kind_of_new(target.level, target), [shapely.point_on_surface(p) for p in others])
    versions: Versions = {code: target.with_geom(pieces[keep])}
    for piece, new in zip(others, codes):
        versions[new] = _new_area(target, new, piece)
    versions.update(_regroup_children(ctx, target, versions))
    return versions


def _new_area(template: DraftArea, code: str, geom: shapely.Geometry) -> DraftArea:
    name = f"{template.name}({code[-3:]})" if template.level != Level.GRID else _grid_name(template.name, code)
    return replace(template, code=code, name=name, base_area_id=None).with_geom(geom)


def _grid_name(village_or_grid_name: str, code: str) -> str:
    stem = village_or_grid_name.split("第")[0]
    return f"{stem}第{int(code[-3:])}网格"


def _regroup_children(ctx: Context, split_area: DraftArea, versions: Versions) -> Versions:
    """After a split, children whose centre fell into a new piece move under it."""
    moved: Versions = {}
    pieces = {c: a for c, a in versions.items() if a is not None and c != split_area.code}
    for child in _children(ctx, split_area.code).values():
        centre = shapely.point_on_surface(child.geom)
        for piece in pieces.values():
            if shapely.covers(piece.geom, centre):
                moved.update(_reparent(ctx, [child], piece))
                break
    return moved


def merge(ctx: Context, *, codes: list[str]) -> Versions:
    """Join areas of one parent into the one with the smallest code."""
    if len(set(codes)) < 2:
        raise Invalid("merge needs at least two different codes", field="codes")
    found = [ctx.editable(c, "codes") for c in sorted(set(codes))]
    if len({(a.level, a.parent_code) for a in found}) != 1:
        raise Invalid("merged areas must have the same level and parent", field="codes")
    kept, rest = found[0], found[1:]
    versions: Versions = {kept.code: kept.with_geom(shapely.union_all([a.geom for a in found]))}
    for a in rest:
        versions[a.code] = None
        versions.update(_reparent(ctx, list(_children(ctx, a.code).values()), kept))
    return versions


def add_grid(ctx: Context, *, village: str, geometry: shapely.Geometry, name: str | None = None) -> Versions:
    """A new grid where ``geometry`` meets the village; the village's other grids give way."""
    parent = ctx.area(village, "village")
    if parent.level != Level.VILLAGE:
        raise Invalid("{village} is a {parent_level}, not a village", field="village", village=village, parent_level=parent.level)
    drawn = _polygonal(geometry, "geometry")
    if not shapely.is_valid(drawn):   # GEOS cannot cut an outline that crosses itself from the village
        raise Invalid("the new grid's outline crosses itself; draw it again without crossing", field="geometry")
    shape = as_multi(shapely.intersection(drawn, parent.geom))
    if shape.is_empty:
        raise Invalid("the polygon does not overlap village {village}", field="geometry", village=village)
    code = ctx.new_codes(village, Kind.GRID, [shapely.point_on_surface(shape)])[0]
    versions: Versions = {code: DraftArea(code, Level.GRID.value, name or _grid_name(parent.name, code), Kind.GRID.value,
                                          village, UNCOUNTED, UNCOUNTED, None, shape)}
    for other, grid in areas(ctx.session, ctx.plan.id, level="grid", parent=village, touching=shape).items():
        if _overlaps(grid, shape):
            versions[other] = _shrunk(grid, shape)
    return versions


def remove_grid(ctx: Context, *, code: str) -> Versions:
    """Remove a grid: its ground goes to the neighbouring grid it shares most boundary with."""
    grid = ctx.editable(code)
    if grid.level != Level.GRID:
        raise Invalid("{code} is a {grid_level}; only grids can be removed", field="code", code=code, grid_level=grid.level)
    neighbours = {c: g for c, g in areas(ctx.session, ctx.plan.id, level="grid", parent=grid.parent_code,
                                         touching=grid.geom).items() if c != code}
    shared = {c: shapely.intersection(shapely.boundary(grid.geom), shapely.boundary(g.geom)).length
              for c, g in neighbours.items()}
    if not shared or max(shared.values()) == 0:
        raise Invalid("grid {code} has no neighbouring grid in its village to take its ground", field="code", code=code)
    heir = max(shared, key=shared.get)
    return {code: None, heir: neighbours[heir].with_geom(shapely.union(neighbours[heir].geom, grid.geom))}


def repair(ctx: Context, *, code: str) -> Versions:
    """Apply ``make_valid`` to one area (offered by the report, never done silently)."""
    target = ctx.editable(code)
    if shapely.is_valid(target.geom):
        raise Invalid("{code} is already valid", field="code", code=code)
    return {code: target.with_geom(shapely.make_valid(target.geom))}


def autogrid_villages(ctx: Context, *, villages: list[str] | None = None, seed: int = 1,
                      show_progress: bool = False, most: int | None = None) -> Versions:
    """New balanced grids for the villages (all of the plan's if none are named), refused
    beyond ``most`` villages."""
    chosen = (areas(ctx.session, ctx.plan.id, codes=villages) if villages
              else areas(ctx.session, ctx.plan.id, level="village"))
    if villages and (missing := sorted(set(villages) - set(chosen))):
        raise Invalid("no village {village} in this plan", field="villages", village=missing[0])
    if any(v.level != Level.VILLAGE for v in chosen.values()):
        raise Invalid("autogrid takes village codes", field="villages")
    if most is not None and len(chosen) > most:
        raise Invalid("one request re-grids at most {most} villages, and this one would re-grid {count}: name the "
                      "villages (a town's at a time), or run `gridctl plan autogrid` for the whole draft",
                      field="villages", most=most, count=len(chosen))
    rng = np.random.default_rng(seed)
    versions: Versions = {}
    with steps("autogrid", len(chosen), show=show_progress) as progress:
        for village in chosen.values():
            with progress.step(village.code):
                versions.update(_grids_for(ctx, village, rng))
    return versions


def _grids_for(ctx: Context, village: DraftArea, rng: np.random.Generator) -> Versions:
    cells = cellmath.cells_in(village.geom, ctx.resolution)
    if len(cells) == 0:
        return {}
    weights = ctx.cells["households"].reindex(cells).fillna(0).to_numpy(dtype=float)
    low, high = household_range(ctx.plan, village.code)
    if found := unbalanced(village.code, village.name, int(weights.sum()), low, high):
        ctx.notes.append(translate(*found))
    k = min(grid_count(weights.sum(), low, high, target=(low + high) / 2), len(cells))
    lonlat = cellmath.centres(cells)
    xy = local_xy(lonlat[:, 0], lonlat[:, 1])
    edges = autogrid.connect(xy, neighbour_pairs(xy)) if len(cells) > 1 else np.empty((0, 2), dtype=np.int64)
    labels = np.zeros(len(cells), dtype=np.int64)
    if k > 1:
        try:
            labels = autogrid.partition(weights, edges, k, rng, autogrid.tolerance(weights.sum() / k, low, high))
        except autogrid.NoBalancedCut:
            raise Invalid("{village}: its cells cannot be cut into grids of {low}-{high} households; widen its target",
                          field="villages", village=village.code, low=low, high=high) from None
        labels = autogrid.smooth(labels, weights, edges, low, high)
    old = _children(ctx, village.code)
    return _grids_from_labels(ctx, village, cells, labels, _match_codes(ctx, set(old), cells, labels, k), old)


def _grids_from_labels(ctx: Context, village: DraftArea, cells: np.ndarray, labels: np.ndarray,
                       codes: list[str | None], old: dict[str, DraftArea]) -> Versions:
    """Replace a village's grids by the regions of the labelled cells (label i gets codes[i],
    or the next free code where that is None), counting households from the cells."""
    k = len(codes)
    shapes = cellmath.regions(village.geom, cells, labels, k)
    fresh = [i for i in range(k) if codes[i] is None]
    for i, code in zip(fresh, ctx.new_codes(village.code, Kind.GRID, [shapely.point_on_surface(shapes[i]) for i in fresh])):
        codes[i] = code
    table = ctx.cells.reindex(cells).fillna(0)
    households = np.bincount(labels, weights=table["households"].to_numpy(dtype=float), minlength=k)
    population = np.bincount(labels, weights=table["population"].to_numpy(dtype=float), minlength=k)
    versions: Versions = {code: None for code in old}
    for i, code in enumerate(codes):
        template = old.get(code) or DraftArea(code, Level.GRID.value, _grid_name(village.name, code), Kind.GRID.value,
                                              village.code, 0, 0, None, shapes[i])
        versions[code] = replace(template, geom=shapes[i], households=int(households[i]), population=int(population[i]))
    return versions


def _match_codes(ctx: Context, present: set[str], cells: np.ndarray, labels: np.ndarray, k: int) -> list:
    """Each new region keeps the code of the grid (of the base generation, still in the draft)
    it shares most cells with; greedy, largest overlaps first."""
    old = ctx.cells["grid_code"].reindex(cells).to_numpy()
    pairs = pd.DataFrame({"label": labels, "code": old}).dropna().value_counts()
    codes: list[str | None] = [None] * k
    used = set()
    for (label, code), _ in pairs.items():
        if codes[label] is None and code not in used and code in present:
            codes[label] = code
            used.add(code)
    return codes


def assign_cells(ctx: Context, *, assignment: dict[int, str]) -> Versions:
    """Block assignment: cell → grid code. Each named village's grids are rebuilt from its
    cells; cells left out keep the grid they are in now."""
    by_village: dict[str, dict[int, str]] = {}
    for cell, code in assignment.items():
        by_village.setdefault(code[:12], {})[cell] = code
    versions: Versions = {}
    for village_code, mapping in sorted(by_village.items()):
        village = ctx.area(village_code, "grid_code")
        cells = cellmath.cells_in(village.geom, ctx.resolution)
        old = _children(ctx, village_code)
        current = cellmath.grid_of_cells(old, ctx.resolution)
        stray = sorted(set(mapping) - set(cells.tolist()))
        if stray:
            raise Invalid("cell {cell} is not in village {village_code}", field="h3", cell=h3.int_to_str(stray[0]),
                          village_code=village_code)
        wanted = np.array([mapping.get(c, current.get(c, "")) for c in cells.tolist()], dtype=object)
        names = sorted({c for c in wanted if c})
        labels = np.array([names.index(c) if c else 0 for c in wanted])
        versions.update(_grids_from_labels(ctx, village, cells, labels, list(names), old))
    return versions


def import_areas(ctx: Context, *, features: list[DraftArea]) -> Versions:
    """Areas read from a file replace the draft's areas of the same code, or are added
    (up to MAX_PLAN_AREAS in the draft)."""
    for f in features:
        if f.code == ctx.plan.scope_code or not f.code.startswith(scope_prefix(ctx.plan.scope_code)[:-1]):
            raise Invalid("area {f_code} is not inside the plan's scope {plan_scope_code}", field="code",
                          f_code=f.code, plan_scope_code=ctx.plan.scope_code)
    existing = areas(ctx.session, ctx.plan.id, codes=[f.code for f in features])
    held = ctx.session.scalar(text("SELECT count(*) FROM plan_areas WHERE plan_id = :p"), {"p": ctx.plan.id})
    added = sum(f.code not in existing for f in features)
    if held + added > MAX_PLAN_AREAS:
        raise Invalid("a draft holds at most {max_plan_areas} areas; this import would add {added} to its {held}",
                      field="file", max_plan_areas=MAX_PLAN_AREAS, added=added, held=held)
    return {f.code: replace(f, base_area_id=existing[f.code].base_area_id if f.code in existing else None)
            for f in features}


OPS = {"replace": replace_polygon, "paint": paint, "split": split, "merge": merge, "add_grid": add_grid,
       "remove_grid": remove_grid, "repair": repair, "autogrid": autogrid_villages, "assign_cells": assign_cells,
       "import": import_areas}


def apply(session: Session, plan_id: int, op: str, *, actor: str, log_params: dict, **params) -> PlanEdit:
    """Run one edit on a draft (locked for the transaction), recount households, log it."""
    plan = get_plan(session, plan_id, for_update=True, editable=True)
    if op not in OPS:
        raise Invalid("unknown edit {op!r}; one of {ops}", field="op", op=op, ops=sorted(OPS))
    ctx = Context(session, plan, resolution=index_resolution(session))
    versions = OPS[op](ctx, **params)
    changed = [code for code, a in versions.items() if a is not None and a.households == UNCOUNTED]
    counts = cellmath.census(ctx.cells, [versions[c].geom for c in changed], ctx.resolution, ctx.frame)
    for code, (households, population) in zip(changed, counts):
        versions[code] = replace(versions[code], households=households, population=population)
    return commit_edit(session, plan, op, log_params, versions, actor, unchanged_because="; ".join(ctx.notes) or None)
