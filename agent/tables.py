"""Activity: what arrived, what was considered, planned and done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import system_clock
from core.database import Base, UTCDateTime


class TicketEvent(Base):
    """One authenticated webhook delivery. (integration, idempotency key) is unique: redeliveries collapse."""

    __tablename__ = "ticket_events"
    __table_args__ = (UniqueConstraint("integration_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    ticket_external_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    actor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(24), default="received", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (UniqueConstraint("event_id", "attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("ticket_events.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="SET NULL"), nullable=True, index=True
    )
    ticket_external_id: Mapped[str] = mapped_column(String(64), index=True)
    ticket_number: Mapped[str] = mapped_column(String(64), default="")
    ticket_summary: Mapped[str] = mapped_column(Text, default="")
    ticket_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(24), default="running", index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    pending_approvals: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    # What the matcher read (board, status, priority, description), so workflows can be tried against it.
    ticket_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MatchDecision(Base):
    __tablename__ = "match_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    workflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL"), nullable=True
    )
    workflow_title: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(24))  # matched | not_matched | overridden | not_shortlisted
    reason: Mapped[str] = mapped_column(Text)
    overridden_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class PlanStep(Base):
    __tablename__ = "plan_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    workflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL"), nullable=True
    )
    workflow_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    conflict: Mapped[str | None] = mapped_column(Text, nullable=True)


class ToolCall(Base):
    __tablename__ = "tool_calls"
    __table_args__ = (UniqueConstraint("run_id", "tool_call_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    tool_call_id: Mapped[str] = mapped_column(String(200))
    tool_name: Mapped[str] = mapped_column(String(100))
    risk: Mapped[str] = mapped_column(String(16))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24))  # ok | error | refused | awaiting_approval
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A generated credential for the technician (Fernet ciphertext), wiped when revealed once.
    secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def secret_held(self) -> bool:
        return self.secret_encrypted is not None


class NotePosted(Base):
    __tablename__ = "notes_posted"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    ticket_external_id: Mapped[str] = mapped_column(String(64), index=True)
    note_external_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    purpose: Mapped[str] = mapped_column(String(24))  # summary: the plan and the outcome of a run
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)


class ToolPolicy(Base):
    """Per-tool override of the default policy. client_id NULL = MSP-wide."""

    __tablename__ = "tool_policies"
    __table_args__ = (UniqueConstraint("client_id", "tool_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    tool_name: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(16))  # auto | approval | disabled
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)


class RetrievalBackfill(Base):
    """One backfill of closed tickets into the similar-ticket index; the cursor makes it resumable."""

    __tablename__ = "retrieval_backfills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | succeeded | failed
    workflow_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cursor: Mapped[str | None] = mapped_column(Text, nullable=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    indexed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
