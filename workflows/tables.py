"""Workflow rows. Scope: ``client_id`` NULL means shared across all clients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
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
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The trigger embedded on save (float32 bytes) and the embedder that made it, for the shortlist.
    trigger_vector: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    trigger_embedder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
