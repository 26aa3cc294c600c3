"""Webhooks (admin): subscriptions to incident events, signed deliveries, their log and replay."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_session
from api.params import Offset, known_query
from api.problems import answers
from api.schemas.webhooks import (Delivery, DeliveryLog, Subscription, SubscriptionCreate, SubscriptionCreated,
                                  Subscriptions)
from geo.webhooks import service

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
SubscriptionId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", status_code=201, response_model=SubscriptionCreated, responses=answers(404))
def subscribe(body: SubscriptionCreate, session: Transaction, actor: Annotated[str, Depends(get_actor)]) -> dict:
    """Tell ``url`` of the incident events of ``actions`` in ``area``: from now on, each event
    is written to the outbox with its change and POSTed, signed, until the receiver takes it."""
    return service.subscribe(session, url=body.url, actions=list(body.actions), area=body.area,
                             description=body.description, actor=actor)


@router.get("", response_model=Subscriptions, dependencies=[Depends(known_query)])
def subscriptions(session: Annotated[Session, Depends(get_session)]) -> dict:
    return {"items": service.subscriptions(session)}


@router.get("/{subscription_id}", response_model=Subscription, dependencies=[Depends(known_query)],
            responses=answers(404))
def subscription(subscription_id: SubscriptionId, session: Annotated[Session, Depends(get_session)]) -> dict:
    return service.subscription(session, subscription_id)


@router.delete("/{subscription_id}", status_code=204, responses=answers(404))
def unsubscribe(subscription_id: SubscriptionId, session: Transaction,
                actor: Annotated[str, Depends(get_actor)]) -> Response:
    """Stop telling the subscription; what it has not been sent yet goes with it."""
    service.unsubscribe(session, subscription_id, actor=actor)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryLog, dependencies=[Depends(known_query)],
            responses=answers(404))
def deliveries(subscription_id: SubscriptionId, session: Annotated[Session, Depends(get_session)],
               pending: Annotated[bool | None, Query(description="true: not yet taken; false: delivered")] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0) -> dict:
    """The delivery log, newest first: attempts, the receiver's last answer, when it was taken."""
    total, items = service.deliveries(session, subscription_id, limit=limit, offset=offset, pending=pending)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.post("/{subscription_id}/deliveries/{delivery_id}/replay", status_code=201, response_model=Delivery,
             responses=answers(404))
def replay(subscription_id: SubscriptionId, delivery_id: Annotated[int, Path(ge=1, le=2**62)], session: Transaction,
           actor: Annotated[str, Depends(get_actor)]) -> dict:
    """Send a delivery again (a new delivery, after the case's others)."""
    return service.replay(session, subscription_id, delivery_id, actor=actor)
