"""Making, checking and revoking API keys; page sessions made from a key; signed bearer
tokens (JWT, HS256).

A key is ``hk_<prefix>_<secret>``; the database keeps the prefix and the SHA-256 of the
whole key (the secret has 256 random bits, so a fast hash is enough), never the key.
A page session is ``hs_<prefix>_<expiry>_<portal>_<mac>``: the key's prefix, when it ends,
whether the page was opened from one of an embed key's portals, and an HMAC of these with
the service secret (in the database, shared by every worker). It works only while its key
does, so revoking the key ends its sessions.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.auth.models import ApiKey, ServiceSecret
from geo.areas.service import area_in_force
from geo.auth.roles import (AREA_KEY_LAYERS, AREA_LEVELS, AREA_ROLES, EMBED_PAGES, GRID_WORKER_LEVELS, PRIVATE_LAYERS,
                            PUBLIC_LAYERS, Role, with_labels)
from geo.i18n import N_
from geo.mediation import service as mediators
from geo.errors import DomainError, Invalid, NotFound
from geo.settings import Auth, Settings
from geo.text import check_name

KEY = re.compile(r"^hk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$")
SESSION = re.compile(r"^hs_([0-9a-f]{8})_(\d{10})_([01])_([0-9a-f]{64})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a name for the audit log, a role, when the credentials stop working,
    and for embed keys their portals (origins), pages (views) and tile layers."""

    name: str
    role: Role
    key: str                                   # key prefix or token subject: what rate limits count by
    origins: tuple[str, ...] = field(default_factory=tuple)
    views: frozenset[str] | None = None        # None: every page the role may open
    layers: frozenset[str] | None = None       # None: every layer
    expires: float | None = None               # epoch seconds; None: never
    from_portal: bool = False                  # a page session opened from one of the key's origins
    mediator_id: int | None = None             # mediator keys: the mediator whose cases they reach
    area: str | None = None                    # area keys: the area whose incidents they reach

    def expired(self, now: float | None = None) -> bool:
        return self.expires is not None and (now or time.time()) >= self.expires


class Unauthenticated(DomainError):
    """No usable credentials: the message says why (401)."""

    status, title = 401, N_("Unauthenticated")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _known(values: list[str] | None, allowed: set[str] | frozenset[str], what: str) -> list[str] | None:
    if values is None:
        return None
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise Invalid("unknown {what} {unknown}; known: {allowed}",
                      field=what, what=what, unknown=unknown, allowed=sorted(allowed))
    return sorted(set(values))


def create(session: Session, *, name: str, role: Role | str, expires_days: float | None = None,
           origins: list[str] | None = None, views: list[str] | None = None,
           layers: list[str] | None = None, mediator_id: int | None = None,
           area: str | None = None) -> tuple[str, ApiKey]:
    """A new key: (the key, shown only now; its row). An embed key serves ``views`` and
    ``layers`` (default: every embed page, and boundaries and aggregates only); a mediator
    key, the cases of ``mediator_id``; a dispatcher or viewer key with an ``area`` (a district,
    town or village code in force), the incidents of that area."""
    role = Role(role)
    name = check_name(name, "name")
    if (role is Role.MEDIATOR) != (mediator_id is not None):
        raise Invalid("a mediator key, and only a mediator key, names its mediator", field="mediator_id")
    if mediator_id is not None:
        mediators.get(session, mediator_id)   # NotFound naming it
    if role is Role.GRID_WORKER and area is None:
        raise Invalid("a grid worker key names the grid (or village) the worker patrols", field="area")
    if area is not None:
        if role not in AREA_ROLES:
            raise Invalid("only dispatcher, viewer and grid worker keys are kept to an area", field="area")
        level = area_in_force(session, area)["level"]
        if role is Role.GRID_WORKER and level not in GRID_WORKER_LEVELS:
            raise Invalid("a grid worker key is kept to a grid or a village", field="area")
        if role is not Role.GRID_WORKER and level not in AREA_LEVELS:
            raise Invalid("a key is kept to a district, a town or a village", field="area")
    if role is Role.EMBED and not origins:
        raise Invalid("an embed key needs the origins (https://portal.example) allowed to use it", field="origins")
    if role is not Role.EMBED and (views or layers):
        raise Invalid("only embed keys are limited to views and layers", field="layers")
    for origin in origins or []:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
            raise Invalid("{origin!r} is not an origin (scheme://host[:port], no path)", field="origins", origin=origin)
    prefix = secrets.token_hex(4)
    key = f"hk_{prefix}_{secrets.token_urlsafe(32)}"
    expires = datetime.now(timezone.utc) + timedelta(days=expires_days) if expires_days else None
    row = ApiKey(prefix=prefix, secret_hash=_digest(key), name=name, role=role.value, origins=list(origins or []),
                 views=_known(views, set(EMBED_PAGES), "views"),
                 layers=_known(layers, PUBLIC_LAYERS | PRIVATE_LAYERS, "layers"), expires_at=expires,
                 mediator_id=mediator_id, area_code=area)
    session.add(row)
    session.flush()
    return key, row


def revoke(session: Session, prefix: str) -> ApiKey:
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None:
        raise NotFound("no key with prefix {prefix}", field="prefix", prefix=prefix)
    row.revoked_at = row.revoked_at or datetime.now(timezone.utc)
    return row


def _principal(row: ApiKey | None, expires: float | None = None, from_portal: bool = False) -> Principal:
    """The principal of a key row that is in force, or Unauthenticated saying why not."""
    if row is None:
        raise Unauthenticated("unknown API key")
    if row.revoked_at is not None:
        raise Unauthenticated("this API key has been revoked")
    ends = row.expires_at.timestamp() if row.expires_at is not None else None
    if expires is not None:
        ends = expires if ends is None else min(ends, expires)
    role = Role(row.role)
    embed = role is Role.EMBED
    principal = Principal(f"key:{row.name}", role, row.prefix, tuple(row.origins or ()),
                          views=frozenset(row.views or EMBED_PAGES) if embed else None,
                          layers=with_labels(frozenset(PUBLIC_LAYERS if row.layers is None else row.layers)) if embed
                          else AREA_KEY_LAYERS if row.area_code else None,
                          expires=ends, from_portal=from_portal, mediator_id=row.mediator_id, area=row.area_code)
    if principal.expired():
        raise Unauthenticated("this API key has expired")
    return principal


def check_key(session: Session, key: str) -> Principal:
    """The principal of a key, or Unauthenticated saying why not."""
    found = KEY.match(key)
    if not found:
        raise Unauthenticated("malformed API key")
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == found.group(1)))
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(key)):
        raise Unauthenticated("unknown API key")
    return _principal(row)


@lru_cache(maxsize=4)
def _secret(url: str) -> bytes:
    from geo.db import session_factory
    with session_factory()() as session:
        secret = session.scalar(select(ServiceSecret.value).where(ServiceSecret.name == "page_sessions"))
    if secret is None:
        raise RuntimeError("no page-session secret in the database: run `gridctl migrate`")
    return secret


def session_secret(settings: Settings) -> bytes:
    """The random key (made by migration 0010) that signs page sessions, read once per process."""
    return _secret(settings.db.sqlalchemy_url)


def _mac(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def mint_session(secret: bytes, principal: Principal, *, hours: float, from_portal: bool = False) -> str:
    """A page session for a key's principal, ending after ``hours`` or with the key."""
    ends = time.time() + hours * 3600
    if principal.expires is not None:
        ends = min(ends, principal.expires)
    payload = f"{principal.key}_{int(ends)}_{int(from_portal)}"
    return f"hs_{payload}_{_mac(secret, payload)}"


def check_session(session: Session, secret: bytes, token: str) -> Principal:
    """The principal of a page session, or Unauthenticated saying why not."""
    found = SESSION.match(token)
    if not found or not hmac.compare_digest(found.group(4), _mac(secret, "_".join(found.group(1, 2, 3)))):
        raise Unauthenticated("invalid session: open the page again with its key")
    ends = float(found.group(2))
    if ends <= time.time():
        raise Unauthenticated("the session has ended: open the page again with its key")
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == found.group(1)))
    return _principal(row, expires=ends, from_portal=found.group(3) == "1")


def mint_token(secret: str, *, subject: str, role: Role | str, minutes: float = 60, audience: str | None = None,
               issuer: str | None = None) -> str:
    """A signed bearer token (for tests and local use; an identity provider would issue these)."""
    now = datetime.now(timezone.utc)
    claims = {"sub": subject, "role": Role(role).value, "iat": now, "exp": now + timedelta(minutes=minutes)}
    claims.update({k: v for k, v in (("aud", audience), ("iss", issuer)) if v})
    return jwt.encode(claims, secret, algorithm="HS256")


def check_token(auth: Auth, token: str) -> Principal:
    """The principal of a bearer token: signed with the secret, ``sub`` present, a lifetime
    within GRID_JWT_MAX_MINUTES, and the audience and issuer when they are configured."""
    if not auth.jwt_secret:
        raise Unauthenticated("bearer tokens are not enabled here (GRID_JWT_SECRET is not set)")
    required = ["exp", "sub"] + [c for c, v in (("aud", auth.jwt_audience), ("iss", auth.jwt_issuer)) if v]
    try:
        claims = jwt.decode(token, auth.jwt_secret, algorithms=["HS256"], audience=auth.jwt_audience,
                            issuer=auth.jwt_issuer, options={"require": required})
        role = Role(claims.get("role"))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the bearer token has expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthenticated("invalid bearer token: {exc}", exc=exc) from exc
    try:
        subject = check_name(claims["sub"], "sub")
    except Invalid as exc:
        raise Unauthenticated("invalid bearer token: sub must name who is calling ({problem})", problem=exc) from exc
    ends, start = claims["exp"], claims.get("iat", time.time())
    if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in (ends, start)):
        raise Unauthenticated("invalid bearer token: exp and iat must be numbers")
    if ends - min(start, time.time()) > auth.jwt_max_minutes * 60 + 60:
        raise Unauthenticated("invalid bearer token: it may live at most {auth_jwt_max_minutes} minutes",
                              auth_jwt_max_minutes=auth.jwt_max_minutes)
    if role in (Role.EMBED, Role.MEDIATOR):
        raise Unauthenticated("{role} access is by key (it names its scope), not by token", role=role.value)
    return Principal(f"token:{subject}", role, f"sub:{subject}", expires=float(ends))
