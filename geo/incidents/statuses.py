"""Incident statuses, and which of them are open (SQL: ``is_open(status)``, migration 0011)."""
from __future__ import annotations

STATUSES = ("registered", "accepted", "refused", "mediating", "agreement", "terminated", "follow_up",
            "confirmation_requested", "archived", "escalated")
OPEN = ("registered", "accepted", "mediating", "escalated")
