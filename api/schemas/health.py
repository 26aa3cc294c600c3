"""Liveness and what is loaded."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ReplicaStatus(BaseModel):
    """A read replica: in rotation or why not, and its replay lag."""

    name: str
    in_rotation: bool
    lag_seconds: float | None = Field(description="null until measured")
    reason: str | None = Field(description="why it is out of rotation (null: in rotation)")


class Health(BaseModel):
    status: Literal["ok"]
    postgis: str = Field(description="PostGIS library version")
    generation: int | None = Field(description="the boundary generation in force (null: nothing loaded)")
    replicas: list[ReplicaStatus]
