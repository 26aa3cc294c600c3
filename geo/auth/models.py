"""API keys, stored hashed: the key itself is shown once, when it is made; and the service's
own secrets (the key that signs page sessions)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, CheckConstraint, DateTime, Integer, LargeBinary, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from geo.tables import Base


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('admin','planner','dispatcher','camera_admin','viewer','embed',"
                                      "'mediator','intake','grid_worker')", name="role_known"),   # 0020, 0024
                      CheckConstraint("(role = 'mediator') = (mediator_id IS NOT NULL)",
                                      name="mediator_keys_name_their_mediator"),
                      CheckConstraint("area_code IS NULL OR role IN ('dispatcher', 'viewer', 'grid_worker')",
                                      name="area_keys_are_dispatchers_or_viewers"),
                      CheckConstraint("role <> 'grid_worker' OR area_code IS NOT NULL",
                                      name="grid_workers_name_their_grid"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(12), unique=True)      # shown in lists, used to find the key
    secret_hash: Mapped[str] = mapped_column(String(64))                # SHA-256 of the whole key
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    origins: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)   # embed keys: the portals allowed
    views: Mapped[list[str] | None] = mapped_column(ARRAY(Text))       # embed keys: pages served (NULL: defaults)
    layers: Mapped[list[str] | None] = mapped_column(ARRAY(Text))      # embed keys: tile layers served (NULL: defaults)
    mediator_id: Mapped[int | None] = mapped_column(BigInteger)         # mediator keys: whose cases (no FK: 0015)
    area_code: Mapped[str | None] = mapped_column(Text)                 # area keys: whose incidents (no FK: 0017)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ServiceSecret(Base):
    __tablename__ = "service_secrets"

    name: Mapped[str] = mapped_column(Text, primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
