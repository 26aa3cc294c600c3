"""Response headers set on every answer, errors included: what ``Gate`` and the routes
decided (CORS, ``X-Read-From``), and the browser's security headers. HTML pages get a
Content-Security-Policy: scripts from this service only (inline ones carry the request's
nonce), no inline event handlers, fetches to this service only, and no framing except an
embed page by its key's portals.
"""
from __future__ import annotations

import secrets

ALWAYS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def content_security_policy(state: dict) -> str:
    """The policy of an HTML page, from what the request's handling put in ``state``."""
    images = " ".join(["'self'", "data:", *state.get("csp_image_hosts", ())])
    ancestors = " ".join(state.get("frame_ancestors") or ()) or "'none'"
    workers = " ".join(["'self'", *state.get("csp_worker_sources", ())])
    return (f"default-src 'self'; script-src 'self' 'nonce-{state['csp_nonce']}'; style-src 'self' 'unsafe-inline'; "
            f"img-src {images}; font-src 'self' data:; connect-src 'self'; worker-src {workers}; object-src 'none'; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}")


class SecurityHeaders:
    """ASGI middleware (plain, so responses are not re-streamed): a nonce per request in
    ``state["csp_nonce"]`` for pages to put on their inline scripts, and the headers above
    on the response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        state = scope.setdefault("state", {})
        state["csp_nonce"] = secrets.token_urlsafe(16)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = {**ALWAYS, **state.get("response_headers", {})}
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
                    extra["Content-Security-Policy"] = content_security_policy(state)
                message["headers"] = [*message.get("headers", []),
                                      *((k.lower().encode(), v.encode()) for k, v in extra.items()
                                        if k.lower().encode() not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
