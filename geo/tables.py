"""The declarative base of every table, and the registry of their models that Alembic
(and the models-against-migrations test) needs; services import only the models they use."""
from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base of every table."""


def all_tables() -> MetaData:
    """Every model registered on ``Base.metadata``, which is returned."""
    from geo.areas import models as _areas  # noqa: F401
    from geo.audit import models as _audit  # noqa: F401
    from geo.auth import models as _auth  # noqa: F401
    from geo.cameras import models as _cameras  # noqa: F401
    from geo.incidents import models as _incidents  # noqa: F401
    from geo.mediation import models as _mediation  # noqa: F401
    from geo.patrols import models as _patrols  # noqa: F401
    from geo.planning import models as _planning  # noqa: F401
    from geo.webhooks import models as _webhooks  # noqa: F401
    return Base.metadata
