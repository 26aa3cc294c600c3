"""Monthly partitions of the incidents table (migration 0008): one per month of registration
in Haikou time, made ahead of need; a month without one waits in incidents_default."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, text

from geo.codes import HAIKOU_TIME

MONTHS_AHEAD = 12


def ensure(conn: Connection, first: date, last: date) -> int:
    """Partitions for every month from ``first`` to ``last`` (rows waiting in the default
    partition move in); returns how many were made."""
    return conn.execute(text("SELECT ensure_incident_partitions(:first, :last)"), {"first": first, "last": last}).scalar_one()


def ensure_waiting(conn: Connection) -> int:
    """Partitions for the months of the rows waiting in the default partition."""
    first, last = conn.execute(text("""SELECT min(registered_at AT TIME ZONE 'Asia/Shanghai')::date,
                                              max(registered_at AT TIME ZONE 'Asia/Shanghai')::date
                                         FROM incidents_default""")).one()
    return ensure(conn, first, last) if first else 0


def ensure_ahead(conn: Connection, months: int = MONTHS_AHEAD) -> int:
    """Partitions from this month to ``months`` ahead, and for any rows waiting."""
    today = datetime.now(HAIKOU_TIME).date()
    last = date(today.year + (today.month - 1 + months) // 12, (today.month - 1 + months) % 12 + 1, 1)
    return ensure_waiting(conn) + ensure(conn, today, last)
