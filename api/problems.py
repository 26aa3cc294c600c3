"""Errors as RFC 9457 problem details (application/problem+json), naming the field."""
from __future__ import annotations

from html import escape

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException

from geo.auth.roles import PUBLIC_READS, is_public
from geo.errors import DomainError
from geo.i18n import N_, current, translate
from geo.text import InvalidValue

MEDIA_TYPE = "application/problem+json"


class Problem(DomainError):
    """A problem the web layer finds itself (the Host, credentials, a body): the domain's
    error with the status, title and any headers given here; one handler answers both."""

    def __init__(self, status: int, title: str, detail: str, *, field: str | None = None, headers=None, **values):
        super().__init__(detail, field=field, **values)
        self.status, self.title, self.headers = status, title, headers


def problem_response(status: int, title: str, detail: str, *, field: str | None = None,
                     errors: list | None = None, headers=None, extra: dict | None = None,
                     request: Request | None = None) -> Response:
    """The problem document; for a person's browser opening a page, the same as an HTML page."""
    if request is not None and "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_problem_page(status, title, detail, field), status_code=status, headers=headers)
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **(extra or {})}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _problem_page(status: int, title: str, detail: str, field: str | None) -> str:
    """A plain page saying what went wrong, in the request's language (every value escaped)."""
    label = translate(N_("Field"))
    about = f"<p>{escape(label)}: <code>{escape(field)}</code></p>" if field else ""
    return (f'<!doctype html><html lang="{escape(current())}"><head><meta charset="utf-8">'
            f'<title>{status} {escape(title)}</title><link rel="icon" href="data:,">'
            '<style>body{font:16px/1.5 sans-serif;margin:3em;color:#222}</style></head>'
            f"<body><h1>{status} {escape(title)}</h1><p>{escape(detail)}</p>{about}</body></html>")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def unsupported_media_type(expected: str) -> Problem:
    return Problem(415, "Unsupported media type", "send the body as {expected}", field="Content-Type", expected=expected)


def _wrong_media_type(request: Request, exc: RequestValidationError) -> Problem | None:
    """A body that failed as a whole because it was sent as another media type than the
    route reads (JSON, or a multipart form): 415, not the validation error it became."""
    if not any(e["loc"][:1] == ("body",) for e in exc.errors()) or not _has_body(request):
        return None
    body = getattr(request.scope.get("route"), "body_field", None)
    declared = getattr(getattr(body, "field_info", None), "media_type", "")
    expected = declared if declared.startswith(("multipart/", "application/x-www-form-urlencoded")) \
        else "application/json"
    media = media_type(request)
    return None if media == expected or (expected == "application/json" and is_json(media)) \
        else unsupported_media_type(expected)


def _has_body(request: Request) -> bool:
    return request.headers.get("content-length", "0") != "0" or "transfer-encoding" in request.headers


def _field(error: dict, body) -> str:
    """The dotted path of the offending input as the client wrote it (a header by its name;
    no union tag such as an edit's op, which is a value, not a field); for a missing or
    unknown union tag, the tag's field."""
    if error["type"] == "json_invalid":
        return "body"   # its location is a character offset, not a field
    where, *loc = error["loc"] or ("body",)
    if where == "header":
        return "-".join(word.capitalize() for word in str(loc[0]).split("-"))
    path = []
    for part in loc:
        if isinstance(body, dict) and part not in body and part in body.values():
            continue   # the tag pydantic puts in the location of a discriminated union's member
        body = body.get(part) if isinstance(body, dict) else body[part] if isinstance(body, list) and \
            isinstance(part, int) and part < len(body) else None
        path.append(str(part))
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        path.append(str(error.get("ctx", {}).get("discriminator", "")).strip("'"))
    return ".".join(path) or "body"


def error_response(error: DomainError, request: Request | None = None) -> Response:
    """The problem document of an error, in the request's language."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else error.headers
    return problem_response(error.status, translate(error.title), error.translated(), field=error.field,
                            extra=error.extra, headers=headers, request=request)


def _message(error: dict) -> str:
    """A field's validation error in the request's language."""
    found = error.get("ctx", {}).get("error")
    if isinstance(found, InvalidValue):
        return found.error.translated()
    if isinstance(found, DomainError):
        return found.translated()
    kind = error["type"]
    if kind in ("too_long", "too_short") and isinstance(error.get("input"), str):   # a text, not a list
        kind = "string_" + kind
    template = VALIDATION_MESSAGES.get(kind)
    if template is None:
        return error["msg"].removeprefix("Value error, ")
    return translate(template, {k: v for k, v in error.get("ctx", {}).items() if isinstance(v, (str, int, float))})


# The framework's own answers for a path no route has, or a method it does not take.
_FRAMEWORK = {404: (N_("Not found"), N_("there is no page or operation at {path}")),
              405: (N_("Method not allowed"), N_("{path} does not take {method}"))}


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        return error_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if wrong := _wrong_media_type(request, exc):
            return error_response(wrong, request)
        body = exc.body if isinstance(exc.body, (dict, list)) else None
        errors = [{"field": _field(e, body if e["loc"][:1] == ("body",) else None), "in": e["loc"][0] if e["loc"] else "body",
                   "message": _message(e)} for e in exc.errors()]
        first = errors[0]
        return problem_response(422, translate("Invalid request"), f"{first['field']}: {first['message']}",
                                field=first["field"], errors=errors, request=request)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):   # the framework's own: an unreadable body is a 400
        title, detail = _FRAMEWORK.get(exc.status_code, (str(exc.detail), str(exc.detail)))
        return problem_response(exc.status_code, translate(title),
                                translate(detail, {"path": request.url.path, "method": request.method}),
                                headers=exc.headers, field="body" if exc.status_code == 400 else None, request=request)

    @app.exception_handler(UnicodeEncodeError)
    async def _unencodable(_: Request, exc: UnicodeEncodeError):   # a lone surrogate (JSON "\ud800") in text
        return error_response(Problem(422, "Invalid value", "text must be valid Unicode (a lone surrogate was sent)",
                                      field="body"))

    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DataError):   # the database's own text names SQL: never shown
        return error_response(Problem(422, "Invalid value", "a value the database cannot store (a NUL character, "
                                      "a number out of range or text where a number belongs)", field="body"))

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError):
        return database_unavailable()


def database_unavailable() -> JSONResponse:
    """The answer while PostgreSQL cannot be reached (a restart, a failover): retry shortly."""
    return error_response(Problem(503, "Database unavailable", "the database cannot be reached; retry shortly",
                                  headers={"Retry-After": "5"}))


# Our words for pydantic's validation errors, by type (msgids of the catalogues; pydantic's
# own English is used for a type not listed). Values in braces come from the error's context.
VALIDATION_MESSAGES = {
    "missing": N_("a value is needed"),
    "extra_forbidden": N_("not a field of this request"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "finite_number": N_("must be a finite number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "string_type": N_("must be text"),
    "string_too_short": N_("must have at least {min_length} characters"),
    "string_too_long": N_("may have at most {max_length} characters"),
    "string_pattern_mismatch": N_("must match the pattern {pattern}"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "too_short": N_("must have at least {min_length} items"),
    "too_long": N_("may have at most {max_length} items"),
    "list_type": N_("must be a list"),
    "tuple_type": N_("must be a list"),
    "dict_type": N_("must be an object"),
    "model_type": N_("must be an object"),
    "model_attributes_type": N_("must be an object"),
    "literal_error": N_("must be one of {expected}"),
    "enum": N_("must be one of {expected}"),
    "datetime_type": N_("must be a date and time (ISO 8601)"),
    "datetime_parsing": N_("must be a date and time (ISO 8601)"),
    "datetime_from_date_parsing": N_("must be a date and time (ISO 8601)"),
    "date_type": N_("must be a date (ISO 8601)"),
    "date_parsing": N_("must be a date (ISO 8601)"),
    "timezone_aware": N_("must say its time zone (e.g. +08:00)"),
    "json_invalid": N_("is not valid JSON"),
    "union_tag_invalid": N_("{tag} is not one of {expected_tags}"),
    "union_tag_not_found": N_("{discriminator} is needed"),
    "url_parsing": N_("must be a URL"),
    "uuid_parsing": N_("must be a UUID"),
}


PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "field": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object"}}},
}
DOCUMENTED = {"400": "Malformed request or an unknown Host", "401": "No valid API key or bearer token",
              "403": "The caller's role (or an embed key's origin) does not allow this", "404": "Not found",
              "409": "Conflict with the current state",
              "413": "Request body too large", "415": "The body is not of a media type the operation takes",
              "422": "Invalid input (the field is named)",
              "429": "Rate limit reached (Retry-After)",
              "503": "Database unavailable, busy or a statement timed out (Retry-After)"}


def answers(*statuses: int) -> dict:
    """The problem answers a route can give beyond those every operation of its kind gives
    (see ``document``): e.g. ``responses=answers(404, 409)``."""
    return {status: {"description": DOCUMENTED[str(status)]} for status in statuses}


def _statuses(method: str, path: str, operation: dict) -> set[str]:
    """The problem statuses an operation can really answer with: every request can be a 400
    (Host), a 422 (a NUL in its path) or a 503 (the database); a protected one 401, 403 and
    429; one with a body 413 and 415; one naming a thing in its path, or a generation, 404."""
    found = {"400", "422", "503"}
    if not is_public(method.upper(), path):
        found |= {"401", "403", "429"}
    elif PUBLIC_READS.match(path):
        found.add("429")   # public data, at a key's rate per address
    if "requestBody" in operation:
        found |= {"413", "415"}
    parameters = operation.get("parameters", [])
    if any(p["in"] == "path" or p["name"] == "generation" for p in parameters):
        found.add("404")
    return found | {status for status in operation["responses"] if status in DOCUMENTED}


def document(schema: dict) -> None:
    """Each operation's OpenAPI answers list the problem documents it can return, and only those."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            for status in sorted(_statuses(method, path, operation)):
                operation["responses"][status] = {
                    "description": DOCUMENTED[status],
                    "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
