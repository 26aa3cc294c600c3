"""Shared by the planning tests: pick places in the loaded data, undo what a test published."""
from __future__ import annotations

from contextlib import contextmanager

import shapely
from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.planning.cells import cells_in
from geo.planning.publish import restore


def current_generation(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT max(id) FROM generations")).scalar_one()


@contextmanager
def boundaries_restored(engine):
    """Whatever is published inside, the boundaries end as they began: the starting
    generation is restored as a new one. Yields the starting generation."""
    start = current_generation(engine)
    try:
        yield start
    finally:
        if current_generation(engine) != start:
            with Session(engine) as session, session.begin():
                restore(session, start, actor="tests")


def approved(client, plan_id: int, reviewer: dict, note: str = "tests: a border cell to its neighbour") -> dict:
    """Submit the draft (as ``client``) and have it approved by another (``reviewer``: its headers)."""
    submitted = client.post(f"/plans/{plan_id}/submit", json={"note": note})
    assert submitted.status_code == 200, submitted.json()
    answer = client.post(f"/plans/{plan_id}/approve", headers=reviewer)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def grids_of(engine, village: str) -> dict[str, shapely.Geometry]:
    with engine.connect() as conn:
        rows = conn.execute(text("""SELECT code, ST_AsBinary(geom) FROM areas WHERE parent_code = :v
            AND level = 'grid' AND generation_high IS NULL ORDER BY code"""), {"v": village}).all()
    return {code: shapely.from_wkb(wkb) for code, wkb in rows}


def village_with_grids(engine, at_least: int, offset: int = 0) -> str:
    """A village (of the current generation) with at least that many grids, the offset-th such."""
    with engine.connect() as conn:
        return conn.execute(text("""SELECT parent_code FROM areas WHERE level = 'grid' AND generation_high IS NULL
            GROUP BY parent_code HAVING count(*) >= :n ORDER BY parent_code OFFSET :o LIMIT 1"""),
                            {"n": at_least, "o": offset}).scalar_one()


def border_cell(grids: dict[str, shapely.Geometry], to: str, source: str | None = None) -> tuple[str, int]:
    """(grid, cell): a cell of a neighbouring grid (``source``, if given) with the most hex
    neighbours inside grid ``to``, so that giving it to ``to`` keeps both grids in one piece."""
    mine = set(cells_in(grids[to], 11).tolist())
    best = None
    for code, geom in grids.items():
        if code == to or (source is not None and code != source):
            continue
        for cell in cells_in(geom, 11).tolist():
            inside = sum(n in mine for n in h3.grid_ring(cell, 1))
            if inside and (best is None or inside > best[0]):
                best = (inside, code, cell)
    assert best is not None, f"no grid borders {to}" + (f" from {source}" if source else "")
    return best[1], best[2]


def centre(cell: int) -> tuple[float, float]:
    lat, lon = h3.cell_to_latlng(cell)
    return lon, lat
