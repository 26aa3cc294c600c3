"""notify listeners (every API worker) when boundaries, the dataset, data or API keys change

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Statement-level: one notification per statement, whatever it touched. PostgreSQL sends
# it at commit, to every session that listens, and folds duplicates within a transaction.
WATCHED = {
    "generations": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "dataset_loads": "INSERT OR UPDATE OR DELETE OR TRUNCATE",
    "audit_log": "INSERT",
    "api_keys": "INSERT OR UPDATE OR DELETE",
}


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION notify_grid_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('grid_changes', TG_TABLE_NAME);
            RETURN NULL;
        END $$""")
    for table, events in WATCHED.items():
        op.execute(f"CREATE TRIGGER {table}_notify AFTER {events} ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION notify_grid_change()")


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION notify_grid_change()")
