"""Incident statuses, and which of them are open (SQL: ``is_open(status)``, migration 0011).

A public-safety event is placed, not mediated: it goes registered → referred (handed to
the public-security organ) → archived, and ``referred`` is not open here."""
from __future__ import annotations

STATUSES = ("registered", "accepted", "refused", "mediating", "agreement", "terminated", "follow_up",
            "confirmation_requested", "archived", "escalated", "referred")
OPEN = ("registered", "accepted", "mediating", "escalated")
