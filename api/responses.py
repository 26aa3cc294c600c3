"""Response helpers shared by routers."""
from __future__ import annotations

from fastapi.responses import JSONResponse, Response

from geo.planning import exchange


def attachment(body: bytes, media_type: str, filename: str) -> Response:
    """A file to download under ``filename``."""
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def download(body: bytes, fmt: exchange.Format, name: str) -> Response:
    """A file download in one of the exchange formats."""
    return attachment(body, exchange.MEDIA_TYPES[fmt], name + exchange.SUFFIX[fmt])


class GeoJSONResponse(JSONResponse):
    """JSON as application/geo+json; as a route's ``response_class``, its answers are documented so."""

    media_type = "application/geo+json"
