"""a generation is a published boundary set: drop generations.active

Every row of ``generations`` is written by a publish, a restore or a dataset load, always
with ``active = true``; drafts live in ``plans``. The flag said nothing, and its name
("active") read as "the one in force", which is the newest generation instead.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column('generations', 'active')


def downgrade() -> None:
    op.add_column('generations', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.alter_column('generations', 'active', server_default=None)
