"""The audit trail: who changed policies, users and tokens, and who signed in (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth import AdminDep
from api.deps import SessionDep
from core.audit import list_audit

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_user_id: int | None = Field(description="None: an MSP service token, the CLI or a failed sign-in")
    actor_name: str
    action: str = Field(description="e.g. policy.changed, user.role_changed, auth.login_failed")
    target_type: str | None
    target_id: str | None
    detail: dict[str, Any]


class AuditList(BaseModel):
    items: list[AuditRead]


@router.get("")
async def audit_trail(
    _: AdminDep,
    session: SessionDep,
    action: str | None = None,
    since: Annotated[
        datetime | None, Query(description="Entries at or after this time (UTC if no zone)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditList:
    """Newest first."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    rows = await list_audit(session, action=action, since=since, limit=limit)
    return AuditList(items=[AuditRead.model_validate(r) for r in rows])
