"""Large JSON bodies parsed and validated off the event loop, and off the API process's GIL:
in a worker process. Parsing 12 MB of GeoJSON points and validating them holds the GIL
for about 2 s in C and Rust code, so a thread would still stall every other request; a
process does not. Small bodies are validated where they are (a few milliseconds).

A route that takes its body this way declares the model with ``documented(Model)``, so
the OpenAPI document still names it.
"""
from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.problems import Problem, is_json, media_type, unsupported_media_type

INLINE_BYTES = 1024 * 1024      # up to this, validate in the request's own thread
_MODELS: dict[str, type[BaseModel]] = {}
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()
_waiting = threading.BoundedSemaphore(4)   # large bodies being parsed or queued, per API process


async def raw(request: Request) -> bytes:
    """The JSON request body as bytes (reading is I/O; nothing is parsed on the event loop)."""
    if not is_json(media_type(request)):
        raise unsupported_media_type("application/json")
    return await request.body()


def documented(model: type[BaseModel]) -> dict:
    """``openapi_extra`` of a route that reads ``model`` as its JSON body through ``parse``."""
    _MODELS[model.__name__] = model
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def document(schema: dict) -> None:
    """Add the models of ``documented`` routes to the OpenAPI components."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in _MODELS.items():
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components[name] = body


def _in_worker(convert: Callable, model: type[BaseModel], data: bytes):
    """Runs in the worker process: (True, convert(validated)) or (False, the validation errors)."""
    try:
        return True, convert(model.model_validate_json(data))
    except ValidationError as exc:
        return False, exc.errors(include_url=False, include_context=False, include_input=False)


def parse(data: bytes, model: type[BaseModel], convert: Callable):
    """``convert(model validated from data)``; a 422 naming the field when it is not valid. Call
    from a worker thread (a sync route): a large body waits for the worker process there.
    ``convert`` must be a module-level function whose result is small to send back."""
    if len(data) <= INLINE_BYTES:
        ok, value = _in_worker(convert, model, data)
    else:
        if not _waiting.acquire(blocking=False):
            raise Problem(503, "Busy", "too many large bodies are being read; retry shortly",
                          headers={"Retry-After": "2"})
        try:
            ok, value = _worker().submit(_in_worker, convert, model, data).result()
        except BrokenProcessPool as exc:   # the worker died (out of memory?): a new one next time
            _forget_worker()
            raise Problem(503, "Busy", "the body could not be read this time; retry shortly",
                          headers={"Retry-After": "2"}) from exc
        finally:
            _waiting.release()
    if not ok:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in value])
    return value


def _forget_worker() -> None:
    global _pool
    with _pool_lock:
        _pool = None


def _worker() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:   # spawned, not forked: the API process has threads and connections
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return _pool
