"""Drafts of boundary changes (plans): their areas and the log of edits that made them."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.tables import Base


class Plan(Base):
    """A draft on top of one generation, scoped to the city, a district, a town or a village."""

    __tablename__ = "plans"
    __table_args__ = (CheckConstraint("status IN ('draft','submitted','approved','published','discarded')",
                                      name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_generation: Mapped[int] = mapped_column(ForeignKey("generations.id"))
    scope_code: Mapped[str] = mapped_column(String(15))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    applied: Mapped[int] = mapped_column(Integer, default=0)   # edits 1..applied are in effect (undo moves it back)
    household_targets: Mapped[dict] = mapped_column(JSONB, default=dict)   # village code -> [min, max]
    published_generation: Mapped[int | None] = mapped_column(ForeignKey("generations.id"))


class PlanReview(Base):
    """One step of a draft's review (four eyes): submitted with what it changes, approved,
    or sent back with comments; ``edit`` is the draft's edits applied at that step."""

    __tablename__ = "plan_reviews"
    __table_args__ = (CheckConstraint("action IN ('submit','approve','return')", name="action_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    edit: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlanArea(Base):
    """An area as the draft has it. ``base_area_id`` is the published row it started from;
    geometries may be invalid here (validation reports them), never in ``areas``."""

    __tablename__ = "plan_areas"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(4))
    parent_code: Mapped[str | None] = mapped_column(String(15))
    households: Mapped[int] = mapped_column(Integer, default=0)
    population: Mapped[int] = mapped_column(Integer, default=0)
    base_area_id: Mapped[int | None] = mapped_column(BigInteger)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class PlanEdit(Base):
    """One edit: what was asked, and the affected areas before and after (for undo and redo)."""

    __tablename__ = "plan_edits"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    op: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict] = mapped_column(JSONB)
    before: Mapped[dict] = mapped_column(JSONB)   # code -> area row (geometry as hex WKB) or null
    after: Mapped[dict] = mapped_column(JSONB)
    actor: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
