"""Undo of a finished tool call: asking for it opens an approval request (kind "undo"); approving it through
the approvals API runs the inverse once (``agent.undo``)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status
from pydantic import Field

from agent.undo import request_undo
from api.auth import TechnicianDep
from api.deps import RuntimeDep, SessionDep
from api.routes.approvals import ApprovalRead
from core.audit import record_audit

router = APIRouter(tags=["approvals"])


class UndoRequestRead(ApprovalRead):
    kind: str = Field(description="Always 'undo' here")
    undo_of: int = Field(description="Id of the tool call this request reverses")


@router.post("/runs/{run_id}/tool-calls/{tool_call_id}/undo", status_code=status.HTTP_201_CREATED)
async def undo_tool_call(
    run_id: int, tool_call_id: str, session: SessionDep, runtime: RuntimeDep, principal: TechnicianDep
) -> UndoRequestRead:
    """Ask to undo a call that ran: 409 with the reason when it cannot be undone or already was."""
    row = await request_undo(
        session,
        run_id,
        tool_call_id,
        requested_by=principal.name,
        actions=runtime.actions,
        ttl=timedelta(minutes=runtime.settings.approval_ttl_minutes),
    )
    detail = {"run_id": run_id, "tool_call_id": tool_call_id, "inverse": row.tool_name}
    await record_audit(session, principal, "undo.request", "approval", row.id, detail)
    read = UndoRequestRead.model_validate(row)
    await session.commit()
    return read
