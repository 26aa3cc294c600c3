"""The audit log: who changed what, when, from what to what."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Page


class AuditEntry(BaseModel):
    """One change. The log is append-only."""

    id: int
    at: datetime
    actor: str = Field(description="who: the API key's name or the token's subject, or a command's")
    action: str = Field(description="create, update, delete, publish, register, transition...")
    entity: str = Field(description="what sort of thing changed: incident, mediator, camera, plan, generation")
    entity_id: str
    before: dict[str, Any] | None = Field(description="what changed, as it was (null: nothing before, as on create)")
    after: dict[str, Any] | None = Field(description="what changed, as it is now (null: nothing after, as on delete)")


AuditLog = Page[AuditEntry]
