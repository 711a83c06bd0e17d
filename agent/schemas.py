"""API models for Activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class ORM(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class EventRead(ORM):
    id: int
    integration_id: int
    idempotency_key: str
    entity_type: str
    action: str
    ticket_external_id: str | None
    actor: str | None
    status: str
    status_reason: str | None
    deliveries: int
    attempts: int
    received_at: datetime


class RunRead(ORM):
    id: int
    event_id: int
    attempt: int
    manual: bool
    integration_id: int
    client_id: int | None
    ticket_external_id: str
    ticket_number: str
    ticket_summary: str
    status: str
    error: str | None
    model: str | None
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    started_at: datetime
    finished_at: datetime | None


class MatchDecisionRead(ORM):
    workflow_id: int | None
    workflow_title: str
    outcome: str
    reason: str
    overridden_by: int | None


class PlanStepRead(ORM):
    position: int
    workflow_id: int | None
    workflow_title: str | None
    text: str
    conflict: str | None


class ToolCallRead(ORM):
    tool_call_id: str
    tool_name: str
    risk: str
    args: dict[str, Any]
    status: str
    result: dict[str, Any] | None
    started_at: datetime
    duration_ms: int | None
    secret_held: bool = False  # a generated password waits to be revealed once to a technician
    secret_revealed_at: datetime | None = None


class SecretRead(BaseModel):
    tool_call_id: str
    secret: str
    detail: str


class NoteRead(ORM):
    purpose: str
    note_external_id: str | None
    text: str
    created_at: datetime


class RunDetail(RunRead):
    outcome: str | None
    pending_approvals: list[dict[str, Any]] | None
    event: EventRead
    decisions: list[MatchDecisionRead]
    plan: list[PlanStepRead]
    tool_calls: list[ToolCallRead]
    notes: list[NoteRead]


class ActivityList(BaseModel):
    runs: list[RunRead]
    suppressed: list[EventRead]
    waiting: list[EventRead]


class RetryRead(BaseModel):
    event_id: int
    attempt: int
    workflow_id: str
