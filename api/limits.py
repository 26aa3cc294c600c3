"""Request limits enforced before any route runs: the size of a request body."""
from __future__ import annotations

from api.problems import Problem, error_response


def replaying(body: bytes, receive):
    """An ASGI receive that hands on ``body``, read already, then what ``receive`` brings (a disconnect)."""
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return replay


class BodyLimit:
    """ASGI middleware: a body above ``limit`` bytes for a multipart upload, ``json_limit`` for any other, is a 413
    problem, by its Content-Length, or for a body sent in chunks as soon as that many bytes
    have arrived (such a body is gathered here, up to the limit, then handed on whole); the
    rest is never read."""

    def __init__(self, app, limit: int, json_limit: int):
        self.app, self.limit, self.json_limit = app, limit, json_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        limit = self.limit if content_type == b"multipart/form-data" else self.json_limit
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                return await self._refuse(scope, receive, send, limit)
            return await self.app(scope, receive, send)
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return await self.app(scope, receive, send)
        chunks, received, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > limit:
                return await self._refuse(scope, receive, send, limit)
            more = message.get("more_body", False)
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    @staticmethod
    async def _refuse(scope, receive, send, limit: int):
        response = error_response(Problem(413, "Request body too large", "the body is larger than {limit} bytes",
                                          field="body", limit=limit))
        await response(scope, receive, send)
