"""Reading Activity for the API: runs, their details, suppressed and waiting events; manual retry."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.schemas import (
    ActivityList,
    EventRead,
    MatchDecisionRead,
    NoteRead,
    PlanStepRead,
    RunDetail,
    RunRead,
    SecretRead,
    ToolCallRead,
)
from agent.tables import MatchDecision, NotePosted, PlanStep, Run, TicketEvent, ToolCall
from core.clock import system_clock
from core.errors import ConflictError, NotFoundError
from core.secrets import SecretBox

RETRYABLE_STATUSES = {"failed", "waiting_llm", "suppressed"}


async def list_activity(
    session: AsyncSession,
    *,
    client_id: int | None = None,
    ticket: str | None = None,
    status: str | None = None,
    limit: int = 50,
) -> ActivityList:
    runs_query = select(Run).order_by(Run.id.desc()).limit(limit)
    if client_id is not None:
        runs_query = runs_query.where(Run.client_id == client_id)
    if ticket is not None:
        runs_query = runs_query.where((Run.ticket_external_id == ticket) | (Run.ticket_number == ticket))
    if status is not None:
        runs_query = runs_query.where(Run.status == status)
    runs = [RunRead.model_validate(r) for r in (await session.scalars(runs_query)).all()]

    async def events(event_status: str) -> list[EventRead]:
        if (status is not None and status != event_status) or client_id is not None:
            return []  # events carry no client until a run resolves it
        query = select(TicketEvent).where(TicketEvent.status == event_status)
        if ticket is not None:
            query = query.where(TicketEvent.ticket_external_id == ticket)
        rows = (await session.scalars(query.order_by(TicketEvent.id.desc()).limit(limit))).all()
        return [EventRead.model_validate(e) for e in rows]

    return ActivityList(runs=runs, suppressed=await events("suppressed"), waiting=await events("waiting_llm"))


async def get_run_detail(session: AsyncSession, run_id: int) -> RunDetail:
    run = await session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} does not exist")
    event = await session.get(TicketEvent, run.event_id)
    decisions = (await session.scalars(select(MatchDecision).where(MatchDecision.run_id == run_id))).all()
    plan = (
        await session.scalars(select(PlanStep).where(PlanStep.run_id == run_id).order_by(PlanStep.position))
    ).all()
    calls = (
        await session.scalars(select(ToolCall).where(ToolCall.run_id == run_id).order_by(ToolCall.id))
    ).all()
    notes = (
        await session.scalars(select(NotePosted).where(NotePosted.run_id == run_id).order_by(NotePosted.id))
    ).all()
    return RunDetail.model_validate(
        {
            **RunRead.model_validate(run).model_dump(),
            "outcome": run.outcome,
            "pending_approvals": run.pending_approvals,
            "event": EventRead.model_validate(event),
            "decisions": [MatchDecisionRead.model_validate(d) for d in decisions],
            "plan": [PlanStepRead.model_validate(p) for p in plan],
            "tool_calls": [ToolCallRead.model_validate(c) for c in calls],
            "notes": [NoteRead.model_validate(n) for n in notes],
        }
    )


async def prepare_retry(session: AsyncSession, event_id: int) -> int:
    """The next attempt number for a failed, waiting or suppressed event."""
    event = await session.get(TicketEvent, event_id)
    if event is None:
        raise NotFoundError(f"ticket event {event_id} does not exist")
    if event.status not in RETRYABLE_STATUSES:
        raise ConflictError(
            f"event {event_id} is '{event.status}'; only failed, waiting or suppressed events can be retried",
            code="not_retryable",
        )
    if event.entity_type != "ticket" or not event.ticket_external_id:
        raise ConflictError(f"event {event_id} is not about a ticket", code="not_retryable")
    event.attempts += 1
    event.status = "queued"
    event.status_reason = "retry requested through the API"
    await session.flush()
    return event.attempts


async def reveal_secret(
    session: AsyncSession, run_id: int, tool_call_id: str, *, box: SecretBox
) -> SecretRead:
    """A tool call's generated credential, shown once: the ciphertext is wiped as it is read."""
    call = (
        await session.scalars(
            select(ToolCall).where(ToolCall.run_id == run_id, ToolCall.tool_call_id == tool_call_id)
        )
    ).one_or_none()
    if call is None:
        raise NotFoundError(f"run {run_id} has no tool call {tool_call_id}")
    if call.secret_encrypted is None:
        if call.secret_revealed_at is not None:
            raise ConflictError(f"the secret was already revealed at {call.secret_revealed_at.isoformat()}")
        raise NotFoundError(f"tool call {tool_call_id} holds no secret")
    secret = str(box.decrypt_json(call.secret_encrypted)["secret"])
    call.secret_encrypted = None
    call.secret_revealed_at = system_clock()
    await session.flush()
    return SecretRead(
        tool_call_id=tool_call_id,
        secret=secret,
        detail="Shown once; give it to the user by phone or in person, never in the ticket",
    )
