"""time limits per stage (督办); public-safety events referred to the police

Each incident keeps the start, warning and due time of the stage it is in (accept,
conclude, follow up: geo.incidents.deadlines), so the queue sorts and filters by
deadline on an index. A new status ``referred``: a public-safety event handed to the
public-security organ; open ones in mediation statuses are moved to it. The backfill
computes the times with ``geo.incidents.deadlines.restage`` and the policy file in force.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from alembic import op
from sqlalchemy.orm import Session

from geo.incidents.deadlines import restage

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

STATUSES = ("registered", "accepted", "refused", "mediating", "agreement", "terminated", "follow_up",
            "confirmation_requested", "archived", "escalated")


def _status_known(statuses) -> None:
    # Partitions inherit the parent's check: dropping it there drops theirs.
    op.execute("ALTER TABLE incidents DROP CONSTRAINT status_known")
    op.execute("ALTER TABLE incidents ADD CONSTRAINT status_known CHECK (status IN ("
               + ",".join(f"'{s}'" for s in statuses) + "))")


def upgrade() -> None:
    op.execute("ALTER TABLE incidents ADD COLUMN stage_started_at timestamptz, ADD COLUMN stage_warn_at timestamptz, "
               "ADD COLUMN stage_due_at timestamptz")
    _status_known(STATUSES + ("referred",))
    op.execute("""UPDATE incidents SET status = 'referred'
                   WHERE category = 'public_safety' AND status NOT IN ('registered', 'archived')""")
    op.execute("""UPDATE incidents SET stage_started_at = CASE WHEN status IN ('agreement', 'follow_up')
                                                           THEN agreement_at ELSE registered_at END""")
    restage(Session(bind=op.get_bind()), "true", {})
    op.execute("CREATE INDEX ix_incidents_stage_due ON incidents (stage_due_at) WHERE stage_due_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_incidents_stage_due")
    op.execute("UPDATE incidents SET status = 'archived' WHERE status = 'referred'")
    _status_known(STATUSES)
    op.execute("ALTER TABLE incidents DROP COLUMN stage_started_at, DROP COLUMN stage_warn_at, DROP COLUMN stage_due_at")
