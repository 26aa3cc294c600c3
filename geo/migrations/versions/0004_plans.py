"""plans, plan areas and edits; generation provenance

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base_generation', sa.Integer(), nullable=False),
    sa.Column('scope_code', sa.String(length=15), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('applied', sa.Integer(), nullable=False),
    sa.Column('household_targets', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('published_generation', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('draft','published','discarded')", name='status_known'),
    sa.ForeignKeyConstraint(['base_generation'], ['generations.id'], ),
    sa.ForeignKeyConstraint(['published_generation'], ['generations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_table('plan_areas',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('parent_code', sa.String(length=15), nullable=True),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('base_area_id', sa.BigInteger(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'code')
    )
    op.create_geospatial_index('idx_plan_areas_geom', 'plan_areas', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('plan_edits',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('op', sa.String(length=16), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'seq')
    )
    op.add_column('generations', sa.Column('based_on', sa.Integer(), nullable=True))
    op.add_column('generations', sa.Column('published_by', sa.Text(), nullable=True))
    op.add_column('generations', sa.Column('plan_id', sa.Integer(), nullable=True))
    op.add_column('generations', sa.Column('accepted_warnings', sa.Text(), nullable=True))
    op.create_foreign_key('generations_based_on_fkey', 'generations', 'generations', ['based_on'], ['id'])


def downgrade() -> None:
    op.drop_constraint('generations_based_on_fkey', 'generations', type_='foreignkey')
    op.drop_column('generations', 'accepted_warnings')
    op.drop_column('generations', 'plan_id')
    op.drop_column('generations', 'published_by')
    op.drop_column('generations', 'based_on')
    op.drop_table('plan_edits')
    op.drop_geospatial_index('idx_plan_areas_geom', table_name='plan_areas', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('plan_areas')
    op.drop_table('plans')
