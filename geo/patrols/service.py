"""Patrol check-ins (巡查签到): a grid worker was at a place of a grid at a time, perhaps
told later (made offline, sent when the network returns: once, by its Idempotency-Key)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.locate import describe, located_inside
from geo.areas.locate_index import IndexCache
from geo.crs import Datum
from geo.errors import Forbidden
from geo.i18n import N_
from geo.incidents.service import Reach

_COLUMNS = "id, grid_code, actor, lon, lat, note, at, received_at"


def check_in(session: Session, indexes: IndexCache, *, lon: float, lat: float, at: datetime, note: str | None,
             actor: str, reach: Reach, idempotency_key: str | None) -> tuple[dict, bool]:
    """Record a check-in in the grid holding the place (within the key's area, else 403);
    the same key twice is the same check-in. Returns (check-in, created)."""
    located = located_inside(session, indexes, [lon], [lat], Datum.WGS84, what=N_("the check-in's position"),
                             field="lon")
    grid = describe(located, 0, names=False)["grid"]
    if not reach.holds(grid):
        raise Forbidden("this key checks in within area {area} only", field="lon", area=reach.area)
    row = session.execute(text(f"""
        INSERT INTO patrol_checkins (grid_code, actor, lon, lat, note, at, idempotency_key)
        VALUES (:grid, :actor, :lon, :lat, :note, :at, :key)
        ON CONFLICT (idempotency_key) DO NOTHING RETURNING {_COLUMNS}"""),
        {"grid": grid, "actor": actor, "lon": lon, "lat": lat, "note": note, "at": at,
         "key": idempotency_key}).mappings().first()
    if row is None:   # the same key, sent before (or by a concurrent request)
        return dict(session.execute(text(f"SELECT {_COLUMNS} FROM patrol_checkins WHERE idempotency_key = :k"),
                                    {"k": idempotency_key}).mappings().one()), False
    return dict(row), True


def checkins(session: Session, *, area: str | None, since: datetime | None, limit: int) -> list[dict]:
    """Check-ins in an area (None: the city), newest first."""
    rows = session.execute(text(f"""
        SELECT {_COLUMNS} FROM patrol_checkins
         WHERE (CAST(:area AS text) IS NULL OR left(grid_code, length(:area)) = :area)
           AND (CAST(:since AS timestamptz) IS NULL OR at >= :since)
         ORDER BY at DESC, id DESC LIMIT :limit"""), {"area": area, "since": since, "limit": limit}).mappings()
    return [dict(r) for r in rows]
