"""Tables owned by core: integrations, clients and their PSA companies, API tokens.

Users, sessions and the audit trail live in core/users.py (imported at the end of this module)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import system_clock
from core.database import Base, UTCDateTime


class Integration(Base):
    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    config_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock, onupdate=system_clock)


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    m365_tenant_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # plan: read tools only, then one note with the diagnosis and plan; execute: the plan's actions too.
    agent_mode: Mapped[str] = mapped_column(String(16), default="plan", server_default="plan")
    monthly_budget_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Time entries the agent logs for this client (workflows with log_time): the PSA work type by name,
    # billable or not, and the PSA member/resource the time is attributed to (None: Deskhand's own).
    time_work_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    time_billable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    time_member: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)


class ClientPsaCompany(Base):
    """Which PSA company (per integration) is which client."""

    __tablename__ = "client_psa_companies"
    __table_args__ = (UniqueConstraint("integration_id", "company_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    company_external_id: Mapped[str] = mapped_column(String(64))
    company_name: Mapped[str] = mapped_column(String(200))


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # None: an MSP service token, acting as admin (see core/users.py).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )


# ApiToken.user_id points at ``users``: wherever these tables are loaded, the users table must be too.
# Imported last because core.users builds on Integration above.
import core.users  # noqa: E402, F401
