"""Backup and restore of the service's database with PostgreSQL's own tools (pg_dump / pg_restore).

A backup is one custom-format archive. A restore replaces the public schema of a database
(created when it is missing in the local cluster) in a single transaction: it either all
lands or leaves the target as it was.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from geo.localdb import OWNER, LocalDbError, bindir
from geo.settings import Settings


class BackupError(RuntimeError):
    """pg_dump or pg_restore failed; the message has their last line."""


def _url(settings: Settings, database: str | None = None) -> str:
    url = settings.db.libpq_url
    if database:
        url = url.rsplit("/", 1)[0] + "/" + database
    return url


def _tool(name: str) -> str:
    try:
        return str(bindir() / name)
    except LocalDbError:
        return name   # a client from PATH when no server is installed here


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise BackupError(f"{what} failed: {lines[-1]}")


def backup(settings: Settings, path: Path) -> int:
    """Dump the database to ``path``; returns the archive's size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(path), "--dbname", _url(settings)], "pg_dump")
    return path.stat().st_size


def restore(settings: Settings, path: Path, database: str | None = None) -> str:
    """Restore ``path`` into ``database`` (default: the configured one), replacing what is there."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    target = database or settings.db.name
    if settings.db.uses_local_cluster and database:
        admin = f"host=127.0.0.1 port={settings.db.pg_port} user={OWNER} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (target,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    # pg_restore --clean cannot drop the constraints a partition inherits (incidents), so the
    # archive becomes a script that replaces the whole schema, run as one transaction; a
    # damaged archive fails while the script is made, before the database is touched.
    script = subprocess.run([_tool("pg_restore"), "--no-owner", "--exit-on-error", "--file", "-", str(path)],
                            capture_output=True)
    if script.returncode:
        lines = script.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        raise BackupError(f"pg_restore failed: {lines[-1]}")
    replace = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n" + script.stdout
    result = subprocess.run([_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1",
                             "--dbname", _url(settings, database), "--file", "-"], input=replace, capture_output=True)
    if result.returncode:
        lines = result.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        raise BackupError(f"restore failed: {lines[-1]}")
    return target
