"""The escalation policy 小事不出村、大事不出镇、矛盾不上交 as explicit, ordered rules.

The first rule that matches an incident chooses its responsible level; the rule's
name is stored with the incident and shown. The defaults live in
``data/mediation_policy.toml``; ``GRID_POLICY_FILE`` points at another file.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from geo.i18n import label, translate
from geo.settings import get_settings

ESCALATED = re.compile(r" → escalated to (\w+)")   # what an escalation appends to the stored rule
RESPONSIBLE_LEVELS = ("village", "town", "district")   # bottom up: where a case escalates to
LEVELS = ("village", "industry", "town", "district")     # every responsible level


@dataclass(frozen=True)
class Rule:
    name: str
    level: str                                  # village | town | district | industry
    severities: frozenset[str] = frozenset()    # empty: any severity
    spans: str | None = None                    # "villages" or "towns": the incident spans several
    categories: frozenset[str] = frozenset()    # empty: any category

    def matches(self, *, severity: str, spans: str | None, category: str) -> bool:
        if self.severities and severity not in self.severities:
            return False
        if self.categories and category not in self.categories:
            return False
        if self.spans == "towns":
            return spans == "towns"
        if self.spans == "villages":
            return spans in ("villages", "towns")
        return True


@dataclass(frozen=True)
class ConcludeLimit:
    """An exception to the conclusion time limit, for a category and/or a level."""

    days: int
    category: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class Deadlines:
    """Time limits per stage (督办): to accept, to conclude, to follow up."""

    accept_hours: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LEVELS, 24))
    conclude_days: int = 30
    follow_up_days: int = 15
    warn_share: float = 0.75
    conclude: tuple[ConcludeLimit, ...] = ()

    def conclude_within(self, level: str, category: str) -> int:
        """Days from registration to conclude a case of this level and category."""
        for limit in self.conclude:
            if limit.category in (None, category) and limit.level in (None, level):
                return limit.days
        return self.conclude_days


@dataclass(frozen=True)
class Policy:
    rules: tuple[Rule, ...]
    deadlines: Deadlines = field(default_factory=Deadlines)
    escalate_overdue: frozenset[str] = field(default_factory=frozenset)   # severities escalated when red-marked

    def choose(self, *, severity: str, spans: str | None, category: str, industry_available: bool) -> Rule:
        for rule in self.rules:
            if rule.level == "industry" and not industry_available:
                continue
            if rule.matches(severity=severity, spans=spans, category=category):
                return rule
        raise LookupError(f"no rule of the mediation policy matches severity {severity}")


def next_level(level: str) -> str | None:
    """One level up (village → town → district); None above the district. An industry
    organisation that cannot take a case hands it to the village committee."""
    if level == "industry":
        return "village"
    i = RESPONSIBLE_LEVELS.index(level)
    return RESPONSIBLE_LEVELS[i + 1] if i + 1 < len(RESPONSIBLE_LEVELS) else None


def rule_label(stored: str) -> str:
    """An incident's stored rule in the reader's language: the rule's label ("rule" vocabulary
    of the catalogues, the name itself for a rule they do not know) and the level it went up to."""
    base, *escalations = ESCALATED.split(stored)
    shown = label("rule", base.strip())
    if escalations:
        shown += translate("; escalated to the {level}", {"level": label("level", escalations[-2])})
    return shown


def read_policy(path: Path) -> Policy:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    rules = tuple(Rule(name=r["name"], level=r["level"], severities=frozenset(r.get("severities", [])),
                       spans=r.get("spans"), categories=frozenset(r.get("categories", []))) for r in raw["rules"])
    return Policy(rules, _deadlines(raw.get("deadlines", {})), frozenset(raw.get("escalate_overdue", [])))


def _deadlines(raw: dict) -> Deadlines:
    default = Deadlines()
    hours = {**default.accept_hours, **raw.get("accept_hours", {})}
    if unknown := set(hours) - set(LEVELS):
        raise ValueError(f"deadlines.accept_hours: unknown levels {sorted(unknown)}")
    share = float(raw.get("warn_share", default.warn_share))
    if not 0 < share < 1:
        raise ValueError("deadlines.warn_share must be between 0 and 1")
    return Deadlines(accept_hours=hours, conclude_days=int(raw.get("conclude_days", default.conclude_days)),
                     follow_up_days=int(raw.get("follow_up_days", default.follow_up_days)), warn_share=share,
                     conclude=tuple(ConcludeLimit(int(c["days"]), c.get("category"), c.get("level"))
                                    for c in raw.get("conclude", [])))


@lru_cache
def get_policy() -> Policy:
    return read_policy(get_settings().dataset.policy_file)
