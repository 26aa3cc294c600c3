"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): services, service
definitions, filing a request, reading requests and tokens, in JSON or XML by suffix.
Reads are public and carry no personal data (geo.intake.open311); a filing needs an
intake, dispatcher or admin key, in the X-API-Key header or the form field ``api_key``."""
from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_read_session
from api.links import public
from api.params import Moment, known_query
from api.problems import answers
from api.schemas.incidents import IncidentCreate
from api.schemas.open311 import (Discovery, FiledRequests, Open311Filing, ServiceDefinition, ServiceList,
                                 ServiceRequests, Tokens)
from api.state import index_cache
from geo.areas.locate_index import IndexCache
from geo.errors import DomainError, Invalid
from geo.crs import Datum
from geo.i18n import label, translate
from geo.incidents import service as incidents
from geo.intake import open311

router = APIRouter(prefix="/open311", tags=["open311"])
Format = Annotated[Literal["json", "xml"], Path(description="json or xml (GeoReport v2 asks for both)")]
XML = "text/xml; charset=utf-8"
CONTACT = "海口市社会治理综合服务中心 (Haikou comprehensive social governance centre)"
_XML_ANSWER = {"content": {"text/xml": {"schema": {"type": "string"}}}, "description": "the same, as GeoReport XML"}
# The XML element of each list's items (GeoReport v2's own names).
_ITEM = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
         "endpoints": "endpoint", "formats": "format"}


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")   # characters XML 1.0 cannot hold


def _xml_value(parent: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(ET.SubElement(parent, key), inner)
    elif isinstance(value, list):
        for inner in value:
            _xml_value(ET.SubElement(parent, _ITEM.get(parent.tag, "item")), inner)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif isinstance(value, datetime):
        parent.text = value.isoformat()
    elif value is not None:   # text ElementTree escapes; stored data from before the checks may hold controls
        parent.text = _NOT_XML.sub("\ufffd", str(value))


def _answer(fmt: str, root: str, data, status: int = 200):
    """``data`` as JSON (the route's response model) or as GeoReport XML under ``root`` (text escaped by ElementTree)."""
    if fmt == "json":
        return data
    element = ET.Element(root)
    _xml_value(element, data)
    return Response(b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8"), media_type=XML,
                    status_code=status)


def in_jurisdiction(jurisdiction_id: Annotated[str | None, Query(description="460100 (海口市), or absent")] = None
                    ) -> None:
    """GeoReport's jurisdiction_id (a query parameter of every read, a field of a filing): ours only."""
    if jurisdiction_id not in (None, "", open311.JURISDICTION):
        raise Invalid("this endpoint serves jurisdiction {jurisdiction} (海口市) only", field="jurisdiction_id",
                      jurisdiction=open311.JURISDICTION)


READS = [Depends(known_query), Depends(in_jurisdiction)]   # every GeoReport read


@router.get("/discovery.{fmt}", response_model=Discovery, dependencies=[Depends(known_query)],
            responses={200: _XML_ANSWER})
def discovery(fmt: Format):
    """The service discovery document: where this GeoReport v2 endpoint is, in which formats."""
    data = {"changeset": "2026-12-04T00:00:00+08:00", "contact": CONTACT,
            "key_service": translate("an administrator makes intake keys: gridctl auth create-key --role intake"),
            "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": public("/open311/v2"),
                           "changeset": "2026-12-04T00:00:00+08:00", "type": "production",
                           "formats": ["text/xml", "application/json"]}]}
    return _answer(fmt, "discovery", data)


@router.get("/v2/services.{fmt}", response_model=ServiceList, dependencies=READS,
            responses={200: _XML_ANSWER})
def services(fmt: Format):
    """Every category of case as a service, grouped, in the request's language."""
    return _answer(fmt, "services", open311.services())


@router.get("/v2/services/{service_code}.{fmt}", response_model=ServiceDefinition, dependencies=READS,
            responses={200: _XML_ANSWER, **answers(404)})
def service_definition(service_code: str, fmt: Format):
    """The attributes a filing may carry: severity, source, its reference, when it happened."""
    return _answer(fmt, "service_definition", open311.definition(service_code))


def _as_incident(session: Session, filing: Open311Filing, occurred: datetime) -> dict:
    """The registration a filing makes (at ``occurred`` if it does not say when), checked as
    POST /incidents checks it (errors name the filing's own fields)."""
    if filing.lat is not None and filing.long is not None:
        lon, lat = filing.long, filing.lat
    elif filing.lat is not None or filing.long is not None:
        raise Invalid("send lat and long together", field="long" if filing.long is None else "lat")
    elif filing.address_id or filing.address_string:
        lon, lat = open311.village_point(session, address=filing.address_string, village=filing.address_id)
    else:
        raise Invalid("a request needs lat and long, an address_string or an address_id", field="lat")
    name = f"{filing.last_name or ''}{filing.first_name or ''}".strip() or None
    body = {"lon": lon, "lat": lat, "category": filing.service_code, "description": filing.description,
            "severity": filing.severity or open311.DEFAULT_SEVERITY, "source": filing.source or open311.DEFAULT_SOURCE,
            "source_ref": filing.source_ref, "occurred_at": filing.occurred_at or occurred,
            "reporter_name": name, "reporter_phone": filing.phone}
    try:
        return IncidentCreate(**{k: v for k, v in body.items() if v is not None}).model_dump(mode="json")
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", _FILING_FIELD.get(e["loc"][0], e["loc"][0]), *e["loc"][1:])}
                                      for e in exc.errors()]) from None


# The filing's name of each field of POST /incidents it fills.
_FILING_FIELD = {"lon": "long", "position": "lat", "category": "service_code", "reporter_name": "last_name",
                 "reporter_phone": "phone",
                 "severity": "attribute[severity]", "source": "attribute[source]", "source_ref": "attribute[source_ref]",
                 "occurred_at": "attribute[occurred_at]"}


@router.post("/v2/requests.{fmt}", status_code=201, response_model=FiledRequests,
             responses={201: _XML_ANSWER, **answers(404)})
def file_request(fmt: Format, filing: Annotated[Open311Filing, Form()], session: Transaction, response: Response,
                 actor: Annotated[str, Depends(get_actor)], indexes: Annotated[IndexCache, Depends(index_cache)],
                 idempotency_key: Annotated[str | None, Header(min_length=8, max_length=180)] = None):
    """File a case: placed, given its responsible level and dispatched like POST /incidents.
    The answer's token (made from the Idempotency-Key, or for the filing) finds the request
    again; the same key and form file once (200), the same key with another form is a 422."""
    in_jurisdiction(filing.jurisdiction_id)
    token = open311.token_of(idempotency_key or str(uuid.uuid4()))
    filed = open311.filed(session, token)   # a retry: the same form files once (a filing's own time is its first)
    occurred = incidents.get(session, filed, with_events=False)["occurred_at"] if filed else datetime.now().astimezone()
    try:
        incident, created = incidents.create(session, indexes, _as_incident(session, filing, occurred), datum=Datum.WGS84,
                                             idempotency_key=token, actor=actor, media_url=filing.media_url)
    except DomainError as error:   # named as the filing names the field
        error.field = _FILING_FIELD.get(error.field, error.field)
        raise
    response.status_code = 201 if created else 200   # a retry of a filing: 200, as POST /incidents answers it
    return _answer(fmt, "service_requests", [_filed(incident, token, filing)], status=response.status_code)


def _filed(incident: dict, token: str, filing: Open311Filing) -> dict:
    notice = translate("registered as case {id}, at the {level} level", {
        "id": incident["id"], "level": label("level", incident["responsible_level"])})
    return {"service_request_id": str(incident["id"]), "token": token, "service_notice": notice,
            "account_id": filing.account_id}


@router.get("/v2/requests.{fmt}", response_model=ServiceRequests, dependencies=READS,
            responses={200: _XML_ANSWER})
def list_requests(fmt: Format, session: Annotated[Session, Depends(get_read_session)],
                  service_request_id: Annotated[str | None, Query(pattern=r"^\d{1,18}(,\d{1,18})*$", max_length=2000,
                                                                  description="comma-separated ids")] = None,
                  service_code: Annotated[str | None, Query(max_length=1000, description="comma-separated")] = None,
                  status: Annotated[str | None, Query(pattern=r"^(open|closed)(,(open|closed))*$",
                                                      description="open, closed or both, comma-separated")] = None,
                  start_date: Moment | None = None, end_date: Moment | None = None):
    """Service requests, newest first: by id, or within the 90 days before ``end_date`` (or
    from ``start_date``), at most 1,000; nothing personal."""
    if start_date and end_date and start_date > end_date:
        raise Invalid("start_date is after end_date", field="start_date")
    codes = [open311.definition(code)["service_code"] for code in service_code.split(",")] if service_code else None
    ids = [int(i) for i in service_request_id.split(",")] if service_request_id else None
    statuses = set(status.split(",")) if status else None
    return _answer(fmt, "service_requests", open311.requests(
        session, ids=ids, service_codes=codes, status=None if statuses in (None, {"open", "closed"}) else statuses.pop(),
        start=start_date, end=end_date))


@router.get("/v2/requests/{service_request_id}.{fmt}", response_model=ServiceRequests,
            dependencies=READS, responses={200: _XML_ANSWER, **answers(404)})
def one_request(service_request_id: Annotated[int, Path(ge=1, le=2**62)], fmt: Format,
                session: Annotated[Session, Depends(get_read_session)]):
    return _answer(fmt, "service_requests", [open311.request(session, service_request_id)])


@router.get("/v2/tokens/{token}.{fmt}", response_model=Tokens, dependencies=READS,
            responses={200: _XML_ANSWER, **answers(404)})
def token(token: Annotated[str, Path(min_length=8, max_length=200)], fmt: Format,
          session: Annotated[Session, Depends(get_read_session)]):
    """The service request a filing's token stands for."""
    return _answer(fmt, "service_requests", [open311.by_token(session, token)])
