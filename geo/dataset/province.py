"""A province-scale synthetic dataset, for capacity measurements only (issue 8).

Entirely GENERATED: ``copies`` cities made by the Haikou generator (build.generate_city),
each inside Haikou's real district outlines moved east and south so that they lie side
by side, its districts renumbered 4601{10..89} under the one city code 460100 (so the
API's code rules hold unchanged), and its grids, cameras and incidents scaled by
``Scale``. Twenty copies give about 860 towns, 9,140 villages, 100,000 grids,
1,000,000 cameras and 10,000,000 incidents.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geo.codes import CITY_CODE
from geo.dataset.build import Dataset, generate_city
from geo.dataset.sources import Town
from geo.progress import console

COLUMNS, STEP_DEG = 5, 0.7   # Haikou spans about 0.6 degrees each way
FIRST_DISTRICT = 10


@dataclass(frozen=True)
class Scale:
    """Per copy: incidents, cameras and the households a grid is made for."""

    incidents: int = 500_000
    cameras: int = 50_000
    grid_households: tuple[int, int, int] = (150, 200, 250)   # min, target, max


def _moved_codes(outlines: gpd.GeoDataFrame, k: int) -> dict[str, str]:
    districts = sorted(c for c in outlines["code"] if c != CITY_CODE)
    return {old: f"4601{FIRST_DISTRICT + len(districts) * k + i:02d}" for i, old in enumerate(districts)}


def city_copy(outlines: gpd.GeoDataFrame, towns: list[Town], settings: dict, k: int,
              scale: Scale) -> tuple[gpd.GeoDataFrame, list[Town], dict]:
    """The inputs of copy ``k``: outlines moved, districts and towns renumbered, settings scaled."""
    dx, dy = (k % COLUMNS) * STEP_DEG, -(k // COLUMNS) * STEP_DEG
    codes = _moved_codes(outlines, k)
    moved = outlines.copy()
    moved["geometry"] = shapely.transform(moved.geometry.to_numpy(), lambda xy: xy + [dx, dy])
    moved["code"] = moved["code"].map(lambda c: codes.get(c, c))
    moved["name"] = [n if c == CITY_CODE else f"{n}{k + 1}" for c, n in zip(moved["code"], moved["name"])]
    moved = moved.sort_values("code").reset_index(drop=True)
    renamed = [Town(codes[t.district_code] + t.code[6:], f"{t.name}{k + 1}", t.kind, codes[t.district_code])
               for t in towns]
    scaled = copy.deepcopy(settings)
    for centre in scaled["households"]["centres"]:
        centre["lon"], centre["lat"] = centre["lon"] + dx, centre["lat"] + dy
    for org in scaled["mediation"]["industry"]:
        org["area"] = codes.get(org["area"], org["area"])
    scaled["incidents"]["count"], scaled["cameras"]["count"] = scale.incidents, scale.cameras
    low, target, high = scale.grid_households
    scaled["areas"].update(grid_households_min=low, grid_households_target=target, grid_households_max=high)
    return moved, renamed, scaled


def generate(outlines: gpd.GeoDataFrame, towns: list[Town], settings: dict, seed: int, resolution: int, copies: int,
             scale: Scale) -> tuple[Dataset, dict]:
    """``copies`` cities side by side as one dataset."""
    parts = []
    for k in range(copies):
        moved, renamed, scaled = city_copy(outlines, towns, settings, k, scale)
        dataset, report = generate_city(moved, renamed, scaled, seed + k, resolution, show_progress=False)
        console.print(f"copy {k + 1}/{copies}: {report['counts']} in {sum(report['seconds'].values()):.0f} s")
        parts.append(dataset)
    return _merge(parts)


def _merge(parts: list[Dataset]) -> tuple[Dataset, dict]:
    """One dataset: one city row over all copies, ids made unique. Each table of the copies
    is let go once merged, so memory peaks near one copy of the data, not two."""
    org_offset = mediator_offset = incident_offset = 0
    for part in parts:
        part.organisations["id"] += org_offset
        part.mediators["id"] += mediator_offset
        part.mediators["organisation_id"] += org_offset
        part.incidents["id"] += incident_offset
        part.incidents["mediator_id"] += mediator_offset
        org_offset += len(part.organisations)
        mediator_offset += len(part.mediators)
        incident_offset += len(part.incidents)

    def merged(table: str) -> pd.DataFrame:
        frames = [getattr(part, table) for part in parts]
        for part in parts:
            setattr(part, table, None)
        return pd.concat(frames, ignore_index=True)

    areas = merged("areas")
    cities = areas[areas["code"] == CITY_CODE]
    city = cities.iloc[[0]].copy()
    city["geometry"] = [shapely.union_all(cities.geometry.to_numpy())]
    for column in ("households", "population"):
        city[column] = cities[column].sum()
    areas = gpd.GeoDataFrame(pd.concat([city, areas[areas["code"] != CITY_CODE]], ignore_index=True), crs=4326)
    dataset = Dataset(areas, merged("cells"), merged("organisations"), merged("mediators"), merged("cameras"),
                      merged("incidents"))
    counts = {**areas["level"].value_counts().to_dict(), "h3_cells": len(dataset.cells),
              "organisations": len(dataset.organisations), "mediators": len(dataset.mediators),
              "cameras": len(dataset.cameras), "incidents": len(dataset.incidents)}
    return dataset, {"counts": {k: int(v) for k, v in counts.items()}, "copies": len(parts),
                     "households": int(areas.loc[areas["level"] == "city", "households"].sum()), "seconds": {}}
