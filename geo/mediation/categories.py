"""Dispute categories of the mediation statistics (DESIGN.md), plus public-safety events."""
from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
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


LABELS_ZH = {
    Category.MARRIAGE_FAMILY: "婚姻家庭",
    Category.NEIGHBOURHOOD: "邻里",
    Category.HOUSING_HOMESTEAD: "房屋宅基地",
    Category.CONTRACT: "合同",
    Category.BUSINESS_OPERATION: "生产经营",
    Category.DAMAGES: "损害赔偿",
    Category.FOREST_LAND: "山林土地",
    Category.LAND_ACQUISITION_DEMOLITION: "征地拆迁",
    Category.ENVIRONMENTAL_POLLUTION: "环境污染",
    Category.LABOUR: "劳动争议",
    Category.CONSUMER: "消费",
    Category.MEDICAL: "医疗",
    Category.ROAD_TRAFFIC_ACCIDENT: "道路交通事故",
    Category.PROPERTY_MANAGEMENT: "物业",
    Category.OTHER: "其他",
    Category.PUBLIC_SAFETY: "治安事件",
}

MEDIATION_CATEGORIES = [c for c in Category if c is not Category.PUBLIC_SAFETY]


class Severity(StrEnum):
    MINOR = "minor"
    GENERAL = "general"
    MAJOR = "major"
    CRITICAL = "critical"
