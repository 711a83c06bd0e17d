"""API models for workflows, their versions and requirements."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class WorkflowStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class IntegrationKind(StrEnum):
    """What a workflow can require; the same values as ``connectors.base.Action.integration_kind``."""

    PSA = "psa"
    M365 = "m365"


KIND_NAMES = {
    IntegrationKind.PSA: "a PSA (ConnectWise PSA, HaloPSA or Autotask)",
    IntegrationKind.M365: "Microsoft 365",
}

_REQUIRES_DOC = "Integrations needed besides those the instructions' tools imply"
_LOG_TIME_DOC = (
    "Log the agent's work on a matched ticket as a time entry (work type, billable and member from the "
    "client's settings), through the log_time tool and its policy"
)


class WorkflowCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    trigger: str = Field(default="", max_length=1000, description="One sentence: which tickets this is for")
    instructions: str = Field(default="", max_length=20000)
    status: WorkflowStatus = WorkflowStatus.DRAFT
    client_id: int | None = Field(default=None, description="None = shared across all clients")
    requires: list[IntegrationKind] = Field(default_factory=list, description=_REQUIRES_DOC)
    log_time: bool = Field(default=False, description=_LOG_TIME_DOC)


class WorkflowUpdate(BaseModel):
    """A partial update (autosave): only the fields sent change."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    trigger: str | None = Field(default=None, max_length=1000)
    instructions: str | None = Field(default=None, max_length=20000)
    status: WorkflowStatus | None = None
    client_id: int | None = None
    requires: list[IntegrationKind] | None = Field(default=None, description=_REQUIRES_DOC)
    log_time: bool | None = Field(default=None, description=_LOG_TIME_DOC)
    base_version: int | None = Field(
        default=None, description="The version this edit was made from; a stale one is refused with 409"
    )


class WorkflowRead(BaseModel):
    id: int
    title: str
    trigger: str
    instructions: str
    status: WorkflowStatus
    client_id: int | None
    requires: list[IntegrationKind] = Field(description="Everything it needs: declared and implied by tools")
    missing_integrations: list[IntegrationKind] = Field(
        description="Required but not connected for its scope: it cannot be activated until they are"
    )
    log_time: bool = Field(default=False, description=_LOG_TIME_DOC)
    version: int
    created_at: datetime
    updated_at: datetime


class WorkflowList(BaseModel):
    items: list[WorkflowRead]


class VersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    title: str
    trigger: str
    instructions: str
    status: WorkflowStatus
    client_id: int | None
    requires: list[IntegrationKind]
    log_time: bool = False
    saved_at: datetime


class VersionList(BaseModel):
    workflow_id: int
    current_version: int
    items: list[VersionRead]


class FieldDiff(BaseModel):
    field: str
    before: str
    after: str
    unified: str = Field(description="A unified diff of the field's text, line by line")


class VersionDiff(BaseModel):
    workflow_id: int
    from_version: int
    to_version: int
    changes: list[FieldDiff] = Field(description="Only the fields that differ")


class RestoreRequest(BaseModel):
    base_version: int | None = Field(default=None, description="As for an edit: stale is refused with 409")
