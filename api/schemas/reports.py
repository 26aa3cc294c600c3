"""The monthly joint-meeting report (format=json): a month's figures by category, place and mediator."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas.common import AreaRef
from api.schemas.common import AreaInForce
from api.schemas.incidents import Source
from api.schemas.mediators import Employment
from api.schemas.warnings import Hotspot, HotspotRule, Repeat, RepeatRule
from geo.mediation.categories import Category


class MonthCounts(BaseModel):
    """Cases by event date in the month."""

    registered: int
    concluded: int
    agreements: int
    terminations: int
    escalations: int
    overdue: int = Field(description="open at the month's end past the deadline")


class MonthFigures(MonthCounts):
    median_days: float | None = Field(description="days to conclusion of the cases concluded in the month")
    p90_days: float | None


class CategoryFigures(MonthFigures):
    category: Category
    category_zh: str


class SourceFigures(MonthCounts):
    source: Source
    source_zh: str


class TownFigures(AreaRef, MonthCounts):
    households: int
    per_1000_households: float | None = Field(description="cases registered per 1000 households")


class VillageFigures(TownFigures):
    town: str = Field(description="the town's name")
    households: int | None


class MediatorWorkload(BaseModel):
    mediator_id: int
    employment: Employment
    organisation: str
    assigned: int = Field(description="cases registered in the month")
    concluded: int
    open_at_month_end: int


class TrendMonth(BaseModel):
    month: str = Field(description="YYYY-MM")
    registered: int
    concluded: int


class MonthlyReport(BaseModel):
    """Every figure of a month's report; the month is a calendar month in Haikou time (UTC+8)."""

    area: AreaInForce
    month: str = Field(description="YYYY-MM")
    start: datetime
    end: datetime = Field(description="the next month's start")
    last_day: date
    summary: MonthFigures
    categories: list[CategoryFigures]
    sources: list[SourceFigures] = Field(description="where the month's cases came from (来源)")
    villages: list[VillageFigures]
    towns: list[TownFigures] = Field(None, description="the village rows summed per town; absent in a town's report")
    mediators: list[MediatorWorkload] = Field(description="the mediators with cases in the month, busiest first")
    trend: list[TrendMonth] = Field(description="the 12 months ending with this one")
    hotspots: list[Hotspot] = Field(description="as of the month's end, the month being the recent window")
    repeats: list[Repeat]
    hotspot_rule: HotspotRule
    repeat_rule: RepeatRule
