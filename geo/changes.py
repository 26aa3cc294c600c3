"""Keeping every API worker's in-memory state coherent: PostgreSQL LISTEN/NOTIFY.

Triggers (migration 0007) notify channel ``grid_changes`` with the table's name when
boundaries (generations), the dataset (dataset_loads), any data (audit_log: every
change writes an entry) or API keys change, from whichever process or machine made
the change. Each worker runs one listening connection to the primary in a thread;
on a notification it reads the stamp (geo.areas.service.Stamp) again and calls the callbacks registered for
that table. While the listener is down (the primary restarts), ``latest`` is None and
callers fall back to asking the database themselves; so they do from a commit in this
process until its own notification has been read, so that a client never sees its own
change missing. Another process's change is seen here once its notification arrives
(milliseconds on one machine).

In the process that made a change the callbacks need not wait for the notification: the
domain ``announce``s what its transaction changes, and a started watcher calls the
callbacks of those tables as soon as the transaction commits.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

import psycopg
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from geo.areas.service import STAMP_SQL, Stamp

CHANNEL = "grid_changes"
_ANNOUNCED = "announced_changes"   # the session.info entry: tables changed by the session's transaction


def announce(session: Session, *tables: str) -> None:
    """Mark ``tables`` as changed by the session's transaction: told to this process's watchers at its commit."""
    session.info.setdefault(_ANNOUNCED, set()).update(tables)


class ChangeWatcher:
    """The latest stamp (generation in force, dataset load, audit sequence) as the primary last told us."""

    def __init__(self, dsn: str, retry_seconds: float = 1.0):
        self.dsn, self.retry_seconds = dsn, retry_seconds
        self._latest: Stamp | None = None
        self._committed_since = False   # a commit here not yet followed by a notification read
        self.notifications = 0
        self._callbacks: dict[str, list[Callable[[], None]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def latest(self) -> Stamp | None:
        """The stamp as last notified, or None when it may be behind (no listener, or a commit here since)."""
        return None if self._committed_since else self._latest

    def on(self, table: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each change to ``table``: in the listener's thread, or in the thread
        that committed an announced change."""
        self._callbacks.setdefault(table, []).append(callback)

    def start(self) -> None:
        """Listen to the primary, and to this process's commits."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="change-watcher", daemon=True)
            self._thread.start()
        if not event.contains(Session, "after_commit", self._committed):
            event.listen(Session, "after_commit", self._committed)
            event.listen(Session, "after_transaction_end", self._ended)

    def stop(self) -> None:
        if event.contains(Session, "after_commit", self._committed):
            event.remove(Session, "after_commit", self._committed)
            event.remove(Session, "after_transaction_end", self._ended)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._latest = None   # nobody listens: callers ask the database again

    def _committed(self, session: Session) -> None:
        """A transaction of this process committed: call the callbacks of what it announced."""
        if not session.in_nested_transaction():   # a savepoint released: its changes are not committed yet
            self._committed_since = True
            self._call(session.info.get(_ANNOUNCED, ()))

    def _ended(self, session: Session, transaction: SessionTransaction) -> None:
        """A transaction ended, committed (every watcher was told) or rolled back: its announcements go."""
        if transaction.parent is None:
            session.info.pop(_ANNOUNCED, None)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._changed(conn, set(self._callbacks))   # whatever happened while we were away
                    while not self._stop.is_set():
                        tables = {n.payload for n in conn.notifies(timeout=1.0, stop_after=1)}
                        if tables:
                            tables |= {n.payload for n in conn.notifies(timeout=0.0)}   # drain a burst at once
                        if tables or self._committed_since:   # a commit here that changed nothing notifies nobody
                            self._changed(conn, tables)
            except psycopg.Error:
                self._latest = None
                self._stop.wait(self.retry_seconds)

    def _changed(self, conn: psycopg.Connection, tables: set[str]) -> None:
        self._committed_since = False   # before the read: a commit during it keeps ``latest`` None
        self._latest = Stamp(*conn.execute(STAMP_SQL).fetchone())
        self.notifications += 1
        self._call(tables)

    def _call(self, tables: Iterable[str]) -> None:
        for table in tables:
            for callback in self._callbacks.get(table, []):
                callback()
