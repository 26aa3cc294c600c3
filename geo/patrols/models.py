"""A grid worker's patrol check-ins (migration 0024)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from geo.tables import Base


class Checkin(Base):
    __tablename__ = "patrol_checkins"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    grid_code: Mapped[str] = mapped_column(String(15), index=True)
    actor: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))            # when the worker was there
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())   # sent later offline
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
