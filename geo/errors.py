"""Domain errors the API turns into problem documents (the web layer maps, never decides)."""
from __future__ import annotations


class DomainError(Exception):
    """Base: ``field`` names the offending input where there is one."""

    status = 400
    title = "Bad request"
    extra: dict | None = None   # more members for the problem document
    retry_after: int | None = None   # seconds, for a busy answer (503): the API sends Retry-After
    headers: dict | None = None   # any other headers of the answer (a challenge, a Retry-After)

    def __init__(self, detail: str, *, field: str | None = None):
        super().__init__(detail)
        self.detail, self.field = detail, field


class Invalid(DomainError):
    status, title = 422, "Invalid input"


class NotFound(DomainError):
    status, title = 404, "Not found"


class Conflict(DomainError):
    status, title = 409, "Conflict"


class TooLarge(DomainError):
    status, title = 413, "Too large"
