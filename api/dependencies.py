"""FastAPI dependencies: one database session per request."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Header

from sqlalchemy.orm import Session

from geo.db import session_factory


def get_session() -> Iterator[Session]:
    with session_factory(for_requests=True)() as session:
        yield session


def get_transaction() -> Iterator[Session]:
    """A session whose work commits as one transaction when the request succeeds."""
    with session_factory(for_requests=True)() as session, session.begin():
        yield session


def get_actor(x_actor: Annotated[str | None, Header(max_length=100)] = None) -> str:
    """Who is acting (the X-Actor header until authentication arrives)."""
    return x_actor or "api"
