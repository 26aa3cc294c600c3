"""Reads that may be a little stale go to PostgreSQL streaming replicas; the rest to the primary.

``GRID_REPLICA_URLS`` lists the replicas. Every ``GRID_REPLICA_CHECK_SECONDS`` the
router notes the primary's WAL position, and asks each replica whether it is a standby
and how far it has replayed. A replica's lag is the age of the newest noted primary
position it has replayed past (so it is exact to one check interval, and an idle
primary is no lag). A replica that lags more than ``GRID_REPLICA_MAX_LAG_SECONDS``,
fails the check or refuses a connection leaves the rotation until a later check
passes; with none left, reads go to the primary. If the primary cannot be asked, the
replicas keep their last lag: stale reads beat no reads.
"""
from __future__ import annotations

import itertools
from collections import deque
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from geo.db import get_engine, session_factory
from geo.settings import Settings, get_settings

HISTORY = 600   # primary positions kept: minutes of checks


def lsn(value: str) -> int:
    """A PostgreSQL WAL position ("16/B374D848") as a number."""
    high, low = value.split("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass
class Replica:
    name: str
    url: str
    in_rotation: bool = False
    lag_seconds: float | None = None
    reason: str | None = "not checked yet"
    checked_at: float = 0.0
    sessions: sessionmaker[Session] | None = field(default=None, repr=False)

    def status(self) -> dict:
        return {"name": self.name, "in_rotation": self.in_rotation, "lag_seconds": self.lag_seconds,
                "reason": self.reason}


class ReadRouter:
    """Chooses where a read goes: a replica in rotation (round robin), else the primary."""

    def __init__(self, settings: Settings):
        self.max_lag = settings.replicas.max_lag_seconds
        self.check_every = settings.replicas.check_seconds
        self.replicas = [Replica(f"replica-{i + 1}", url) for i, url in enumerate(settings.replicas.sqlalchemy_urls)]
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._positions: deque[tuple[float, int]] = deque(maxlen=HISTORY)

    def check(self, replica: Replica) -> None:
        """Ask the replica whether it is a standby and how far it has replayed; its lag is
        the age of the newest noted primary position at or before that."""
        if replica.sessions is None:
            replica.sessions = sessionmaker(get_engine(replica.url, statement_timeout_ms=get_settings().db.statement_timeout_ms),
                                            expire_on_commit=False)
        try:
            with replica.sessions() as session:
                standby, replayed = session.execute(text("SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()")).one()
        except SQLAlchemyError as exc:
            self._out(replica, f"unreachable: {_first_line(exc)}")
        else:
            now = time.monotonic()
            if replayed is not None and self._positions:
                caught_up = [t for t, position in self._positions if position <= lsn(str(replayed))]
                replica.lag_seconds = round(now - caught_up[-1], 3) if caught_up else round(now - self._positions[0][0], 3)
            if not standby:
                self._out(replica, "not in recovery (promoted?)")
            elif replica.lag_seconds is not None and replica.lag_seconds > self.max_lag:
                self._out(replica, f"lagging {replica.lag_seconds:.1f} s > {self.max_lag} s")
            else:
                replica.in_rotation, replica.reason = True, None
        replica.checked_at = time.monotonic()

    def note_primary(self) -> None:
        """Remember where the primary's WAL is now."""
        try:
            with session_factory()() as session:
                self._positions.append((time.monotonic(), lsn(session.execute(text("SELECT pg_current_wal_lsn()")).scalar_one())))
        except SQLAlchemyError:
            pass   # lags stay as last measured

    def _out(self, replica: Replica, reason: str) -> None:
        replica.in_rotation, replica.reason = False, reason

    def mark_down(self, replica: Replica, error: Exception) -> None:
        """A replica that failed a request leaves the rotation until its next check passes."""
        self._out(replica, f"failed a request: {_first_line(error)}")
        replica.checked_at = time.monotonic()

    def _refresh(self) -> None:
        now = time.monotonic()
        due = [r for r in self.replicas if now - r.checked_at >= self.check_every]
        if not due or not self._lock.acquire(blocking=False):
            return
        try:
            self.note_primary()
            for replica in due:
                self.check(replica)
        finally:
            self._lock.release()

    def candidates(self) -> list[tuple[sessionmaker[Session], Replica | None]]:
        """Where to try a read, in order: the replicas in rotation from the next in turn, then the primary."""
        self._refresh()
        live = [r for r in self.replicas if r.in_rotation]
        if live:
            start = next(self._turn) % len(live)
            live = live[start:] + live[:start]
        return [(r.sessions, r) for r in live] + [(session_factory(for_requests=True), None)]

    def status(self) -> list[dict]:
        self._refresh()
        return [r.status() for r in self.replicas]


def _first_line(error: Exception) -> str:
    return (str(getattr(error, "orig", error)).strip().splitlines() or ["no message"])[0]


@lru_cache
def read_router() -> ReadRouter:
    """The process's router, from settings."""
    return ReadRouter(get_settings())
