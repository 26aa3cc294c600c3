"""The ceiling for the request-path benchmark: a bare FastAPI route answering 20 KiB of bytes
from memory, served by the same uvicorn stack as ours (no middleware, no database)."""
from fastapi import FastAPI, Response

BODY = bytes(range(256)) * 80   # 20 KiB, about a warm village tile
app = FastAPI()


@app.get("/tiles/{layer}/{z}/{x}/{y}.mvt")
async def tile(layer: str, z: int, x: int, y: int) -> Response:
    return Response(BODY, media_type="application/vnd.mapbox-vector-tile")
