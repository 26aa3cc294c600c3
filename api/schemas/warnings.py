"""Early warning: hotspots and repeat disputes with their place and evidence, as JSON or a GeoJSON layer."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel, WithJsonSchema

from api.schemas.common import Geometry
from api.schemas.common import AreaInForce
from geo.mediation.categories import Category

Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]   # as the service writes it


class AlertPlace(BaseModel):
    """The village holding (or nearest to) an alert's centre, with its town and district."""

    village_code: str
    village: str
    town_code: str
    town: str
    district_code: str
    district: str


class HotspotEvidence(BaseModel):
    """Cases in the strongest disk of the region: recent window against the baseline before it."""

    recent: int
    baseline: int
    expected: float = Field(description="recent cases expected if place and time were independent")
    ratio: float = Field(description="recent / expected")
    p_value: float
    q_value: float = Field(description="Benjamini-Hochberg adjusted p-value")


class HotspotProperties(AlertPlace):
    kind: Literal["hotspot"]
    cell: str = Field(description="H3 index of the strongest disk's centre")
    evidence: HotspotEvidence


class Hotspot(HotspotProperties):
    """Recent cases of a place significantly above its own baseline."""

    cells: list[str] = Field(description="H3 indexes of the region")
    geometry: Geometry = Field(description="the region's outline (WGS-84)")


class RepeatEvidence(BaseModel):
    cases: int
    first: Moment
    last: Moment
    spread_m: float = Field(description="farthest case from the centre, metres")
    incident_ids: list[int] = Field(description="oldest first")


class RepeatProperties(AlertPlace):
    kind: Literal["repeat"]
    category: Category
    category_zh: str
    evidence: RepeatEvidence


class Repeat(RepeatProperties):
    """One category of dispute at one place again and again."""

    geometry: Geometry = Field(description="the cases' centre, a Point (WGS-84)")


class HotspotRule(BaseModel):
    """The thresholds the hotspots were found with, and what was tested."""

    resolution: int = Field(description="H3 resolution of the cells")
    ring: int = Field(description="neighbour rings pooled with a cell")
    window_days: int = Field(description="the recent window, days")
    baseline_days: int = Field(description="the baseline before it, days")
    fdr: float = Field(description="false discovery rate")
    min_count: int = Field(description="fewest recent cases")
    min_ratio: float = Field(description="least recent/expected ratio")
    method: str
    tested: int = Field(description="disks tested")
    recent_cases: int
    baseline_cases: int


class RepeatRule(BaseModel):
    """Repeat disputes: min_count cases of one category within radius_m of each other in window_days."""

    window_days: int
    radius_m: float
    min_count: int


class Alerts(BaseModel):
    """Hotspots and repeat disputes of an area as of a moment, with the rules that found them."""

    area: AreaInForce
    as_of: Moment
    category: Category | None
    hotspot_rule: HotspotRule
    repeat_rule: RepeatRule
    hotspots: list[Hotspot]
    repeats: list[Repeat]


class AlertFeature(BaseModel):
    type: Literal["Feature"]
    geometry: Geometry
    properties: Annotated[HotspotProperties | RepeatProperties, Field(discriminator="kind")]


class AlertLayer(BaseModel):
    """The alerts as a GeoJSON FeatureCollection: hotspot outlines and repeat points (format=geojson)."""

    type: Literal["FeatureCollection"]
    features: list[AlertFeature]


class Warnings(RootModel[Alerts | AlertLayer]):
    """The alerts (format=json) or their GeoJSON layer (format=geojson)."""
