"""Fixtures over the real PostGIS that scripts/test starts and loads (never a mock)."""
from __future__ import annotations

import os

os.environ.setdefault("GRID_JWT_SECRET", "test-secret-for-bearer-tokens-only-in-tests")
os.environ.setdefault("GRID_RATE_LIMIT_PER_MINUTE", "100000")   # the rate limit has its own test
os.environ.setdefault("GRID_TRUSTED_HOSTS", "testserver,127.0.0.1,localhost")   # TestClient's Host is testserver

import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import httpx
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
    manifest = read_manifest(settings.dataset.build_dir)
    assert manifest, "no build: run the suite through scripts/test"
    return manifest


@pytest.fixture(scope="session")
def db_areas(engine) -> gpd.GeoDataFrame:
    """The areas of the generation in force as stored in PostGIS."""
    return gpd.read_postgis(
        "SELECT code, level, name, kind, parent_code, households, population, area_m2, geom "
        "FROM areas WHERE generation_high IS NULL ORDER BY code", engine, geom_col="geom"
    ).rename_geometry("geometry")


@pytest.fixture(scope="session")
def api_keys(engine) -> dict[str, str]:
    """A key for every role (the embed key for https://portal.example; the mediator key for
    MEDIATOR_SQL's mediator; the grid worker's for the first grid), made once per session."""
    from sqlalchemy.orm import Session

    from geo.auth import keys
    from geo.auth.roles import Role

    made = {}
    with Session(engine) as session, session.begin():
        mediator = session.execute(text(MEDIATOR_SQL)).scalar_one()
        grid = session.execute(text("SELECT min(code) FROM areas_now WHERE level = 'grid'")).scalar_one()
        for role in Role:
            origins = ["https://portal.example"] if role is Role.EMBED else None
            made[role.value], _ = keys.create(session, name=f"tests-{role.value}", role=role, expires_days=1,
                                              origins=origins, mediator_id=mediator if role is Role.MEDIATOR else None,
                                              area=grid if role is Role.GRID_WORKER else None)
    return made


@pytest.fixture(scope="session")
def mediator_id(engine, api_keys) -> int:
    """The mediator whose cases the session's mediator key reaches."""
    prefix = api_keys["mediator"].split("_")[1]
    with engine.connect() as conn:
        return conn.execute(text("SELECT mediator_id FROM api_keys WHERE prefix = :p"), {"p": prefix}).scalar_one()


# The tests' mediator: a village mediator on duty with room for more cases (the first such).
MEDIATOR_SQL = """SELECT m.id FROM mediators m JOIN organisations o ON o.id = m.organisation_id
                   WHERE m.on_duty AND o.kind = 'village_committee' AND m.capacity >= 5 + (
                         SELECT count(*) FROM incidents i WHERE i.mediator_id = m.id AND is_open(i.status))
                   ORDER BY m.id LIMIT 1"""


@pytest.fixture(scope="session")
def admin_key(api_keys) -> str:
    return api_keys["admin"]


ENGLISH = {"Accept-Language": "en"}


@pytest.fixture(scope="session")
def client(engine, admin_key):
    """The app in process, calling as the tests' admin key unless a test sends other credentials,
    and reading English (the default, zh-CN, is tested in test_i18n.py)."""
    from api.app import create_app

    with TestClient(create_app(), headers={"X-API-Key": admin_key, **ENGLISH}) as client:
        yield client


@pytest.fixture(scope="session")
def anonymous(engine):
    from api.app import create_app

    with TestClient(create_app(), headers=ENGLISH) as client:
        yield client


@contextmanager
def serving(env: dict, log: Path | None = None):
    """The API in a real uvicorn process on a free loopback port (with ``env``), for real clients;
    with ``log``, its output (the access log included) goes to that file."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--log-level", "info" if log else "warning"],
                              env={"GRID_PUBLIC_URL": base, **env}, stdout=log and log.open("w"), stderr=subprocess.STDOUT
                              if log else None)
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError("the API did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def live_server(engine):
    with serving(os.environ.copy()) as base:
        yield base


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"   # Debian's, installed by scripts/test
ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@contextmanager
def scratch_database(settings, name: str):
    """An empty database of the local cluster, dropped afterwards (skipped when DATABASE_URL is set,
    since the tests may not create databases on someone else's server)."""
    import psycopg

    from geo.localdb import OWNER

    if not settings.db.uses_local_cluster:
        pytest.skip("needs the project-local cluster to create a scratch database (DATABASE_URL is set)")
    admin = f"host=127.0.0.1 port={settings.db.pg_port} user={OWNER} dbname=postgres"
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(drop)
    try:
        yield settings.db.sqlalchemy_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(drop)


def gridctl(*args, **env) -> subprocess.CompletedProcess:
    """The command line, as an operator runs it (with ``env`` added)."""
    return subprocess.run([sys.executable, "-m", "geo.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env})


COPY = "haikou_copy"


@pytest.fixture(scope="session")
def restored_copy(settings, engine, api_keys, tmp_path_factory):
    """(archive, url): a backup of the test database (``gridctl db backup``), the tests' keys
    included, restored into the scratch database ``COPY`` once. The backup tests compare it with the original first; the
    fuzzer, its last user, then changes it freely (one dump and restore instead of three)."""
    with scratch_database(settings, COPY) as url:
        archive = tmp_path_factory.mktemp("backup") / "haikou.dump"
        for step in (("db", "backup", str(archive)), ("db", "restore", str(archive), "--into", COPY)):
            done = gridctl(*step)
            assert done.returncode == 0, done.stdout + done.stderr
        yield archive, url


@contextmanager
def migrated_database(settings, name: str):
    """A scratch database with PostGIS and the schema at head, no data; dropped afterwards."""
    import psycopg

    from geo.localdb import OWNER

    with scratch_database(settings, name) as url:
        with psycopg.connect(f"host=127.0.0.1 port={settings.db.pg_port} user={OWNER} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(f"host=127.0.0.1 port={settings.db.pg_port} user={OWNER} dbname={name}",
                             autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        done = gridctl("migrate", GRID_DB_NAME=name)
        assert done.returncode == 0, done.stdout + done.stderr
        yield url


@contextmanager
def removing_new_incidents(engine):
    """Incidents registered through the API inside the block are deleted after it (their
    events go with them); those of the dataset and of other tests stay."""
    with engine.connect() as conn:
        last = conn.execute(text("SELECT coalesce(max(id), 0) FROM incidents")).scalar_one()
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM incidents WHERE source = 'api' AND id > :last"), {"last": last})
