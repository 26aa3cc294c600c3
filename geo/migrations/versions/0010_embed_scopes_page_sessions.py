"""embed keys name their views and layers; a service secret signs page sessions

``api_keys.views`` and ``api_keys.layers`` (NULL: the defaults in geo.auth.roles) bound
what an embed key serves. ``service_secrets`` holds the random key that signs page
session cookies, one for every API worker, made here once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_keys', sa.Column('views', sa.ARRAY(sa.Text()), nullable=True))
    op.add_column('api_keys', sa.Column('layers', sa.ARRAY(sa.Text()), nullable=True))
    op.create_table('service_secrets',
                    sa.Column('name', sa.Text(), primary_key=True),
                    sa.Column('value', sa.LargeBinary(), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False))
    op.get_bind().execute(sa.text("INSERT INTO service_secrets (name, value) VALUES ('page_sessions', :value)"),
                          {"value": secrets.token_bytes(32)})


def downgrade() -> None:
    op.drop_table('service_secrets')
    op.drop_column('api_keys', 'layers')
    op.drop_column('api_keys', 'views')
