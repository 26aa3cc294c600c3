"""Authentication and authorisation of every request, before its body is read: API keys
(``X-API-Key`` header, or ``?key=`` on GET), page sessions (a cookie, or the header on
embed pages), bearer tokens (JWT), roles, embed portals and layers, rate limits, and
personal data only for the roles that may see it.

``Gate`` is plain ASGI middleware, so a request without valid credentials is refused
from its headers alone: an anonymous 60 MiB body costs a 401, not a parse. The role table
is ``geo.auth.roles``; health, the API documents and the pages' static files are open.
The one body read before credentials are known: an Open311 filing whose key is its form
field ``api_key`` (the GeoReport v2 way), at most ``OPEN311_FORM_BYTES``.
"""
from __future__ import annotations

import re
import threading
import time
from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.limits import replaying
from api.problems import Problem, database_unavailable, error_response
from geo.codes import CODE_LENGTH, Level
from geo.errors import DomainError, TooLarge
from geo.auth import keys
from geo.auth.keys import Principal, Unauthenticated
from geo.auth.roles import (EMBEDDABLE, OPEN311_REQUESTS, PUBLIC_LAYERS, PUBLIC_READS, SEES_PERSONAL_DATA, SESSION_PAGES,
                             Role, is_public, may)
from geo.db import session_factory
from geo.incidents.service import EVERY_INCIDENT, Reach
from geo.settings import get_settings

API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False,
                       description="an API key made with `gridctl auth create-key` (or a page session)")
BEARER = HTTPBearer(auto_error=False, description="a signed token (HS256) with claims sub, role, exp")
SESSION_COOKIE = "grid_session"
_CHALLENGE = {"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'}
_KEY_CACHE_SECONDS = 10.0   # without change notifications, a revoked key stops working in other processes within this time


class KeyCache:
    """Checked credentials for a few seconds, so a busy tile client costs no database round
    trip per tile; a cached principal still stops working at its expiry."""

    def __init__(self):
        self._entries: dict[str, tuple[float, Principal | Unauthenticated]] = {}
        self._lock = threading.Lock()

    def cached(self, credential: str) -> Principal | None:
        """The principal if the credential was checked (and found good) lately and has not expired."""
        found = self._entries.get(credential)
        if found is None or time.monotonic() - found[0] > _KEY_CACHE_SECONDS or isinstance(found[1], str):
            return None
        return None if found[1].expired() else found[1]

    def clear(self) -> None:
        """Forget every checked key (another process changed the keys: a revocation)."""
        with self._lock:
            self._entries.clear()

    def principal(self, credential: str) -> Principal:
        """Check a key or page session in the database (in a worker thread) and remember the answer."""
        now = time.monotonic()
        found = self._entries.get(credential)
        if found is None or now - found[0] > _KEY_CACHE_SECONDS or (
                not isinstance(found[1], str) and found[1].expired()):
            try:
                with session_factory(for_requests=True)() as session:
                    if credential.startswith("hs_"):
                        answer: Principal | Unauthenticated = keys.check_session(
                            session, keys.session_secret(get_settings()), credential)
                    else:
                        answer = keys.check_key(session, credential)
            except Unauthenticated as exc:
                answer = exc
            with self._lock:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[credential] = found = (now, answer)
        if isinstance(found[1], Unauthenticated):
            raise found[1]
        return found[1]


class RateLimiter:
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


_PLAUSIBLE = re.compile(r"^h[ks]_[A-Za-z0-9_-]{1,200}$")   # anything else is refused without a look-up


def _credentials(request: Request) -> tuple[str, str]:
    """(how, credential): the first of the X-API-Key header, a bearer token, ``?key=`` (GET
    and HEAD only) and the session cookie."""
    header = request.headers.get("x-api-key")
    if header:
        return "header", header
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return "bearer", token.strip()
    query = request.query_params.get("key") if request.method in ("GET", "HEAD") else None
    if query:
        return "query", query
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return "cookie", cookie
    raise Unauthenticated("send an API key (X-API-Key header) or a bearer token")


async def _identify(request: Request, checked: KeyCache) -> tuple[str, str, Principal]:
    """(how, credential, principal), or Unauthenticated saying why not."""
    how, credential = _credentials(request)
    if how == "bearer":
        return how, credential, keys.check_token(get_settings().auth, credential)
    if not _PLAUSIBLE.match(credential):
        raise Unauthenticated("malformed API key")
    return how, credential, checked.cached(credential) or await run_in_threadpool(checked.principal, credential)


def _origin(url: str | None) -> str | None:
    """scheme://host[:port] of a URL (an Origin header is one already)."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _embed_scope(request: Request, principal: Principal, state: dict) -> None:
    """An embed key works for its portals: a cross-origin request from another origin is a
    403; one from a portal gets CORS headers. It serves the key's views, and its layers
    when the request comes from a portal (Origin or Referer, or a page session opened from
    one); otherwise only what a public page may show. Its pages may be framed by its portals."""
    origin = request.headers.get("origin")
    if origin is not None and origin not in principal.origins:
        raise Problem(403, "Forbidden", "this embed key is not for {origin}", field="Origin", origin=origin)
    from_portal = principal.from_portal or _origin(origin or request.headers.get("referer")) in principal.origins
    state["layers"] = principal.layers if from_portal else principal.layers & PUBLIC_LAYERS
    state["from_portal"] = from_portal
    state["frame_ancestors"] = principal.origins
    if origin is not None:
        state["response_headers"] = {**state.get("response_headers", {}),
                                     "Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    view = request.url.path.split("/")[2] if request.url.path.startswith("/embed/") else None
    if view is not None and view not in principal.views:
        raise Problem(403, "Forbidden", "this embed key does not serve the {view} view", field="view", view=view)
    level = _area_level(request)   # an area's outline, or names on the map: only of the levels its layers show
    if level is not None and level + "s" not in state["layers"]:
        raise Problem(403, "Forbidden", "this embed key does not serve the {layer} layer", field="level", layer=level + "s")


def _area_level(request: Request) -> str | None:
    """The level of areas an embed page asks about: /areas/labels?level=, or /areas/{code}'s."""
    path = request.url.path
    if path == "/areas/labels":
        return request.query_params.get("level")
    if found := re.fullmatch(r"/areas/(\d+)", path):
        return {length: level.value for level, length in CODE_LENGTH.items() if level is not Level.CITY}.get(
            len(found.group(1)))   # the city's outline is the districts'
    return None


_HOST = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::\d{1,5})?$")


def _check_request(request: Request) -> None:
    """The Host is one of ours (and well formed), and no NUL hides in the path or the query."""
    found = _HOST.match(request.headers.get("host") or "")
    if not found or (found.group(1) or found.group(2)).lower() not in get_settings().web.trusted_hosts:
        raise Problem(400, "Unknown host", "this service does not answer for that Host (GRID_TRUSTED_HOSTS)",
                      field="Host")
    if "\x00" in request.url.path:
        raise Problem(422, "Invalid input", "the path may not hold a NUL character", field="path")
    for name, value in request.query_params.multi_items():   # a key is the credential check's: a NUL there is a 401
        if ("\x00" in name or "\x00" in value) and name != "key":
            raise Problem(422, "Invalid input", "a query parameter may not hold a NUL character",
                          field=name.replace("\x00", "") or "query")


_WEB_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]{1,253}(:\d{1,5})?")   # what a portal page's Origin looks like


def _preflight(request: Request) -> Response | None:
    """The answer to a portal's CORS preflight for what an embed key may read (a MapLibre map
    sending its key in X-API-Key asks first): GET with that header, from the asking origin.
    It opens nothing: the request that follows is checked like any other, its origin too."""
    origin = request.headers.get("origin") or ""
    path = request.url.path
    if request.method != "OPTIONS" or request.headers.get("access-control-request-method") != "GET" \
            or not _WEB_ORIGIN.fullmatch(origin) or not (EMBEDDABLE.match(path) or path.startswith("/fonts/")):
        return None
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "GET",
        "Access-Control-Allow-Headers": "X-API-Key", "Access-Control-Max-Age": "600", "Vary": "Origin"})


def _same_origin(request: Request) -> None:
    """A write carried by the session cookie must come from this service's own pages: a form
    or script on another origin, even of the same site, is refused (SameSite alone lets a
    sibling host through)."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host')}"
    if origin != own and origin != get_settings().web.public_url.rstrip("/"):
        raise Problem(403, "Forbidden", "a change sent with the session cookie must come from this service's pages",
                      field="Origin")


def _session_redirect(request: Request, principal: Principal) -> RedirectResponse:
    """A page opened with ?key=: the key becomes an HttpOnly session cookie, and the browser
    goes on to the same page without the key in its URL (or its history, logs and referrers)."""
    settings = get_settings()
    session = keys.mint_session(keys.session_secret(settings), principal, hours=settings.auth.session_hours)
    rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "key"])
    response = RedirectResponse((request.url.path.rstrip("/") or "/") + (f"?{rest}" if rest else ""), status_code=303)
    response.set_cookie(SESSION_COOKIE, session, max_age=int(settings.auth.session_hours * 3600), path="/",
                        httponly=True, samesite="strict", secure=settings.web.public_url.startswith("https:"))
    return response


OPEN311_FORM_BYTES = 64 * 1024   # an Open311 filing's form: a description of 5,000 characters is 15 KiB


async def _open311_key(scope, receive, request: Request):
    """The receive that hands on an Open311 form whose ``api_key`` field now stands in the
    X-API-Key header (its body read, at most OPEN311_FORM_BYTES); None for other requests."""
    if (request.method != "POST" or not OPEN311_REQUESTS.match(request.url.path) or "x-api-key" in request.headers
            or "authorization" in request.headers
            or not request.headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded")):
        return None
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > OPEN311_FORM_BYTES:
        raise TooLarge("the body is larger than {limit} bytes", field="body", limit=OPEN311_FORM_BYTES)
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > OPEN311_FORM_BYTES:
            raise TooLarge("the body is larger than {limit} bytes", field="body", limit=OPEN311_FORM_BYTES)
    key = parse_qs(body.decode("utf-8", "replace")).get("api_key", [""])[0]
    if key:
        scope["headers"] = [*scope["headers"], (b"x-api-key", key.encode("utf-8", "replace"))]
    return replaying(body, receive)


def _within_rate(request: Request, who: str) -> None:
    """429 with Retry-After once ``who`` (a key, a token's subject, an address) is past the rate limit."""
    limit = get_settings().limits.rate_limit_per_minute
    wait = request.app.state.services.limiter.wait(who, limit)
    if wait:
        raise Problem(429, "Too many requests", "more than {limit} requests a minute",
                      headers={"Retry-After": str(max(1, round(wait)))}, limit=limit)


class Gate:
    """ASGI middleware: the Host is one of ours, the caller is known, the role may, the rate
    limit holds; else a problem answer, decided from the headers before any body is read.
    Checked keys and rate buckets are the app's (``app.state.services``)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)   # no receive: the body cannot be read here
        state = scope.setdefault("state", {})
        try:
            _check_request(request)
            if replay := await _open311_key(scope, receive, request):
                receive, request = replay, Request(scope)
            response = _preflight(request)
            if response is None and is_public(request.method, request.url.path):
                if PUBLIC_READS.match(request.url.path):   # data, if public: an address gets a key's rate
                    _within_rate(request, "address:" + (request.client.host if request.client else "-"))
                return await self.app(scope, receive, send)
            response = response or await self._admit(request, state)
        except DomainError as problem:
            response = error_response(problem, request)
        except OperationalError:   # a key not yet known, looked up while the database is away
            response = database_unavailable()
        if response is not None:
            return await response(scope, receive, send)
        await self.app(scope, receive, send)

    async def _admit(self, request: Request, state: dict):
        settings, services = get_settings(), request.app.state.services
        try:
            how, credential, principal = await _identify(request, services.keys)
        except Unauthenticated as exc:
            exc.headers, exc.field = _CHALLENGE, "credentials"
            raise
        if how == "cookie" and request.method not in ("GET", "HEAD"):
            _same_origin(request)
        path = request.url.path
        if not may(principal.role, request.method, path):
            raise Problem(403, "Forbidden", "the {role} role may not {method} {path}",
                          role=principal.role.value, method=request.method, path=path)
        if principal.role is Role.EMBED:
            _embed_scope(request, principal, state)
        elif principal.layers is not None:   # an area key: not the city's incidents one by one
            state["layers"] = principal.layers
        _within_rate(request, principal.key)
        state["principal"] = principal
        embed = principal.role is Role.EMBED
        if how == "query" and not embed and (SESSION_PAGES.match(path) or path.startswith("/embed/")
                                             or _navigation(request)):
            return _session_redirect(request, principal)
        if embed and credential.startswith("hk_"):
            state["embed_key"] = credential      # what an embed snippet may copy: the key that asked for it
        if embed and path.startswith("/embed/"):   # framed by a portal: no cookie, a header
            state["page_session"] = credential if credential.startswith("hs_") else keys.mint_session(
                keys.session_secret(settings), principal, hours=settings.auth.session_hours,
                from_portal=state["from_portal"])
        return None


def _navigation(request: Request) -> bool:
    """A person opening the URL in a browser (a report, a download), not a script or a GIS
    client fetching data: its key, too, becomes a session and leaves the address bar."""
    return request.method == "GET" and (request.headers.get("sec-fetch-dest") == "document"
                                        or "text/html" in request.headers.get("accept", ""))


def document(schema: dict) -> None:
    """Name the credentials ``Gate`` takes in the OpenAPI document, on every operation (a
    document step rather than a dependency: a dependency would be solved on every request)."""
    schemes = {type(scheme).__name__: scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
               for scheme in (API_KEY, BEARER)}
    schema.setdefault("components", {})["securitySchemes"] = schemes
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            operation["security"] = [{name: []} for name in schemes]


def allowed_layers(request: Request) -> frozenset[str] | None:
    """The tile layers this request may be served (None: all): an embed key's, see ``_embed_scope``."""
    return getattr(request.state, "layers", None)


def sees_personal_data(request: Request) -> bool:
    principal = getattr(request.state, "principal", None)
    return principal is not None and principal.role in SEES_PERSONAL_DATA


def reach(request: Request) -> Reach:
    """The incidents the caller reaches: a mediator key its mediator's, an area key its area's."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return EVERY_INCIDENT
    return Reach(mediator_id=principal.mediator_id if principal.role is Role.MEDIATOR else None, area=principal.area)


# A route's ``reached: Reached = EVERY_INCIDENT``: the incidents its caller reaches (see ``reach``).
Reached = Annotated[Reach, Depends(reach)]


def redact(data, fields: tuple[str, ...], allowed: bool):
    """``data`` without ``fields`` (at any depth) unless the caller may see personal data."""
    if allowed:
        return data
    if isinstance(data, dict):
        return {k: redact(v, fields, allowed) for k, v in data.items() if k not in fields}
    if isinstance(data, list):
        return [redact(v, fields, allowed) for v in data]
    return data
