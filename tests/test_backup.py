"""Backup and restore round trip with pg_dump / pg_restore, through gridctl."""
from sqlalchemy import create_engine, text

from conftest import COPY, gridctl

CHECKSUMS = {
    "areas": "SELECT count(*), md5(string_agg(code || ST_AsBinary(geom)::text, ',' ORDER BY id)) FROM areas",
    "h3_cells": "SELECT count(*), sum(h3 % 1000003 + households) FROM h3_cells",
    "incidents": "SELECT count(*), md5(string_agg(id || status || grid_code, ',' ORDER BY id)) FROM incidents",
    "audit_log": "SELECT count(*), max(id) FROM audit_log",
    "generations": "SELECT count(*), max(id) FROM generations",
}


def checksums(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: tuple(conn.execute(text(sql)).one()) for name, sql in CHECKSUMS.items()}
    finally:
        engine.dispose()


def test_backup_then_restore_gives_the_same_data(settings, restored_copy):
    archive, copy = restored_copy
    assert checksums(copy) == checksums(settings.db.sqlalchemy_url)
    again = gridctl("db", "restore", str(archive), "--into", COPY)   # over existing data: replaced, not doubled
    assert again.returncode == 0 and checksums(copy) == checksums(settings.db.sqlalchemy_url)


def test_a_damaged_archive_changes_nothing(restored_copy, tmp_path):
    archive, copy = restored_copy
    before = checksums(copy)
    data = archive.read_bytes()
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(data[: len(data) // 2])
    failed = gridctl("db", "restore", str(damaged), "--into", COPY)
    assert failed.returncode == 1 and "db restore failed" in failed.stdout + failed.stderr
    assert checksums(copy) == before
    missing = gridctl("db", "restore", str(tmp_path / "nothing.dump"), "--into", COPY)
    assert missing.returncode == 1 and "no backup at" in missing.stdout + missing.stderr
