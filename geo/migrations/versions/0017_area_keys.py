"""keys of a town's or district's centre, reaching the incidents of their area only

A dispatcher (or viewer) key may name an area (district, town or village code): its lists,
cards, steps and event stream keep to the incidents in that area. No foreign key, as with
0015's mediators: areas are replaced by a dataset reload and by every publish; a key whose
area is no longer in force reaches the incidents whose grid codes its code still prefixes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE api_keys ADD COLUMN area_code text")
    op.execute("ALTER TABLE api_keys ADD CONSTRAINT area_keys_are_dispatchers_or_viewers "
               "CHECK (area_code IS NULL OR role IN ('dispatcher', 'viewer'))")


def downgrade() -> None:
    op.execute("DELETE FROM api_keys WHERE area_code IS NOT NULL")   # would reach every area without it
    op.execute("ALTER TABLE api_keys DROP CONSTRAINT area_keys_are_dispatchers_or_viewers")
    op.execute("ALTER TABLE api_keys DROP COLUMN area_code")
