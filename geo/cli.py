"""`gridctl`: the command line for the database, the dataset and the server."""
from __future__ import annotations

import functools
import json
import os
from dataclasses import asdict
from pathlib import Path

import typer
from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from geo import localdb
from geo.backup import BackupError
from geo.dataset import build as dataset_build
from geo.dataset import load as dataset_load
from geo.dataset.checks import BoundaryError
from geo.db import get_engine
from geo.errors import DomainError, Invalid
from geo.progress import console
from geo.settings import get_settings

app = typer.Typer(help="Haikou grid management: database, dataset, API.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="The project-local PostgreSQL cluster.", no_args_is_help=True)
data_app = typer.Typer(help="The Haikou dataset.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(data_app, name="data")
plan_app = typer.Typer(help="Boundary drafts: automatic grids, publishing, export.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
auth_app = typer.Typer(help="API keys and tokens.", no_args_is_help=True)
app.add_typer(auth_app, name="auth")
report_app = typer.Typer(help="Monthly joint-meeting reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")
warning_app = typer.Typer(help="Early warning: hotspots and repeat disputes.", no_args_is_help=True)
app.add_typer(warning_app, name="warning")
i18n_app = typer.Typer(help="The message catalogues (geo/locale): zh-CN and English.", no_args_is_help=True)
app.add_typer(i18n_app, name="i18n")


def fails_cleanly(what: str):
    """Turn known failures into one line naming what failed and what to do, exit 1."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except typer.Exit:
                raise
            except BoundaryError as exc:
                for problem in exc.problems:
                    console.print(f"  - {problem}")
                message = f"{what} failed: {exc}. Nothing was loaded; fix the file and retry."
            except (localdb.LocalDbError, dataset_load.DatasetMissing, BackupError) as exc:
                message = f"{what} failed: {exc}"
            except DomainError as exc:
                message = f"{what} failed: {exc.detail}" + (f" ({exc.field})" if exc.field else "")
            except ValidationError as exc:   # the settings: name the variable and say what it needs
                message = f"{what} failed: " + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            except OperationalError as exc:
                message = (f"{what} failed: cannot reach the database ({str(exc.orig).strip().splitlines()[0]}); "
                           "start it with `gridctl db up` or check DATABASE_URL")
            except Exception as exc:  # noqa: BLE001 - one line for the user, the traceback on request
                if os.environ.get("GRID_DEBUG"):
                    raise
                first = (str(exc).strip().splitlines() or [""])[0]
                message = f"{what} failed: {type(exc).__name__}: {first} (GRID_DEBUG=1 shows the traceback)"
            console.print(f"[red]error:[/] {message}")
            raise typer.Exit(1)
        return run
    return wrap


@db_app.command("up")
@fails_cleanly("db up")
def db_up() -> None:
    """Initialise and start the local cluster, create the database and PostGIS."""
    _db_up()


def _db_up() -> None:
    settings = get_settings()
    if settings.db.uses_local_cluster:
        console.print(f"cluster: {localdb.up(settings)}")
    console.print(f"database: {localdb.ensure_database(settings)}")


@db_app.command("down")
@fails_cleanly("db down")
def db_down() -> None:
    """Stop the local cluster."""
    console.print(localdb.down(get_settings()))


@db_app.command("replica")
@fails_cleanly("db replica")
def db_replica(action: str = typer.Argument(..., help="up, down (keeps the copy), remove or status")) -> None:
    """A streaming replica of the local cluster on GRID_REPLICA_PORT (pg_basebackup -R);
    point GRID_REPLICA_URLS at it to send stale-tolerant reads there."""
    settings = get_settings()
    if action == "up":
        console.print(localdb.replica_up(settings))
        console.print(f"GRID_REPLICA_URLS=postgresql://{localdb.OWNER}@127.0.0.1:{settings.replicas.port}/{settings.db.name}")
    elif action in ("down", "remove"):
        console.print(localdb.replica_down(settings, remove=action == "remove"))
    elif action == "status":
        from geo.replicas import ReadRouter

        local = f"postgresql://{localdb.OWNER}@127.0.0.1:{settings.replicas.port}/{settings.db.name}"
        replicas = settings.replicas.model_copy(update={"urls": settings.replicas.urls or [local]})
        typer.echo(json.dumps(ReadRouter(settings.model_copy(update={"replicas": replicas})).status()))
    else:
        raise Invalid("the action is up, down, remove or status", field="action")


@i18n_app.command("extract")
def i18n_extract() -> None:
    """Write geo/locale/messages.pot from the messages in the code and the vocabularies' labels."""
    from geo import catalogue

    console.print(f"{catalogue.extract()} messages in {catalogue.TEMPLATE}")


@i18n_app.command("update")
def i18n_update() -> None:
    """Merge the messages of the code into each catalogue; exits 1 while any is untranslated."""
    from geo import catalogue

    left = catalogue.update()
    console.print(", ".join(f"{language}: {n} untranslated" for language, n in left.items()))
    if any(left.values()):
        raise typer.Exit(1)


@db_app.command("backup")
@fails_cleanly("db backup")
def db_backup(out: Path) -> None:
    """Dump the database to OUT (pg_dump custom format)."""
    from geo import backup

    size = backup.backup(get_settings(), out)
    console.print(f"backup written to {out} ({size:,} bytes)")


@db_app.command("restore")
@fails_cleanly("db restore")
def db_restore(archive: Path, into: str = typer.Option(None, help="Another database of the local cluster "
                                                              "(created if missing); default the configured one.")) -> None:
    """Restore a backup in one transaction, replacing what the database holds."""
    from geo import backup

    console.print(f"restored into {backup.restore(get_settings(), archive, into)}")


@db_app.command("status")
@fails_cleanly("db status")
def db_status() -> None:
    """Say whether the local cluster runs and which dataset is loaded."""
    settings = get_settings()
    if settings.db.uses_local_cluster:
        state = "running" if localdb.is_running(settings) else "stopped"
        console.print(f"local cluster {localdb.data_dir(settings.db.pg_data)} on 127.0.0.1:{settings.db.pg_port}: {state}")
        if state == "stopped":
            raise typer.Exit(3)
    try:
        loaded = dataset_load.loaded_hash(get_engine()) or "none"
    except ProgrammingError:
        loaded = "none (the schema is not migrated: run `gridctl migrate`)"
    console.print(f"loaded dataset: {loaded}")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", get_settings().db.sqlalchemy_url)
    return config


@app.command()
@fails_cleanly("migrate")
def migrate(revision: str = typer.Argument("head")) -> None:
    """Apply the Alembic migrations."""
    _migrate(revision)


def _migrate(revision: str = "head") -> None:
    from geo.incidents import partitions

    command.upgrade(alembic_config(), revision)
    console.print(f"schema at {revision}")
    if revision == "head":
        with get_engine().begin() as conn:
            made = partitions.ensure_ahead(conn)
        if made:
            console.print(f"incident partitions: {made} made (to {partitions.MONTHS_AHEAD} months ahead)")


@data_app.command("build")
@fails_cleanly("data build")
def data_build(force: bool = typer.Option(False, help="Rebuild even when the build is up to date."),
               seed: int = typer.Option(None, help="Seed of the generated parts (default GRID_SEED)."),
               out: Path = typer.Option(None, help="Output folder (default GRID_BUILD_DIR).")) -> None:
    """Build the Haikou dataset (skipped when inputs, seed and generator are unchanged)."""
    _build(force, seed, out)


def _build(force: bool = False, seed: int | None = None, out: Path | None = None) -> None:
    settings = get_settings()
    dataset = settings.dataset
    manifest, built = dataset_build.build(dataset.data_dir, out or dataset.build_dir,
                                          dataset.seed if seed is None else seed, dataset.h3_resolution, force=force)
    verb = "built" if built else "up to date"
    console.print(f"dataset {verb}: {json.dumps(manifest['counts'], ensure_ascii=False)}")


@data_app.command("load")
@fails_cleanly("data load")
def data_load(areas: Path = typer.Option(None, help="A boundary file to load instead of the built areas."),
              force: bool = typer.Option(False, help="Reload even when the same dataset is loaded.")) -> None:
    """Load the built dataset into PostGIS in one transaction (skipped when unchanged)."""
    _load(areas, force)


def _load(areas: Path | None = None, force: bool = False) -> None:
    settings = get_settings()
    manifest, loaded = dataset_load.load(get_engine(), settings.dataset.build_dir, areas_file=areas, force=force)
    console.print(f"dataset {'loaded' if loaded else 'already loaded'}: {manifest['dataset_hash'][:12]}")


@app.command()
@fails_cleanly("setup")
def setup() -> None:
    """Everything before serving: database up, migrate, build and load the dataset."""
    _db_up()
    _migrate()
    _build()
    _load()


@plan_app.command("autogrid")
@fails_cleanly("plan autogrid")
def plan_autogrid(scope: str = typer.Option("460100", help="City, district, town or village code of the draft."),
                  village: list[str] = typer.Option(None, help="Only these villages (repeatable); default all."),
                  seed: int = typer.Option(1, help="Seed of the random spanning trees.")) -> None:
    """Open a draft with balanced automatic grids (never published by this command)."""
    from sqlalchemy.orm import Session

    from geo.planning import draft, edits
    from geo.planning.validate import validate

    with Session(get_engine()) as session, session.begin():
        plan = draft.open_plan(session, scope=scope, actor="gridctl", description=f"automatic grids of {scope}")
        edits.apply(session, plan.id, "autogrid", actor="gridctl", log_params={"villages": village, "seed": seed},
                    villages=village or None, seed=seed, show_progress=True)
        report = validate(session, plan)
    console.print(f"plan {plan.id}: {report['errors']} errors, {report['warnings']} warnings "
                  f"(GET /plans/{plan.id}/report; publish with `gridctl plan publish {plan.id}`)")


@plan_app.command("publish")
@fails_cleanly("plan publish")
def plan_publish(plan_id: int, accept_warnings: str = typer.Option(None, help="Why the warnings are acceptable.")) -> None:
    """Publish a draft as a new generation."""
    from sqlalchemy.orm import Session

    from geo.planning.publish import NotPublishable, publish

    try:
        with Session(get_engine()) as session, session.begin():
            result = publish(session, plan_id, actor="gridctl", accept_warnings=accept_warnings)
    except NotPublishable as exc:
        for problem in exc.extra["report"]["problems"][:20]:
            console.print(f"  - {problem['severity']}: {problem['message']}")
        raise
    console.print(f"generation {result['generation']} published: {json.dumps(result['counts'])}")


@app.command()
@fails_cleanly("export")
def export(out: Path, generation: int = typer.Option(None, help="Default: the current generation."),
           level: str = typer.Option(None, help="district, town, village or grid; default all."),
           crs: str = typer.Option("wgs84", help="wgs84, gcj02 or bd09.")) -> None:
    """Write a generation's areas to OUT (.geojson, .gpkg, .zip Shapefile) or its cells to a .csv."""
    from sqlalchemy.orm import Session

    from geo.areas.service import resolve_generation
    from geo.crs import Datum
    from geo.planning import exchange

    fmt = exchange.format_of(out.name)
    with Session(get_engine()) as session:
        generation = resolve_generation(session, generation)
        body = exchange.export_generation(session, generation, fmt, level, Datum(crs), out.stem)
    out.write_bytes(body)
    console.print(f"generation {generation} written to {out} ({len(body):,} bytes)")


@report_app.command("monthly")
@fails_cleanly("report monthly")
def report_monthly(area: str = typer.Option("460100", help="The city, a district or a town."),
                   month: str = typer.Option(None, help="YYYY-MM; default: last month (Haikou time)."),
                   formats: list[str] = typer.Option(["pdf"], "--format", help="pdf, html, csv or json (repeatable)."),
                   out: Path = typer.Option(Path("build/reports"), help="Folder the files go to.")) -> None:
    """Write the monthly report of AREA: a PDF by default, and/or HTML, a zip of CSVs, JSON."""
    from sqlalchemy.orm import Session

    from geo.reports import render
    from geo.reports.monthly import last_month, report

    if unknown := set(formats) - set(render.FORMATS):
        raise Invalid("unknown format {unknown}; use {formats}", field="format",
                      unknown=sorted(unknown), formats=sorted(render.FORMATS))
    out.mkdir(parents=True, exist_ok=True)
    with Session(get_engine()) as session:
        figures = report(session, area, month or last_month())
        page = render.html(session, figures) if set(render.DRAWN) & set(formats) else None
        for fmt in formats:
            path = out / render.filename(figures, render.FORMATS[fmt])
            path.write_bytes(render.draw(session, figures, fmt, page))
            console.print(f"{path} ({path.stat().st_size:,} bytes)")


@warning_app.command("list")
@fails_cleanly("warning list")
def warning_list(area: str = typer.Option("460100", help="The city, a district, a town or a village."),
                 as_of: str = typer.Option(None, help="End of the recent window, ISO 8601 with offset; default now.")) -> None:
    """Hotspots and repeat disputes of AREA with their evidence, as JSON on stdout."""
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session

    from geo.warning.service import alerts

    moment = datetime.fromisoformat(as_of) if as_of else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise Invalid("--as-of needs a UTC offset, e.g. 2026-10-31T24:00+08:00", field="as_of")
    with Session(get_engine()) as session:
        result = alerts(session, as_of=moment, area=area)
    for alert in result["hotspots"] + result["repeats"]:
        alert.pop("geometry")
    typer.echo(json.dumps(result, ensure_ascii=False, indent=1, default=str))


@warning_app.command("calibrate")
@fails_cleanly("warning calibrate")
def warning_calibrate(runs: int = typer.Option(200, min=1, help="Noise and planted replicates each."),
                      planted: int = typer.Option(15, min=1, help="Extra recent cases of the planted cluster.")) -> None:
    """Measure the hotspot thresholds in force on synthetic counts: the false-alarm rate on
    pure noise and how often a planted cluster is found."""
    from geo.warning.service import defaults
    from geo.warning.simulate import Scenario, calibrate

    thresholds, _ = defaults()
    typer.echo(json.dumps({"thresholds": asdict(thresholds), **calibrate(thresholds, Scenario(planted=planted), runs)}))


@auth_app.command("create-key")
@fails_cleanly("auth create-key")
def auth_create_key(role: str = typer.Option(..., help="admin, planner, dispatcher, camera_admin, viewer, embed, grid_worker, "
                                                        "mediator, or intake (Open311 filings only)."),
                    name: str = typer.Option(..., help="Who or what uses it (shown in the audit log)."),
                    expires_days: float = typer.Option(None, help="Days until it expires; default never."),
                    origin: list[str] = typer.Option(None, help="Embed keys: a portal origin allowed (repeatable)."),
                    views: str = typer.Option(None, help="Embed keys: the pages served, a comma list of overview, "
                                                          "area, heat (default all)."),
                    layers: str = typer.Option(None, help="Embed keys: the tile layers served, a comma list (default "
                                                           "boundaries and aggregates; incidents, mediators, cameras "
                                                           "and camera_fov only if named)."),
                    mediator: int = typer.Option(None, help="Mediator keys: the mediator's id (their cases only)."),
                    area: str = typer.Option(None, help="Dispatcher and viewer keys: a district, town or village code; grid "
                                                        "worker keys (required): a grid or village code "
                                                        "(the incidents of that area only)."),
                    quiet: bool = typer.Option(False, help="Print only the key.")) -> None:
    """Make an API key; the key is printed once and stored only as a hash."""
    from sqlalchemy.orm import Session

    from geo.auth import keys

    def listed(value: str | None) -> list[str] | None:
        return None if value is None else [v.strip() for v in value.split(",") if v.strip()]

    with Session(get_engine()) as session, session.begin():
        key, row = keys.create(session, name=name, role=role, expires_days=expires_days, origins=origin,
                               views=listed(views), layers=listed(layers), mediator_id=mediator,
                               area=area)
        said = f"{role} key for {name} (prefix {row.prefix}, expires " \
               f"{row.expires_at.isoformat() if row.expires_at else 'never'}):\n{key}"
    if quiet:
        print(key)   # stdout, for scripts to capture (messages go to stderr)
    else:
        console.print(said, soft_wrap=True)


@auth_app.command("revoke")
@fails_cleanly("auth revoke")
def auth_revoke(prefix: str) -> None:
    """Revoke a key by its prefix (the 8 characters after hk_)."""
    from sqlalchemy.orm import Session

    from geo.auth import keys

    with Session(get_engine()) as session, session.begin():
        row = keys.revoke(session, prefix)
        said = f"revoked {row.prefix} ({row.name}, {row.role})"
    console.print(said)


@auth_app.command("list")
@fails_cleanly("auth list")
def auth_list() -> None:
    """Keys by prefix, name, role, expiry and revocation (never the keys themselves)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from geo.auth.models import ApiKey

    with Session(get_engine()) as session:
        for row in session.scalars(select(ApiKey).order_by(ApiKey.id)):
            state = "revoked" if row.revoked_at else f"expires {row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else "active"
            scope = f"  views {','.join(row.views)}" if row.views else ""
            scope += f"  layers {','.join(row.layers)}" if row.layers else ""
            scope += f"  area {row.area_code}" if row.area_code else ""
            scope += f"  mediator {row.mediator_id}" if row.mediator_id else ""
            console.print(f"{row.prefix}  {row.role:<12} {row.name}  {state}  {' '.join(row.origins)}{scope}")


@auth_app.command("token")
@fails_cleanly("auth token")
def auth_token(role: str = typer.Option(...), subject: str = typer.Option(...),
               minutes: float = typer.Option(60.0)) -> None:
    """A signed bearer token (needs GRID_JWT_SECRET) for local use and tests."""
    from geo.auth import keys
    from geo.text import check_name

    settings = get_settings()
    if not settings.auth.jwt_secret:
        raise DomainError("set GRID_JWT_SECRET to sign tokens", field="GRID_JWT_SECRET")
    if not 0 < minutes <= settings.auth.jwt_max_minutes:
        raise DomainError("minutes must be 0-{most} (GRID_JWT_MAX_MINUTES)", field="minutes",
                          most=settings.auth.jwt_max_minutes)
    print(keys.mint_token(settings.auth.jwt_secret, subject=check_name(subject, "subject"), role=role, minutes=minutes,
                          audience=settings.auth.jwt_audience, issuer=settings.auth.jwt_issuer))   # stdout, for scripts


@app.command()
@fails_cleanly("serve")
def serve(host: str = typer.Option(None), port: int = typer.Option(None),
          workers: int = typer.Option(1, min=1, max=64, help="processes, each with its own caches and locate index")) -> None:
    """Serve the API (OpenAPI docs at /docs) with uvicorn on uvloop and httptools."""
    import uvicorn

    settings = get_settings()
    host, port = host or settings.web.host, port or settings.web.port
    console.print(f"Map:  http://{host}:{port}/map\nAPI:  http://{host}:{port}/\nDocs: http://{host}:{port}/docs")
    # X-Forwarded-* are believed only from the configured proxies (uvicorn's default believes 127.0.0.1).
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, loop="uvloop", http="httptools",
                proxy_headers=bool(settings.web.trusted_proxies), forwarded_allow_ips=settings.web.trusted_proxies or None)


if __name__ == "__main__":
    app()

