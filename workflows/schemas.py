"""API models for workflows."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class WorkflowStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class WorkflowCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    trigger: str = Field(default="", max_length=1000, description="One sentence: which tickets this is for")
    instructions: str = Field(default="", max_length=20000)
    status: WorkflowStatus = WorkflowStatus.DRAFT
    client_id: int | None = Field(default=None, description="None = shared across all clients")


class WorkflowUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    trigger: str | None = Field(default=None, max_length=1000)
    instructions: str | None = Field(default=None, max_length=20000)
    status: WorkflowStatus | None = None
    client_id: int | None = None
    base_version: int | None = Field(
        default=None, description="The version this edit was made from; a stale one is refused with 409"
    )


class WorkflowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    trigger: str
    instructions: str
    status: WorkflowStatus
    client_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class WorkflowList(BaseModel):
    items: list[WorkflowRead]
