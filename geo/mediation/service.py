"""Mediators: create, read, update, delete, and the nearest eligible ones to a place.

A mediator's load is the number of open incidents assigned to them, always counted
from the incidents, never stored. Eligible means on duty, skilled in the category
and under capacity; availability is enforced in dispatch, not only shown.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.locate import located_inside
from geo.areas.locate_index import IndexCache
from geo.audit.service import record
from geo.crs import Datum, point, to_wgs84
from geo.errors import Conflict, Invalid, NotFound
from geo.i18n import N_, label, translate
from geo.mediation.categories import Category

# A mediator's load: open cases (is_open() is inlined, so the partial index of open cases by mediator applies).
_LOAD = "(SELECT count(*) FROM incidents i WHERE i.mediator_id = {who}.id AND is_open(i.status))"
EMPLOYMENTS = ("full_time", "part_time")
PERSONAL_FIELDS = ("name", "phone")

_SELECT = """
    SELECT m.id, m.name, m.phone, m.employment, m.organisation_id, o.name AS organisation, o.kind AS organisation_kind,
           o.service_area_code, m.home_village_code, m.skills, m.capacity, m.on_duty,
           ST_X(m.position) AS lon, ST_Y(m.position) AS lat,
           """ + _LOAD.format(who="m") + """ AS load
      FROM mediators m JOIN organisations o ON o.id = m.organisation_id
"""

# Who may be dispatched at each level, as SQL over mediators m and organisations o.
POOLS = {
    None: "true",
    "village": "m.home_village_code = :area",
    "town": "((o.kind = 'town_centre' AND o.area_code = :area) OR "
            "(m.employment = 'full_time' AND left(m.home_village_code, 9) = :area))",
    "district": "(m.employment = 'full_time' AND left(m.home_village_code, 6) = :area)",
    "industry": "(o.kind = 'industry' AND o.category = :category AND "
                "(o.service_area_code = '460100' OR left(:area, length(o.service_area_code)) = o.service_area_code))",
}


def industry_covers(session: Session, category: str, area: str) -> bool:
    """Whether an industry organisation with mediators takes ``category`` at ``area``."""
    return session.execute(text(f"""SELECT 1 FROM mediators m JOIN organisations o ON o.id = m.organisation_id
        WHERE {POOLS["industry"]} LIMIT 1"""), {"category": category, "area": area}).first() is not None


def _out(row, datum: Datum) -> dict:
    mediator = _with_position(dict(row._mapping), datum)
    mediator["load"] = int(mediator["load"])
    mediator["available"] = bool(mediator["on_duty"] and mediator["load"] < mediator["capacity"])
    return mediator


def get(session: Session, mediator_id: int, datum: Datum = Datum.WGS84) -> dict:
    row = session.execute(text(_SELECT + " WHERE m.id = :id"), {"id": mediator_id}).first()
    if row is None:
        raise NotFound("no mediator {mediator_id}", field="mediator_id", mediator_id=mediator_id)
    return _out(row, datum)


def list_mediators(session: Session, *, village: str | None = None, area: str | None = None,
                   employment: str | None = None, on_duty: bool | None = None, skill: str | None = None,
                   limit: int = 100, offset: int = 0, datum: Datum = Datum.WGS84) -> tuple[int, list[dict]]:
    where, params = ["true"], {"limit": limit, "offset": offset}
    if village:
        where.append("m.home_village_code = :village")
        params["village"] = village
    if area:
        where.append("left(m.home_village_code, length(:area)) = :area")
        params["area"] = area
    if employment:
        where.append("m.employment = :employment")
        params["employment"] = employment
    if on_duty is not None:
        where.append("m.on_duty = :on_duty")
        params["on_duty"] = on_duty
    if skill:
        where.append(":skill = ANY(m.skills)")
        params["skill"] = skill
    condition = " AND ".join(where)
    total = session.execute(text(f"SELECT count(*) FROM mediators m WHERE {condition}"), params).scalar_one()
    rows = session.execute(text(_SELECT + f" WHERE {condition} ORDER BY m.id LIMIT :limit OFFSET :offset"), params)
    return total, [_out(r, datum) for r in rows]


def _validate(session: Session, indexes: IndexCache, data: dict, datum: Datum) -> dict:
    if "skills" in data:
        unknown = [s for s in data["skills"] if s not in {c.value for c in Category}]
        if unknown:
            raise Invalid("unknown dispute categories {unknown}", field="skills", unknown=unknown)
        if not data["skills"]:
            raise Invalid("at least one skill", field="skills")
        data["skills"] = sorted(set(data["skills"]))
    if "organisation_id" in data and not session.execute(
            text("SELECT 1 FROM organisations WHERE id = :id"), {"id": data["organisation_id"]}).first():
        raise Invalid("no organisation {organisation_id}", field="organisation_id", organisation_id=data['organisation_id'])
    if "home_village_code" in data and not session.execute(text(
            "SELECT 1 FROM areas_now WHERE code = :c AND level = 'village'"),
            {"c": data["home_village_code"]}).first():
        raise Invalid("no village {home_village_code}", field="home_village_code", home_village_code=data['home_village_code'])
    if "lon" in data:
        located_inside(session, indexes, [data["lon"]], [data["lat"]], datum)
        data["lon"], data["lat"] = (float(v[0]) for v in to_wgs84([data["lon"]], [data["lat"]], datum))
    return data


def create(session: Session, indexes: IndexCache, data: dict, *, actor: str, datum: Datum = Datum.WGS84) -> dict:
    data = _validate(session, indexes, dict(data), datum)
    new_id = session.execute(text("""
        INSERT INTO mediators (name, phone, employment, organisation_id, home_village_code, skills, capacity,
                               on_duty, position, source)
        VALUES (:name, :phone, :employment, :organisation_id, :home_village_code, :skills, :capacity, :on_duty,
                ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'api') RETURNING id"""), data).scalar_one()
    created = get(session, new_id)
    record(session, actor=actor, action="create", entity="mediator", entity_id=new_id, before=None, after=created)
    return get(session, new_id, datum)


_UPDATABLE = {"name", "phone", "employment", "organisation_id", "home_village_code", "skills", "capacity", "on_duty"}


def update(session: Session, indexes: IndexCache, mediator_id: int, changes: dict, *, actor: str,
           datum: Datum = Datum.WGS84) -> dict:
    before = get(session, mediator_id)
    changes = _validate(session, indexes, dict(changes), datum)
    sets = [f"{column} = :{column}" for column in sorted(_UPDATABLE & changes.keys())]
    if "lon" in changes:
        sets.append("position = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)")
    if sets:
        session.execute(text(f"UPDATE mediators SET {', '.join(sets)}, updated_at = now() WHERE id = :id"),
                        {**changes, "id": mediator_id})
    after = get(session, mediator_id)
    record(session, actor=actor, action="update", entity="mediator", entity_id=mediator_id, before=before, after=after)
    return get(session, mediator_id, datum)


def delete(session: Session, mediator_id: int, *, actor: str) -> None:
    before = get(session, mediator_id)
    if before["load"]:
        raise Conflict("mediator {mediator_id} has {load} open case(s): reassign them first", field="mediator_id",
                       mediator_id=mediator_id, load=before['load'])
    session.execute(text("UPDATE incidents SET mediator_id = NULL WHERE mediator_id = :id"), {"id": mediator_id})
    session.execute(text("DELETE FROM mediators WHERE id = :id"), {"id": mediator_id})
    record(session, actor=actor, action="delete", entity="mediator", entity_id=mediator_id, before=before, after=None)


def _why_excluded(m: dict, category: str | None) -> list[str]:
    """Why a nearer mediator was passed over, in the current language."""
    reasons = []
    if not m["on_duty"]:
        reasons.append(translate(N_("off duty")))
    if category and category not in m["skills"]:
        reasons.append(translate(N_("not skilled in {category}"), {"category": label("category", category)}))
    if m["load"] >= m["capacity"]:
        reasons.append(translate(N_("at capacity ({load}/{capacity} open cases)"), m))
    return reasons


def _why_ranked(m: dict, category: str | None) -> str:
    """Why a mediator has its rank, in the current language."""
    values = {**m, "distance": round(m["distance_m"]), "category": category and label("category", category)}
    if category:
        return translate(N_("no. {rank} nearest eligible, {distance} m away: on duty, skilled in {category}, "
                            "{load}/{capacity} open cases"), values)
    return translate(N_("no. {rank} nearest eligible, {distance} m away: on duty, {load}/{capacity} open cases"), values)


def nearest(session: Session, *, lon: float, lat: float, category: str | None, k: int = 5,
            level: str | None = None, area: str | None = None, with_excluded: bool = False,
            datum: Datum = Datum.WGS84) -> dict:
    """The k nearest eligible mediators (metres on the ground), with the reasons for their rank.

    Candidates come from the GiST index (KNN ``<->``) and are ranked by geodesic distance.
    With ``with_excluded``, nearer mediators that were passed over are listed with the reason."""
    wlon, wlat = (float(v[0]) for v in to_wgs84([lon], [lat], datum))
    params = {"lon": wlon, "lat": wlat, "category": category, "area": area}
    pool = POOLS[level]
    eligible_sql = "m.on_duty AND (CAST(:category AS text) IS NULL OR :category = ANY(m.skills))"
    results, limit = [], k * 4
    while True:
        rows = _knn(session, f"{pool} AND {eligible_sql}", {**params, "limit": limit})
        results = [m for m in rows if m["load"] < m["capacity"]][:k]
        if len(results) == k or len(rows) < limit or limit >= 4096:
            break
        limit *= 4
    for rank, m in enumerate(results, start=1):
        m["rank"] = rank
        m["why"] = _why_ranked(m, category)
    answer = {"category": category, "level": level, "area": area, "results": [_with_position(m, datum) for m in results]}
    if with_excluded:
        horizon = results[-1]["distance_m"] if results else float("inf")
        near = _knn(session, pool, {**params, "limit": max(2 * k, 20)})
        answer["excluded"] = [
            {**_with_position(m, datum), "reasons": reasons} for m in near
            if m["distance_m"] <= horizon and (reasons := _why_excluded(m, category))
        ]
    return answer


def _with_position(m: dict, datum: Datum) -> dict:
    """The row with its lon/lat replaced by a GeoJSON position in ``datum``."""
    out = {key: value for key, value in m.items() if key not in ("lon", "lat")}
    out["position"] = point(m["lon"], m["lat"], datum)
    return out


def _knn(session: Session, condition: str, params: dict) -> list[dict]:
    """Candidates in index order (GiST KNN on the bound point), re-ranked by metres on the ground."""
    rows = session.execute(text(f"""
        WITH near AS (
            SELECT m.* FROM mediators m JOIN organisations o ON o.id = m.organisation_id
             WHERE {condition}
             ORDER BY m.position <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) LIMIT :limit)
        SELECT n.id, n.name, n.phone, n.employment, n.organisation_id, n.home_village_code, n.skills, n.capacity,
               n.on_duty, ST_X(n.position) AS lon, ST_Y(n.position) AS lat,
               ST_Distance(n.position::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography) AS distance_m,
               """ + _LOAD.format(who="n") + """ AS load
          FROM near n ORDER BY distance_m, n.id"""), params)
    return [dict(r._mapping) for r in rows]
