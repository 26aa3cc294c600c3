"""grid workers (网格员): keys of the grid_worker role, each kept to the grid (or village) the
worker patrols, and their patrol check-ins

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

ROLES = "'admin','planner','dispatcher','camera_admin','viewer','embed','mediator','intake'"


def upgrade() -> None:
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT role_known")
    op.execute(f"ALTER TABLE api_keys ADD CONSTRAINT role_known CHECK (role IN ({ROLES},'grid_worker'))")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT area_keys_are_dispatchers_or_viewers")
    op.execute("ALTER TABLE api_keys ADD CONSTRAINT area_keys_are_dispatchers_or_viewers "
               "CHECK (area_code IS NULL OR role IN ('dispatcher', 'viewer', 'grid_worker'))")
    op.execute("ALTER TABLE api_keys ADD CONSTRAINT grid_workers_name_their_grid "
               "CHECK (role <> 'grid_worker' OR area_code IS NOT NULL)")
    op.create_table(
        "patrol_checkins",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("grid_code", sa.String(15), nullable=False, index=True),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("idempotency_key", sa.String(200), unique=True),
    )


def downgrade() -> None:
    op.drop_table("patrol_checkins")
    op.execute("DELETE FROM api_keys WHERE role = 'grid_worker'")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT grid_workers_name_their_grid")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT area_keys_are_dispatchers_or_viewers")
    op.execute("ALTER TABLE api_keys ADD CONSTRAINT area_keys_are_dispatchers_or_viewers "
               "CHECK (area_code IS NULL OR role IN ('dispatcher', 'viewer'))")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT role_known")
    op.execute(f"ALTER TABLE api_keys ADD CONSTRAINT role_known CHECK (role IN ({ROLES}))")
