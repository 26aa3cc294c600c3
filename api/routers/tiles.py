"""Vector tiles, TileJSON and map styles for the service's own maps and other portals."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from api.dependencies import in_worker_thread
from api.params import Moment
from api.problems import Problem
from api.schemas.tiles import Style, TileJSON
from api.security import allowed_layers
from geo.auth.roles import label_levels
from api.state import change_watcher, tile_cache
from geo.changes import ChangeWatcher
from geo.crs import Datum
from geo.mediation.categories import Category
from geo.settings import get_settings
from tiles import glyphs, service, styles
from tiles.cache import TileCache
from tiles.registry import Layer

router = APIRouter(tags=["tiles"])
MVT = "application/vnd.mapbox-vector-tile"
PBF = "application/x-protobuf"   # MapLibre glyphs
LayerList = Annotated[str, Path(description="a layer or a comma list, e.g. towns,villages", max_length=200)]


def permitted(request: Request, layers: list[Layer]) -> list[Layer]:
    """``layers`` if this request may be served all of them (an embed key serves its own); else 403."""
    allowed = allowed_layers(request)
    refused = [layer.name for layer in layers if allowed is not None and layer.name not in allowed]
    if refused:
        raise Problem(403, "Forbidden", "this key is not for the layer(s) {refused} here", field="layers", refused=refused)
    return layers


@router.get("/tiles/{layers}/{z}/{x}/{y}.mvt", response_class=Response,
            responses={200: {"content": {MVT: {}}}, 204: {"description": "no feature in this tile"},
                       304: {"description": "unchanged since the ETag sent"}})
async def get_tile(request: Request, cache: Annotated[TileCache, Depends(tile_cache)],
                   watcher: Annotated[ChangeWatcher, Depends(change_watcher)], layers: LayerList, z: int, x: int, y: int,
                   crs: Datum = Datum.WGS84, since: Moment | None = None, until: Moment | None = None,
                   category: Category | None = None,
                   generation: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                   if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """One Mapbox Vector Tile of one or several layers (extent 4096, buffer 64).

    ``crs=gcj02`` or ``bd09`` shifts the geometry for Amap/Tencent or Baidu basemaps."""
    chosen = permitted(request, service.parse_layers(layers))
    filters = {"since": since, "until": until, "category": category and category.value,
               "levels": label_levels(allowed_layers(request))}
    notified = watcher.latest
    answer = notified and service.cached_tile(cache, notified, chosen, z, x, y, datum=crs, filters=filters,
                                              generation=generation)
    if answer is None:   # not in memory, or the stamp is not known without asking: render off the event loop
        answer = await in_worker_thread(request, lambda session: service.tile(
            session, cache, chosen, z, x, y, datum=crs, filters=filters, generation=generation))
    # private: the same URL answers each key by its own layers; no shared cache may keep it for another
    headers = {"ETag": answer.etag, "Cache-Control": "private, max-age=60, must-revalidate"}
    if if_none_match and answer.etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    if not answer.body:
        return Response(status_code=204, headers=headers)
    return Response(answer.body, media_type=MVT, headers=headers)


@router.get("/tiles/{layers}.json", response_model=TileJSON)
async def get_tilejson(request: Request, layers: LayerList) -> dict:
    """TileJSON 3.0.0 with the layers' fields and zoom ranges; tile URLs keep this query's
    tile parameters (never a key: a client sends its credentials as it did here)."""
    return service.tilejson(permitted(request, service.parse_layers(layers)), get_settings().web.public_url, layers,
                            service.tile_query(request.query_params))


@router.get("/styles/{view}.json", response_model=Style, response_model_exclude_unset=True)
async def get_style(request: Request, view: str) -> dict:
    """A MapLibre style per map view (overview, dispatch, coverage); ``crs`` passes to the tiles."""
    permitted(request, service.parse_layers(styles.layers_of(view)))
    return styles.style(view, get_settings().web.public_url, service.tile_query(request.query_params))


@router.get("/fonts/{fontstack}/{range}.pbf", response_class=Response,
            responses={200: {"content": {PBF: {}}}})
async def get_glyphs(fontstack: Annotated[str, Path(max_length=200, description="a comma list of fonts; "
                                                                                   "Noto Sans Regular is served")],
                     range: Annotated[str, Path(max_length=11, description="256 code points, e.g. 0-255")]) -> Response:
    """The glyphs (signed distance fields) that the styles' labels are drawn with, open to any
    portal: they are a font, not data."""
    return Response(glyphs.glyph_range(fontstack, range), media_type=PBF,
                    headers={"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"})
