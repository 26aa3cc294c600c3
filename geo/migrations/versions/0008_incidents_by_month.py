"""incidents partitioned by month of registration (Haikou time); idempotency keys in their own table

A partitioned table's unique keys must hold the partition key, so the primary key is
(id, registered_at) and events point at both; the Idempotency-Key guard moves to
incident_requests, whose key alone is unique. Months without a partition land in
incidents_default until ensure_incident_partitions() gives them one (it moves them).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = ("id, category, severity, status, occurred_at, registered_at, due_at, concluded_at, description, reporter_name, "
           "reporter_phone, position, district_code, town_code, village_code, grid_code, h3, responsible_level, "
           "responsible_rule, mediator_id, spans, agreement_form, agreement_at, termination_routes, source")
ENSURE = """
CREATE FUNCTION ensure_incident_partitions(first_month date, last_month date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m date := date_trunc('month', first_month);
    made integer := 0;
    part text;
    low timestamptz;
    high timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ensure_incident_partitions'));
    WHILE m <= last_month LOOP
        part := format('incidents_%s', to_char(m, 'YYYY_MM'));
        low := m::timestamp AT TIME ZONE 'Asia/Shanghai';
        high := (m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai';
        IF to_regclass(part) IS NULL THEN
            EXECUTE format('CREATE TABLE %I (LIKE incidents INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
            EXECUTE format('WITH moved AS (DELETE FROM incidents_default WHERE registered_at >= %L AND registered_at < %L '
                           'RETURNING *) INSERT INTO %I SELECT * FROM moved', low, high, part);
            EXECUTE format('ALTER TABLE incidents ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, low, high);
            made := made + 1;
        END IF;
        m := m + interval '1 month';
    END LOOP;
    RETURN made;
END $$"""


def upgrade() -> None:
    op.execute("ALTER TABLE incident_events DROP CONSTRAINT incident_events_incident_id_fkey")
    op.execute("ALTER TABLE incident_events ADD COLUMN incident_registered_at timestamptz")
    op.execute("UPDATE incident_events e SET incident_registered_at = i.registered_at FROM incidents i WHERE i.id = e.incident_id")
    op.execute("DELETE FROM incident_events WHERE incident_registered_at IS NULL")
    op.execute("ALTER TABLE incident_events ALTER COLUMN incident_registered_at SET NOT NULL")
    op.execute("""CREATE TABLE incident_requests (
        idempotency_key varchar(200) PRIMARY KEY, request_hash varchar(64) NOT NULL,
        incident_id bigint NOT NULL, incident_registered_at timestamptz NOT NULL)""")
    op.execute("""INSERT INTO incident_requests SELECT idempotency_key, request_hash, id, registered_at
                    FROM incidents WHERE idempotency_key IS NOT NULL""")

    op.execute("ALTER SEQUENCE incidents_id_seq OWNED BY NONE")
    op.execute("ALTER TABLE incidents RENAME TO incidents_unpartitioned")
    op.execute("""CREATE TABLE incidents (LIKE incidents_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
                  PARTITION BY RANGE (registered_at)""")
    op.execute("ALTER TABLE incidents DROP COLUMN idempotency_key, DROP COLUMN request_hash")
    op.execute("CREATE TABLE incidents_default PARTITION OF incidents DEFAULT")
    op.execute(ENSURE)
    op.execute("""SELECT ensure_incident_partitions(
                      least((SELECT min(registered_at) FROM incidents_unpartitioned), now() - interval '12 months')::date,
                      (now() + interval '12 months')::date)""")
    op.execute(f"INSERT INTO incidents ({COLUMNS}) SELECT {COLUMNS} FROM incidents_unpartitioned")
    op.execute("DROP TABLE incidents_unpartitioned")
    op.execute("ALTER SEQUENCE incidents_id_seq OWNED BY incidents.id")

    op.execute("ALTER TABLE incidents ADD PRIMARY KEY (id, registered_at)")
    op.execute("ALTER TABLE incidents ADD CONSTRAINT incidents_category_fkey FOREIGN KEY (category) "
               "REFERENCES dispute_categories (code)")
    op.execute("ALTER TABLE incidents ADD CONSTRAINT incidents_mediator_id_fkey FOREIGN KEY (mediator_id) "
               "REFERENCES mediators (id)")
    op.execute("CREATE INDEX idx_incidents_position ON incidents USING gist (position)")
    op.execute("CREATE INDEX ix_incidents_h3 ON incidents (h3)")
    op.execute("CREATE INDEX ix_incidents_mediator_id ON incidents (mediator_id)")
    op.execute("CREATE INDEX ix_incidents_status_registered ON incidents (status, registered_at)")
    op.execute("CREATE INDEX ix_incidents_village_code ON incidents (village_code)")
    for table in ("incident_events", "incident_requests"):
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_incident_fkey FOREIGN KEY (incident_id, incident_registered_at) "
                   "REFERENCES incidents (id, registered_at) ON DELETE CASCADE")


def downgrade() -> None:
    raise NotImplementedError("restore a backup taken before 0008: the unpartitioned table is gone")
