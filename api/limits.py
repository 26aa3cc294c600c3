"""Request limits enforced before any route runs: the size of a request body."""
from __future__ import annotations

from api.problems import problem_response


class BodyTooLarge(Exception):
    """The body grew past the limit while being read (a chunked upload)."""


class BodyLimit:
    """ASGI middleware: a body above ``limit`` bytes is a 413 problem, by its Content-Length
    or, without one, as soon as that many bytes have arrived; the rest is never read."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._refuse(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise BodyTooLarge
            return message

        started = False

        async def watched(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope, receive, send):
        response = problem_response(413, "Request body too large",
                                    f"the body is larger than {self.limit} bytes", field="body")
        await response(scope, receive, send)
