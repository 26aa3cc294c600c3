"""Generations: the published boundary sets."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class GenerationRead(BaseModel):
    """A published generation of boundaries."""

    id: int
    created_at: datetime
    description: str
    based_on: int | None = Field(description="the generation it replaced (null for the first)")
    plan_id: int | None = Field(description="the draft it was published from (null for a loaded dataset)")
    published_by: str | None
    accepted_warnings: str | None = Field(description="the reason given for publishing with warnings")
    current: bool = Field(description="the one locate, tiles and areas use by default")


class GenerationList(BaseModel):
    """Every published generation, newest first."""

    items: list[GenerationRead]
