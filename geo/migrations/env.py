"""Alembic environment: the URL comes from geo.settings, the models from geo.tables."""
from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from geo.db import get_engine
from geo.tables import all_tables

target_metadata = all_tables()


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or None
    with get_engine(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=alembic_helpers.include_object,
            process_revision_directives=alembic_helpers.writer,
            render_item=alembic_helpers.render_item,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
