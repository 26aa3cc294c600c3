"""Checks of a set of area boundaries: codes, hierarchy, geometry, coverage.

Used on every build (where any problem is a bug) and on every load of a boundary
file (where a problem is the file's, and nothing is loaded). Each problem names the
feature it is about.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geo.codes import CodeError, Level, parse_area_code

EXPECTED_COUNTS = {"district": 4, "town": 43, "village": 457}
COVERAGE_TOLERANCE = 1e-9   # relative area of gap or overlap allowed between parent and children


@dataclass(frozen=True)
class Problem:
    code: str
    message: str

    def __str__(self) -> str:
        return f"feature {self.code}: {self.message}"


class BoundaryError(ValueError):
    """A boundary set failed its checks; ``problems`` lists every failure found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s) in the boundary set: {shown}{more}")


def _parent(value) -> str | None:
    return None if value is None or pd.isna(value) or value == "" else str(value)


def check_codes(areas: pd.DataFrame) -> list[Problem]:
    problems = []
    for row in areas.itertuples():
        row = row._replace(parent_code=_parent(row.parent_code))
        try:
            parsed = parse_area_code(str(row.code))
        except CodeError as exc:
            problems.append(Problem(str(row.code), str(exc)))
            continue
        if parsed.level.value != row.level:
            problems.append(Problem(row.code, f"code is a {parsed.level.value} code but the level says {row.level}"))
        if parsed.parent != row.parent_code:
            problems.append(Problem(row.code, f"parent should be {parsed.parent}, not {row.parent_code}"))
    duplicated = areas["code"][areas["code"].duplicated()]
    problems += [Problem(code, "code appears more than once") for code in duplicated.unique()]
    known = set(areas["code"])
    problems += [Problem(r.code, f"parent {r.parent_code} is not in the set")
                 for r in areas.itertuples() if _parent(r.parent_code) and r.parent_code not in known]
    return problems


def check_geometry(areas: pd.DataFrame) -> list[Problem]:
    geoms = areas["geometry"].to_numpy()
    problems = []
    kinds = shapely.get_type_id(geoms)
    for code, geom, kind in zip(areas["code"], geoms, kinds):
        if geom is None or kind not in (3, 6):
            problems.append(Problem(code, "geometry must be a Polygon or MultiPolygon"))
        elif not shapely.is_valid(geom):
            problems.append(Problem(code, f"invalid geometry: {shapely.is_valid_reason(geom)} "
                                          "(make_valid can repair it; nothing is repaired silently)"))
        elif shapely.is_empty(geom):
            problems.append(Problem(code, "geometry is empty"))
    return problems


def check_hierarchy(areas: pd.DataFrame) -> list[Problem]:
    """Each area inside its parent; children an exact coverage of the parent."""
    problems = []
    by_code = areas.set_index("code")["geometry"]
    for parent_code, children in areas[areas["parent_code"].notna()].groupby("parent_code", sort=True):
        if parent_code not in by_code.index:
            continue
        parent = by_code[parent_code]
        geoms = children["geometry"].to_numpy()
        outside = shapely.area(shapely.difference(geoms, parent))
        for code, out, geom in zip(children["code"], outside, geoms):
            if out > COVERAGE_TOLERANCE * max(geom.area, 1e-12):
                problems.append(Problem(code, f"lies partly outside its parent {parent_code} "
                                              f"({out / geom.area:.2%} of its area)"))
        if not shapely.coverage_is_valid(geoms):
            edges = shapely.coverage_invalid_edges(geoms)
            for code, edge in zip(children["code"], edges):
                if not shapely.is_empty(edge):
                    problems.append(Problem(code, f"overlaps or mismatches a sibling in {parent_code} "
                                                  f"near {shapely.get_coordinates(edge)[0].round(6).tolist()}"))
        gap = shapely.area(shapely.difference(parent, shapely.union_all(geoms)))
        if gap > COVERAGE_TOLERANCE * parent.area:
            problems.append(Problem(parent_code, f"its children leave a gap of {gap / parent.area:.4%} of its area"))
    return problems


def check_counts(areas: pd.DataFrame) -> list[Problem]:
    counts = areas["level"].value_counts()
    return [Problem(level, f"expected {n} {level} areas, found {counts.get(level, 0)}")
            for level, n in EXPECTED_COUNTS.items() if counts.get(level, 0) != n]


def validate_areas(areas: pd.DataFrame, *, expect_haikou_counts: bool = True) -> None:
    """Raise BoundaryError listing every problem; geometry checks only on well-coded, valid rows."""
    problems = check_codes(areas) + check_geometry(areas)
    if not problems:
        problems = check_hierarchy(areas)
    if expect_haikou_counts:
        problems += check_counts(areas)
    if problems:
        raise BoundaryError(problems)


def validate_cells(cells: pd.DataFrame, areas: pd.DataFrame) -> None:
    """Every H3 cell once, in a grid that exists, with the grid's own parents."""
    problems = []
    if cells["h3"].duplicated().any():
        problems.append(Problem("h3_cells", "an H3 cell appears more than once"))
    grids = set(areas.loc[areas["level"] == Level.GRID.value, "code"])
    missing = set(cells["grid_code"]) - grids
    problems += [Problem(code, "H3 cells refer to this grid but the boundary set lacks it") for code in sorted(missing)[:5]]
    chain_ok = (cells["grid_code"].str[:12] == cells["village_code"]) & (cells["village_code"].str[:9] == cells["town_code"]) \
        & (cells["town_code"].str[:6] == cells["district_code"])
    if not chain_ok.all():
        problems.append(Problem("h3_cells", f"{int((~chain_ok).sum())} cells have an inconsistent area chain"))
    empty = grids - set(cells["grid_code"])
    problems += [Problem(code, "grid holds no H3 cell") for code in sorted(empty)[:5]]
    if problems:
        raise BoundaryError(problems)


def grid_household_spread(areas: pd.DataFrame, low: int, high: int) -> dict:
    grids = areas[areas["level"] == "grid"]["households"].to_numpy()
    return {"grids": int(len(grids)), "below": int((grids < low).sum()), "above": int((grids > high).sum()),
            "median": float(np.median(grids))}
