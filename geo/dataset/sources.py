"""The real inputs: district outlines (GCJ-02 -> WGS-84) and the Ministry's town list."""
from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

from geo.codes import CITY_CODE, Kind, parse_area_code
from geo.crs import Datum, geometry_to_wgs84

DISTRICTS_FILE = "districts_gcj02.geojson"
TOWNS_FILE = "towns_mca2025.csv"
GENERATION_FILE = "generation.toml"
INPUT_FILES = (DISTRICTS_FILE, TOWNS_FILE, GENERATION_FILE)


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    kind: Kind
    district_code: str


def read_districts(data_dir: Path) -> gpd.GeoDataFrame:
    """City and district outlines in WGS-84, one MultiPolygon each, sorted by code."""
    frame = gpd.read_file(data_dir / DISTRICTS_FILE)
    frame["code"] = frame["code"].astype(str)
    for code in frame["code"]:
        parse_area_code(code)
    frame["geometry"] = geometry_to_wgs84(shapely.force_2d(frame.geometry.values), Datum.GCJ02)
    frame = frame.set_crs(4326, allow_override=True)
    return frame.sort_values("code").reset_index(drop=True)[["code", "name", "level", "geometry"]]


def read_towns(data_dir: Path) -> list[Town]:
    """The 43 towns/subdistricts with their MCA codes; kinds follow the code ranges."""
    towns = []
    with open(data_dir / TOWNS_FILE, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            parsed = parse_area_code(row["code"])
            if parsed.parent != row["district_code"] or parsed.kind.value != row["kind"]:
                raise ValueError(f"{TOWNS_FILE}: town {row['code']} disagrees with its code "
                                 f"(district {row['district_code']}, kind {row['kind']})")
            towns.append(Town(row["code"], row["name"], parsed.kind, row["district_code"]))
    return towns


def read_generation_settings(data_dir: Path) -> dict:
    with open(data_dir / GENERATION_FILE, "rb") as handle:
        return tomllib.load(handle)


def city_outline(districts: gpd.GeoDataFrame) -> shapely.Geometry:
    return districts.loc[districts["code"] == CITY_CODE, "geometry"].iloc[0]
