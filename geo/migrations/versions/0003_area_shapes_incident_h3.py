"""area shapes per zoom band, incident H3 cell, h3_parent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('area_shapes',
    sa.Column('area_id', sa.BigInteger(), nullable=False),
    sa.Column('band', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', 'band')
    )
    op.create_geospatial_index('idx_area_shapes_geom', 'area_shapes', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.add_column('incidents', sa.Column('h3', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_incidents_h3'), 'incidents', ['h3'], unique=False)
    # The parent of an H3 cell at a coarser resolution, by bit arithmetic (no h3 extension
    # needed): set the resolution field (bits 52-55) and fill the finer digits with 7.
    op.execute("""
        CREATE FUNCTION h3_parent(cell bigint, res int) RETURNS bigint
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT ((cell & ~(15::bigint << 52)) | (res::bigint << 52)) | ((1::bigint << (3 * (15 - res))) - 1)
        $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION h3_parent(bigint, int)")
    op.drop_index(op.f('ix_incidents_h3'), table_name='incidents')
    op.drop_column('incidents', 'h3')
    op.drop_geospatial_index('idx_area_shapes_geom', table_name='area_shapes', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('area_shapes')
