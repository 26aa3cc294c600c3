"""the parties of a dispute (personal data): [{role, name, phone}] as registered

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE incidents ADD COLUMN parties jsonb")
    op.execute("ALTER TABLE incidents ADD CONSTRAINT parties_are_a_list "
               "CHECK (parties IS NULL OR jsonb_typeof(parties) = 'array')")


def downgrade() -> None:
    op.execute("ALTER TABLE incidents DROP CONSTRAINT parties_are_a_list")
    op.execute("ALTER TABLE incidents DROP COLUMN parties")
