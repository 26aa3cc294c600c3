"""Mediation organisations, mediators and the dispute categories they handle."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (ARRAY, BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String,
                        Text, func)
from sqlalchemy.orm import Mapped, mapped_column

from geo.tables import Base


class DisputeCategory(Base):
    __tablename__ = "dispute_categories"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    label_zh: Mapped[str] = mapped_column(Text)
    mediation: Mapped[bool] = mapped_column(Boolean)


class Organisation(Base):
    """A mediation body: village committee, town/district/city centre, or industry organisation."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('village_committee','town_centre','district_centre','city_centre','industry')",
                        name="kind_known"),
        CheckConstraint("(kind = 'industry') = (category IS NOT NULL)", name="industry_has_category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(ForeignKey("dispute_categories.code"))
    area_code: Mapped[str] = mapped_column(String(15))
    service_area_code: Mapped[str] = mapped_column(String(15))
    source: Mapped[str] = mapped_column(Text)


class Mediator(Base):
    """A full-time or part-time mediator. Name and phone are personal data."""

    __tablename__ = "mediators"
    __table_args__ = (
        CheckConstraint("employment IN ('full_time','part_time')", name="employment_known"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    employment: Mapped[str] = mapped_column(String(10))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    home_village_code: Mapped[str] = mapped_column(String(12), index=True)
    skills: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    capacity: Mapped[int] = mapped_column(Integer)
    on_duty: Mapped[bool] = mapped_column(Boolean)
    position = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
