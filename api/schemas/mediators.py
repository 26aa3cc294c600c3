"""Mediators: what creating or changing one sends, one as read, and the nearest eligible ones."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Geometry, LabelField, Labelled, Page
from api.schemas.common import Lat, Lon
from api.schemas.incidents import PERSONAL
from geo.mediation.categories import Category
from geo.mediation.service import EMPLOYMENTS, POOLS
from geo.text import PlainName

Employment = Literal[EMPLOYMENTS]
OrganisationKind = Literal["village_committee", "town_centre", "district_centre", "city_centre", "industry"]
Name = Annotated[PlainName, Field(min_length=1, max_length=100)]
Phone = Annotated[str, Field(pattern=r"^\+?\d{5,20}$")]
VillageCode = Annotated[str, Field(pattern=r"^4601\d{8}$")]
Skills = Annotated[list[Category], Field(min_length=1, max_length=16)]
Capacity = Annotated[int, Field(gt=0, le=200, description="most open cases at once")]
OrganisationId = Annotated[int, Field(gt=0)]


class MediatorCreate(BaseModel):
    """A new mediator, at a position in the request's ``crs``."""

    name: Name
    phone: Phone
    employment: Employment
    organisation_id: OrganisationId
    home_village_code: VillageCode
    skills: Skills
    capacity: Capacity
    on_duty: bool = True
    lon: Lon
    lat: Lat


class MediatorUpdate(BaseModel):
    """The fields to change; lon and lat go together."""

    name: Name | None = None
    phone: Phone | None = None
    employment: Employment | None = None
    organisation_id: OrganisationId | None = None
    home_village_code: VillageCode | None = None
    skills: Skills | None = None
    capacity: Capacity | None = None
    on_duty: bool | None = None
    lon: Lon | None = None
    lat: Lat | None = None


class MediatorBase(Labelled):
    """What every answer about a mediator holds."""

    LABELS = {"employment": "employment"}
    id: int
    name: str = Field(None, description=PERSONAL)
    phone: str = Field(None, description=PERSONAL)
    employment: Employment
    employment_label: str | None = LabelField("employment")
    organisation_id: int
    home_village_code: str
    skills: list[Category]
    capacity: int = Field(description="most open cases at once")
    on_duty: bool
    load: int = Field(description="open cases assigned now")
    position: Geometry = Field(description="a Point in the request's crs")


class MediatorRead(MediatorBase):
    """A mediator with their organisation and whether they can take a case now."""

    organisation: str = Field(description="the organisation's name")
    organisation_kind: OrganisationKind
    service_area_code: str = Field(description="the area the organisation serves")
    available: bool = Field(description="on duty and under capacity")


MediatorList = Page[MediatorRead]


class MediatorCandidate(MediatorBase):
    distance_m: float = Field(description="metres on the ground from the place asked about")


class RankedMediator(MediatorCandidate):
    """An eligible mediator: on duty, skilled and under capacity."""

    rank: int = Field(ge=1)
    why: str = Field(description="the reasons for the rank, in words")


class PassedOverMediator(MediatorCandidate):
    """A mediator nearer than the last one ranked, not eligible."""

    reasons: list[str]


class NearestMediators(BaseModel):
    """The nearest eligible mediators, nearest first."""

    category: Category | None
    level: Literal[tuple(level for level in POOLS if level)] | None = Field(
        description="the level whose pool was searched (null: every mediator)")
    area: str | None = Field(description="the area code of that level's pool")
    results: list[RankedMediator]
    excluded: list[PassedOverMediator] = Field(None, description="only with excluded=true")
