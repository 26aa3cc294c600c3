"""Locate points in the area hierarchy: CRS in, codes and names out."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson
from h3.api import basic_int as h3
from sqlalchemy.orm import Session

from geo.areas.locate_index import OUTSIDE, IndexCache, LocateIndex
from geo.areas.service import resolve_generation
from geo.codes import HAIKOU_BOUNDS
from geo.crs import Datum, to_wgs84
from geo.i18n import N_, translate
from geo.errors import Invalid


class NothingLoaded(RuntimeError):
    """No boundary generation is loaded: nothing to locate in."""


@dataclass
class Located:
    """Grid index per point (OUTSIDE when outside Haikou), its H3 cell, and the index used."""

    grid: np.ndarray
    cells: np.ndarray
    index: object


def locate(session: Session, indexes: IndexCache, lon, lat, datum: Datum | str = Datum.WGS84,
           generation: int | None = None) -> Located:
    """Locate points in the current generation's boundaries, or in those of ``generation``."""
    return locate_in(indexes.get(session, resolve_generation(session, generation) if generation is not None else None),
                     lon, lat, datum)


def locate_in(index: LocateIndex | None, lon, lat, datum: Datum | str = Datum.WGS84) -> Located:
    """Locate points in ``index``'s boundaries (None: nothing is loaded)."""
    if index is None:
        raise NothingLoaded("no boundary generation is loaded")
    wlon, wlat = to_wgs84(np.atleast_1d(lon), np.atleast_1d(lat), datum)
    grid, cells = index.locate(wlon, wlat)
    return Located(grid, cells, index)


def located_inside(session: Session, indexes: IndexCache, lon, lat, datum: Datum | str = Datum.WGS84, *,
                   what: str = N_("the position"), field: str = "position") -> Located:
    """Locate points that must be in Haikou: Invalid naming ``field`` if the first is not."""
    located = locate(session, indexes, lon, lat, datum)
    if located.grid[0] == OUTSIDE:
        raise Invalid("{what} is outside Haikou", field=field, what=translate(what))
    return located


def _areas_of(chain, g: int, names: bool) -> dict:
    """Grid ``g``'s district, town, village and grid: codes, or codes and names."""
    levels = (("district", chain.district, chain.district_name), ("town", chain.town, chain.town_name),
              ("village", chain.village, chain.village_name), ("grid", chain.grid, chain.grid_name))
    return {level: ({"code": codes[g], "name": labels[g]} if names else codes[g]) for level, codes, labels in levels}


def describe(located: Located, i: int, *, names: bool = True) -> dict | None:
    """The area chain of point ``i`` as a dict, or None when it is outside Haikou."""
    g = int(located.grid[i])
    if g == OUTSIDE:
        return None
    return {**_areas_of(located.index.chain, g, names), "h3": h3.int_to_str(int(located.cells[i]))}


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_NIBBLES = np.arange(56, -1, -4, dtype=np.uint64)   # an H3 cell's 15 hex digits: bits 59-0 (bits 63-60 are 0)


def describe_all_json(located: Located, *, names: bool) -> bytes:
    """``[describe(located, i) for every i]`` as a JSON array, made per grid and in numpy,
    not per point in Python: each grid's chain is dumped once, the H3 digits are computed
    for all points at once, and the pieces are joined."""
    chain = located.index.chain
    heads = np.array([orjson.dumps(_areas_of(chain, g, names))[:-1] + b',"h3":"' for g in range(len(chain.grid))]
                     + [b"null"], dtype=object)   # the last: outside
    grid = np.where(located.grid == OUTSIDE, len(chain.grid), located.grid)
    digits = _HEX[(located.cells.astype(np.uint64)[:, None] >> _NIBBLES) & np.uint64(0xF)]
    tails = np.where(grid == len(chain.grid), b"", np.char.add(digits.view("S15").ravel(), b'"}')).astype(object)
    return b"[" + b",".join((heads[grid] + tails).tolist()) + b"]"


def looks_swapped(lon: float, lat: float) -> bool:
    """Whether (lat, lon) would fall in Haikou's box though (lon, lat) does not."""
    west, south, east, north = HAIKOU_BOUNDS   # 0.1 degrees wider on each side: a point just outside still hints
    west, south, east, north = west - 0.1, south - 0.1, east + 0.1, north + 0.1
    return west <= lat <= east and south <= lon <= north
