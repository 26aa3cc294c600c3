"""What the catalogues of geo.i18n must translate: every message written in the code, and the
label of every enumerated value the service shows (by vocabulary), with the tools that keep
``geo/locale`` in step (``gridctl i18n extract`` and ``gridctl i18n update``)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from geo.auth.roles import Role
from geo.codes import Kind, Level
from geo.i18n import CATALOGUES, LANGUAGES, LOCALE_DIR
from geo.incidents.deadlines import GROUPS, MARKS, STAGES
from geo.incidents.models import ACTIONS, ROUTES, SOURCES
from geo.incidents.statuses import STATUSES
from geo.mediation.categories import Category, Severity
from geo.mediation.policy import read_policy
from geo.mediation.service import EMPLOYMENTS

ROOT = LOCALE_DIR.parent.parent
DEFAULT_POLICY = ROOT / "data" / "mediation_policy.toml"
TEMPLATE = LOCALE_DIR / "messages.pot"
# Vocabulary -> its codes. A label is looked up as pgettext(vocabulary, code).
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "category": tuple(Category), "severity": tuple(Severity), "status": STATUSES,
    "level": (*Level, "industry"), "kind": tuple(Kind), "role": tuple(Role), "route": ROUTES,
    "employment": EMPLOYMENTS, "stage": STAGES, "mark": MARKS, "group": GROUPS, "action": ACTIONS,
    "source": SOURCES,
    "rule": tuple(rule.name for rule in read_policy(DEFAULT_POLICY).rules),   # the default policy's rules
}
# Calls whose first argument is a message (the errors of geo.errors and their kin, N_, translate).
_MESSAGE_CALLS = ("N_", "translate", "DomainError", "Invalid", "Forbidden", "NotFound", "Conflict", "TooLarge", "Busy",
                  "IndexBusy", "NotPublishable", "Unauthenticated", "CodeError", "__init__")
_SOURCES = ("geo", "api", "tiles")
_METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]   # templates: their _() calls
_SKIPPED = ("geo/dataset", "geo/migrations")   # the loader's reports are for the engineer who runs it


def template() -> Catalog:
    """The messages of the code and the vocabularies' labels, as a catalogue template."""
    catalogue = Catalog(project="haikou-grid", charset="utf-8")
    keywords = [{name: None for name in _MESSAGE_CALLS}, {"Problem": (2,)}, {"Problem": (3,)}, {"_": None}]
    for folder in _SOURCES:
        for keyword in keywords:
            found = extract_from_dir(ROOT / folder, method_map=_METHODS, keywords=keyword,
                                     comment_tags=(), strip_comment_tags=True,
                                     directory_filter=lambda path: not path.replace("\\", "/").endswith(_SKIPPED))
            for filename, line, message, _comments, _context in found:
                path = f"{folder}/{filename}"
                if isinstance(message, str) and message.strip():
                    catalogue.add(message, locations=[(path, line)])
    for vocabulary, codes in VOCABULARIES.items():
        for code in codes:
            catalogue.add(str(code), context=vocabulary)
    return catalogue


def po_path(language: str) -> Path:
    return LOCALE_DIR / CATALOGUES[language] / "LC_MESSAGES" / "messages.po"


def extract() -> int:
    """Write ``messages.pot`` from the code; the number of messages."""
    made = template()
    with TEMPLATE.open("wb") as out:
        write_po(out, made, omit_header=True, sort_output=True, include_lineno=False)
    return len(made)


def update() -> dict[str, int]:
    """Merge the template into each language's catalogue (new messages empty, gone ones
    dropped); per language, how many are still untranslated."""
    made, left = template(), {}
    for language in LANGUAGES:
        path = po_path(language)
        with path.open("rb") as source:
            catalogue = read_po(source, locale=CATALOGUES[language])
        catalogue.update(made, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
        with path.open("wb") as out:
            write_po(out, catalogue, omit_header=True, sort_output=True, width=120, include_lineno=False)
        left[language] = len(untranslated(language))
    return left


def untranslated(language: str) -> list[str]:
    """What ``language`` still lacks: every message for zh-CN, the labels for English (an
    English message is its own translation)."""
    with po_path(language).open("rb") as source:
        catalogue = read_po(source, locale=CATALOGUES[language])
    wanted = [m for m in template() if m.id and (language != "en" or m.context)]
    return [f"{m.context + ': ' if m.context else ''}{m.id}" for m in wanted
            if not (catalogue.get(m.id, context=m.context) and catalogue.get(m.id, context=m.context).string)]
