"""A planted cluster of disputes at a quiet place, for the early-warning and report tests."""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.hexes import cells_of
from geo.plane import offset_lonlat
from geo.codes import HAIKOU_TIME



def month_start(moment: datetime, back: int = 0) -> datetime:
    """Midnight on the first of the month ``back`` months before ``moment``'s, Haikou time."""
    index = moment.year * 12 + moment.month - 1 - back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=HAIKOU_TIME)


PLANTED = 20
# The generated incidents end at the time of loading: the cluster is planted in the last full month.
AS_OF = month_start(datetime.now(HAIKOU_TIME))
PLANTED_FROM = month_start(AS_OF, 1).replace(day=3, hour=9)   # all planted cases fall in that month
SOURCE = "planted by a test"


def quiet_place(session: Session) -> dict:
    """An incident whose H3 resolution-8 disk had 5 to 20 cases in the year: a place with a
    baseline, yet quiet enough for a cluster to stand out; and whose disk's cells all have
    their centres in the incident's own village (alerts place a hotspot by the centre of
    the cell the scan names, which may be a neighbour of the planted one)."""
    rows = session.execute(text("""SELECT id, h3, ST_X(position) AS lon, ST_Y(position) AS lat, district_code, town_code,
                                          village_code, grid_code FROM incidents WHERE h3 IS NOT NULL ORDER BY id""")).all()
    per_cell: dict[int, int] = {}
    parents = [h3.cell_to_parent(int(r.h3), 8) for r in rows]
    for cell in parents:
        per_cell[cell] = per_cell.get(cell, 0) + 1
    for row, cell in zip(rows, parents):
        if 5 <= sum(per_cell.get(c, 0) for c in h3.grid_disk(cell, 1)) <= 20 and _disk_in(session, cell, row.village_code):
            return dict(row._mapping)
    raise AssertionError("no quiet place in the dataset")


def _disk_in(session: Session, cell: int, village: str) -> bool:
    centres = [h3.cell_to_latlng(c) for c in h3.grid_disk(cell, 1)]
    return bool(session.scalar(text("""
        SELECT bool_and(ST_Intersects(a.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)))
          FROM areas_now a, unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) AS p(lon, lat) WHERE a.code = :v"""),
        {"v": village, "lon": [c[1] for c in centres], "lat": [c[0] for c in centres]}))


def plant(session: Session, place: dict, *, count: int = PLANTED, category: str = "neighbourhood",
          start: datetime = PLANTED_FROM, seed: int = 7) -> list[int]:
    """``count`` disputes of one category within 20 m of ``place``, one a day from ``start``."""
    rng = np.random.default_rng(seed)
    lon, lat = offset_lonlat(np.full(count, place["lon"]), np.full(count, place["lat"]),
                             rng.uniform(-14, 14, count), rng.uniform(-14, 14, count))
    cells = cells_of(lon, lat, 11)
    ids = []
    for i in range(count):
        registered = start + timedelta(days=i)
        ids.append(session.execute(text("""
            INSERT INTO incidents (category, severity, status, occurred_at, registered_at, due_at, description, position,
                                   district_code, town_code, village_code, grid_code, h3, responsible_level,
                                   responsible_rule, source)
            VALUES (:category, 'general', 'mediating', :at, :at, :due, 'planted cluster',
                    ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :district, :town, :village, :grid, :h3, 'village',
                    'severity:general', :source) RETURNING id"""),
            {"category": category, "at": registered, "due": registered + timedelta(days=30), "lon": float(lon[i]),
             "lat": float(lat[i]), "district": place["district_code"], "town": place["town_code"],
             "village": place["village_code"], "grid": place["grid_code"], "h3": int(cells[i]),
             "source": SOURCE}).scalar_one())
    return ids


def remove_planted(session: Session) -> None:
    session.execute(text("DELETE FROM incidents WHERE source = :s"), {"s": SOURCE})
