"""The migrations and the models agree (an `alembic check`), and the SQL homes of domain rules
(migration 0011) agree with their Python ones."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import text

from geo.incidents.statuses import OPEN, STATUSES
from geo.settings import PROJECT_ROOT
from geo.tables import all_tables


@pytest.fixture(scope="module")
def conn(engine):
    with engine.connect() as conn:
        yield conn


def test_the_database_is_at_the_latest_migration(conn):
    head = ScriptDirectory(str(PROJECT_ROOT / "geo" / "migrations")).get_current_head()
    assert MigrationContext.configure(conn).get_current_revision() == head


def test_models_and_migrations_agree(conn):
    """Ignored: PostGIS's own tables and spatial indexes (geoalchemy2's include_object), and
    the monthly partitions of incidents with the foreign keys PostgreSQL clones onto them
    (made at run time by ensure_incident_partitions(), not by a model)."""
    partitions = set(conn.scalars(text("SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'")))

    def include(obj, name, kind, reflected, compare_to):
        if kind == "table" and name in partitions:
            return False
        if kind == "foreign_key_constraint" and obj.referred_table.name in partitions:
            return False
        return alembic_helpers.include_object(obj, name, kind, reflected, compare_to)

    context = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True,
                                                     "compare_server_default": True})
    assert compare_metadata(context, all_tables()) == []


def test_is_open_is_the_open_statuses(conn):
    rows = conn.execute(text("SELECT s, is_open(s) FROM unnest(CAST(:all AS text[])) AS s"), {"all": list(STATUSES)})
    assert {s for s, is_open in rows if is_open} == set(OPEN)


def test_in_force_is_the_generation_range(conn):
    cases = [(low, high, g) for low in (1, 3) for high in (None, 2, 3, 5) for g in (1, 2, 3, 4, 6)
             if high is None or high >= low]
    for low, high, g in cases:
        found = conn.execute(text("SELECT in_force(:low, :high, :g)"), {"low": low, "high": high, "g": g}).scalar_one()
        assert found == (low <= g and (high is None or g <= high)), (low, high, g)


@pytest.mark.parametrize("sql", [
    "SELECT h3 FROM h3_cells WHERE h3 BETWEEN 0 AND 1 AND in_force(generation_low, generation_high, 1)",
    "SELECT count(*) FROM incidents i WHERE i.mediator_id = 1 AND is_open(i.status)",
])
def test_the_rule_functions_are_inlined(conn, sql):
    """The planner sees through them (plans and indexes as with the expression written out)."""
    plan = "\n".join(conn.scalars(text("EXPLAIN (VERBOSE, COSTS OFF) " + sql)))
    assert "in_force(" not in plan and "is_open(" not in plan, plan
    assert "Index" in plan, plan
