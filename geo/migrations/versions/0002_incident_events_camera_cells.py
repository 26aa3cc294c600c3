"""incident events, agreement and termination details, cells seen by cameras

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('camera_cells',
    sa.Column('camera_id', sa.String(length=20), nullable=False),
    sa.Column('h3', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['camera_id'], ['cameras.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('camera_id', 'h3')
    )
    op.create_index(op.f('ix_camera_cells_h3'), 'camera_cells', ['h3'], unique=False)
    op.create_table('incident_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_incident_events_incident_id'), 'incident_events', ['incident_id'], unique=False)
    op.add_column('incidents', sa.Column('request_hash', sa.String(length=64), nullable=True))
    op.add_column('incidents', sa.Column('spans', sa.String(length=8), nullable=True))
    op.add_column('incidents', sa.Column('agreement_form', sa.String(length=8), nullable=True))
    op.add_column('incidents', sa.Column('agreement_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('termination_routes', sa.ARRAY(sa.String(length=16)), nullable=True))


def downgrade() -> None:
    op.drop_column('incidents', 'termination_routes')
    op.drop_column('incidents', 'agreement_at')
    op.drop_column('incidents', 'agreement_form')
    op.drop_column('incidents', 'spans')
    op.drop_column('incidents', 'request_hash')
    op.drop_index(op.f('ix_incident_events_incident_id'), table_name='incident_events')
    op.drop_table('incident_events')
    op.drop_index(op.f('ix_camera_cells_h3'), table_name='camera_cells')
    op.drop_table('camera_cells')
