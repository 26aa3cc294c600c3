"""Absolute URLs in answers (OGC links, TileJSON, styles, embed snippets) are built from
the configured public base URL (GRID_PUBLIC_URL), never from the request's Host, and never
carry a key: a client sends its credentials to the next URL as it sent them to this one."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from geo.settings import get_settings


def public(path: str, params: list[tuple[str, str]] | None = None) -> str:
    """The public URL of ``path`` with ``params`` (``key`` dropped)."""
    query = urlencode([(k, v) for k, v in params or [] if k.lower() != "key"])
    return get_settings().web.public_url + path.lstrip("/") + (f"?{query}" if query else "")


def here(request: Request, **replace) -> str:
    """The public URL of this request, its query without the key and with ``replace`` set."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in replace]
    return public(request.url.path, params + [(k, str(v)) for k, v in replace.items()])
