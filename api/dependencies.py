"""FastAPI dependencies: one database session per request."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from geo.db import session_factory


def get_session() -> Iterator[Session]:
    with session_factory()() as session:
        yield session
