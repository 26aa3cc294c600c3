"""The incident events stream: what happened to which case, in commit order, after a position.

Events are read by (writing transaction, id) up to the oldest transaction still running
(migration 0014), so that none can appear behind a position once it has been passed: a
browser that resumes from the last event it saw misses nothing. A position is an event's
id, as a browser sends it back (``Last-Event-ID``). Each event carries the incident as it
is now (status, queue group, deadline), never its parties' or reporter's personal data,
nor the free-text note: a client that may see those fetches the incident.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.incidents import deadlines
from geo.incidents.models import ACTIONS
from geo.incidents.service import filter_sql

BATCH = 500   # events read at once; a long backlog comes in several reads
_SETTLED = "e.txid < pg_snapshot_xmin(pg_current_snapshot())"   # written by a transaction that has ended


@dataclass(frozen=True)
class Position:
    """After the event ``id`` written by transaction ``txid`` (xid8, as text)."""

    txid: str
    id: int

    @property
    def key(self) -> tuple[int, int]:
        """Its place in the stream's order."""
        return int(self.txid), self.id


def head(session: Session) -> Position | None:
    """The position of the last settled event (None: there are none). Ordered by the xid8
    column ``e.txid``, through the stream's index: a bare ``txid`` would be the text output
    column, where '999' sorts after '1000'."""
    row = session.execute(text(f"SELECT e.txid::text, e.id FROM incident_events e WHERE {_SETTLED} "
                               "ORDER BY e.txid DESC, e.id DESC LIMIT 1")).one_or_none()
    return Position(*row) if row else None


def position_of(session: Session, event_id: int) -> Position | None:
    """The position of event ``event_id`` (None: no such event, e.g. the dataset was reloaded)."""
    row = session.execute(text("SELECT txid::text, id FROM incident_events WHERE id = :id"),
                          {"id": event_id}).one_or_none()
    return Position(*row) if row else None


def after(session: Session, position: Position | None, *, area: str | None = None,
          actions: tuple[str, ...] = ACTIONS, limit: int = BATCH) -> tuple[list[dict], Position | None]:
    """The settled events after ``position`` (None: from the first) of incidents in ``area``
    with one of ``actions``, oldest first, at most ``limit``; and the position to read on from
    (past the events of other areas and actions too)."""
    until = head(session)
    if until is None or until == position:
        return [], position
    where, params = filter_sql(area=area)
    rows = session.execute(text(f"""
        SELECT e.id, e.txid::text AS txid, e.incident_id, e.at, e.action, e.from_status, e.to_status, e.actor,
               i.status, i.category, i.severity, i.grid_code, i.village_code, i.town_code, i.district_code,
               i.mediator_id, i.stage_due_at, {deadlines.mark_sql('i.')} AS deadline_mark,
               {deadlines.group_sql('i.')} AS "group"
          FROM incident_events e
          JOIN incidents i ON i.id = e.incident_id AND i.registered_at = e.incident_registered_at
         WHERE (e.txid, e.id) > (CAST(:txid AS xid8), :after) AND (e.txid, e.id) <= (CAST(:until_txid AS xid8), :until)
           AND e.action = ANY(:actions) AND {where}
         ORDER BY e.txid, e.id LIMIT :limit"""),
        {**params, "txid": position.txid if position else "0", "after": position.id if position else 0,
         "until_txid": until.txid, "until": until.id, "actions": list(actions), "limit": limit}).mappings().all()
    events = [dict(row) for row in rows]
    if len(events) < limit:
        return events, until
    last = events[-1]
    return events, Position(last["txid"], last["id"])
