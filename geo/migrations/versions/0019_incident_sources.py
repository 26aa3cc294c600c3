"""where each case came from: its intake channel (来源) and that channel's reference

``channel`` is one of geo.incidents.models.SOURCES (grid_worker, hotline, portal, video,
assigned, walk_in); ``channel_ref`` the channel's own reference: the 12345 ticket number,
the camera's GB/T 28181 id, the superior's assignment number, the portal's request id.
(The API calls them ``source`` and ``source_ref``; the table's ``source`` column was
already the row's provenance, 'api' or 'generated', as on every other table.) Cases
registered before this migration are taken as walk-ins (the API's default too, and what a
row written without one gets); a dataset load replaces them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

SOURCES = ("grid_worker", "hotline", "portal", "video", "assigned", "walk_in")   # as of this revision


def upgrade() -> None:
    op.execute("ALTER TABLE incidents ADD COLUMN channel varchar(16) NOT NULL DEFAULT 'walk_in', "
               "ADD COLUMN channel_ref text")
    op.execute("ALTER TABLE incidents ADD CONSTRAINT channel_known CHECK (channel IN ("
               + ",".join(f"'{s}'" for s in SOURCES) + "))")
    op.execute("CREATE INDEX ix_incidents_channel ON incidents (channel)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_incidents_channel")
    op.execute("ALTER TABLE incidents DROP CONSTRAINT channel_known, DROP COLUMN channel, DROP COLUMN channel_ref")
