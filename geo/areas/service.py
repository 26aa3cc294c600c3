"""Reading areas of a published generation (the current one unless asked for another)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, aliased

from geo.areas.models import Area, Generation, in_force
from geo.codes import CodeError, parse_area_code
from geo.errors import NotFound
from geo.settings import get_settings

SUMMARY_COLUMNS = (Area.code, Area.level, Area.name, Area.kind, Area.parent_code, Area.households,
                   Area.population, Area.area_m2, Area.source)

STAMP_SQL = ("SELECT (SELECT max(id) FROM generations), (SELECT max(id) FROM dataset_loads), "
             "(SELECT coalesce(max(id), 0) FROM audit_log)")


class Stamp(NamedTuple):
    """Where the data stands; every boundary or data change moves one of the three."""

    generation: int | None   # the newest published generation, the one in force
    load: int | None         # the latest dataset load
    change: int              # the audit log's sequence: every change writes an audit entry

    @property
    def boundaries(self) -> tuple[int | None, int | None]:
        """What the boundaries depend on (data edits leave them alone)."""
        return self.generation, self.load


def stamp(session: Session) -> Stamp:
    return Stamp(*session.execute(text(STAMP_SQL)).one())


def data_as_of(session: Session) -> datetime | None:
    """When the data last changed: the latest of the boundaries' publication, the dataset's
    load and the last recorded change (the moments of the three parts of the Stamp)."""
    return session.scalar(text("""SELECT greatest((SELECT max(created_at) FROM generations),
                                                  (SELECT max(loaded_at) FROM dataset_loads),
                                                  (SELECT max(at) FROM audit_log))"""))


def current_generation(session: Session) -> int | None:
    """The generation in force: the newest published one (None before the first load)."""
    return session.scalar(select(func.max(Generation.id)))


def resolve_generation(session: Session, generation: int | None) -> int | None:
    """The generation asked for (checked to be published), or the current one; None if nothing is loaded."""
    if generation is None:
        return current_generation(session)
    if not session.get(Generation, generation):
        raise NotFound("no published generation {generation}", field="generation", generation=generation)
    return generation


def generation_list(session: Session) -> list[dict]:
    """Every published generation, newest first, with the one in force marked current."""
    current = current_generation(session)
    rows = session.execute(select(Generation.id, Generation.created_at, Generation.description, Generation.based_on,
                                  Generation.plan_id, Generation.published_by, Generation.accepted_warnings)
                           .order_by(Generation.id.desc())).mappings()
    return [{**r, "current": r["id"] == current} for r in rows]


def list_areas(session: Session, *, level: str | None, parent: str | None, limit: int, offset: int,
               bbox: tuple[float, float, float, float] | None = None,
               generation: int | None = None) -> tuple[int, list[dict]]:
    """Areas of a generation (default: current; touching a WGS-84 box if given), ordered by code, with the total."""
    generation = resolve_generation(session, generation)
    if generation is None:
        return 0, []
    query = select(*SUMMARY_COLUMNS).where(in_force(Area, generation))
    if level:
        query = query.where(Area.level == level)
    if parent:
        query = query.where(Area.parent_code == parent)
    if bbox:
        query = query.where(func.ST_Intersects(Area.geom, func.ST_MakeEnvelope(*bbox, 4326)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(Area.code).limit(limit).offset(offset)).mappings()
    return total, [dict(r) for r in rows]


def get_area(session: Session, code: str, *, simplify_m: float | None, generation: int | None = None) -> dict | None:
    """One area with its geometry as GeoJSON (optionally simplified, topology kept)."""
    generation = resolve_generation(session, generation)
    if generation is None:
        return None
    geom = Area.geom
    if simplify_m:
        geom = func.ST_SimplifyPreserveTopology(Area.geom, simplify_m / 111_320.0)
    row = session.execute(
        select(*SUMMARY_COLUMNS, func.ST_AsGeoJSON(geom, 7).label("geometry"))
        .where(Area.code == code, in_force(Area, generation))
    ).mappings().first()
    if row is None:
        return None
    area = dict(row)
    area["geometry"] = json.loads(area["geometry"])
    area["children"] = session.scalar(select(func.count()).where(Area.parent_code == code, in_force(Area, generation)))
    area["generation"] = generation
    return area


def related_areas(session: Session, code: str, *, relation: str, generation: int | None = None) -> list[dict] | None:
    """Children of an area, or its neighbours (same level, boundaries touch). None if no such area."""
    generation = resolve_generation(session, generation)
    if generation is None:
        return None
    area = aliased(Area)
    exists = session.scalar(select(func.count()).where(Area.code == code, in_force(Area, generation)))
    if not exists:
        return None
    if relation == "children":
        query = select(*SUMMARY_COLUMNS).where(Area.parent_code == code, in_force(Area, generation))
    else:
        query = (select(*SUMMARY_COLUMNS)
                 .join(area, (area.code == code) & (area.level == Area.level) & (area.code != Area.code))
                 .where(in_force(Area, generation), in_force(area, generation),
                        func.ST_Intersects(Area.geom, area.geom)))
    return [dict(r) for r in session.execute(query.order_by(Area.code)).mappings()]


def area_name(session: Session, code: str) -> str | None:
    """The name of the area of ``code`` in force (None: there is none)."""
    return session.scalar(text("SELECT name FROM areas_now WHERE code = :c"), {"c": code})


def area_in_force(session: Session, code: str, *, field: str = "area") -> dict:
    """Code, name and level of an area of the generation in force; a bad or unknown code is
    an error naming ``field``."""
    try:
        level = parse_area_code(code).level.value
    except CodeError as exc:
        raise exc.at(field) from None
    name = area_name(session, code)
    if name is None:
        raise NotFound("no area {code} in force", field=field, code=code)
    return {"code": code, "name": name, "level": level}


def index_resolution(session: Session) -> int:
    """The H3 resolution of the cell index (one for all generations: a dataset load replaces every
    cell); GRID_H3_RESOLUTION while no cells are loaded."""
    return session.scalar(text("SELECT resolution FROM h3_cells LIMIT 1")) or get_settings().dataset.h3_resolution


SEARCH_LEVELS = ("district", "town", "village", "grid")


def search(session: Session, query: str, *, level: str | None = None, limit: int = 20) -> list[dict]:
    """Areas in force whose name holds ``query`` (a full or partial Chinese name) or whose code
    starts with it: an exact name first, then names that begin with it, then the rest; higher
    levels before lower. Each with the names of the areas above it and its WGS-84 box."""
    wanted = query.strip()
    pattern = "%" + wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.execute(text("""
        SELECT a.code, a.name, a.level, a.kind, a.parent_code,
               d.name AS district, t.name AS town, v.name AS village,
               ST_XMin(a.geom) AS west, ST_YMin(a.geom) AS south, ST_XMax(a.geom) AS east, ST_YMax(a.geom) AS north
        FROM areas_now a
        LEFT JOIN areas_now d ON a.level IN ('town', 'village', 'grid') AND d.code = left(a.code, 6)
        LEFT JOIN areas_now t ON a.level IN ('village', 'grid') AND t.code = left(a.code, 9)
        LEFT JOIN areas_now v ON a.level = 'grid' AND v.code = left(a.code, 12)
        WHERE a.level = ANY(:levels) AND (a.name ILIKE :pattern ESCAPE '\\' OR a.code LIKE :prefix)
        ORDER BY a.name <> :wanted, NOT starts_with(a.name, :wanted), array_position(:levels, a.level::text),
                 length(a.name), a.code
        LIMIT :limit"""), {"levels": [level] if level else list(SEARCH_LEVELS), "pattern": pattern,
                           "prefix": wanted + "%" if wanted.isdigit() else "", "wanted": wanted, "limit": limit})
    return [{**r, "within": [n for n in (r["district"], r["town"], r["village"]) if n],
             "bbox": [r["west"], r["south"], r["east"], r["north"]]} for r in rows.mappings()]


LABEL_ZOOMS = {"district": 0, "town": 11, "village": 13, "grid": 15}   # the zoom from which a level's names fit
LABELS_AT_MOST = 500


def label_points(session: Session, level: str, bbox: tuple[float, float, float, float],
                 limit: int = LABELS_AT_MOST) -> list[dict]:
    """Where a map writes the names of a level's areas in force touching a WGS-84 box: a
    point inside each (ST_PointOnSurface), the largest areas first, at most ``limit``."""
    rows = session.execute(text("""
        SELECT code, name, ST_X(at) AS lon, ST_Y(at) AS lat
          FROM (SELECT code, name, area_m2, ST_PointOnSurface(geom) AS at FROM areas_now
                 WHERE level = :level AND geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
                 ORDER BY area_m2 DESC, code LIMIT :limit) chosen"""),
        {"level": level, "west": bbox[0], "south": bbox[1], "east": bbox[2], "north": bbox[3], "limit": limit})
    return [dict(r) for r in rows.mappings()]
