"""areas, H3 cells, mediation, cameras, incidents, audit

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('entity', sa.Text(), nullable=False),
    sa.Column('entity_id', sa.Text(), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_geospatial_table('cameras',
    sa.Column('id', sa.String(length=20), nullable=False),
    sa.Column('industry', sa.String(length=2), nullable=False),
    sa.Column('device_type', sa.String(length=3), nullable=False),
    sa.Column('heading_deg', sa.Float(), nullable=False),
    sa.Column('fov_deg', sa.Float(), nullable=False),
    sa.Column('range_m', sa.Float(), nullable=False),
    sa.Column('position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('fov', Geometry(geometry_type='POLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.CheckConstraint("id ~ '^4601[0-9]{16}$'", name='gbt28181_haikou'),
    sa.CheckConstraint('fov_deg > 0 AND fov_deg <= 360', name='fov_range'),
    sa.CheckConstraint('heading_deg >= 0 AND heading_deg < 360', name='heading_range'),
    sa.CheckConstraint('range_m > 0', name='range_positive'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_cameras_fov', 'cameras', ['fov'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_cameras_position', 'cameras', ['position'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('dataset_loads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_hash', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('dispute_categories',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('label_zh', sa.Text(), nullable=False),
    sa.Column('mediation', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('generations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_table('areas',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('parent_code', sa.String(length=15), nullable=True),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('generation_low', sa.Integer(), nullable=False),
    sa.Column('generation_high', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('area_m2', sa.Float(), sa.Computed('ST_Area(geom::geography)', persisted=True), nullable=False),
    sa.CheckConstraint("length(code) = CASE level WHEN 'city' THEN 6 WHEN 'district' THEN 6 WHEN 'town' THEN 9 WHEN 'village' THEN 12 ELSE 15 END AND code ~ '^[0-9]+$'", name='code_fits_level'),
    sa.CheckConstraint("level IN ('city','district','town','village','grid')", name='level_known'),
    sa.CheckConstraint('ST_IsValid(geom)', name='geom_valid'),
    sa.CheckConstraint('generation_high IS NULL OR generation_high >= generation_low', name='generation_range'),
    sa.ForeignKeyConstraint(['generation_high'], ['generations.id'], ),
    sa.ForeignKeyConstraint(['generation_low'], ['generations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code', 'generation_low')
    )
    op.create_geospatial_index('idx_areas_geom', 'areas', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_areas_code'), 'areas', ['code'], unique=False)
    op.create_index('ix_areas_level_parent', 'areas', ['level', 'parent_code'], unique=False)
    op.create_table('h3_cells',
    sa.Column('h3', sa.BigInteger(), nullable=False),
    sa.Column('generation_low', sa.Integer(), nullable=False),
    sa.Column('generation_high', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.Integer(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['generation_high'], ['generations.id'], ),
    sa.ForeignKeyConstraint(['generation_low'], ['generations.id'], ),
    sa.PrimaryKeyConstraint('h3', 'generation_low')
    )
    op.create_index('ix_h3_cells_grid', 'h3_cells', ['grid_code'], unique=False)
    op.create_table('organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('area_code', sa.String(length=15), nullable=False),
    sa.Column('service_area_code', sa.String(length=15), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.CheckConstraint("(kind = 'industry') = (category IS NOT NULL)", name='industry_has_category'),
    sa.CheckConstraint("kind IN ('village_committee','town_centre','district_centre','city_centre','industry')", name='kind_known'),
    sa.ForeignKeyConstraint(['category'], ['dispute_categories.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_table('mediators',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('employment', sa.String(length=10), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('home_village_code', sa.String(length=12), nullable=False),
    sa.Column('skills', sa.ARRAY(sa.String(length=32)), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("employment IN ('full_time','part_time')", name='employment_known'),
    sa.CheckConstraint('capacity > 0', name='capacity_positive'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_mediators_position', 'mediators', ['position'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_mediators_home_village_code'), 'mediators', ['home_village_code'], unique=False)
    op.create_index(op.f('ix_mediators_organisation_id'), 'mediators', ['organisation_id'], unique=False)
    op.create_geospatial_table('incidents',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('concluded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('reporter_name', sa.Text(), nullable=True),
    sa.Column('reporter_phone', sa.Text(), nullable=True),
    sa.Column('position', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('town_code', sa.String(length=9), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('responsible_level', sa.String(length=8), nullable=False),
    sa.Column('responsible_rule', sa.Text(), nullable=False),
    sa.Column('mediator_id', sa.BigInteger(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.CheckConstraint("responsible_level IN ('village','town','district','industry')", name='level_known'),
    sa.CheckConstraint("severity IN ('minor','general','major','critical')", name='severity_known'),
    sa.CheckConstraint("status IN ('registered','accepted','refused','mediating','agreement','terminated','follow_up','confirmation_requested','archived','escalated')", name='status_known'),
    sa.ForeignKeyConstraint(['category'], ['dispute_categories.code'], ),
    sa.ForeignKeyConstraint(['mediator_id'], ['mediators.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    op.create_geospatial_index('idx_incidents_position', 'incidents', ['position'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_incidents_mediator_id'), 'incidents', ['mediator_id'], unique=False)
    op.create_index('ix_incidents_status_registered', 'incidents', ['status', 'registered_at'], unique=False)
    op.create_index(op.f('ix_incidents_village_code'), 'incidents', ['village_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_incidents_village_code'), table_name='incidents')
    op.drop_index('ix_incidents_status_registered', table_name='incidents')
    op.drop_index(op.f('ix_incidents_mediator_id'), table_name='incidents')
    op.drop_geospatial_index('idx_incidents_position', table_name='incidents', postgresql_using='gist', column_name='position')
    op.drop_geospatial_table('incidents')
    op.drop_index(op.f('ix_mediators_organisation_id'), table_name='mediators')
    op.drop_index(op.f('ix_mediators_home_village_code'), table_name='mediators')
    op.drop_geospatial_index('idx_mediators_position', table_name='mediators', postgresql_using='gist', column_name='position')
    op.drop_geospatial_table('mediators')
    op.drop_table('organisations')
    op.drop_index('ix_h3_cells_grid', table_name='h3_cells')
    op.drop_table('h3_cells')
    op.drop_index('ix_areas_level_parent', table_name='areas')
    op.drop_index(op.f('ix_areas_code'), table_name='areas')
    op.drop_geospatial_index('idx_areas_geom', table_name='areas', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('areas')
    op.drop_table('generations')
    op.drop_table('dispute_categories')
    op.drop_table('dataset_loads')
    op.drop_geospatial_index('idx_cameras_position', table_name='cameras', postgresql_using='gist', column_name='position')
    op.drop_geospatial_index('idx_cameras_fov', table_name='cameras', postgresql_using='gist', column_name='fov')
    op.drop_geospatial_table('cameras')
    op.drop_index(op.f('ix_audit_log_at'), table_name='audit_log')
    op.drop_table('audit_log')
