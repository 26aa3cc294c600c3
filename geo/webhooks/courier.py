"""The courier: sends the outbox's deliveries, oldest first, one case's in order.

Each API process runs one courier thread (GRID_WEBHOOK_DELIVER). A delivery is taken
with FOR UPDATE SKIP LOCKED only while no older delivery of the same case to the same
subscription is waiting, so couriers of several processes share the work and a case's
events still arrive in the order they happened. A receiver that does not answer 2xx
within the timeout is tried again after 1, 2, 4... seconds, up to the longest wait; a
delivery is never dropped (the log shows its attempts and its last error).
"""
from __future__ import annotations

import json
import logging
import threading
import time

import httpx
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from geo.settings import WebhookSettings
from geo.webhooks.service import sign

log = logging.getLogger(__name__)

_NEXT = """
    SELECT o.id, o.subscription_id, o.action, o.payload, o.attempts, s.url, s.secret FROM webhook_outbox o
      JOIN webhook_subscriptions s ON s.id = o.subscription_id AND s.active
     WHERE o.delivered_at IS NULL AND o.next_attempt_at <= now()
       AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.subscription_id = o.subscription_id
                          AND p.incident_id = o.incident_id AND p.id < o.id AND p.delivered_at IS NULL)
     ORDER BY o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED"""


class Courier:
    def __init__(self, sessions: sessionmaker, settings: WebhookSettings):
        self.sessions, self.settings = sessions, settings
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self.client = httpx.Client(timeout=settings.timeout_seconds, follow_redirects=False)

    def ring(self) -> None:
        """An incident event was committed: look at the outbox now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-courier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.deliver_one()
            except SQLAlchemyError:   # the database is away: try again at the next poll
                log.warning("webhook courier: the database is unavailable", exc_info=False)
                sent = False
            if not sent:
                self._wake.wait(self.settings.poll_seconds)
                self._wake.clear()

    def deliver_one(self) -> bool:
        """Send the next due delivery, if there is one, and record how it went."""
        with self.sessions() as session, session.begin():
            due = session.execute(text(_NEXT)).first()
            if due is None:
                return False
            body = json.dumps({"delivery": due.id, **due.payload}, ensure_ascii=False, sort_keys=True).encode()
            status, error = self._post(due, body)
            self._record(session, due, status, error)
        return True

    def _post(self, due, body: bytes) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json", "User-Agent": "haikou-grid-webhooks",
                   "X-Grid-Event": due.action, "X-Grid-Delivery": str(due.id),
                   "X-Grid-Signature": sign(due.secret, body, int(time.time()))}
        try:
            answer = self.client.post(due.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, type(exc).__name__
        return answer.status_code, None if answer.is_success else f"HTTP {answer.status_code}"

    def _record(self, session: Session, due, status: int | None, error: str | None) -> None:
        """The outcome; a failure puts off the receiver's other waiting deliveries too, so one
        receiver that is down or hangs is tried once a wait, not once per delivery."""
        wait = min(self.settings.retry_seconds * 2 ** due.attempts, self.settings.max_retry_seconds)
        if error is not None:
            session.execute(text("""
                UPDATE webhook_outbox SET next_attempt_at = greatest(next_attempt_at, now() + make_interval(secs => :wait))
                 WHERE subscription_id = :subscription AND delivered_at IS NULL AND id <> :id"""),
                            {"wait": wait, "subscription": due.subscription_id, "id": due.id})
        session.execute(text("""
            UPDATE webhook_outbox SET attempts = attempts + 1, last_status = :status, last_error = :error,
                   delivered_at = CASE WHEN CAST(:error AS text) IS NULL THEN now() END,
                   next_attempt_at = now() + make_interval(secs => :wait)
             WHERE id = :id"""), {"id": due.id, "status": status, "error": error, "wait": wait})
