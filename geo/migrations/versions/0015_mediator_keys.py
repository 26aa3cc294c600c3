"""keys of the mediator role, each tied to one mediator: their own cases only

No foreign key: a dataset reload truncates mediators with CASCADE, which would take every
API key with it. A key whose mediator is gone sees no cases.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

ROLES = "'admin','planner','dispatcher','camera_admin','viewer','embed'"


def upgrade() -> None:
    op.execute("ALTER TABLE api_keys ADD COLUMN mediator_id bigint")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT role_known")
    op.execute(f"ALTER TABLE api_keys ADD CONSTRAINT role_known CHECK (role IN ({ROLES},'mediator'))")
    op.execute("ALTER TABLE api_keys ADD CONSTRAINT mediator_keys_name_their_mediator "
               "CHECK ((role = 'mediator') = (mediator_id IS NOT NULL))")


def downgrade() -> None:
    op.execute("DELETE FROM api_keys WHERE role = 'mediator'")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT mediator_keys_name_their_mediator")
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT role_known")
    op.execute(f"ALTER TABLE api_keys ADD CONSTRAINT role_known CHECK (role IN ({ROLES}))")
    op.execute("ALTER TABLE api_keys DROP COLUMN mediator_id")
