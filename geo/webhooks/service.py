"""Webhooks: who is told of which incident events, what each delivery holds, and how it is signed.

A delivery is a POST of JSON to the subscription's URL with the headers
``X-Grid-Event`` (the action), ``X-Grid-Delivery`` (the outbox id: a receiver that sees
one twice has it already) and ``X-Grid-Signature: t=<unix time>,v1=<hex>``, where v1 is
HMAC-SHA256 with the subscription's secret over ``"<t>." + body`` (Stripe's scheme: the
time is signed, so an old delivery cannot be replayed later by someone else).
The body tells the event and the case as it is after it, without personal data.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas.service import area_in_force
from geo.audit.service import record
from geo.errors import NotFound
from geo.incidents.models import ACTIONS

SECRET_PREFIX = "whsec_"
# What a delivery tells: the event and the case after it (codes, no reporter, parties or description).
_PAYLOAD = """jsonb_build_object(
    'event', jsonb_build_object('id', e.id, 'at', e.at, 'action', e.action, 'from_status', e.from_status,
                                'to_status', e.to_status),
    'incident', jsonb_build_object('id', i.id, 'category', i.category, 'severity', i.severity, 'status', i.status,
                                   'responsible_level', i.responsible_level, 'mediator_id', i.mediator_id,
                                   'district_code', i.district_code, 'town_code', i.town_code,
                                   'village_code', i.village_code, 'grid_code', i.grid_code,
                                   'source', i.channel, 'source_ref', i.channel_ref,
                                   'registered_at', i.registered_at, 'stage_due_at', i.stage_due_at))"""


def enqueue(session: Session, event_id: int) -> None:
    """Write the deliveries of an incident event, in its transaction, for every active
    subscription to its action whose area holds the case (after the receiver's put-off
    deliveries, if it is failing: geo.webhooks.courier)."""
    session.execute(text(f"""
        INSERT INTO webhook_outbox (subscription_id, incident_id, event_id, action, payload, next_attempt_at)
        SELECT s.id, i.id, e.id, e.action, {_PAYLOAD},
               greatest(now(), (SELECT max(p.next_attempt_at) FROM webhook_outbox p
                                 WHERE p.subscription_id = s.id AND p.delivered_at IS NULL))
          FROM incident_events e JOIN incidents i ON i.id = e.incident_id AND i.registered_at = e.incident_registered_at
          JOIN webhook_subscriptions s ON s.active AND e.action = ANY(s.actions)
               AND (s.area_code IS NULL OR left(i.grid_code, length(s.area_code)) = s.area_code)
         WHERE e.id = :event ORDER BY s.id"""), {"event": event_id})


def sign(secret: str, body: bytes, at: int) -> str:
    """The X-Grid-Signature header of ``body`` sent at unix time ``at``."""
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


_COLUMNS = "id, url, actions, area_code, description, created_by, created_at, active"


def subscribe(session: Session, *, url: str, actions: list[str], area: str | None, description: str,
              actor: str) -> dict:
    """A new subscription and its secret (shown once)."""
    if area is not None:
        area_in_force(session, area)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = session.execute(text(f"""INSERT INTO webhook_subscriptions (url, secret, actions, area_code, description,
                                                                      created_by)
                                   VALUES (:url, :secret, :actions, :area, :description, :actor) RETURNING {_COLUMNS}"""),
                          {"url": url, "secret": secret, "actions": sorted(set(actions) or set(ACTIONS)), "area": area,
                           "description": description, "actor": actor}).mappings().one()
    record(session, actor=actor, action="create", entity="webhook", entity_id=str(row["id"]), before=None,
           after={"url": url, "actions": row["actions"], "area_code": area})
    return {**row, "secret": secret}


def subscriptions(session: Session) -> list[dict]:
    return [dict(r) for r in session.execute(text(f"SELECT {_COLUMNS} FROM webhook_subscriptions ORDER BY id")).mappings()]


def subscription(session: Session, subscription_id: int) -> dict:
    row = session.execute(text(f"SELECT {_COLUMNS} FROM webhook_subscriptions WHERE id = :id"),
                          {"id": subscription_id}).mappings().first()
    if row is None:
        raise NotFound("no webhook subscription {subscription_id}", field="subscription_id",
                       subscription_id=subscription_id)
    return dict(row)


def unsubscribe(session: Session, subscription_id: int, *, actor: str) -> None:
    """Remove a subscription and what it has not been sent yet."""
    before = subscription(session, subscription_id)
    session.execute(text("DELETE FROM webhook_subscriptions WHERE id = :id"), {"id": subscription_id})
    record(session, actor=actor, action="delete", entity="webhook", entity_id=str(subscription_id),
           before={"url": before["url"], "actions": before["actions"], "area_code": before["area_code"]}, after=None)


_DELIVERY = """id, incident_id, event_id, action, created_at, attempts, next_attempt_at, delivered_at, last_status,
               last_error, replay_of"""


def deliveries(session: Session, subscription_id: int, *, limit: int, offset: int,
               pending: bool | None = None) -> tuple[int, list[dict]]:
    """A subscription's delivery log, newest first: each delivery's attempts and outcome."""
    subscription(session, subscription_id)
    where = "subscription_id = :id" + {None: "", True: " AND delivered_at IS NULL",
                                       False: " AND delivered_at IS NOT NULL"}[pending]
    params = {"id": subscription_id, "limit": limit, "offset": offset}
    total = session.scalar(text(f"SELECT count(*) FROM webhook_outbox WHERE {where}"), params)
    rows = session.execute(text(f"SELECT {_DELIVERY} FROM webhook_outbox WHERE {where} "
                                "ORDER BY id DESC LIMIT :limit OFFSET :offset"), params).mappings()
    return total, [dict(r) for r in rows]


def replay(session: Session, subscription_id: int, delivery_id: int, *, actor: str) -> dict:
    """Send a delivery again, as a new delivery after the case's others (its payload unchanged)."""
    row = session.execute(text(f"""
        INSERT INTO webhook_outbox (subscription_id, incident_id, event_id, action, payload, replay_of)
        SELECT subscription_id, incident_id, event_id, action, payload, id FROM webhook_outbox
         WHERE id = :delivery AND subscription_id = :id RETURNING {_DELIVERY}"""),
                          {"id": subscription_id, "delivery": delivery_id}).mappings().first()
    if row is None:
        raise NotFound("no delivery {delivery_id} of webhook subscription {subscription_id}", field="delivery_id",
                       delivery_id=delivery_id, subscription_id=subscription_id)
    record(session, actor=actor, action="replay", entity="webhook", entity_id=str(subscription_id), before=None,
           after={"delivery": delivery_id, "as": row["id"]})
    return dict(row)
