"""Webhook subscriptions and their transactional outbox (migration 0021)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from geo.tables import Base


class Subscription(Base):
    """An outside system told of incident events of some actions, in an area (None: the city).
    The secret signs each delivery; it is kept, since every delivery needs it."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[str]] = mapped_column(ARRAY(Text))
    area_code: Mapped[str | None] = mapped_column(Text)   # no FK: areas are replaced by publishes (as 0017's keys)
    description: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class Delivery(Base):
    """One event to send to one subscription: written in the transaction of the change it
    tells of, sent after its commit, retried until the receiver answers 2xx."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (Index("ix_webhook_outbox_due", "next_attempt_at", postgresql_where=text("delivered_at IS NULL")),
                      Index("ix_webhook_outbox_case", "subscription_id", "incident_id", "id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)   # the receiver's HTTP status
    last_error: Mapped[str | None] = mapped_column(Text)       # why the last attempt failed
    replay_of: Mapped[int | None] = mapped_column(BigInteger)
