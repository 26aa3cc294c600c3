"""photos and scanned documents of a case, kept with their SHA-256 (geo.incidents.attachments)

No foreign key to the partitioned incidents (its key is (id, registered_at)); a dataset
load truncates both.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_attachments",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("incident_id", sa.BigInteger, nullable=False, index=True),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("media_type IN ('image/jpeg', 'image/png', 'application/pdf')", name="attachment_type_known"),
    )


def downgrade() -> None:
    op.drop_table("incident_attachments")
