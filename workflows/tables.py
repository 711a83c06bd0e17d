"""Workflow rows, their saved versions and generated drafts. Scope: ``client_id`` NULL = shared."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import system_clock
from core.database import Base, UTCDateTime


class Workflow(Base):
    __tablename__ = "workflows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(Text, default="")
    instructions: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), nullable=True, index=True
    )
    # Integration kinds ("psa", "m365") the workflow needs besides those its instructions' tools imply.
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Log the agent's work on a matched ticket as a time entry (agent/time_entries.py).
    log_time: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The trigger embedded on save (float32 bytes) and the embedder that made it, for the shortlist.
    trigger_vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    trigger_embedder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)


class WorkflowVersion(Base):
    """The workflow as one save left it; version 1 is its creation."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(Text)
    instructions: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)
    log_time: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)


class WorkflowDraft(Base):
    """A workflow written by Generate, with its typed blanks, until a technician accepts it."""

    __tablename__ = "workflow_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[str] = mapped_column(Text)
    instructions: Mapped[str] = mapped_column(Text)
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"name", "kind", "label", "value"}]: see workflows.blanks
    blanks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    workflow_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflows.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
