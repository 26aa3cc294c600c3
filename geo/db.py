"""Engine and session factories: the only module that knows the database URL."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from geo.settings import get_settings


class Base(DeclarativeBase):
    """Declarative base of every table."""


@lru_cache
def get_engine(url: str | None = None) -> Engine:
    return create_engine(url or get_settings().sqlalchemy_url, pool_pre_ping=True)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(get_engine(url), expire_on_commit=False)


def import_models() -> None:
    """Register every model on Base.metadata (for Alembic and for create-all in tools)."""
    from geo.areas import models as _areas  # noqa: F401
    from geo.cameras import models as _cameras  # noqa: F401
    from geo.incidents import models as _incidents  # noqa: F401
    from geo.mediation import models as _mediation  # noqa: F401
    from geo.audit import models as _audit  # noqa: F401
    from geo.planning import models as _planning  # noqa: F401
