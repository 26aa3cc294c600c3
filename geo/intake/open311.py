"""Open311 GeoReport v2, the standard FixMyStreet and many city systems speak: our case
categories are its services, our incidents its service requests.

Its reads are public, so they carry nothing personal: no reporter or party, no
description (a dispute's facts name people), no exact place: a request stands at its
village (the village's name as ``address``, its code as ``address_id``, a point inside it
as ``lat``/``long``). ``agency_responsible`` is the organisation handling the case (the
assigned mediator's committee, else that of the responsible level's area), with the level.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.errors import Invalid, NotFound
from geo.i18n import N_, label, translate
from geo.incidents.models import SOURCES
from geo.mediation.categories import Category, Severity, is_mediated

JURISDICTION = "460100"   # 海口市: the one jurisdiction this endpoint serves
# The services, grouped as the mediation statistics group the categories.
SERVICE_GROUPS = {
    N_("civil disputes"): (Category.MARRIAGE_FAMILY, Category.NEIGHBOURHOOD, Category.HOUSING_HOMESTEAD,
                           Category.DAMAGES, Category.FOREST_LAND, Category.OTHER),
    N_("economic disputes"): (Category.CONTRACT, Category.BUSINESS_OPERATION, Category.CONSUMER, Category.LABOUR,
                              Category.PROPERTY_MANAGEMENT),
    N_("professional and sector disputes"): (Category.LAND_ACQUISITION_DEMOLITION, Category.ENVIRONMENTAL_POLLUTION,
                                             Category.MEDICAL, Category.ROAD_TRAFFIC_ACCIDENT),
    N_("public safety"): (Category.PUBLIC_SAFETY,),
}
DEFAULT_SEVERITY, DEFAULT_SOURCE = Severity.GENERAL.value, "portal"
DEFAULT_DAYS, MOST_REQUESTS, MOST_IDS = 90, 1000, 100   # the spec's default window and page; ids per query


def _group_of(category: Category) -> str:
    return next(group for group, members in SERVICE_GROUPS.items() if category in members)


def services() -> list[dict]:
    """Every service (category), in the request's language, with both languages' names in
    its description and keywords."""
    return [{"service_code": c.value, "service_name": label("category", c), "type": "realtime", "metadata": True,
             "description": f"{label('category', c, 'zh-CN')} / {label('category', c, 'en')}",
             "keywords": ",".join(sorted({label("category", c, "zh-CN"), label("category", c, "en"), c.value})),
             "group": translate(_group_of(c))} for group in SERVICE_GROUPS.values() for c in group]


def _values(vocabulary: str, codes) -> list[dict]:
    return [{"key": str(code), "name": label(vocabulary, str(code))} for code in codes]


def definition(service_code: str) -> dict:
    """The attributes a filing of ``service_code`` may carry beyond the standard fields."""
    try:
        category = Category(service_code)
    except ValueError:
        raise NotFound("no service {service_code}", field="service_code", service_code=service_code) from None
    attributes = [
        ("severity", "singlevaluelist", translate(N_("how serious the case is (default: general)")),
         _values("severity", Severity)),
        ("source", "singlevaluelist", translate(N_("where the case came from (default: portal)")),
         _values("source", SOURCES)),
        ("source_ref", "string", translate(N_("the source's reference: the 12345 ticket number (needed for hotline), "
                                              "the camera's GB/T 28181 id (needed for video)")), None),
        ("occurred_at", "datetime", translate(N_("when it happened, ISO 8601 with its offset (default: now)")), None),
    ]
    return {"service_code": category.value, "attributes": [
        {"variable": True, "code": code, "datatype": datatype, "required": False, "datatype_description": None,
         "order": order, "description": description, **({"values": values} if values else {})}
        for order, (code, datatype, description, values) in enumerate(attributes, 1)]}


def village_point(session: Session, *, address: str | None = None, village: str | None = None) -> tuple[float, float]:
    """A point (WGS-84) inside the village in force that ``village`` codes or whose name
    ``address`` holds (the longest such name, the lowest level first)."""
    row = session.execute(text("""
        SELECT ST_X(p) AS lon, ST_Y(p) AS lat FROM (
            SELECT ST_PointOnSurface(geom) AS p FROM areas_now
             WHERE level = 'village' AND (code = :village OR (CAST(:address AS text) IS NOT NULL
                                                              AND strpos(:address, name) > 0))
             ORDER BY code = :village DESC, length(name) DESC, code LIMIT 1) found"""),
        {"address": address, "village": village}).first()
    if row is None:
        field = "address_id" if village else "address_string"
        raise Invalid("no village or community of Haikou is named in {where}", field=field, where=field)
    return row.lon, row.lat


_REQUESTS = """
    SELECT i.id, i.category, i.status, is_open(i.status) AS open, i.registered_at, i.responsible_level,
           coalesce(i.stage_due_at, i.due_at) AS expected,
           (SELECT max(e.at) FROM incident_events e WHERE e.incident_id = i.id) AS updated,
           d.name AS district, t.name AS town, v.name AS village, v.code AS village_code,
           ST_X(inside.p) AS lon, ST_Y(inside.p) AS lat,
           coalesce((SELECT o.name FROM mediators m JOIN organisations o ON o.id = m.organisation_id
                      WHERE m.id = i.mediator_id),
                    (SELECT o.name FROM organisations o
                      WHERE o.area_code = CASE i.responsible_level WHEN 'town' THEN i.town_code
                                              WHEN 'district' THEN i.district_code ELSE i.village_code END
                        AND o.kind IN ('village_committee', 'town_centre', 'district_centre') LIMIT 1)) AS agency
      FROM incidents i
      JOIN areas_now v ON v.code = i.village_code
      CROSS JOIN LATERAL (SELECT ST_PointOnSurface(v.geom) AS p) inside
      LEFT JOIN areas_now t ON t.code = i.town_code
      LEFT JOIN areas_now d ON d.code = i.district_code
     WHERE {where}
     ORDER BY i.registered_at DESC, i.id DESC LIMIT :limit"""


def _present(row) -> dict:
    """A service request as the public may read it (see the module's docstring)."""
    category = Category(row.category)
    return {"service_request_id": str(row.id), "status": "open" if row.open else "closed",
            "status_notes": label("status", row.status), "service_name": label("category", category),
            "service_code": category.value, "description": None,
            "agency_responsible": f"{row.agency} ({label('level', row.responsible_level)})" if row.agency
            else label("level", row.responsible_level),
            "service_notice": None if is_mediated(row.category) else translate(N_("referred to the public-security organ")),
            "requested_datetime": row.registered_at, "updated_datetime": max(row.updated or row.registered_at, row.registered_at),
            "expected_datetime": row.expected if row.open else None,
            "address": "".join(n for n in (row.district, row.town, row.village) if n), "address_id": row.village_code,
            "zipcode": None, "lat": round(row.lat, 6), "long": round(row.lon, 6), "media_url": None}


def requests(session: Session, *, ids: list[int] | None = None, service_codes: list[str] | None = None,
             status: str | None = None, start: datetime | None = None, end: datetime | None = None) -> list[dict]:
    """Service requests, newest first: those of ``ids``, or those matching the filters within
    the spec's default window (the 90 days before ``end``, or after ``start``), at most 1,000."""
    where, params = ["true"], {"limit": MOST_REQUESTS}
    if ids is not None:
        if len(ids) > MOST_IDS:
            raise Invalid("at most {most} ids in one query", field="service_request_id", most=MOST_IDS)
        where.append("i.id = ANY(:ids)")
        params["ids"] = ids
    else:
        if start is None:
            start = (end or datetime.now().astimezone()) - timedelta(days=DEFAULT_DAYS)
        where.append("i.registered_at >= :start")
        params["start"] = start
        if end is not None:
            where.append("i.registered_at < :end")
            params["end"] = end
    if service_codes is not None:
        where.append("i.category = ANY(:categories)")
        params["categories"] = service_codes
    if status is not None:
        where.append(("" if status == "open" else "NOT ") + "is_open(i.status)")
    rows = session.execute(text(_REQUESTS.format(where=" AND ".join(where))), params)
    return [_present(r) for r in rows]


def request(session: Session, service_request_id: int) -> dict:
    found = requests(session, ids=[service_request_id])
    if not found:
        raise NotFound("no service request {service_request_id}", field="service_request_id",
                       service_request_id=service_request_id)
    return found[0]


TOKEN_PREFIX = "open311:"   # a filing's token: its Idempotency-Key as stored; those of POST /incidents stay unknown here


def token_of(idempotency_key: str) -> str:
    return TOKEN_PREFIX + idempotency_key


def filed(session: Session, token: str) -> int | None:
    """The incident a filing's token registered, if any (a token not made by a filing: none)."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    return session.scalar(text("SELECT incident_id FROM incident_requests WHERE idempotency_key = :k"), {"k": token})


def by_token(session: Session, token: str) -> dict:
    """The request a filing's token stands for."""
    found = filed(session, token)
    if found is None:
        raise NotFound("no service request has token {token}", field="token", token=token)
    return {"service_request_id": str(found), "token": token}
