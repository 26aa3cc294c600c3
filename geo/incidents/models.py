"""An incident, its place in the area hierarchy, its responsible level and status."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (ARRAY, BigInteger, CheckConstraint, DateTime, ForeignKey, ForeignKeyConstraint, Index, Integer,
                        LargeBinary, String, Text, func, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import UserDefinedType

from geo.i18n import N_
from geo.tables import Base
from geo.incidents.statuses import STATUSES

ROUTES = ("administrative", "arbitration", "court")   # where a terminated mediation points the parties (art. 26)
SOURCES = ("grid_worker", "hotline", "portal", "video", "assigned", "walk_in")
"""Where a case comes from (来源): a grid worker on patrol, the 12345 hotline, a portal or
mini-program, a Sharp Eyes camera, assignment from a higher level, or a visit to the centre."""
# The sources whose cases always carry their reference, and what to say when one does not.
REFERENCE_NEEDED = {"hotline": N_("a hotline case names its 12345 ticket number"),
                    "video": N_("a video case names the camera that saw it (its GB/T 28181 id)")}
ACTIONS = ("register", "dispatch", "reassign", "decline", "escalate", "transition", "extend")   # the steps an event records


class Incident(Base):
    """Reporter name and phone, and the parties, are personal data."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint("severity IN ('minor','general','major','critical')", name="severity_known"),
        CheckConstraint("status IN (" + ",".join(f"'{s}'" for s in STATUSES) + ")", name="status_known"),
        CheckConstraint("responsible_level IN ('village','town','district','industry')", name="level_known"),
        CheckConstraint("parties IS NULL OR jsonb_typeof(parties) = 'array'", name="parties_are_a_list"),
        CheckConstraint("channel IN (" + ",".join(f"'{s}'" for s in SOURCES) + ")", name="channel_known"),   # 0019
        Index("ix_incidents_status_registered", "status", "registered_at"),
        Index("ix_incidents_open_by_mediator", "mediator_id", postgresql_where=text("is_open(status)")),   # 0009, 0011
        Index("ix_incidents_stage_due", "stage_due_at", postgresql_where=text("stage_due_at IS NOT NULL")),   # 0013
        {"postgresql_partition_by": "RANGE (registered_at)"},   # a partition a month (migration 0008)
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category: Mapped[str] = mapped_column(ForeignKey("dispute_categories.code"))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    concluded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    description: Mapped[str] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(Text)
    parties: Mapped[list | None] = mapped_column(JSONB)   # [{role, name, phone}] (migration 0016)
    position = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    district_code: Mapped[str] = mapped_column(String(6))
    town_code: Mapped[str] = mapped_column(String(9))
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    grid_code: Mapped[str] = mapped_column(String(15))
    h3: Mapped[int | None] = mapped_column(BigInteger, index=True)
    responsible_level: Mapped[str] = mapped_column(String(8))
    responsible_rule: Mapped[str] = mapped_column(Text)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id"), index=True)
    spans: Mapped[str | None] = mapped_column(String(8))
    agreement_form: Mapped[str | None] = mapped_column(String(8))
    agreement_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    termination_routes: Mapped[list[str] | None] = mapped_column(ARRAY(String(16)))
    source: Mapped[str] = mapped_column(Text)   # provenance: 'api' or 'generated'
    channel: Mapped[str] = mapped_column(String(16), index=True, server_default="walk_in")   # source (SOURCES), 0019
    channel_ref: Mapped[str | None] = mapped_column(Text)   # the ticket, camera or document of the channel
    media_url: Mapped[str | None] = mapped_column(Text)     # a photo or document the filer points to (0022)
    # the stage's deadline (geo.incidents.deadlines): when it began, when it turns yellow, when red
    stage_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stage_warn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    stage_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Attachment(Base):
    """A photo or scanned document of a case (geo.incidents.attachments; migration 0023)."""

    __tablename__ = "incident_attachments"
    __table_args__ = (CheckConstraint("media_type IN ('image/jpeg', 'image/png', 'application/pdf')",
                                      name="attachment_type_known"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, index=True)
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    description: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TransactionId(UserDefinedType):
    """PostgreSQL's ``xid8``: the id of the transaction that wrote a row (``pg_current_xact_id()``)."""

    cache_ok = True

    def get_col_spec(self, **kw) -> str:
        return "xid8"


class IncidentEvent(Base):
    """One audited step of an incident: a transition, a dispatch, an escalation, an extension."""

    __tablename__ = "incident_events"
    __table_args__ = (ForeignKeyConstraint(["incident_id", "incident_registered_at"], ["incidents.id", "incidents.registered_at"],
                                           ondelete="CASCADE"),
                      Index("ix_incident_events_stream", "txid", "id"))   # 0014

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, index=True)
    incident_registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    details: Mapped[dict | None] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(Text)
    # The writing transaction: the event stream's order (migration 0014, geo.incidents.stream).
    txid: Mapped[str] = mapped_column(TransactionId, server_default=text("pg_current_xact_id()"))


class IncidentRequest(Base):
    """The Idempotency-Key of a registration and its body's hash: a replay returns the same incident."""

    __tablename__ = "incident_requests"
    __table_args__ = (ForeignKeyConstraint(["incident_id", "incident_registered_at"], ["incidents.id", "incidents.registered_at"],
                                           ondelete="CASCADE"),)

    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[int] = mapped_column(BigInteger)
    incident_registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
