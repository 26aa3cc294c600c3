"""The audit log: every change, who made it, when, and the before and after."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from api.dependencies import get_session
from api.params import Moment, Offset, known_query
from api.schemas.audit import AuditLog
from geo.audit.service import entries

router = APIRouter(prefix="/audit", tags=["audit"])
Text = Annotated[str | None, Query(max_length=100)]


@router.get("", dependencies=[Depends(known_query)], response_model=AuditLog)
def audit_log(session: Annotated[Session, Depends(get_session)], entity: Text = None, entity_id: Text = None,
              actor: Text = None, action: Text = None, since: Moment | None = None, until: Moment | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Offset = 0) -> dict:
    """Audit entries, newest first. The log is append-only: the database refuses to change or delete an entry."""
    total, items = entries(session, limit=limit, offset=offset, entity=entity, entity_id=entity_id, actor=actor,
                           action=action, since=since, until=until)
    return {"total": total, "limit": limit, "offset": offset, "items": items}
