"""an index of open incidents by mediator: a mediator's load reads only open cases

With incidents partitioned by month, counting one mediator's open cases probed every
partition's full mediator index; this partial index holds open cases only, so the
partitions of past months are nearly empty in it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

OPEN = "('registered', 'accepted', 'mediating', 'escalated')"   # geo.incidents.service.OPEN


def upgrade() -> None:
    op.execute(f"CREATE INDEX ix_incidents_open_by_mediator ON incidents (mediator_id) WHERE status IN {OPEN}")


def downgrade() -> None:
    op.execute("DROP INDEX ix_incidents_open_by_mediator")
