"""keys of the intake role: other systems (the 12345 platform, portals) filing cases by Open311

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

ROLES = "'admin','planner','dispatcher','camera_admin','viewer','embed','mediator'"


def upgrade() -> None:
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT role_known")
    op.execute(f"ALTER TABLE api_keys ADD CONSTRAINT role_known CHECK (role IN ({ROLES},'intake'))")


def downgrade() -> None:
    op.execute("DELETE FROM api_keys WHERE role = 'intake'")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT role_known")
    op.execute(f"ALTER TABLE api_keys ADD CONSTRAINT role_known CHECK (role IN ({ROLES}))")
