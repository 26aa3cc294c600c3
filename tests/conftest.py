"""Fixtures over the real PostGIS that scripts/test starts and loads (never a mock)."""
from __future__ import annotations

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from geo.dataset.build import read_manifest
from geo.db import get_engine
from geo.settings import get_settings


@pytest.fixture(scope="session")
def settings():
    return get_settings()


@pytest.fixture(scope="session")
def engine(settings):
    engine = get_engine()
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM dataset_loads")).scalar_one()
    assert loaded, "the test database holds no dataset: run the suite through scripts/test"
    return engine


@pytest.fixture(scope="session")
def manifest(settings):
    manifest = read_manifest(settings.build_dir)
    assert manifest, "no build: run the suite through scripts/test"
    return manifest


@pytest.fixture(scope="session")
def db_areas(engine) -> gpd.GeoDataFrame:
    """The areas of the active generation as stored in PostGIS."""
    return gpd.read_postgis(
        "SELECT code, level, name, kind, parent_code, households, population, area_m2, geom "
        "FROM areas WHERE generation_high IS NULL ORDER BY code", engine, geom_col="geom"
    ).rename_geometry("geometry")


@pytest.fixture(scope="session")
def client(engine):
    from api.app import create_app

    with TestClient(create_app()) as client:
        yield client
