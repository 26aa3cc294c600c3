"""Open311 GeoReport v2: the fields the specification lists, by its own names."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel

from geo.text import FilledText, PlainName

MEDIA_URL = r"^https?://[^\s\x00-\x1f\x7f\"'<>\\`{}|^]+$"   # a URL as RFC 3986 writes it: no blanks, quotes or <>


class Open311Filing(BaseModel):
    """POST requests (application/x-www-form-urlencoded): a place (lat/long in WGS-84, an
    address_string naming the village, or an address_id that is its code), the service, a
    description, the reporter (personal data), and the service definition's attributes."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")   # api_key is the gate's

    jurisdiction_id: str | None = Field(None, max_length=20, description="460100 (海口市), or absent")
    service_code: str = Field(max_length=64, description="a service_code of GET services")
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    address_string: PlainName | None = Field(None, max_length=200, description="an address naming the village")
    address_id: str | None = Field(None, pattern=r"^\d{12}$", description="the village's 12-digit code")
    email: PlainName | None = Field(None, max_length=200, description="personal data; not kept")
    device_id: PlainName | None = Field(None, max_length=200)
    account_id: PlainName | None = Field(None, max_length=200, description="echoed in the answer")
    first_name: PlainName | None = Field(None, max_length=50, description="personal data")
    last_name: PlainName | None = Field(None, max_length=50, description="personal data (姓)")
    phone: str | None = Field(None, pattern=r"^\+?\d{5,20}$", description="personal data")
    description: FilledText = Field(min_length=1, max_length=5000)
    media_url: str | None = Field(None, max_length=2000, pattern=MEDIA_URL,
                                  description="a photo or document of the case (personal data, as the reporter)")
    severity: PlainName | None = Field(None, alias="attribute[severity]", max_length=32)
    source: PlainName | None = Field(None, alias="attribute[source]", max_length=32)
    source_ref: PlainName | None = Field(None, alias="attribute[source_ref]", max_length=64)
    occurred_at: AwareDatetime | None = Field(None, alias="attribute[occurred_at]")


class ServiceItem(BaseModel):
    service_code: str
    service_name: str = Field(description="in the request's language")
    description: str = Field(description="the name in Chinese / English")
    metadata: bool = Field(description="true: GET services/{service_code} lists its attributes")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue] | None = None


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ServiceAttribute]


class FiledRequest(BaseModel):
    service_request_id: str
    token: str = Field(description="GET tokens/{token} finds the request again (the Idempotency-Key)")
    service_notice: str | None
    account_id: str | None


class ServiceRequest(BaseModel):
    """A request as anyone may read it: no reporter, no description, its place the village's."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None = Field(description="the case's status in the request's language")
    service_name: str
    service_code: str
    description: str | None = Field(description="always null: a dispute's facts name people")
    agency_responsible: str | None = Field(description="the organisation handling it and the responsible level")
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None = Field(description="the running stage's deadline, while open")
    address: str = Field(description="the district, town and village")
    address_id: str = Field(description="the village's code")
    zipcode: str | None
    lat: float = Field(description="a point inside the village, not the case's place")
    long: float
    media_url: str | None


class TokenAnswer(BaseModel):
    service_request_id: str
    token: str


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class ServiceList(RootModel[list[ServiceItem]]):
    """GET services: every service."""


class ServiceRequests(RootModel[list[ServiceRequest]]):
    """GET requests: the service requests found (a list of one for GET requests/{id})."""


class FiledRequests(RootModel[list[FiledRequest]]):
    """POST requests: the request filed (a list of one, as the specification answers)."""


class Tokens(RootModel[list[TokenAnswer]]):
    """GET tokens/{token}: the request the token stands for."""
