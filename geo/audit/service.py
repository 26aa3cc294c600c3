"""Write audit entries in the caller's transaction, so a change and its record stand or fall together."""
from __future__ import annotations

import json

from sqlalchemy import text
from sqlalchemy.orm import Session


def record(session: Session, *, actor: str, action: str, entity: str, entity_id, before, after) -> None:
    session.execute(text("INSERT INTO audit_log (actor, action, entity, entity_id, before, after) "
                         "VALUES (:actor, :action, :entity, :entity_id, CAST(:before AS jsonb), CAST(:after AS jsonb))"),
                    {"actor": actor, "action": action, "entity": entity, "entity_id": str(entity_id),
                     "before": json.dumps(before, default=str, ensure_ascii=False) if before is not None else None,
                     "after": json.dumps(after, default=str, ensure_ascii=False) if after is not None else None})
