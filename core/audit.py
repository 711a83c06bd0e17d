"""The audit trail: who did what to which object, and when (approvals, denials, policy, mode, budget,
prompt and user changes, sign-ins). Never a credential: such keys in the detail are refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import system_clock
from core.database import Base, UTCDateTime


@dataclass(frozen=True)
class Actor:
    """Who did something, as the audit trail records it: a user, or a service token/the CLI (no user)."""

    user_id: int | None
    name: str


CLI_ACTOR = Actor(user_id=None, name="command line")


class HasActor(Protocol):
    @property
    def actor(self) -> Actor: ...


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=system_clock, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# Keys that would only ever hold a credential; refusing them keeps a slip from landing in the audit trail.
_CREDENTIAL_KEYS = frozenset({"password", "new_password", "current_password", "token", "secret"})


async def record_audit(
    session: AsyncSession,
    principal_like: Actor | HasActor,
    action: str,
    target_type: str | None = None,
    target_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record who did what to which object; ``principal_like`` is an Actor or anything with ``.actor``."""
    actor = principal_like if isinstance(principal_like, Actor) else principal_like.actor
    leaked = _CREDENTIAL_KEYS.intersection(detail or {})
    if leaked:
        raise ValueError(f"audit detail must not carry credentials ({', '.join(sorted(leaked))})")
    entry = AuditEntry(
        actor_user_id=actor.user_id,
        actor_name=actor.name[:200],
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        detail=detail or {},
        at=system_clock(),
    )
    session.add(entry)
    await session.flush()
    return entry


async def list_audit(
    session: AsyncSession, *, action: str | None = None, since: datetime | None = None, limit: int = 100
) -> list[AuditEntry]:
    """Newest first."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return list((await session.scalars(query)).all())
