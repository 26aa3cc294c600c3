"""A bad boundary file is refused with the feature named, and nothing is loaded."""
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.affinity import translate
from sqlalchemy import text

from conftest import migrated_database
from geo.dataset import load
from geo.db import get_engine
from geo.dataset.checks import BoundaryError


@pytest.fixture(scope="module")
def built_areas(settings) -> gpd.GeoDataFrame:
    return gpd.read_parquet(settings.dataset.build_dir / "areas.parquet")


def _state(engine):
    with engine.connect() as conn:
        return (conn.execute(text("SELECT dataset_hash FROM dataset_loads ORDER BY id DESC LIMIT 1")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM areas")).scalar_one(),
                conn.execute(text("SELECT md5(string_agg(ST_AsBinary(geom)::text, '' ORDER BY code)) FROM areas "
                                  "WHERE level = 'village'")).scalar_one())


def _grid(areas) -> int:
    return int(areas.index[areas["level"] == "grid"][100])


def bowtie(areas):
    bad = areas.copy()
    x, y = bad.geometry[_grid(bad)].representative_point().coords[0]
    bad.loc[_grid(bad), "geometry"] = shapely.MultiPolygon(
        [shapely.Polygon([(x, y), (x + 1e-3, y + 1e-3), (x + 1e-3, y), (x, y + 1e-3)])])
    return bad, "invalid geometry"


def wrong_code(areas):
    bad = areas.copy()
    bad.loc[_grid(bad), "code"] = bad.loc[_grid(bad), "code"][:12] + "000"
    return bad, "sequence"


def outside_parent(areas):
    bad = areas.copy()
    bad.loc[_grid(bad), "geometry"] = translate(bad.geometry[_grid(bad)], xoff=0.05)
    return bad, "outside its parent"


@pytest.mark.parametrize("spoil", [bowtie, wrong_code, outside_parent])
def test_bad_boundary_file_is_refused_and_nothing_loaded(spoil, built_areas, engine, settings, tmp_path):
    bad, reason = spoil(built_areas)
    feature = bad.loc[_grid(bad), "code"]
    path = tmp_path / "areas.parquet"
    bad.to_parquet(path)
    before = _state(engine)
    with pytest.raises(BoundaryError) as caught:
        load.load(engine, settings.dataset.build_dir, areas_file=path, force=True)
    assert feature in str(caught.value) and reason in str(caught.value)
    assert _state(engine) == before


def test_the_cli_names_the_feature_in_one_error_line_and_exits_1(built_areas, engine, tmp_path):
    bad, _ = outside_parent(built_areas)
    path = tmp_path / "areas.geojson"
    bad.to_file(path, driver="GeoJSON")
    before = _state(engine)
    run = subprocess.run([sys.executable, "-m", "geo.cli", "data", "load", "--areas", str(path)],
                         capture_output=True, text=True, env=os.environ.copy())
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and bad.loc[_grid(bad), "code"] in run.stderr
    assert _state(engine) == before


def few_cases(build_dir: Path, into: Path) -> Path:
    """The build with its first 200 incidents and cameras only: what a boundary file replaces
    (areas, cells) is whole; the 36,000 cases and their events took 25 of the load's 45 s,
    and the setup's own load of the whole build tests their loading."""
    into.mkdir()
    for file in build_dir.iterdir():
        if file.name in ("incidents.parquet", "cameras.parquet"):
            pd.read_parquet(file).iloc[:200].to_parquet(into / file.name)
        else:
            (into / file.name).symlink_to(file)
    return into


def test_a_good_boundary_file_loads(built_areas, settings, tmp_path):
    """Into a database of its own: the test database keeps the built dataset for the other tests."""
    path = tmp_path / "areas.parquet"
    built_areas.to_parquet(path)
    build = few_cases(settings.dataset.build_dir, tmp_path / "build")
    with migrated_database(settings, "haikou_load_check") as url:
        engine = get_engine(url)
        try:
            _, loaded = load.load(engine, build, areas_file=path, force=True, show_progress=False)
            assert loaded
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM areas")).scalar_one() == len(built_areas)
                assert conn.execute(text("SELECT count(DISTINCT grid_code) FROM h3_cells")).scalar_one() \
                    == (built_areas["level"] == "grid").sum()
        finally:
            engine.dispose()
