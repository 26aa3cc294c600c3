"""FastAPI dependencies: one database session per request."""
from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from sqlalchemy.orm import Session

from geo.db import session_factory


def get_session() -> Iterator[Session]:
    with session_factory(for_requests=True)() as session:
        yield session


def get_transaction() -> Iterator[Session]:
    """A session whose work commits as one transaction when the request succeeds."""
    with session_factory(for_requests=True)() as session, session.begin():
        yield session


def get_actor(request: Request) -> str:
    """Who is acting, for the audit log: the key's name or the token's subject."""
    principal = getattr(request.state, "principal", None)
    return principal.name if principal is not None else "anonymous"
