"""Domain errors the API turns into problem documents (the web layer maps, never decides).

A message is written in English with its values named in braces and given as keywords
(``NotFound("no mediator {mediator_id}", field="mediator_id", mediator_id=7)``), so that it
can be shown in the reader's language (geo.i18n): ``str(error)`` is the English,
``error.translated()`` the current language's.
"""
from __future__ import annotations

from geo.i18n import N_, translate


class DomainError(Exception):
    """Base: ``field`` names the offending input where there is one."""

    status = 400
    title = N_("Bad request")
    extra: dict | None = None   # more members for the problem document
    retry_after: int | None = None   # seconds, for a busy answer (503): the API sends Retry-After
    headers: dict | None = None   # any other headers of the answer (a challenge, a Retry-After)

    def __init__(self, message: str, *, field: str | None = None, **values):
        super().__init__(message.format(**values) if values else message)
        self.message, self.values, self.field = message, values, field

    @property
    def detail(self) -> str:
        return str(self)

    def translated(self, language: str | None = None) -> str:
        """The message in ``language`` (default: the current one); an error among its values too."""
        values = {name: value.translated(language) if isinstance(value, DomainError) else value
                  for name, value in self.values.items()}
        return translate(self.message, values, language)

    def at(self, field: str) -> DomainError:
        """The same error, naming ``field`` (where a caller knows which input it came from)."""
        self.field = field
        return self


class Invalid(DomainError):
    status, title = 422, N_("Invalid input")


class Forbidden(DomainError):
    """Known credentials, outside what they reach (an area key asking about another area)."""

    status, title = 403, N_("Forbidden")


class NotFound(DomainError):
    status, title = 404, N_("Not found")


class Conflict(DomainError):
    status, title = 409, N_("Conflict")


class TooLarge(DomainError):
    status, title = 413, N_("Too large")


class Busy(DomainError):
    """As much of some work is under way as allowed: ask again after ``seconds`` (503 + Retry-After)."""

    status, title = 503, N_("Busy")

    def __init__(self, message: str, seconds: int):
        super().__init__(message, seconds=seconds)
        self.retry_after = seconds
