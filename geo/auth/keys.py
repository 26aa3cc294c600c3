"""Making, checking and revoking API keys, and checking signed bearer tokens (JWT, HS256).

A key is ``hk_<prefix>_<secret>``; the database keeps the prefix and the SHA-256 of the
whole key (the secret has 256 random bits, so a fast hash is enough), never the key.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.auth.models import ApiKey
from geo.auth.roles import Role
from geo.errors import Invalid, NotFound


@dataclass(frozen=True)
class Principal:
    """Who is calling: a name for the audit log, a role, and for embed keys their origins."""

    name: str
    role: Role
    key: str                                   # key prefix or token subject: what rate limits count by
    origins: tuple[str, ...] = field(default_factory=tuple)


class Unauthenticated(Exception):
    """No usable credentials: the message says why (401)."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(session: Session, *, name: str, role: Role | str, expires_days: float | None = None,
           origins: list[str] | None = None) -> tuple[str, ApiKey]:
    """A new key: (the key, shown only now; its row)."""
    role = Role(role)
    if role is Role.EMBED and not origins:
        raise Invalid("an embed key needs the origins (https://portal.example) allowed to use it", field="origins")
    prefix = secrets.token_hex(4)
    key = f"hk_{prefix}_{secrets.token_urlsafe(32)}"
    expires = datetime.now(timezone.utc) + timedelta(days=expires_days) if expires_days else None
    row = ApiKey(prefix=prefix, secret_hash=_digest(key), name=name, role=role.value, origins=list(origins or []),
                 expires_at=expires)
    session.add(row)
    session.flush()
    return key, row


def revoke(session: Session, prefix: str) -> ApiKey:
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None:
        raise NotFound(f"no key with prefix {prefix}", field="prefix")
    row.revoked_at = row.revoked_at or datetime.now(timezone.utc)
    return row


def check_key(session: Session, key: str) -> Principal:
    """The principal of a key, or Unauthenticated saying why not."""
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "hk":
        raise Unauthenticated("malformed API key")
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(key)):
        raise Unauthenticated("unknown API key")
    if row.revoked_at is not None:
        raise Unauthenticated("this API key has been revoked")
    if row.expires_at is not None and row.expires_at <= datetime.now(timezone.utc):
        raise Unauthenticated("this API key has expired")
    return Principal(f"key:{row.name}", Role(row.role), row.prefix, tuple(row.origins or ()))


def mint_token(secret: str, *, subject: str, role: Role | str, minutes: float = 60) -> str:
    """A signed bearer token (for tests and local use; an identity provider would issue these)."""
    now = datetime.now(timezone.utc)
    return jwt.encode({"sub": subject, "role": Role(role).value, "iat": now, "exp": now + timedelta(minutes=minutes)},
                      secret, algorithm="HS256")


def check_token(secret: str | None, token: str) -> Principal:
    if not secret:
        raise Unauthenticated("bearer tokens are not enabled here (GRID_JWT_SECRET is not set)")
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        role = Role(claims.get("role"))
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("the bearer token has expired") from exc
    except (jwt.InvalidTokenError, ValueError) as exc:
        raise Unauthenticated(f"invalid bearer token: {exc}") from exc
    if role is Role.EMBED:
        raise Unauthenticated("embed access is by key (it names its origins), not by token")
    return Principal(f"token:{claims['sub']}", role, f"sub:{claims['sub']}")
