"""Approvals: what waits for a technician, and their decisions (approve, approve with edited arguments,
deny with a reason the model reads). A decision that completes a pause resumes the run durably."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from agent.approval_tables import UNDO_KIND, Approval
from agent.approvals import ApprovalStatus, decide, get_approval
from agent.resume import enqueue_resume
from agent.undo import start_undo
from api.auth import TechnicianDep
from api.deps import RuntimeDep, SessionDep
from core.audit import record_audit

router = APIRouter(prefix="/approvals", tags=["approvals"])


class ApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run_id: int
    round: int
    tool_call_id: str
    tool_name: str
    risk: str
    reversible: bool
    args: dict[str, Any] = Field(description="As the model asked; sensitive fields masked")
    card: dict[str, Any] = Field(description="Tenant and object, before -> after, undo, plan step, reason")
    status: ApprovalStatus
    edited_args: dict[str, Any] | None
    decision_reason: str | None
    first_approver: str | None = Field(description="Two-person rule: who approved first")
    decided_by: str | None
    decided_via: str | None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None


class ApprovalList(BaseModel):
    items: list[ApprovalRead]


class ApproveBody(BaseModel):
    args: dict[str, Any] | None = Field(default=None, description="Edited arguments to run instead")
    note: str | None = Field(default=None, max_length=2000)


class DenyBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Shown to the model")


class DecisionRead(BaseModel):
    approval: ApprovalRead
    resumed: bool = Field(description="Every request of this pause is decided: the run continues")
    waiting_for_second_approver: bool


@router.get("")
async def list_approvals(
    session: SessionDep, status: ApprovalStatus | None = ApprovalStatus.PENDING, run_id: int | None = None
) -> ApprovalList:
    query = select(Approval).order_by(Approval.id.desc()).limit(500)
    if status is not None:
        query = query.where(Approval.status == status.value)
    if run_id is not None:
        query = query.where(Approval.run_id == run_id)
    return ApprovalList(items=[ApprovalRead.model_validate(row) for row in await session.scalars(query)])


@router.get("/{approval_id}")
async def get_one(approval_id: int, session: SessionDep) -> ApprovalRead:
    return ApprovalRead.model_validate(await get_approval(session, approval_id))


@router.post("/{approval_id}/approve")
async def approve(
    approval_id: int, data: ApproveBody, session: SessionDep, runtime: RuntimeDep, principal: TechnicianDep
) -> DecisionRead:
    decided = await decide(
        session,
        approval_id,
        approve=True,
        approver=principal.actor,
        actions=runtime.actions,
        reason=data.note,
        edited_args=data.args,
        two_person_destructive=runtime.settings.approval_two_person_destructive,
    )
    action = "approval.first_approve" if decided.waiting_for_second else "approval.approve"
    detail = {
        "tool": decided.approval.tool_name,
        "edited": data.args is not None,
        "run_id": decided.approval.run_id,
    }
    await record_audit(session, principal, action, "approval", approval_id, detail)
    return await _answer(session, decided.approval, decided.round_complete, decided.waiting_for_second)


@router.post("/{approval_id}/deny")
async def deny(
    approval_id: int, data: DenyBody, session: SessionDep, runtime: RuntimeDep, principal: TechnicianDep
) -> DecisionRead:
    decided = await decide(
        session,
        approval_id,
        approve=False,
        approver=principal.actor,
        actions=runtime.actions,
        reason=data.reason,
    )
    detail = {"tool": decided.approval.tool_name, "reason": data.reason, "run_id": decided.approval.run_id}
    await record_audit(session, principal, "approval.deny", "approval", approval_id, detail)
    return await _answer(session, decided.approval, decided.round_complete, False)


async def _answer(session: SessionDep, row: Approval, complete: bool, waiting: bool) -> DecisionRead:
    # Committed before the resume is enqueued, so the resumed workflow reads every decision.
    read = ApprovalRead.model_validate(row)
    await session.commit()
    if row.kind == UNDO_KIND:  # no paused run behind it: an approved undo runs its inverse once
        started = row.status == ApprovalStatus.APPROVED.value
        if started:
            await start_undo(row.id)
        return DecisionRead(approval=read, resumed=started, waiting_for_second_approver=waiting)
    if complete:
        await enqueue_resume(row.run_id, row.round)
    return DecisionRead(approval=read, resumed=complete, waiting_for_second_approver=waiting)
