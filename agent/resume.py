"""Resuming a paused run once every approval request of its pause is decided.

A new durable workflow per pause (id ``run-{run}-resume-{round}``, so deciding twice or in two workers
starts it once) reloads the saved history, hands the model each decision (approved, possibly with edited
arguments; denied or expired, with the reason) and lets it continue. Calls that ran before the pause are in
the history as done and are never run again; approved calls run once, as checkpointed steps.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from dbos import DBOS, SetWorkflowID
from pydantic_ai import DeferredToolResults, ToolApproved, ToolDenied
from pydantic_ai.messages import ModelMessagesTypeAdapter
from sqlalchemy import select

from agent import activity_store as store
from agent.approval_tables import RunHistory
from agent.approvals import ApprovalStatus, decisions_for, expire_overdue, history_for
from agent.pipeline import TICKET_QUEUE, _psa_transient, failure_reason, retrying_step, run_within_limits
from agent.run_limits import LIMITED
from agent.runtime import get_runtime
from agent.stages import (
    NOTE_HEADER,
    _psa_for,
    _run,
    agent_deps,
    client_info,
    close_run,
    fail,
    open_approvals,
    policies_for,
    post_note,
)
from agent.tables import TicketEvent, ToolCall
from core.clock import system_clock
from core.domain import ClientInfo, Ticket
from core.errors import LLMNotConfigured

logger = logging.getLogger(__name__)


def resume_workflow_id(run_id: int, round_number: int) -> str:
    return f"run-{run_id}-resume-{round_number}"


async def enqueue_resume(run_id: int, round_number: int) -> str:
    workflow_id = resume_workflow_id(run_id, round_number)
    queue = await DBOS.retrieve_queue_async(TICKET_QUEUE)
    if queue is None:
        raise RuntimeError("the ticket queue is not registered; DBOS has not been launched")
    with SetWorkflowID(workflow_id):
        await queue.enqueue_async(approval_resume_workflow, run_id, round_number)
    return workflow_id


async def load_for_resume(run_id: int, round_number: int) -> tuple[Ticket, ClientInfo, dict[str, Any]]:
    """The ticket as it is now, its client, and each decision as plain values."""
    runtime = get_runtime()
    async with runtime.db.write_session() as session:
        run = await _run(session, run_id)
        client = await client_info(session, run.client_id)
        integration_id = run.integration_id
        decisions = {
            row.tool_call_id: {
                "status": row.status,
                "by": row.decided_by,
                "reason": row.decision_reason,
                "edited_args": row.edited_args,
            }
            for row in await decisions_for(session, run_id, round_number)
        }
        run.status = "running"
        event = await session.get(TicketEvent, run.event_id)
        assert event is not None
        await store.set_event_status(session, event, "processing", None)
    psa = await _psa_for(integration_id)
    ticket = await psa.get_ticket(run.ticket_external_id)
    return ticket, client, decisions


def deferred_results(decisions: dict[str, Any]) -> DeferredToolResults:
    approvals: dict[str, Any] = {}
    for call_id, decision in decisions.items():
        if decision["status"] == ApprovalStatus.APPROVED.value:
            approvals[call_id] = ToolApproved(override_args=decision["edited_args"])
        else:
            who = (
                "Deskhand (expiry)" if decision["status"] == ApprovalStatus.EXPIRED.value else decision["by"]
            )
            approvals[call_id] = ToolDenied(
                f"A technician did not approve this call ({decision['status']} by {who}): "
                f"{decision['reason'] or 'no reason given'}. Do not try it again; say what is left to do."
            )
    return DeferredToolResults(approvals=approvals)


@DBOS.workflow(name="deskhand.approval_resume")
async def approval_resume_workflow(run_id: int, round_number: int) -> str:
    try:
        ticket, client, decisions = await DBOS.run_step_async(
            retrying_step("deskhand.resume_load", transient=_psa_transient),
            load_for_resume,
            run_id,
            round_number,
        )
        policies = await DBOS.run_step_async({"name": "deskhand.policies"}, policies_for, client.id)
        runtime = get_runtime()
        if runtime.ticket_agent is None:
            raise LLMNotConfigured("no LLM model is configured (set DESKHAND_LLM_MODEL)")
        history = await DBOS.run_step_async(
            {"name": "deskhand.resume_history"}, _history_json, run_id, round_number
        )
        deps = await agent_deps(run_id, ticket=ticket, client=client, policies=policies)
        summary = await run_within_limits(
            runtime.ticket_agent,
            runtime.settings,
            None,
            deps=deps,
            message_history=ModelMessagesTypeAdapter.validate_json(history),
            deferred_tool_results=deferred_results(decisions),
        )
        await DBOS.run_step_async(
            retrying_step("deskhand.resume_finish", transient=_psa_transient),
            finish_round,
            run_id,
            round_number,
            ticket,
            summary,
            decisions,
        )
        if summary.get("limited"):
            return LIMITED
        return "waiting_approval" if summary["pending"] else "succeeded"
    except Exception as exc:  # every failure ends visibly in Activity
        await DBOS.run_step_async({"name": "deskhand.fail"}, fail, run_id, failure_reason(exc))
        return "failed"


async def _history_json(run_id: int, round_number: int) -> str:
    runtime = get_runtime()
    async with runtime.db.session() as session:
        messages = await history_for(session, run_id, round_number, runtime.box)
    return ModelMessagesTypeAdapter.dump_json(messages).decode()


async def finish_round(
    run_id: int, round_number: int, ticket: Ticket, result: dict[str, Any], decisions: dict[str, Any]
) -> None:
    """Record the decided calls' fate, any new pause, and one note on the ticket with the outcome."""
    runtime = get_runtime()
    outcome = result["text"] or "(no summary)"
    if result["pending"]:
        outcome = await open_approvals(run_id, ticket, result)
    decided = ", ".join(f"{d['status']} by {d['by'] or 'Deskhand'}" for d in decisions.values())
    note = f"{NOTE_HEADER} Continued after the approval decisions ({decided}).\n\nOutcome:\n{outcome}"
    await post_note(run_id, ticket=ticket, text=note, purpose=f"resume-{round_number}")
    async with runtime.db.write_session() as session:
        for call_id, decision in decisions.items():
            if decision["status"] == ApprovalStatus.APPROVED.value:
                continue
            call = await session.scalar(
                select(ToolCall).where(ToolCall.run_id == run_id, ToolCall.tool_call_id == call_id)
            )
            if call is not None and call.status == "awaiting_approval":
                call.status = decision["status"]  # denied | expired: it never ran
        history = await session.scalar(
            select(RunHistory).where(RunHistory.run_id == run_id, RunHistory.round == round_number)
        )
        if history is not None:
            history.resumed_at = system_clock()
        await close_run(session, await _run(session, run_id), result, outcome=outcome)


async def expire_and_resume() -> int:
    """Deny overdue requests (with a note on the ticket via the resumed run); returns pauses resumed."""
    runtime = get_runtime()
    async with runtime.db.write_session() as session:
        completed = await expire_overdue(session)
    for run_id, round_number in completed:
        await enqueue_resume(run_id, round_number)
    return len(completed)


EXPIRY_INTERVAL_SECONDS = 60.0


async def expiry_loop(interval: float = EXPIRY_INTERVAL_SECONDS) -> None:
    """Every ``interval`` seconds, in every worker: deciding twice is harmless (a decided request is skipped
    and the resume's workflow id starts it once). Runs on the app's own event loop, where the database's
    write lock lives."""
    while True:
        await asyncio.sleep(interval)
        try:
            await expire_and_resume()
        except Exception:  # a database hiccup must not end the loop; the next round retries
            logger.exception("expiring approval requests failed")


__all__ = ["approval_resume_workflow", "enqueue_resume", "expire_and_resume", "expiry_loop"]
