"""Load a built dataset (or a boundary file in its place) into PostGIS, in one transaction.

The load is all or nothing: every check runs before the first write, and the writes
share one transaction, so a bad file leaves the database as it was.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from geo.areas import shapes
from geo.areas.models import DatasetLoad
from geo.cameras.service import cells_seen
from geo.changes import announce
from geo.dataset import checks
from geo.errors import Invalid
from geo.dataset.build import MANIFEST, frame_digest, read_manifest
from geo.dataset import entities
from geo.hexes import cells_of
from geo.incidents import deadlines, partitions
from geo.mediation.categories import LABELS_ZH, Category
from geo.planning import exchange
from geo.progress import steps
from geo.text import check_name

TABLES = ("areas, area_shapes, h3_cells, incidents, mediators, organisations, cameras, camera_cells, generations, "
          "dataset_loads, webhook_outbox, incident_attachments")   # subscriptions stay, as keys do


class DatasetMissing(FileNotFoundError):
    """No build to load."""


def read_boundaries(path: Path) -> gpd.GeoDataFrame:
    """A boundary file (GeoParquet, or GeoJSON, GeoPackage or zipped Shapefile through the plan
    import's readers, which never let GDAL pick a driver) as WGS-84 areas."""
    if path.suffix == ".parquet":
        frame = gpd.read_parquet(path)
    else:
        layer = exchange.read_layer(path.read_bytes(), exchange.format_of(path.name), path.name)
        frame = gpd.GeoDataFrame(pd.DataFrame([p for p, _ in layer.features]),
                                 geometry=[g for _, g in layer.features], crs=layer.crs)
    required = {"code", "level", "name", "kind", "parent_code"}
    if missing := required - set(frame.columns):
        raise checks.BoundaryError([checks.Problem(str(path.name), f"missing properties {sorted(missing)}")])
    if frame.crs is not None and frame.crs.to_epsg() not in (4326, 4490):
        frame = frame.to_crs(4326)
    frame["code"] = frame["code"].astype(str)
    bad_names = []
    for code, name in zip(frame["code"], frame["name"]):   # names reach pages: the plan import's rule holds here too
        try:
            check_name(name, "name")
        except Invalid as exc:
            bad_names.append(checks.Problem(code, exc.translated("en")))
    if bad_names:
        raise checks.BoundaryError(bad_names)
    for column in ("households", "population"):
        if column not in frame:
            frame[column] = None
    if "source" not in frame:
        frame["source"] = f"file {path.name}"
    return frame


def _ewkb(geoms) -> np.ndarray:
    return shapely.to_wkb(shapely.set_srid(np.asarray(geoms), 4326), hex=True, include_srid=True)


COPY_CHUNK_ROWS = 200_000   # CSV is made a chunk at a time: a province's 10 million incidents fit in memory


def _copy(session: Session, table: str, frame: pd.DataFrame) -> None:
    columns = ", ".join(frame.columns)
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
        for start in range(0, len(frame), COPY_CHUNK_ROWS):
            copy.write(frame.iloc[start:start + COPY_CHUNK_ROWS].to_csv(index=False, header=False))


def _points(frame: pd.DataFrame) -> np.ndarray:
    return _ewkb(shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy()))


def _pg_array(values: list[str]) -> str:
    return "{" + ",".join(values) + "}"


def _as_of_now(incidents: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The generated incidents moved in time so that the dataset's "now" is this moment:
    the queue is a working day's whatever the day of loading."""
    shift = pd.Timestamp.now(tz="UTC").floor("s") - pd.Timestamp(as_of)
    moved = incidents.copy()
    for column in moved.columns:
        if isinstance(moved[column].dtype, pd.DatetimeTZDtype):
            moved[column] = moved[column] + shift
    return moved


def load_digest(dataset_hash: str, areas_digest: bytes) -> str:
    """What a load puts in the database: the dataset, any boundary file in its place, and
    this loader's own code (a changed loader or schema reloads an unchanged dataset)."""
    loader = Path(__file__).read_bytes() + b"".join(
        p.read_bytes() for p in sorted((Path(__file__).parents[1] / "migrations" / "versions").glob("*.py")))
    return hashlib.sha256(dataset_hash.encode() + areas_digest + loader).hexdigest()


def loaded_hash(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(DatasetLoad.dataset_hash).order_by(DatasetLoad.id.desc()).limit(1))


def load(engine: Engine, build_dir: Path, *, areas_file: Path | None = None, force: bool = False,
         show_progress: bool = True) -> tuple[dict, bool]:
    """Load the build in ``build_dir`` (its areas replaced by ``areas_file`` if given).

    Returns (what was loaded, whether anything was written)."""
    manifest = read_manifest(build_dir)
    if manifest is None:
        raise DatasetMissing(f"no dataset in {build_dir} ({MANIFEST} missing): run `gridctl data build` first")
    areas = read_boundaries(areas_file) if areas_file else gpd.read_parquet(build_dir / "areas.parquet")
    cells = pd.read_parquet(build_dir / "h3_cells.parquet")
    if areas_file:
        checks.validate_areas(areas)
        checks.validate_cells(cells, areas)
    digest = load_digest(manifest["dataset_hash"], frame_digest(areas) if areas_file else b"")
    if not force and loaded_hash(engine) == digest:
        return manifest, False
    orgs = pd.read_parquet(build_dir / "organisations.parquet")
    mediators = pd.read_parquet(build_dir / "mediators.parquet")
    cameras = pd.read_parquet(build_dir / "cameras.parquet")
    incidents = pd.read_parquet(build_dir / "incidents.parquet")
    with steps("load", 4, show=show_progress) as progress, Session(engine) as session, session.begin():
        with progress.step("areas"):
            session.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
            session.execute(text("INSERT INTO dispute_categories (code, label_zh, mediation) VALUES (:c, :l, :m) "
                                 "ON CONFLICT (code) DO UPDATE SET label_zh = EXCLUDED.label_zh"),
                            [{"c": c.value, "l": LABELS_ZH[c], "m": c is not Category.PUBLIC_SAFETY} for c in Category])
            generation = session.execute(text("INSERT INTO generations (description) VALUES (:d) "
                                              "RETURNING id"), {"d": f"Haikou dataset, seed {manifest['seed']}"}).scalar_one()
            area_rows = pd.DataFrame(areas[["code", "level", "name", "kind", "parent_code", "households",
                                            "population", "source"]])
            area_rows["generation_low"] = generation
            area_rows["geom"] = _ewkb(shapely.force_2d(areas.geometry.to_numpy()))
            _copy(session, "areas", area_rows)
            shapes.rebuild(session, generation)
        with progress.step("H3 cells"):
            _copy(session, "h3_cells", cells.assign(generation_low=generation))
        with progress.step("mediation and cameras"):
            _copy(session, "organisations", orgs)
            _copy(session, "mediators", mediators.assign(skills=mediators["skills"].map(list).map(_pg_array),
                                                         position=_points(mediators)).drop(columns=["lon", "lat"]))
            sectors = shapely.from_wkb(cameras["fov"].to_numpy())
            _copy(session, "cameras", cameras.assign(position=_points(cameras), fov=_ewkb(sectors))
                  .drop(columns=["lon", "lat"]))
            seen = cells_seen(sectors, int(cells["resolution"].iloc[0]))
            _copy(session, "camera_cells", pd.DataFrame({"camera_id": np.repeat(cameras["id"].to_numpy(), [len(s) for s in seen]),
                                                         "h3": np.concatenate(seen)}))
        with progress.step("incidents"):
            incidents = _as_of_now(incidents, manifest["incidents_as_of"])
            steps_done = [c for c in incidents.columns if c.startswith("at_")]
            _copy(session, "incidents", incidents.assign(position=_points(incidents),
                                                         h3=cells_of(incidents["lon"].to_numpy(), incidents["lat"].to_numpy(),
                                                                     int(cells["resolution"].iloc[0])).astype(np.int64),
                                                         mediator_id=incidents["mediator_id"].astype("Int64"),
                                                         termination_routes=incidents["termination_routes"].map(
                                                             lambda r: None if r is None else _pg_array(list(r))))
                  .drop(columns=["lon", "lat", "extend_days", *steps_done]))
            partitions.ensure_waiting(session.connection())
            _copy(session, "incident_events", entities.events(incidents))
            deadlines.restage(session, "true", {})
            for table in ("organisations", "mediators", "incidents"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT coalesce(max(id), 1) FROM {table}))"))
            session.add(DatasetLoad(dataset_hash=digest, seed=manifest["seed"], counts=json.dumps(manifest["counts"])))
            announce(session, "generations", "dataset_loads")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return manifest, True
