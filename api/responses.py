"""Response helpers shared by routers."""
from __future__ import annotations

from fastapi.responses import Response

from geo.planning import exchange


def download(body: bytes, fmt: exchange.Format, name: str) -> Response:
    """A file download in one of the exchange formats."""
    return Response(body, media_type=exchange.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}{exchange.SUFFIX[fmt]}"'})
