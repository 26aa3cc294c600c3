"""The tile cache: geo's bounded byte cache of rendered tiles.

Tile keys carry the boundary generation and the data version, so a publish or any
data change makes old tiles unreachable: they are never served stale, and age out.
A dataset load restarts those ids, so the app clears its tile cache on one."""
from __future__ import annotations

from geo.cache import ByteCache as TileCache

__all__ = ["TileCache"]
