"""The request's language: ``?lang=``, then the ``lang`` cookie, then Accept-Language;
zh-CN when none says (geo.i18n). A ``?lang=`` is remembered in the cookie, so a page's
links and scripts keep speaking it."""
from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.requests import Request

from geo.i18n import language_of, negotiate, speaking

COOKIE = "lang"
COOKIE_SECONDS = 365 * 24 * 3600


class Language:
    """ASGI middleware: the work of the request runs in its language, and the answer says which."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        asked = language_of(request.query_params.get("lang"))
        language = negotiate(asked, request.cookies.get(COOKIE), request.headers.get("accept-language"))

        async def saying_which(message):
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"content-language", language.encode()),
                           (b"vary", b"Accept-Language, Cookie")]
                if asked:
                    cookie = SimpleCookie()
                    cookie[COOKIE] = language
                    cookie[COOKIE].update({"path": "/", "max-age": COOKIE_SECONDS, "samesite": "Lax"})
                    headers.append((b"set-cookie", cookie[COOKIE].OutputString().encode()))
                message["headers"] = headers
            await send(message)

        with speaking(language):
            await self.app(scope, receive, saying_which)
