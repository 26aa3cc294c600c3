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


_FILTERS = {"entity": "entity = :entity", "entity_id": "entity_id = :entity_id", "actor": "actor = :actor",
            "action": "action = :action", "since": "at >= :since", "until": "at < :until"}


def entries(session: Session, *, limit: int, offset: int, **filters) -> tuple[int, list[dict]]:
    """Audit entries, newest first, filtered by any of entity, entity_id, actor, action, since, until."""
    given = {name: value for name, value in filters.items() if value is not None}
    where = " AND ".join(["true", *(_FILTERS[name] for name in given)])
    total = session.execute(text(f"SELECT count(*) FROM audit_log WHERE {where}"), given).scalar_one()
    rows = session.execute(text(f"""SELECT id, at, actor, action, entity, entity_id, before, after FROM audit_log
        WHERE {where} ORDER BY id DESC LIMIT :limit OFFSET :offset"""), {**given, "limit": limit, "offset": offset})
    return total, [dict(r) for r in rows.mappings()]
