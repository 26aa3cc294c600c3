"""Authentication and authorisation for every request: API keys (``X-API-Key`` header, or
``?key=`` for pages and tiles a browser fetches), bearer tokens (JWT), roles, embed origins,
rate limits, and personal data only for the roles that may see it.

One dependency on the whole app checks each request against the role table in
``geo.auth.roles``; health, docs, the OpenAPI document and the static JavaScript are open.
"""
from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.problems import Problem
from geo.auth import keys
from geo.auth.keys import Principal, Unauthenticated
from geo.auth.roles import SEES_PERSONAL_DATA, Role, is_public, may
from geo.db import session_factory
from geo.settings import get_settings

API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key made with `gridctl auth create-key`")
BEARER = HTTPBearer(auto_error=False, description="a signed token (HS256) with claims sub, role, exp")
_CHALLENGE = {"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'}
_KEY_CACHE_SECONDS = 10.0   # without change notifications, a revoked key stops working in other processes within this time


class _KeyCache:
    """Checked keys for a few seconds, so a busy tile client costs no database round trip per tile."""

    def __init__(self):
        self._entries: dict[str, tuple[float, Principal | str]] = {}
        self._lock = threading.Lock()

    def cached(self, key: str) -> Principal | None:
        """The principal if the key was checked (and found good) within the cache's lifetime."""
        found = self._entries.get(key)
        if found is not None and time.monotonic() - found[0] <= _KEY_CACHE_SECONDS and not isinstance(found[1], str):
            return found[1]
        return None

    def clear(self) -> None:
        """Forget every checked key (another process changed the keys: a revocation)."""
        with self._lock:
            self._entries.clear()

    def principal(self, key: str) -> Principal:
        now = time.monotonic()
        found = self._entries.get(key)
        if found is None or now - found[0] > _KEY_CACHE_SECONDS:
            try:
                with session_factory(for_requests=True)() as session:
                    answer: Principal | str = keys.check_key(session, key)
            except Unauthenticated as exc:
                answer = str(exc)
            with self._lock:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[key] = found = (now, answer)
        if isinstance(found[1], str):
            raise Unauthenticated(found[1])
        return found[1]


class _RateLimiter:
    """A token bucket per principal: ``per_minute`` requests, refilled continuously."""

    def __init__(self):
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, who: str, per_minute: int) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(who, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - at) * per_minute / 60.0)
            if tokens >= 1:
                self._buckets[who] = (tokens - 1, now)
                return 0.0
            self._buckets[who] = (tokens, now)
            return (1 - tokens) * 60.0 / per_minute


key_cache, limiter = _KeyCache(), _RateLimiter()


async def authorize(request: Request,
                    api_key: Annotated[str | None, Security(API_KEY)] = None,
                    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None) -> Principal | None:
    """Who is calling and whether they may: 401 without valid credentials, 403 for the wrong
    role or origin, 429 past the rate limit. Async, so a request costs no thread hop; only a
    key not seen for a while is looked up in the database (in a worker thread)."""
    path = request.url.path
    if is_public(path):
        return None
    settings = get_settings()
    key = api_key or (request.query_params.get("key") if request.method in ("GET", "HEAD") else None)
    try:
        if key:
            principal = key_cache.cached(key) or await run_in_threadpool(key_cache.principal, key)
        elif bearer is not None:
            principal = keys.check_token(settings.jwt_secret, bearer.credentials)
        else:
            raise Unauthenticated("send an API key (X-API-Key header) or a bearer token")
    except Unauthenticated as exc:
        raise Problem(401, "Unauthenticated", str(exc), headers=_CHALLENGE) from exc
    if not may(principal.role, request.method, path):
        raise Problem(403, "Forbidden", f"the {principal.role.value} role may not {request.method} {path}")
    if principal.role is Role.EMBED:
        _embed_origins(request, principal)
    wait = limiter.wait(principal.key, settings.rate_limit_per_minute)
    if wait:
        raise Problem(429, "Too many requests", f"more than {settings.rate_limit_per_minute} requests a minute",
                      headers={"Retry-After": str(max(1, round(wait)))})
    request.state.principal = principal
    return principal


def _embed_origins(request: Request, principal: Principal) -> None:
    """An embed key works for its portals only: cross-origin requests from them get CORS
    headers (others 403), and its pages may be framed by them alone (CSP frame-ancestors)."""
    origin = request.headers.get("origin")
    headers = {}
    if origin is not None:
        if origin not in principal.origins:
            raise Problem(403, "Forbidden", f"this embed key is not for {origin}", field="Origin")
        headers.update({"Access-Control-Allow-Origin": origin, "Vary": "Origin"})
    if request.url.path.startswith("/embed/"):
        headers["Content-Security-Policy"] = "frame-ancestors " + " ".join(principal.origins)
    request.state.response_headers = headers


class ResponseHeaders:
    """ASGI middleware: headers ``authorize`` decided on (CORS, frame-ancestors) go on whatever
    the route answers, errors included (plain ASGI, so responses are not re-streamed)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                extra = scope.get("state", {}).get("response_headers")
                if extra:
                    message["headers"] = [*message.get("headers", []),
                                          *((k.lower().encode(), v.encode()) for k, v in extra.items())]
            await send(message)

        await self.app(scope, receive, with_headers)


def sees_personal_data(request: Request) -> bool:
    principal = getattr(request.state, "principal", None)
    return principal is not None and principal.role in SEES_PERSONAL_DATA


def redact(data, fields: tuple[str, ...], allowed: bool):
    """``data`` without ``fields`` (at any depth) unless the caller may see personal data."""
    if allowed:
        return data
    if isinstance(data, dict):
        return {k: redact(v, fields, allowed) for k, v in data.items() if k not in fields}
    if isinstance(data, list):
        return [redact(v, fields, allowed) for v in data]
    return data
