"""Cameras: GB/T 28181 ids, field-of-view sectors, which cameras see a place, coverage per area."""
from __future__ import annotations

import numpy as np
import shapely
import shapely.geometry
from h3.api import basic_int as h3
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.locate import located_inside
from geo.areas.locate_index import IndexCache
from geo.areas.service import index_resolution
from geo.audit.service import record
from geo.cameras.sectors import fov_sectors
from geo.codes import CodeError, parse_camera_id
from geo.crs import Datum, geometry_from_wgs84, point, to_wgs84
from geo.i18n import N_
from geo.errors import Conflict, NotFound

DISTRICTS = {"460105", "460106", "460107", "460108"}
_COLUMNS = """c.id, c.industry, c.device_type, c.heading_deg, c.fov_deg, c.range_m,
              ST_X(c.position) AS lon, ST_Y(c.position) AS lat, ST_AsGeoJSON(c.fov, 7) AS fov"""


def cells_seen(sectors: np.ndarray, resolution: int) -> list[np.ndarray]:
    """For each sector polygon, the H3 cells whose centre it covers."""
    return [np.array(h3.h3shape_to_cells(h3.geo_to_h3shape(s), resolution), dtype=np.int64) for s in sectors]


def _present(row, datum: Datum) -> dict:
    camera = dict(row._mapping)
    camera["position"] = point(camera.pop("lon"), camera.pop("lat"), datum)
    camera["fov"] = shapely.geometry.mapping(geometry_from_wgs84(shapely.from_geojson(camera.pop("fov")), datum))
    return camera


def get(session: Session, camera_id: str, datum: Datum = Datum.WGS84) -> dict:
    row = session.execute(text(f"SELECT {_COLUMNS} FROM cameras c WHERE c.id = :id"), {"id": camera_id}).first()
    if row is None:
        raise NotFound("no camera {camera_id}", field="camera_id", camera_id=camera_id)
    return _present(row, datum)


def list_cameras(session: Session, *, area: str | None, limit: int, offset: int, datum: Datum) -> tuple[int, list[dict]]:
    """Cameras, optionally those inside an area, ordered by id."""
    where, params = "true", {"limit": limit, "offset": offset, "area": area}
    if area:
        where = "ST_Covers((SELECT geom FROM areas_now WHERE code = :area), c.position)"
    total = session.execute(text(f"SELECT count(*) FROM cameras c WHERE {where}"), params).scalar_one()
    rows = session.execute(text(f"SELECT {_COLUMNS} FROM cameras c WHERE {where} ORDER BY c.id "
                                "LIMIT :limit OFFSET :offset"), params)
    return total, [_present(r, datum) for r in rows]


def _write_cells(session: Session, camera_id: str, sector) -> None:
    session.execute(text("DELETE FROM camera_cells WHERE camera_id = :id"), {"id": camera_id})
    cells = cells_seen(np.array([sector]), index_resolution(session))[0]
    if len(cells):
        session.execute(text("INSERT INTO camera_cells (camera_id, h3) SELECT :id, unnest(CAST(:cells AS bigint[]))"),
                        {"id": camera_id, "cells": [int(c) for c in cells]})


def save(session: Session, indexes: IndexCache, data: dict, *, actor: str, datum: Datum, create: bool) -> dict:
    """Create or replace a camera; its sector and the cells it sees follow its position and view."""
    try:
        parse_camera_id(data["id"], districts=DISTRICTS)
    except CodeError as exc:
        raise exc.at("id") from None
    exists = session.execute(text("SELECT 1 FROM cameras WHERE id = :id"), {"id": data["id"]}).first()
    if create and exists:
        raise Conflict("camera {id} exists", field="id", id=data['id'])
    if not create and not exists:
        raise NotFound("no camera {id}", field="id", id=data['id'])
    located_inside(session, indexes, [data["lon"]], [data["lat"]], datum, what=N_("the camera's position"))
    lon, lat = (float(v[0]) for v in to_wgs84([data["lon"]], [data["lat"]], datum))
    sector = fov_sectors(lon, lat, data["heading_deg"], data["fov_deg"], data["range_m"])[0]
    before = None if create else get(session, data["id"])
    params = {**data, "lon": lon, "lat": lat, "industry": data["id"][8:10], "device_type": data["id"][10:13],
              "fov": shapely.to_wkb(sector, hex=True)}
    session.execute(text("""
        INSERT INTO cameras (id, industry, device_type, heading_deg, fov_deg, range_m, position, fov, source)
        VALUES (:id, :industry, :device_type, :heading_deg, :fov_deg, :range_m, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                ST_SetSRID(ST_GeomFromWKB(decode(:fov, 'hex')), 4326), 'api')
        ON CONFLICT (id) DO UPDATE SET heading_deg = EXCLUDED.heading_deg, fov_deg = EXCLUDED.fov_deg,
            range_m = EXCLUDED.range_m, position = EXCLUDED.position, fov = EXCLUDED.fov"""), params)
    _write_cells(session, data["id"], sector)
    after = get(session, data["id"])
    record(session, actor=actor, action="create" if create else "update", entity="camera", entity_id=data["id"],
           before=before, after=after)
    return get(session, data["id"], datum)


def delete(session: Session, camera_id: str, *, actor: str) -> None:
    before = get(session, camera_id)
    session.execute(text("DELETE FROM cameras WHERE id = :id"), {"id": camera_id})
    record(session, actor=actor, action="delete", entity="camera", entity_id=camera_id, before=before, after=None)


def covering(session: Session, *, lon: float, lat: float, datum: Datum, limit: int = 50) -> list[dict]:
    """Cameras whose field of view covers the point, nearest first."""
    wlon, wlat = (float(v[0]) for v in to_wgs84([lon], [lat], datum))
    rows = session.execute(text(f"""
        WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g)
        SELECT {_COLUMNS}, ST_Distance(c.position::geography, p.g::geography) AS distance_m
          FROM cameras c, p WHERE ST_Covers(c.fov, p.g) ORDER BY distance_m, c.id LIMIT :limit"""),
                           {"lon": wlon, "lat": wlat, "limit": limit})
    return [_present(r, datum) for r in rows]


def coverage(session: Session, code: str) -> dict:
    """Cameras standing in an area, and the share of its H3 cells that at least one camera sees."""
    row = session.execute(text("""
        WITH a AS (SELECT code, level, geom FROM areas_now WHERE code = :code),
        cells AS (SELECT h.h3 FROM h3_cells_now h, a WHERE CASE a.level
                    WHEN 'city' THEN true WHEN 'district' THEN h.district_code = a.code
                    WHEN 'town' THEN h.town_code = a.code WHEN 'village' THEN h.village_code = a.code
                    ELSE h.grid_code = a.code END)
        SELECT (SELECT count(*) FROM cameras c, a WHERE ST_Covers(a.geom, c.position)) AS cameras,
               (SELECT count(*) FROM cells) AS cells,
               (SELECT count(*) FROM cells WHERE EXISTS (SELECT 1 FROM camera_cells cc WHERE cc.h3 = cells.h3)) AS seen,
               (SELECT count(*) FROM a) AS found"""), {"code": code}).one()
    if not row.found:
        raise NotFound("no area {code}", field="code", code=code)
    return {"code": code, "cameras": row.cameras, "cells": row.cells, "cells_seen": row.seen,
            "coverage_share": round(row.seen / row.cells, 6) if row.cells else 0.0}
