"""four eyes before a boundary change takes effect: drafts are submitted, approved or sent back

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE plans DROP CONSTRAINT status_known")
    op.execute("ALTER TABLE plans ADD CONSTRAINT status_known "
               "CHECK (status IN ('draft','submitted','approved','published','discarded'))")
    op.execute("""CREATE TABLE plan_reviews (
        id serial PRIMARY KEY,
        plan_id integer NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
        action varchar(8) NOT NULL CONSTRAINT action_known CHECK (action IN ('submit','approve','return')),
        actor text NOT NULL,
        note text NOT NULL DEFAULT '',
        edit integer NOT NULL,
        at timestamptz NOT NULL DEFAULT now())""")
    op.execute("CREATE INDEX ix_plan_reviews_plan_id ON plan_reviews (plan_id)")


def downgrade() -> None:
    op.execute("DROP TABLE plan_reviews")
    op.execute("UPDATE plans SET status = 'draft' WHERE status IN ('submitted', 'approved')")
    op.execute("ALTER TABLE plans DROP CONSTRAINT status_known")
    op.execute("ALTER TABLE plans ADD CONSTRAINT status_known CHECK (status IN ('draft','published','discarded'))")
