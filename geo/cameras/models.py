"""Sharp Eyes cameras: GB/T 28181 id, position, heading, field of view."""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from geo.tables import Base


class Camera(Base):
    __tablename__ = "cameras"
    __table_args__ = (
        CheckConstraint("id ~ '^4601[0-9]{16}$'", name="gbt28181_haikou"),
        CheckConstraint("heading_deg >= 0 AND heading_deg < 360", name="heading_range"),
        CheckConstraint("fov_deg > 0 AND fov_deg <= 360", name="fov_range"),
        CheckConstraint("range_m > 0", name="range_positive"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    industry: Mapped[str] = mapped_column(String(2))
    device_type: Mapped[str] = mapped_column(String(3))
    heading_deg: Mapped[float] = mapped_column(Float)
    fov_deg: Mapped[float] = mapped_column(Float)
    range_m: Mapped[float] = mapped_column(Float)
    position = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    fov = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=True), nullable=False)
    source: Mapped[str] = mapped_column(Text)


class CameraCell(Base):
    """An H3 cell whose centre a camera sees (kept in step with the camera's sector)."""

    __tablename__ = "camera_cells"

    camera_id: Mapped[str] = mapped_column(ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True)
    h3: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
