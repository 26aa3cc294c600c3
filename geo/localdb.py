"""The project-local PostgreSQL cluster: initialise, start, stop, create the database.

PostgreSQL refuses to run as root, so when we are root the cluster belongs to the
``postgres`` system user (created by the Debian package) and its commands run
through ``runuser``. The cluster listens on 127.0.0.1 only, with trust auth: it is
a developer's and CI's private database, not a server.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import psycopg
from psycopg import sql

from geo.settings import Settings

OWNER = "postgres"


class LocalDbError(RuntimeError):
    """A step of managing the local cluster failed; the message says what to do."""


def bindir() -> Path:
    """The newest installed PostgreSQL server's bin folder."""
    if override := os.environ.get("GRID_PG_BINDIR"):
        return Path(override)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise LocalDbError("no PostgreSQL server found under /usr/lib/postgresql: run scripts/run to install it")
    return found[-1].parent


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", OWNER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(_as_owner(args), capture_output=True, text=True)
    if result.returncode:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise LocalDbError(f"{what} failed: {lines[-1]}")
    return result


def _owner_can_reach(folder: Path) -> bool:
    return os.geteuid() != 0 or subprocess.run(["runuser", "-u", OWNER, "--", "test", "-x", str(folder)]).returncode == 0


@lru_cache
def data_dir(preferred: Path) -> Path:
    """The cluster's folder: ``preferred`` (in the checkout by default), or, when the checkout
    lies where the ``postgres`` user cannot go (a private home folder) and GRID_PG_DATA was
    not set, a folder of this checkout's own under /var/tmp."""
    if "GRID_PG_DATA" in os.environ or (preferred / "PG_VERSION").exists() or _owner_can_reach(preferred.parent):
        return preferred
    tag = hashlib.sha1(str(preferred.resolve()).encode()).hexdigest()[:12]
    fallback = Path("/var/tmp") / f"haikou-grid-{tag}" / "pgdata"
    fallback.parent.mkdir(parents=True, exist_ok=True)
    fallback.parent.chmod(0o755)
    return fallback


def _prepare_folder(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data, OWNER, OWNER)
        data.chmod(0o700)
        if not _owner_can_reach(data):
            raise LocalDbError(f"user {OWNER} cannot reach {data}: set GRID_PG_DATA to a folder it can write")


def is_running(settings: Settings) -> bool:
    data = data_dir(settings.db.pg_data)
    if not (data / "PG_VERSION").exists():
        return False
    return subprocess.run(_as_owner([str(bindir() / "pg_ctl"), "status", "-D", str(data)]),
                          capture_output=True).returncode == 0


def up(settings: Settings) -> str:
    """Initialise (once) and start the cluster; returns what was done."""
    data = data_dir(settings.db.pg_data)
    done = []
    if not (data / "PG_VERSION").exists():
        _prepare_folder(data)
        _run([str(bindir() / "initdb"), "-D", str(data), "-U", OWNER, "-A", "trust", "-E", "UTF8",
              "--locale=C.UTF-8"], "initdb")
        done.append(f"initialised {data}")
    if not is_running(settings):
        _start(data, settings.db.pg_port, "starting PostgreSQL")
        done.append(f"started on 127.0.0.1:{settings.db.pg_port}")
    return ", ".join(done) or f"already running on 127.0.0.1:{settings.db.pg_port}"


def down(settings: Settings) -> str:
    if not is_running(settings):
        return "not running"
    _run([str(bindir() / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(data_dir(settings.db.pg_data))], "stopping PostgreSQL")
    return "stopped"


def replica_dir(settings: Settings) -> Path:
    """The local streaming replica's folder, next to the primary's."""
    return data_dir(settings.db.pg_data).parent / (data_dir(settings.db.pg_data).name + "-replica")


def _start(data: Path, port: int, what: str) -> None:
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data}"
    _run([str(bindir() / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(data), "-l", str(data / "server.log"),
          "-o", options], f"{what} (see {data / 'server.log'})")


def replica_up(settings: Settings) -> str:
    """A streaming replica of the local cluster on ``GRID_REPLICA_PORT``: copied once with
    ``pg_basebackup -R`` (which writes the standby settings), then started."""
    if not is_running(settings):
        raise LocalDbError("the primary is not running: `gridctl db up` first")
    data, done = replica_dir(settings), []
    if not (data / "PG_VERSION").exists():
        _prepare_folder(data)
        _run([str(bindir() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(settings.db.pg_port), "-U", OWNER,
              "-D", str(data), "-R", "-X", "stream", "-c", "fast"], "pg_basebackup")
        done.append(f"copied the primary to {data}")
    if subprocess.run(_as_owner([str(bindir() / "pg_ctl"), "status", "-D", str(data)]), capture_output=True).returncode:
        _start(data, settings.replicas.port, "starting the replica")
        done.append(f"replica streaming on 127.0.0.1:{settings.replicas.port}")
    return ", ".join(done) or f"replica already running on 127.0.0.1:{settings.replicas.port}"


def replica_down(settings: Settings, *, remove: bool = False, mode: str = "fast") -> str:
    """Stop the replica (``mode="immediate"``: as if the machine died); ``remove`` deletes its copy."""
    data = replica_dir(settings)
    if not (data / "PG_VERSION").exists():
        return "no replica"
    done = []
    if subprocess.run(_as_owner([str(bindir() / "pg_ctl"), "status", "-D", str(data)]), capture_output=True).returncode == 0:
        _run([str(bindir() / "pg_ctl"), "stop", "-w", "-m", mode, "-D", str(data)], "stopping the replica")
        done.append("stopped")
    if remove:
        shutil.rmtree(data)
        done.append(f"removed {data}")
    return ", ".join(done) or "not running"


def ensure_database(settings: Settings) -> str:
    """Create the database (local cluster only) and the postgis extension if missing."""
    created = ""
    if settings.db.uses_local_cluster:
        admin = f"host=127.0.0.1 port={settings.db.pg_port} user={OWNER} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (settings.db.name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings.db.name)))
                created = f"created database {settings.db.name}; "
    url = settings.db.libpq_url
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    except psycopg.Error as exc:
        raise LocalDbError(f"cannot enable PostGIS in {settings.db.name}: {exc}".strip()) from exc
    return f"{created}PostGIS {version}"
