"""Webhook subscriptions and their delivery log."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Page
from api.schemas.incidents import EventAction
from geo.text import PlainText


class SubscriptionCreate(BaseModel):
    """Whom to tell of which incident events: every action if none are named, the city's
    cases if no area is."""

    url: str = Field(max_length=2000, pattern=r"^https?://[^\s/?#@]+(/[^\s]*)?$",
                     description="where deliveries are POSTed (no user:password in it: the log and the list show it)")
    actions: list[EventAction] = Field(default_factory=list, max_length=20,
                                       description="register, dispatch, transition...; empty: all")
    area: str | None = Field(None, pattern=r"^\d{6,15}$", description="a district, town or village code: its cases only")
    description: PlainText = Field("", max_length=500)


class Subscription(BaseModel):
    id: int
    url: str
    actions: list[EventAction]
    area_code: str | None
    description: str
    created_by: str
    created_at: datetime
    active: bool


class SubscriptionCreated(Subscription):
    secret: str = Field(description="signs every delivery (X-Grid-Signature); shown this once")


class Subscriptions(BaseModel):
    items: list[Subscription]


class Delivery(BaseModel):
    id: int = Field(description="the X-Grid-Delivery header sent with it")
    incident_id: int
    event_id: int
    action: EventAction
    created_at: datetime = Field(description="when the change committed")
    attempts: int
    next_attempt_at: datetime = Field(description="when it is tried next, if not delivered")
    delivered_at: datetime | None
    last_status: int | None = Field(description="the receiver's HTTP status at the last try")
    last_error: str | None
    replay_of: int | None = Field(description="the delivery this one sends again")


DeliveryLog = Page[Delivery]
