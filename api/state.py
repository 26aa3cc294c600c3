"""What an API process keeps in memory, made with the app and kept on ``app.state.services``;
and the dependencies that reach it."""
from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from api.security import KeyCache, RateLimiter
from api.streams import EventFeed
from geo.areas.locate_index import IndexCache
from geo.changes import ChangeWatcher
from geo.db import session_factory
from geo.reports.render import RenderedReports
from geo.settings import Settings
from geo.webhooks.courier import Courier
from tiles.cache import TileCache


@dataclass
class Services:
    """The change watcher, and the caches, limits and streams it keeps coherent with the database."""

    watcher: ChangeWatcher
    indexes: IndexCache
    tiles: TileCache
    keys: KeyCache
    limiter: RateLimiter
    reports: RenderedReports
    feed: EventFeed   # the event streams' one reader
    courier: Courier   # sends webhook deliveries (started with the app if GRID_WEBHOOK_DELIVER)

    @classmethod
    def made_from(cls, settings: Settings) -> Services:
        watcher = ChangeWatcher(settings.db.libpq_url)
        services = cls(watcher, IndexCache(settings.caches.locate_recheck_seconds, settings.caches.locate_past_bytes, watcher),
                       TileCache(settings.caches.tile_cache_bytes), KeyCache(), RateLimiter(),
                       RenderedReports(settings.caches.report_cache_bytes, settings.limits.report_renders),
                       EventFeed(settings.limits.event_streams), Courier(session_factory(), settings.webhooks))
        watcher.on("generations", services.indexes.expire)
        watcher.on("dataset_loads", services.tiles.clear)   # a load restarts the ids: old tiles' keys would come back
        watcher.on("api_keys", services.keys.clear)
        watcher.on("incident_events", services.feed.ring)
        watcher.on("incident_events", services.courier.ring)
        return services


def services(request: Request) -> Services:
    """The services of the app serving the request."""
    return request.app.state.services


# The dependencies below are async: FastAPI would run a plain function in a worker thread.
async def change_watcher(request: Request) -> ChangeWatcher:
    return services(request).watcher


async def index_cache(request: Request) -> IndexCache:
    return services(request).indexes


async def tile_cache(request: Request) -> TileCache:
    return services(request).tiles


async def rendered_reports(request: Request) -> RenderedReports:
    return services(request).reports
