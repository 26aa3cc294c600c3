"""Tiles for the API: layer lists, versions, ETags, caching, TileJSON and styles."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from geo.areas.service import Stamp, resolve_generation, stamp
from geo.codes import HAIKOU_BOUNDS
from geo.crs import Datum
from geo.errors import Invalid, NotFound
from tiles.cache import TileCache
from tiles.grid import MAX_ZOOM
from tiles.registry import LAYERS, MAX_LAYERS_PER_TILE, PLAN_LAYERS, Layer
from tiles.render import render


def parse_layers(spec: str, registry: dict[str, Layer] = LAYERS) -> list[Layer]:
    """A comma list of registered layer names, deduplicated in order and bounded."""
    names = list(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    if not names:
        raise Invalid("name at least one layer", field="layers")
    if len(names) > MAX_LAYERS_PER_TILE:
        raise Invalid("at most {max_layers_per_tile} layers per tile", field="layers", max_layers_per_tile=MAX_LAYERS_PER_TILE)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise NotFound("unknown layer(s) {unknown}; known: {registry}", field="layers",
                       unknown=unknown, registry=sorted(registry))
    return [registry[n] for n in names]


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise Invalid("z must be 0-{max_zoom}", field="z", max_zoom=MAX_ZOOM)
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < 2 ** z:
            raise Invalid("{name} must be 0-{top} at zoom {z}", field=name, name=name, top=2 ** z - 1, z=z)


@dataclass
class TileAnswer:
    body: bytes
    etag: str


def _used(layers: list[Layer], filters: dict) -> dict:
    """The filters that some of ``layers`` take."""
    return {name: filters.get(name) for layer in layers for name in layer.filters}


def _answer(layers: list[Layer], z: int, x: int, y: int, datum: Datum, filters: dict, generation: int,
            current: Stamp) -> tuple[tuple, str]:
    """(cache key, strong ETag) of a tile of ``generation`` when the data stands at ``current``."""
    dynamic = any(layer.dynamic for layer in layers)
    key = (tuple(layer.name for layer in layers), z, x, y, Datum(datum).value, generation, current.load,
           current.change if dynamic else None, tuple(sorted(_used(layers, filters).items())))
    return key, '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'


def cached_tile(cache: TileCache, current: Stamp, layers: list[Layer], z: int, x: int, y: int, *, datum: Datum,
                filters: dict, generation: int | None = None) -> TileAnswer | None:
    """The tile from ``cache`` if it holds it for the data at ``current`` (the stamp as notified),
    with no database round trip; else None. A generation asked for is in a key only once
    ``tile`` found it published."""
    check_tile(z, x, y)
    generation = current.generation if generation is None else generation
    if generation is None:
        return None
    key, etag = _answer(layers, z, x, y, datum, filters, generation, current)
    body = cache.get(key)
    return None if body is None else TileAnswer(body, etag)


def tile(session: Session, cache: TileCache, layers: list[Layer], z: int, x: int, y: int, *, datum: Datum,
         filters: dict, generation: int | None = None) -> TileAnswer:
    """The tile (from ``cache`` when its key is current), with a strong ETag of its key. The key
    takes the stamp from ``session``'s own database: a lagging replica's tile is kept under
    the replica's stamp, never under a newer one."""
    check_tile(z, x, y)
    current = stamp(session)
    generation = current.generation if generation is None else resolve_generation(session, generation)
    if generation is None:
        raise NotFound("no boundary generation is loaded", field="generation")
    key, etag = _answer(layers, z, x, y, datum, filters, generation, current)
    body = cache.get(key)
    if body is None:
        body = render(session, layers, z, x, y, Datum(datum), generation, _used(layers, filters))
        cache.put(key, body)
    return TileAnswer(body, etag)


def plan_tile(session: Session, plan_id: int, base_generation: int, spec: str, z: int, x: int, y: int, *,
              datum: Datum) -> bytes:
    """A tile of a draft's areas: never cached, since every edit changes it."""
    check_tile(z, x, y)
    return render(session, parse_layers(spec, PLAN_LAYERS), z, x, y, Datum(datum), base_generation, {"plan": plan_id})


TILE_PARAMETERS = ("crs", "since", "until", "category", "generation")


def tile_query(params) -> str:
    """The tile parameters of a request's query, re-encoded (anything else, a key above all, is dropped)."""
    return urlencode([(k, v) for k, v in params.multi_items() if k in TILE_PARAMETERS])


def tilejson(layers: list[Layer], base_url: str, spec: str, query: str) -> dict:
    """TileJSON 3.0.0 for a layer list."""
    suffix = f"?{query}" if query else ""
    return {
        "tilejson": "3.0.0", "name": spec, "scheme": "xyz",
        "tiles": [f"{base_url}tiles/{spec}/{{z}}/{{x}}/{{y}}.mvt{suffix}"],
        "minzoom": min(layer.minzoom for layer in layers), "maxzoom": max(layer.maxzoom for layer in layers),
        "bounds": list(HAIKOU_BOUNDS), "center": [110.33, 20.02, 10],
        "vector_layers": [{"id": layer.name, "description": layer.description, "minzoom": layer.minzoom,
                           "maxzoom": layer.maxzoom, "fields": layer.fields} for layer in layers],
    }
