"""Text that people type into the service (names, descriptions, notes), checked where it
enters: printable, bounded, and for names no markup. Pages still show every value as
text (never as HTML); this keeps stored data clean for every other consumer too."""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator

from geo.errors import Invalid

NAME_LENGTH = 100
_MARKUP = re.compile(r"[<>]|&#?\w+;")            # a name has no tags or character references
_TAG = re.compile(r"<[A-Za-z/!?]")                # free text may say "a < b", not "<script"
_UNPRINTABLE = ("Cc", "Cf", "Cs", "Cn")             # controls, format (bidi, zero-width), lone surrogates, unassigned
_BREAKS = ("Zl", "Zp")                              # line and paragraph separators: not in a name


def _controls(value: str, allowed: str = "", refused: tuple[str, ...] = _UNPRINTABLE) -> list[str]:
    """Characters of the ``refused`` Unicode categories (NUL, bidi overrides, zero-width, lone
    surrogates...) not in ``allowed``."""
    return [c for c in value if unicodedata.category(c) in refused and c not in allowed]


def check_name(value: str, field: str, max_length: int = NAME_LENGTH) -> str:
    """A name (of an area, a person, a key) stripped; Invalid naming ``field`` unless it is
    1-``max_length`` printable characters without markup."""
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise Invalid("a name is needed", field=field)
    if len(name) > max_length:
        raise Invalid("a name has at most {max_length} characters", field=field, max_length=max_length)
    if _controls(name, refused=_UNPRINTABLE + _BREAKS):
        raise Invalid("a name may not hold control characters", field=field)
    if _undecodable(name):
        raise Invalid("text must be UTF-8 (it holds bytes that are not)", field=field)
    if _MARKUP.search(name):
        raise Invalid("a name may not hold markup (<, >, &...;)", field=field)
    return name


def _undecodable(value: str) -> bool:
    """U+FFFD: what a decoder puts for bytes that were not UTF-8 (a form's %FF, %ED%A0%80)."""
    return "\ufffd" in value


def check_text(value: str, field: str, max_length: int | None = None) -> str:
    """Free text (a description, a note, a reason): Invalid naming ``field`` if longer than
    ``max_length``, holding control characters other than newline and tab, or tags."""
    if max_length is not None and len(value) > max_length:
        raise Invalid("at most {max_length} characters", field=field, max_length=max_length)
    if _controls(value, "\n\t\r"):
        raise Invalid("control characters are not allowed", field=field)
    if _undecodable(value):
        raise Invalid("text must be UTF-8 (it holds bytes that are not)", field=field)
    if _TAG.search(value):
        raise Invalid("markup tags are not allowed; write plain text", field=field)
    return value


class InvalidValue(ValueError):
    """A check's Invalid as pydantic needs it (a ValueError); ``error`` keeps it, to be translated."""

    def __init__(self, error: Invalid):
        super().__init__(str(error))
        self.error = error


def _pydantic(check):
    """``check`` as a pydantic validator: its message becomes the field's validation error."""
    def validate(value: str) -> str:
        try:
            return check(value, "")
        except Invalid as exc:
            raise InvalidValue(exc) from None
    return AfterValidator(validate)


PlainName = Annotated[str, _pydantic(check_name)]    # for request models: a name, checked as above
PlainText = Annotated[str, _pydantic(check_text)]    # free text, checked as above (length by the Field)


def check_filled(value: str, field: str) -> str:
    """Text that says something: not only blanks."""
    if not value.strip():
        raise Invalid("a value is needed", field=field)
    return value


FilledText = Annotated[str, _pydantic(check_text), _pydantic(check_filled)]   # free text that may not be blank
