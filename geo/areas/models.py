"""Areas in the MapIt style: a code, a level, and the generations a boundary lives in."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Computed, DateTime, Float, ForeignKey, Index,
                        Integer, String, Text, UniqueConstraint, func)
from sqlalchemy.orm import Mapped, mapped_column

from geo.tables import Base

class Generation(Base):
    """A published set of boundaries (the newest is in force). Areas say which generations they belong to."""

    __tablename__ = "generations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    description: Mapped[str] = mapped_column(Text)
    based_on: Mapped[int | None] = mapped_column(ForeignKey("generations.id"))   # the generation it replaced
    published_by: Mapped[str | None] = mapped_column(Text)
    plan_id: Mapped[int | None] = mapped_column(Integer)    # the draft it came from
    accepted_warnings: Mapped[str | None] = mapped_column(Text)   # the reason given for publishing with warnings


class Area(Base):
    """A city, district, town (镇/街道), village (村/社区) or grid (网格) boundary."""

    __tablename__ = "areas"
    __table_args__ = (
        UniqueConstraint("code", "generation_low"),
        CheckConstraint("level IN ('city','district','town','village','grid')", name="level_known"),
        CheckConstraint(
            "length(code) = CASE level WHEN 'city' THEN 6 WHEN 'district' THEN 6 WHEN 'town' THEN 9 "
            "WHEN 'village' THEN 12 ELSE 15 END AND code ~ '^[0-9]+$'", name="code_fits_level"),
        CheckConstraint("generation_high IS NULL OR generation_high >= generation_low", name="generation_range"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        Index("ix_areas_level_parent", "level", "parent_code"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    code: Mapped[str] = mapped_column(String(15), index=True)
    level: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(4))
    parent_code: Mapped[str | None] = mapped_column(String(15))
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    generation_low: Mapped[int] = mapped_column(ForeignKey("generations.id"))
    generation_high: Mapped[int | None] = mapped_column(ForeignKey("generations.id"))
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)
    area_m2: Mapped[float] = mapped_column(Float, Computed("ST_Area(geom::geography)", persisted=True))


class AreaShape(Base):
    """An area's boundary simplified for a band of zoom levels (see geo.areas.shapes)."""

    __tablename__ = "area_shapes"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=False)


class H3Cell(Base):
    """An H3 cell and the areas its centre falls in, for one range of generations."""

    __tablename__ = "h3_cells"
    __table_args__ = (Index("ix_h3_cells_grid", "grid_code"),)

    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    generation_low: Mapped[int] = mapped_column(ForeignKey("generations.id"), primary_key=True)
    generation_high: Mapped[int | None] = mapped_column(ForeignKey("generations.id"))
    resolution: Mapped[int] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(6))
    town_code: Mapped[str] = mapped_column(String(9))
    village_code: Mapped[str] = mapped_column(String(12))
    grid_code: Mapped[str] = mapped_column(String(15))
    households: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)


def in_force(rows, generation: int):
    """SQL ``in_force()`` (migration 0011): the rows of Area or H3Cell (or an alias) in force at ``generation``."""
    return func.in_force(rows.generation_low, rows.generation_high, generation, type_=Boolean)


class DatasetLoad(Base):
    """Which build of the dataset is in the database (so an unchanged one is not reloaded)."""

    __tablename__ = "dataset_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_hash: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    seed: Mapped[int] = mapped_column(BigInteger)
    counts: Mapped[str] = mapped_column(Text)
