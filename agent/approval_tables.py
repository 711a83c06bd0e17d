"""Approval requests for gated tool calls, and the agent history a paused run resumes from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import system_clock
from core.database import Base, UTCDateTime

AGENT_KIND = "agent"  # a call the model made, paused for approval; deciding it resumes the run
UNDO_KIND = "undo"  # a technician asked to undo a finished call (agent.undo); approving it runs the inverse


class Approval(Base):
    """One gated tool call waiting for (or decided by) technicians. Round n of a run is its n-th pause."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("run_id", "tool_call_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    tool_call_id: Mapped[str] = mapped_column(String(200))
    tool_name: Mapped[str] = mapped_column(String(100))
    risk: Mapped[str] = mapped_column(String(16))
    reversible: Mapped[bool] = mapped_column(default=False)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)  # as shown: sensitive fields masked
    card: Mapped[dict[str, Any]] = mapped_column(JSON)  # what will change, in plain terms (approval_card)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # see ApprovalStatus
    edited_args: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The first approver of a two-person approval, then the deciding one.
    first_approver_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_approver: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_via: Mapped[str | None] = mapped_column(String(16), nullable=True)  # api | psa_note | expiry
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    kind: Mapped[str] = mapped_column(String(16), default=AGENT_KIND, server_default=AGENT_KIND)
    # For an undo request: the ToolCall (tool_calls.id) it reverses.
    undo_of: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class RunHistory(Base):
    """The agent's messages when a run paused (encrypted: ticket text and tool results), per round."""

    __tablename__ = "run_histories"
    __table_args__ = (UniqueConstraint("run_id", "round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    messages_encrypted: Mapped[str] = mapped_column(Text)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
