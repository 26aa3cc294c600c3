"""Dispute categories of the mediation statistics (DESIGN.md), plus public-safety events."""
from __future__ import annotations

from enum import StrEnum

from geo.i18n import code_of, label


class Category(StrEnum):
    """A dispute category (or a public-safety event); its label in either language is accepted for it."""

    MARRIAGE_FAMILY = "marriage_family"
    NEIGHBOURHOOD = "neighbourhood"
    HOUSING_HOMESTEAD = "housing_homestead"
    CONTRACT = "contract"
    BUSINESS_OPERATION = "business_operation"
    DAMAGES = "damages"
    FOREST_LAND = "forest_land"
    LAND_ACQUISITION_DEMOLITION = "land_acquisition_demolition"
    ENVIRONMENTAL_POLLUTION = "environmental_pollution"
    LABOUR = "labour"
    CONSUMER = "consumer"
    MEDICAL = "medical"
    ROAD_TRAFFIC_ACCIDENT = "road_traffic_accident"
    PROPERTY_MANAGEMENT = "property_management"
    OTHER = "other"
    PUBLIC_SAFETY = "public_safety"

    @classmethod
    def _missing_(cls, value):
        return _by_label(cls, "category", value)


LABELS_ZH = {c: label("category", c, "zh-CN") for c in Category}   # the statistics' names

MEDIATION_CATEGORIES = [c for c in Category if c is not Category.PUBLIC_SAFETY]


class Severity(StrEnum):
    """How serious a case is; its label in either language is accepted for it."""

    MINOR = "minor"
    GENERAL = "general"
    MAJOR = "major"
    CRITICAL = "critical"

    @classmethod
    def _missing_(cls, value):
        return _by_label(cls, "severity", value)


def _by_label(enum, vocabulary: str, value):
    """The member whose label (Chinese or English) is ``value``; None (a ValueError) if none is."""
    code = code_of(vocabulary, value, tuple(enum)) if isinstance(value, str) else None
    return enum(code) if code is not None else None

# SQL condition: the incident (columns of ``{alias}``) is a dispute for mediation, not a public-safety event.
MEDIATED_SQL = "{alias}category <> 'public_safety'"


def is_mediated(category: str) -> bool:
    """A dispute for mediation, not a public-safety event (placed and handed to the police): MEDIATED_SQL in Python."""
    return category != Category.PUBLIC_SAFETY.value
