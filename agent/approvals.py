"""Durable approvals: a gated call pauses the run; technicians approve (optionally with edited arguments),
deny with a reason the model sees, or let it expire; once every request of the pause is decided the run
resumes in a new durable workflow (``agent.resume``), in whichever worker picks it up.

Destructive calls can require two different approvers (``approval_two_person_destructive``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.approval_card import asking_step, build_card, stated_reason
from agent.approval_tables import UNDO_KIND, Approval, RunHistory
from agent.tables import PlanStep, Run
from agent.tools import masked_args
from connectors.base import Action, Risk
from core.audit import Actor
from core.clock import system_clock
from core.domain import ClientInfo, Ticket
from core.errors import ConflictError, NotFoundError, ValidationFailed
from core.secrets import SecretBox


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Decided:
    approval: Approval
    round_complete: bool  # every request of this pause is decided: resume the run
    waiting_for_second: bool = False


async def open_requests(
    session: AsyncSession,
    *,
    run: Run,
    pending: Sequence[dict[str, Any]],
    messages_json: str,
    ticket: Ticket,
    client: ClientInfo,
    actions: Sequence[Action],
    box: SecretBox,
    ttl: timedelta,
) -> list[Approval]:
    """Save the paused history and one request per gated call (idempotent: a replayed step adds none)."""
    previous = await session.scalar(
        select(RunHistory.round).where(RunHistory.run_id == run.id).order_by(RunHistory.round.desc())
    )
    existing = {
        row.tool_call_id: row
        for row in await session.scalars(select(Approval).where(Approval.run_id == run.id))
    }
    new_calls = [call for call in pending if call["tool_call_id"] not in existing]
    if not new_calls:
        return [existing[call["tool_call_id"]] for call in pending if call["tool_call_id"] in existing]
    round_number = (previous or 0) + 1
    session.add(
        RunHistory(
            run_id=run.id,
            round=round_number,
            messages_encrypted=box.encrypt_json({"messages": messages_json}),
        )
    )
    messages = ModelMessagesTypeAdapter.validate_json(messages_json)
    steps = [
        (row.position, row.text, row.workflow_title)
        for row in await session.scalars(
            select(PlanStep).where(PlanStep.run_id == run.id).order_by(PlanStep.position)
        )
    ]
    by_name = {action.name: action for action in actions}
    now = system_clock()
    created = []
    for call in new_calls:
        action = by_name[call["tool_name"]]
        shown = masked_args(action.input_model, call["args"])
        row = Approval(
            run_id=run.id,
            round=round_number,
            tool_call_id=call["tool_call_id"],
            tool_name=action.name,
            risk=action.risk.value,
            reversible=action.reversible,
            args=shown,
            card=build_card(
                action,
                shown,
                ticket=ticket,
                client=client,
                reason=stated_reason(messages, call["tool_call_id"]),
                step=asking_step(action, steps),
            ),
            status=ApprovalStatus.PENDING.value,
            created_at=now,
            expires_at=now + ttl,
        )
        session.add(row)
        created.append(row)
    await session.flush()
    return created


async def get_approval(session: AsyncSession, approval_id: int) -> Approval:
    row = await session.get(Approval, approval_id)
    if row is None:
        raise NotFoundError(f"approval {approval_id} does not exist")
    return row


async def decide(
    session: AsyncSession,
    approval_id: int,
    *,
    approve: bool,
    approver: Actor,
    actions: Sequence[Action],
    reason: str | None = None,
    edited_args: dict[str, Any] | None = None,
    via: str = "api",
    two_person_destructive: bool = False,
) -> Decided:
    row = await get_approval(session, approval_id)
    now = system_clock()
    if row.status == ApprovalStatus.PENDING.value and row.expires_at <= now:
        await _expire(session, row, now)
        return Decided(approval=row, round_complete=await _round_complete(session, row))
    if row.status != ApprovalStatus.PENDING.value:
        by = f" by {row.decided_by}" if row.decided_by else ""
        raise ConflictError(f"approval {approval_id} was already {row.status}{by}", code="already_decided")
    if row.kind == UNDO_KIND:
        _check_undo_decision(row, via=via, edited_args=edited_args)
    if not approve:
        if not (reason or "").strip():
            raise ValidationFailed("a denial needs a reason: the model reads it", code="reason_required")
        _settle(row, ApprovalStatus.DENIED, approver, via, now, reason=reason)
        return Decided(approval=row, round_complete=await _round_complete(session, row))
    action = next((a for a in actions if a.name == row.tool_name), None)
    if action is None:
        raise ConflictError(f"the tool {row.tool_name} no longer exists", code="unknown_tool")
    if edited_args is not None:
        row.edited_args = _checked_args(action, edited_args)
    if two_person_destructive and action.risk is Risk.DESTRUCTIVE:
        # An edit restarts the count: the first approver did not see these arguments.
        if row.first_approver is None or edited_args is not None:
            row.first_approver_id, row.first_approver = approver.user_id, approver.name
            await session.flush()
            return Decided(approval=row, round_complete=False, waiting_for_second=True)
        if _same_person(row, approver):
            raise ConflictError(
                f"approval {approval_id} is destructive and needs a second technician: {approver.name} "
                "already approved it",
                code="second_approver_required",
            )
    _settle(row, ApprovalStatus.APPROVED, approver, via, now, reason=reason)
    return Decided(approval=row, round_complete=await _round_complete(session, row))


async def expire_overdue(session: AsyncSession, *, now: datetime | None = None) -> list[tuple[int, int]]:
    """Deny every request past its expiry; the (run, round) pauses this completed."""
    now = now or system_clock()
    overdue = list(
        await session.scalars(
            select(Approval).where(
                Approval.status == ApprovalStatus.PENDING.value, Approval.expires_at <= now
            )
        )
    )
    for row in overdue:
        await _expire(session, row, now)
    completed = []
    # An expired undo request just closes: there is no paused run behind it.
    paused = {(row.run_id, row.round) for row in overdue if row.kind != UNDO_KIND}
    for run_id, round_number in sorted(paused):
        if not await _pending_in(session, run_id, round_number):
            completed.append((run_id, round_number))
    return completed


async def decisions_for(session: AsyncSession, run_id: int, round_number: int) -> list[Approval]:
    return list(
        await session.scalars(
            select(Approval)
            .where(Approval.run_id == run_id, Approval.round == round_number)
            .order_by(Approval.id)
        )
    )


async def history_for(
    session: AsyncSession, run_id: int, round_number: int, box: SecretBox
) -> list[ModelMessage]:
    row = await session.scalar(
        select(RunHistory).where(RunHistory.run_id == run_id, RunHistory.round == round_number)
    )
    if row is None:
        raise NotFoundError(f"run {run_id} has no paused history for round {round_number}")
    return ModelMessagesTypeAdapter.validate_json(box.decrypt_json(row.messages_encrypted)["messages"])


def _checked_args(action: Action, edited: dict[str, Any]) -> dict[str, Any]:
    try:
        return action.input_model.model_validate(edited).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'args'}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise ValidationFailed(
            f"edited arguments for {action.name} are invalid: {problems}", code="invalid_args"
        ) from exc


def _check_undo_decision(row: Approval, *, via: str, edited_args: dict[str, Any] | None) -> None:
    """An undo runs exactly the inverse its card describes, and only a decision in Deskhand starts it."""
    if edited_args is not None:
        raise ValidationFailed(
            f"approval {row.id} undoes an earlier call; its arguments cannot be edited",
            code="undo_not_editable",
        )
    if via != "api":
        raise ConflictError(
            f"approval {row.id} is an undo request; approve or deny it in Deskhand",
            code="undo_decided_in_api",
        )


def _same_person(row: Approval, approver: Actor) -> bool:
    if row.first_approver_id is not None or approver.user_id is not None:
        return row.first_approver_id == approver.user_id
    return (row.first_approver or "").casefold() == approver.name.casefold()


def _settle(
    row: Approval, status: ApprovalStatus, approver: Actor, via: str, now: datetime, *, reason: str | None
) -> None:
    row.status = status.value
    row.decided_by_id, row.decided_by = approver.user_id, approver.name
    row.decided_via = via
    row.decided_at = now
    row.decision_reason = (reason or "").strip() or None


async def _expire(session: AsyncSession, row: Approval, now: datetime) -> None:
    hours = (row.expires_at - row.created_at).total_seconds() / 3600
    _settle(
        row,
        ApprovalStatus.EXPIRED,
        Actor(user_id=None, name="Deskhand"),
        "expiry",
        now,
        reason=f"No technician decided within {hours:g} h, so the request expired and counts as denied.",
    )
    await session.flush()


async def _pending_in(session: AsyncSession, run_id: int, round_number: int) -> bool:
    found = await session.scalar(
        select(Approval.id).where(
            Approval.run_id == run_id,
            Approval.round == round_number,
            Approval.status == ApprovalStatus.PENDING.value,
        )
    )
    return found is not None


async def _round_complete(session: AsyncSession, row: Approval) -> bool:
    await session.flush()
    if row.kind == UNDO_KIND:
        return False  # an undo runs on its own (agent.undo) and never resumes the run
    return not await _pending_in(session, row.run_id, row.round)
