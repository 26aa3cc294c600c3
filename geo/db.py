"""Engine and session factories: the only module that knows the database URL."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from geo.settings import get_settings


@lru_cache
def get_engine(url: str | None = None, *, statement_timeout_ms: int = 0) -> Engine:
    """An engine (one per URL and timeout); ``statement_timeout_ms`` bounds every statement."""
    options = {"options": f"-c statement_timeout={int(statement_timeout_ms)}"} if statement_timeout_ms else {}
    return create_engine(url or get_settings().db.sqlalchemy_url, pool_pre_ping=True, connect_args=options)


def session_factory(url: str | None = None, *, for_requests: bool = False) -> sessionmaker[Session]:
    """Sessions; those for API requests have the request statement timeout (GRID_STATEMENT_TIMEOUT_MS)."""
    timeout = get_settings().db.statement_timeout_ms if for_requests else 0
    return sessionmaker(get_engine(url, statement_timeout_ms=timeout), expire_on_commit=False)


def postgis_version(session: Session) -> str:
    """The PostGIS library the database runs (a round trip: the database answers)."""
    return session.execute(text("SELECT postgis_lib_version()")).scalar_one()
