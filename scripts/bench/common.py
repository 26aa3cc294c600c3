"""Shared helpers of the benchmarks: a scratch database with the dataset, timing, points."""
from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def use_database(name: str, *, load: bool = True) -> None:
    """Point this process at database ``name`` (local cluster), migrated and (unless ``load``
    is false: the province keeps what it holds) loaded with the Haikou dataset."""
    from geo.db import get_engine
    from geo.settings import get_settings

    os.environ["GRID_DB_NAME"] = name
    get_settings.cache_clear()
    get_engine.cache_clear()
    env = {**os.environ, "GRID_DB_NAME": name}
    for step in [["setup"]] if load else [["db", "up"], ["migrate"]]:
        subprocess.run([sys.executable, "-m", "geo.cli", *step], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def city_points(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniformly random points inside Haikou (rejection sampling on the city outline)."""
    import shapely

    from geo.dataset.sources import city_outline, read_districts
    from geo.settings import get_settings

    city = city_outline(read_districts(get_settings().dataset.data_dir))
    shapely.prepare(city)
    rng = np.random.default_rng(seed)
    west, south, east, north = city.bounds
    lon, lat = np.empty(0), np.empty(0)
    while len(lon) < n:
        x, y = rng.uniform(west, east, 2 * n), rng.uniform(south, north, 2 * n)
        keep = shapely.contains_xy(city, x, y)
        lon, lat = np.concatenate([lon, x[keep]]), np.concatenate([lat, y[keep]])
    return lon[:n], lat[:n]


def best_of(runs: int, fn) -> float:
    """The fastest of ``runs`` timings of ``fn()``, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The x, y of the Web Mercator tile at zoom ``z`` holding (lon, lat)."""
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def percentiles(samples_s: list[float]) -> str:
    ms = np.array(samples_s) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms, max {ms.max():.2f} ms"


@contextmanager
def server(command: list[str], env: dict, probe: str) -> Iterator[subprocess.Popen]:
    """A server process for the length of a benchmark, ready when ``probe`` answers."""
    import httpx

    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(240):
            try:
                if httpx.get(probe, timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"server did not start: {command}")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_key(database: str, role: str = "admin") -> str:
    """An API key (valid one day) in the benchmark's database, for the servers under test."""
    made = subprocess.run([sys.executable, "-m", "geo.cli", "auth", "create-key", "--role", role, "--name",
                           "benchmark", "--expires-days", "1", "--quiet"], cwd=ROOT,
                          env={**os.environ, "GRID_DB_NAME": database}, capture_output=True, text=True, check=True)
    return made.stdout.strip()


# Servers under benchmark run without the per-key rate limit (one key makes all the traffic).
UNLIMITED = {"GRID_RATE_LIMIT_PER_MINUTE": "100000000"}


@contextmanager
def api_server(database: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """Our API (uvicorn, 1 worker, loopback) on ``database`` without the rate limit: (base URL, process)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", str(port),
               "--host", "127.0.0.1", "--log-level", "warning"]
    base = f"http://127.0.0.1:{port}"
    with server(command, {**os.environ, "GRID_DB_NAME": database, **UNLIMITED}, f"{base}/health") as process:
        yield base, process
