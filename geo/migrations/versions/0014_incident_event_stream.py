"""incident events as a stream: each event's transaction id, and a notification per insert

``GET /events`` follows incident_events in commit order, not id order: ids are taken
when a row is inserted, so a transaction that commits late can leave a lower id behind
one already sent. Each row keeps the id of the transaction that wrote it (``txid``);
the stream reads rows by (txid, id) up to the oldest transaction still running
(``pg_snapshot_xmin``), a position after which nothing can appear any more. The insert
trigger tells every worker's change listener (migration 0007) at commit.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE incident_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.execute("CREATE INDEX ix_incident_events_stream ON incident_events (txid, id)")
    op.execute("CREATE TRIGGER incident_events_notify AFTER INSERT ON incident_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION notify_grid_change()")


def downgrade() -> None:
    op.execute("DROP TRIGGER incident_events_notify ON incident_events")
    op.execute("DROP INDEX ix_incident_events_stream")
    op.execute("ALTER TABLE incident_events DROP COLUMN txid")
