"""domain rules in one place: in_force(), the areas and cells in force now, is_open()

``in_force(generation_low, generation_high, g)``: a row (area or H3 cell) belongs to
generation g. ``areas_now`` and ``h3_cells_now``: the rows in force now (their range is
open); simple views, so they can be updated and the planner sees through them.
``is_open(status)``: the open incident statuses (geo.incidents.statuses.OPEN, checked
against it by tests/test_migrations.py); the partial index of 0009 is remade on it.

The functions are single-expression, IMMUTABLE, not STRICT SQL functions: the planner
inlines them, so plans and index use stay as with the expressions written out. The views
select ``*``: a later migration that changes the columns of areas or h3_cells remakes them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION in_force(generation_low integer, generation_high integer, g integer) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT generation_low <= g AND coalesce(generation_high, g) >= g $$""")
    for table in ("areas", "h3_cells"):
        op.execute(f"CREATE VIEW {table}_now AS SELECT * FROM {table} WHERE generation_high IS NULL")
    op.execute("""
        CREATE FUNCTION is_open(status text) RETURNS boolean
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT status IN ('registered', 'accepted', 'mediating', 'escalated') $$""")
    op.execute("DROP INDEX ix_incidents_open_by_mediator")
    op.execute("CREATE INDEX ix_incidents_open_by_mediator ON incidents (mediator_id) WHERE is_open(status)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_incidents_open_by_mediator")
    op.execute("CREATE INDEX ix_incidents_open_by_mediator ON incidents (mediator_id) "
               "WHERE status IN ('registered', 'accepted', 'mediating', 'escalated')")
    op.execute("DROP FUNCTION is_open(text)")
    for table in ("areas", "h3_cells"):
        op.execute(f"DROP VIEW {table}_now")
    op.execute("DROP FUNCTION in_force(integer, integer, integer)")
