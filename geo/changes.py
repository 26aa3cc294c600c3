"""Keeping every API worker's in-memory state coherent: PostgreSQL LISTEN/NOTIFY.

Triggers (migration 0007) notify channel ``grid_changes`` with the table's name when
boundaries (generations), the dataset (dataset_loads), any data (audit_log: every
change writes an entry) or API keys change, from whichever process or machine made
the change. Each worker runs one listening connection to the primary in a thread;
on a notification it reads the versions again and calls the callbacks registered for
that table. While the listener is down (the primary restarts), ``latest`` is None and
callers fall back to asking the database themselves.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg

from geo.areas.service import VERSIONS_SQL
from geo.settings import get_settings

CHANNEL = "grid_changes"


class ChangeWatcher:
    """The latest (active generation, dataset load, data version) as the primary last told us."""

    def __init__(self, dsn: str, retry_seconds: float = 1.0):
        self.dsn, self.retry_seconds = dsn, retry_seconds
        self.latest: tuple | None = None
        self.notifications = 0
        self._callbacks: dict[str, list[Callable[[], None]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on(self, table: str, callback: Callable[[], None]) -> None:
        """Call ``callback`` (in the listener's thread) after each change to ``table``."""
        self._callbacks.setdefault(table, []).append(callback)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="change-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.latest = None   # nobody listens: callers ask the database again

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
                            self._changed(conn, tables)
            except psycopg.Error:
                self.latest = None
                self._stop.wait(self.retry_seconds)

    def _changed(self, conn: psycopg.Connection, tables: set[str]) -> None:
        self.latest = tuple(conn.execute(VERSIONS_SQL).fetchone())
        self.notifications += 1
        for table in tables:
            for callback in self._callbacks.get(table, []):
                callback()


watcher = ChangeWatcher(get_settings().libpq_url)
