"""a photo or document a filer points to (Open311's media_url): personal data, as the reporter

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE incidents ADD COLUMN media_url text")


def downgrade() -> None:
    op.execute("ALTER TABLE incidents DROP COLUMN media_url")
