"""Undo of a finished tool call: its inverse, worked out from what the call recorded (arguments and the
``before``/``after`` state), runs as an approval-gated action on the same run.

A technician asks for the undo (``request_undo``): an approval request of kind ``undo`` says in plain terms
what the undo will change. Approving it through the normal approvals API starts ``undo_workflow`` once
(workflow id ``undo-{approval id}``); the inverse runs as a checkpointed step, is recorded as a new tool call,
the original is marked ``undone_by`` it, and an internal note on the ticket says what was undone and by whom.
Calls whose approval card said "Cannot be undone" are refused with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from dbos import DBOS, SetWorkflowID
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent import activity_store as store
from agent.approval_tables import UNDO_KIND, Approval
from agent.approvals import ApprovalStatus
from agent.pipeline import _psa_transient, failure_reason, retrying_step
from agent.policy import ToolMode, load_policies
from agent.runtime import get_runtime
from agent.stages import NOTE_HEADER, _psa_for, _run, agent_deps, client_info, policies_for, post_note
from agent.tables import Run, ToolCall
from agent.tools import execute_action
from agent.undo_inverses import Inverse, NotReversible, inverse_of
from connectors.base import Action, ActionResult
from core.clock import system_clock
from core.domain import ClientInfo, Ticket
from core.errors import ConflictError, NotFoundError

logger = logging.getLogger(__name__)

UNDO_ROUND = 0  # undo requests never join a pause of the run: the agent's rounds start at 1


def undo_card(
    call: ToolCall, inverse: Inverse, action: Action, *, run: Run, client: ClientInfo, requested_by: str
) -> dict[str, Any]:
    """The approval card, with the same keys as an agent call's (``agent.approval_card``)."""
    if action.integration_kind == "m365":
        where = f"{client.name}'s Microsoft 365 tenant {client.m365_tenant_id or '(none)'}"
        target = f"user {call.args.get('user') or inverse.args.get('user')}"
    else:
        where = f"{client.name}'s PSA"
        target = f"ticket #{run.ticket_number or run.ticket_external_id}"
    summary = str((call.result or {}).get("summary") or call.tool_name)
    return {
        "summary": f"Undo {call.tool_name} ({summary}) with {action.name} on {target} in {where}",
        "tenant": where,
        "object": target,
        "before": inverse.now,
        "after": inverse.restores,
        "reversible": action.reversible,
        "undo": "This undo can itself be undone from Activity afterwards."
        if action.reversible
        else "Cannot be undone: once done, it stays done.",
        "risk": action.risk.value,
        "workflow_step": f"Undo of tool call {call.tool_call_id} ({call.tool_name}), "
        f"asked for by {requested_by}",
        "model_reason": f"Not the model's: {requested_by} asked for this undo.",
        "undo_of": {"tool_call_id": call.tool_call_id, "tool_name": call.tool_name, "summary": summary},
        "requested_by": requested_by,
    }


async def request_undo(
    session: AsyncSession,
    run_id: int,
    tool_call_id: str,
    *,
    requested_by: str,
    actions: Sequence[Action],
    ttl: timedelta,
) -> Approval:
    """An approval request (kind ``undo``) to reverse one finished call of the run."""
    call = await session.scalar(
        select(ToolCall).where(ToolCall.run_id == run_id, ToolCall.tool_call_id == tool_call_id)
    )
    if call is None:
        raise NotFoundError(f"run {run_id} has no tool call {tool_call_id}")
    undone_by = (call.result or {}).get("undone_by")
    if undone_by:
        raise ConflictError(
            f"{tool_call_id} was already undone by {undone_by.get('tool_call_id')} "
            f"(approved by {undone_by.get('by')})",
            code="already_undone",
        )
    if call.status != "ok":
        raise ConflictError(
            f"only a call that ran can be undone; {tool_call_id} is '{call.status}'", code="not_undoable"
        )
    waiting = await session.scalar(
        select(Approval.id).where(
            Approval.kind == UNDO_KIND,
            Approval.undo_of == call.id,
            Approval.status == ApprovalStatus.PENDING.value,
        )
    )
    if waiting is not None:
        raise ConflictError(
            f"an undo of {tool_call_id} already waits: approval #{waiting}", code="undo_pending"
        )
    inverse = inverse_of(call.tool_name, risk=call.risk, args=call.args, result=call.result)
    action = next((a for a in actions if a.name == inverse.tool_name), None)
    if action is None:
        raise NotReversible(f"{call.tool_name} cannot be undone here: {inverse.tool_name} is not available")
    try:
        args = action.input_model.model_validate(inverse.args).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        raise NotReversible(
            f"{call.tool_name} cannot be undone: the state it recorded does not fit {action.name} "
            f"({exc.error_count()} problem(s))"
        ) from exc
    run = await _run(session, run_id)
    client = await client_info(session, run.client_id)
    if (await load_policies(session, client_id=client.id)).mode_for(action) is ToolMode.DISABLED:
        raise ConflictError(
            f"{action.name} is disabled by policy for {client.name}, so Deskhand cannot run this undo",
            code="tool_disabled",
        )
    earlier = await session.scalar(
        select(func.count()).select_from(Approval).where(Approval.undo_of == call.id)
    )
    now = system_clock()
    row = Approval(
        run_id=run_id,
        round=UNDO_ROUND,
        # Also the id of the tool call the undo records; a retry after a denial or failure gets its own.
        tool_call_id=f"undo-{call.tool_call_id}" + (f"-{earlier + 1}" if earlier else ""),
        tool_name=action.name,
        risk=action.risk.value,
        reversible=action.reversible,
        args=args,
        card=undo_card(call, inverse, action, run=run, client=client, requested_by=requested_by),
        status=ApprovalStatus.PENDING.value,
        created_at=now,
        expires_at=now + ttl,
        kind=UNDO_KIND,
        undo_of=call.id,
    )
    session.add(row)
    await session.flush()
    return row


def undo_workflow_id(approval_id: int) -> str:
    return f"undo-{approval_id}"


async def start_undo(approval_id: int) -> str:
    """Start the approved undo once; starting it again (same workflow id) does nothing."""
    workflow_id = undo_workflow_id(approval_id)
    with SetWorkflowID(workflow_id):
        await DBOS.start_workflow_async(undo_workflow, approval_id)
    return workflow_id


@dataclass(frozen=True)
class UndoJob:
    """What an approved undo needs, loaded once (a checkpointed step)."""

    approval_id: int
    run_id: int
    original_id: int
    original_call_id: str
    original_tool: str
    original_summary: str
    undo_call_id: str
    tool_name: str
    args: dict[str, Any]
    requested_by: str
    approved_by: str
    ticket: Ticket | None = None
    client: ClientInfo | None = None
    skip: str | None = None  # why nothing runs


async def load_undo(approval_id: int) -> UndoJob:
    runtime = get_runtime()
    async with runtime.db.session() as session:
        row = await session.get(Approval, approval_id)
        if row is None or row.kind != UNDO_KIND or row.undo_of is None:
            raise NotFoundError(f"approval {approval_id} is not an undo request")
        original = await session.get(ToolCall, row.undo_of)
        run = await _run(session, row.run_id)
        client = await client_info(session, run.client_id)
        skip = None
        if row.status != ApprovalStatus.APPROVED.value:
            skip = f"approval #{approval_id} is {row.status}"
        elif original is None:
            skip = "the call to undo no longer exists"
        elif (original.result or {}).get("undone_by"):
            skip = "the call was already undone"
        approvers = [name for name in (row.first_approver, row.decided_by) if name]
        job = UndoJob(
            approval_id=approval_id,
            run_id=run.id,
            original_id=row.undo_of,
            original_call_id=original.tool_call_id if original else "",
            original_tool=original.tool_name if original else "",
            original_summary=str(((original.result if original else None) or {}).get("summary") or ""),
            undo_call_id=row.tool_call_id,
            tool_name=row.tool_name,
            args=dict(row.args),
            requested_by=str(row.card.get("requested_by") or "a technician"),
            approved_by=" and ".join(approvers) or "a technician",
            client=client,
            skip=skip,
        )
        integration_id, ticket_id = run.integration_id, run.ticket_external_id
    if skip is not None:
        return job
    # The ticket as it is now: ticket tools compare with it and act on it.
    ticket = await (await _psa_for(integration_id)).get_ticket(ticket_id)
    return replace(job, ticket=ticket)


@DBOS.workflow(name="deskhand.undo")
async def undo_workflow(approval_id: int) -> str:
    try:
        job = await DBOS.run_step_async(
            retrying_step("deskhand.undo_load", transient=_psa_transient), load_undo, approval_id
        )
        if job.skip is not None or job.ticket is None or job.client is None:
            logger.info("undo %s skipped: %s", approval_id, job.skip)
            return "skipped"
        policies = await DBOS.run_step_async({"name": "deskhand.policies"}, policies_for, job.client.id)
        deps = await agent_deps(job.run_id, ticket=job.ticket, client=job.client, policies=policies)
        action = next(a for a in get_runtime().actions if a.name == job.tool_name)
        args = action.input_model.model_validate(job.args)

        async def run_inverse() -> dict[str, Any]:
            return await execute_action(deps, action, job.undo_call_id, args, approved=True)

        result = await DBOS.run_step_async({"name": f"deskhand.undo.{action.name}"}, run_inverse)
        await DBOS.run_step_async(
            retrying_step("deskhand.undo_finish", transient=_psa_transient), finish_undo, job, result
        )
        return "succeeded" if result.get("ok") else "failed"
    except Exception as exc:  # a failed undo ends visibly in Activity, on the run it belongs to
        reason = failure_reason(exc)
        await DBOS.run_step_async({"name": "deskhand.undo_fail"}, record_undo_failure, approval_id, reason)
        return "failed"


async def finish_undo(job: UndoJob, result: dict[str, Any]) -> None:
    """Mark the original undone (only when the inverse worked) and say so on the ticket."""
    assert job.ticket is not None
    runtime = get_runtime()
    ok = bool(result.get("ok"))
    if ok:
        async with runtime.db.write_session() as session:
            original = await session.get(ToolCall, job.original_id)
            if original is not None and not (original.result or {}).get("undone_by"):
                original.result = {  # reassigned, so the JSON column sees the change
                    **(original.result or {}),
                    "undone_by": {
                        "tool_call_id": job.undo_call_id,
                        "approval_id": job.approval_id,
                        "by": job.approved_by,
                        "at": system_clock().isoformat(),
                    },
                }
        text = (
            f"{NOTE_HEADER} Undone: {job.original_tool} ({job.original_summary}). "
            f"Reversed with {job.tool_name}: {result.get('summary')}. "
            f"Asked for by {job.requested_by}, approved by {job.approved_by} (approval #{job.approval_id})."
        )
    else:
        text = (
            f"{NOTE_HEADER} The undo of {job.original_tool} ({job.original_summary}) did not go through, so "
            f"nothing was reversed: {result.get('summary')}. Approved by {job.approved_by} "
            f"(approval #{job.approval_id})."
        )
    await post_note(job.run_id, ticket=job.ticket, text=text, purpose=f"undo-{job.approval_id}")


async def record_undo_failure(approval_id: int, reason: str) -> None:
    """The undo's tool call, as an error, unless the inverse already recorded its own outcome."""
    runtime = get_runtime()
    async with runtime.db.write_session() as session:
        row = await session.get(Approval, approval_id)
        if row is None:
            return
        recorded = await session.scalar(
            select(ToolCall.id).where(
                ToolCall.run_id == row.run_id, ToolCall.tool_call_id == row.tool_call_id
            )
        )
        if recorded is not None:
            return
        summary = f"undo failed before {row.tool_name} could run: {reason}"
        await store.record_tool_call(
            session,
            run_id=row.run_id,
            tool_call_id=row.tool_call_id,
            tool_name=row.tool_name,
            risk=row.risk,
            args=row.args,
            status="error",
            result=ActionResult(ok=False, summary=summary).model_dump(mode="json"),
            duration_ms=None,
        )
    logger.warning("undo %s failed: %s", approval_id, reason)
