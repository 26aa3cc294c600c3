"""OGC API - Features (read): the collections, their allow-listed SQL, GeoJSON items.

No collection carries personal data: mediators come without names or phone numbers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import shapely.geometry
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import Datum, geometry_from_wgs84
from geo.errors import Invalid, NotFound


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    table: str
    key: str
    geometry: str
    properties: tuple[str, ...]
    where: str = "true"


AREA_PROPERTIES = ("code", "name", "kind", "parent_code", "households", "population", "area_m2")


def _areas(collection_id: str, title: str, level: str) -> Collection:
    return Collection(collection_id, title, "areas_now", "code", "geom", AREA_PROPERTIES, f"level = '{level}'")


COLLECTIONS = {c.id: c for c in (
    _areas("districts", "Districts 区", "district"),
    _areas("towns", "Towns and subdistricts 镇/街道", "town"),
    _areas("villages", "Villages and communities 村/社区", "village"),
    _areas("grids", "Grids 网格", "grid"),
    Collection("cameras", "Sharp Eyes cameras 雪亮工程", "cameras", "id", "position",
               ("id", "industry", "device_type", "heading_deg", "fov_deg", "range_m")),
    Collection("mediators", "Mediators 调解员 (no personal data)", "mediators", "id", "position",
               ("id", "employment", "organisation_id", "home_village_code", "skills", "capacity", "on_duty")),
)}


def get_collection(collection_id: str) -> Collection:
    if collection_id not in COLLECTIONS:
        raise NotFound("no collection {collection_id}; there are {collections}", field="collectionId",
                       collection_id=collection_id, collections=sorted(COLLECTIONS))
    return COLLECTIONS[collection_id]


def extent(session: Session, collection: Collection) -> list[float]:
    row = session.execute(text(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                               f"(SELECT ST_Extent({collection.geometry}) e FROM {collection.table} "
                               f"WHERE {collection.where}) t")).one()
    return [float(v) for v in row] if row[0] is not None else []


def _feature(row: dict, collection: Collection, properties: tuple[str, ...], datum: Datum) -> dict:
    geometry = json.loads(row.pop("geojson"))
    if datum is not Datum.WGS84:
        geometry = shapely.geometry.mapping(geometry_from_wgs84(shapely.geometry.shape(geometry), datum))
    return {"type": "Feature", "id": str(row[collection.key]), "geometry": geometry,
            "properties": {name: row[name] for name in properties}}


def items(session: Session, collection: Collection, *, bbox: tuple | None, limit: int, offset: int,
          properties: list[str] | None, datum: Datum) -> tuple[int, list[dict]]:
    """Features ordered by key, optionally within a WGS-84 box, with only the named properties."""
    chosen = collection.properties
    if properties is not None:
        unknown = [p for p in properties if p not in collection.properties]
        if unknown:
            raise Invalid("unknown properties {unknown}; this collection has {known}",
                          field="properties", unknown=unknown, known=list(collection.properties))
        chosen = tuple(properties)
    where, params = [collection.where], {"limit": limit, "offset": offset}
    if bbox:
        where.append(f"{collection.geometry} && ST_MakeEnvelope(:w, :s, :e, :n, 4326)")
        params.update(zip("wsen", bbox))
    condition = " AND ".join(where)
    columns = ", ".join(dict.fromkeys((collection.key, *collection.properties)))
    total = session.execute(text(f"SELECT count(*) FROM {collection.table} WHERE {condition}"), params).scalar_one()
    rows = session.execute(text(f"""SELECT {columns}, ST_AsGeoJSON({collection.geometry}, 7) AS geojson
        FROM {collection.table} WHERE {condition} ORDER BY {collection.key} LIMIT :limit OFFSET :offset"""), params)
    return total, [_feature(dict(r._mapping), collection, chosen, datum) for r in rows]


def item(session: Session, collection: Collection, feature_id: str, datum: Datum) -> dict:
    row = session.execute(text(f"""SELECT {", ".join(dict.fromkeys((collection.key, *collection.properties)))},
        ST_AsGeoJSON({collection.geometry}, 7) AS geojson FROM {collection.table}
        WHERE {collection.where} AND {collection.key}::text = :fid"""), {"fid": feature_id}).first()
    if row is None:
        raise NotFound("no feature {feature_id} in {collection_id}", field="featureId",
                       feature_id=feature_id, collection_id=collection.id)
    return _feature(dict(row._mapping), collection, collection.properties, datum)
