"""The language layer: gettext catalogues (Babel) for what people read, the language of the
work in hand, and the labels of enumerated values.

zh-CN is the default language and English the other. Messages are written in English in
the code and are their own msgid; ``geo/locale/zh_CN/LC_MESSAGES/messages.po`` holds their
Chinese. A message with values names them in braces (``"no mediator {mediator_id}"``): it
is translated first, then filled. Labels of enumerated values (a category, a status, a
level...) are looked up with the vocabulary as gettext context and the stable code as msgid,
in both catalogues (``pgettext("category", "labour")`` is 劳动争议 or "Labour dispute").

The catalogues are compiled in memory on first use: there is no build step. After changing
messages, ``gridctl i18n extract`` refreshes ``messages.pot`` and ``gridctl i18n update``
merges it into each catalogue; tests/test_i18n.py fails while any message is untranslated.
"""
from __future__ import annotations

import gettext as _gettext
import io
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, select_autoescape

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "zh-CN"
LANGUAGES = ("zh-CN", "en")
CATALOGUES = {"zh-CN": "zh_CN", "en": "en"}   # language tag -> catalogue folder
_language: ContextVar[str] = ContextVar("language", default=DEFAULT)


def N_(message: str) -> str:
    """Mark a message for extraction where it is written, to be translated where it is shown."""
    return message


def language_of(requested: str | None) -> str | None:
    """The language we speak that a tag asks for (``zh``, ``zh-Hans-CN``, ``en-GB``, ``中文``...), if any."""
    tag = (requested or "").strip().lower().replace("_", "-")
    if tag.startswith("zh") or tag in ("中文", "简体中文", "cn"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-") or tag == "english":
        return "en"
    return None


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The request's language: ``?lang=``, then the cookie, then Accept-Language, else zh-CN."""
    for choice in (query, cookie):
        if found := language_of(choice):
            return found
    for tag in _accepted(accept_language or ""):
        if found := language_of(tag):
            return found
    return DEFAULT


def _accepted(header: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0: not wanted)."""
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and q > 0:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


def current() -> str:
    """The language of the work in hand (the request's; zh-CN outside a request)."""
    return _language.get()


@contextmanager
def speaking(language: str):
    """Run the block in ``language``."""
    token = _language.set(language if language in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _language.reset(token)


@lru_cache(maxsize=None)
def catalogue(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language (empty if it has none)."""
    po = LOCALE_DIR / CATALOGUES[language] / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return _gettext.NullTranslations()
    with po.open("rb") as source:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(source, locale=CATALOGUES[language]))
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def translate(message: str, values: dict | None = None, language: str | None = None) -> str:
    """``message`` in the language (default: the current one), its ``{names}`` filled from ``values``."""
    text = catalogue(language or current()).gettext(message)
    return text.format(**values) if values else text


def words(messages, language: str | None = None) -> dict[str, str]:
    """Each message and its translation, for a page's script to show (its values unfilled)."""
    return {message: translate(message, language=language) for message in messages}


def label(vocabulary: str, code: str, language: str | None = None) -> str:
    """The label of an enumerated value (``label("category", "labour")``); the code if it has none."""
    return catalogue(language or current()).pgettext(vocabulary, str(code))


def code_of(vocabulary: str, text: str, codes) -> str | None:
    """The code whose label (in any language) or code is ``text``, among ``codes``; None if none is."""
    for code in codes:
        code = str(code)
        if text == code or any(text == label(vocabulary, code, language) for language in LANGUAGES):
            return code
    return None


def templates(folder: Path) -> Environment:
    """The Jinja templates in ``folder``: autoescaped, with ``_("message {name}", name=value)``,
    ``label(vocabulary, code)`` and ``language`` in the language of the work in hand
    (``gridctl i18n extract`` finds the ``_()`` messages in them)."""
    environment = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]))
    environment.globals.update(_=lambda message, **values: translate(message, values), label=label, language=current)
    return environment
