"""Backup and restore round trip with pg_dump / pg_restore, through gridctl."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from conftest import scratch_database

CHECKSUMS = {
    "areas": "SELECT count(*), md5(string_agg(code || ST_AsBinary(geom)::text, ',' ORDER BY id)) FROM areas",
    "h3_cells": "SELECT count(*), sum(h3 % 1000003 + households) FROM h3_cells",
    "incidents": "SELECT count(*), md5(string_agg(id || status || grid_code, ',' ORDER BY id)) FROM incidents",
    "audit_log": "SELECT count(*), max(id) FROM audit_log",
    "generations": "SELECT count(*), max(id) FROM generations",
}
SCRATCH = "haikou_restore_check"


def gridctl(*args, **env):
    return subprocess.run([sys.executable, "-m", "geo.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env})


def checksums(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: tuple(conn.execute(text(sql)).one()) for name, sql in CHECKSUMS.items()}
    finally:
        engine.dispose()


@pytest.fixture
def scratch(settings):
    with scratch_database(settings, SCRATCH) as url:
        yield url


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("backup") / "haikou.dump"
    made = gridctl("db", "backup", str(path))
    assert made.returncode == 0, made.stdout + made.stderr
    return path


def test_backup_then_restore_gives_the_same_data(settings, engine, scratch, archive):
    restored = gridctl("db", "restore", str(archive), "--into", SCRATCH)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert checksums(scratch) == checksums(settings.sqlalchemy_url)
    again = gridctl("db", "restore", str(archive), "--into", SCRATCH)   # over existing data: replaced, not doubled
    assert again.returncode == 0 and checksums(scratch) == checksums(settings.sqlalchemy_url)


def test_a_damaged_archive_changes_nothing(settings, scratch, archive, tmp_path):
    assert gridctl("db", "restore", str(archive), "--into", SCRATCH).returncode == 0
    before = checksums(scratch)
    data = archive.read_bytes()
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(data[: len(data) // 2])
    failed = gridctl("db", "restore", str(damaged), "--into", SCRATCH)
    assert failed.returncode == 1 and "db restore failed" in failed.stdout + failed.stderr
    assert checksums(scratch) == before
    missing = gridctl("db", "restore", str(tmp_path / "nothing.dump"), "--into", SCRATCH)
    assert missing.returncode == 1 and "no backup at" in missing.stdout + missing.stderr
