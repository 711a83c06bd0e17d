"""Writes to Activity. Each function is idempotent where a replayed durable step may call it twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.tables import MatchDecision, NotePosted, PlanStep, Run, TicketEvent, ToolCall
from core.clock import system_clock
from workflows.plan import PlannedStep


async def record_tool_call(
    session: AsyncSession,
    *,
    run_id: int,
    tool_call_id: str,
    tool_name: str,
    risk: str,
    args: dict[str, Any],
    status: str,
    result: dict[str, Any] | None,
    duration_ms: int | None,
    secret_encrypted: str | None = None,
) -> ToolCall:
    row = (
        await session.scalars(
            select(ToolCall).where(ToolCall.run_id == run_id, ToolCall.tool_call_id == tool_call_id)
        )
    ).one_or_none()
    if row is None:
        row = ToolCall(run_id=run_id, tool_call_id=tool_call_id, tool_name=tool_name, risk=risk, args=args)
        session.add(row)
    row.args = args  # an approval may have edited them since the call was first recorded
    row.status = status
    row.result = result
    row.duration_ms = duration_ms
    if secret_encrypted is not None:
        row.secret_encrypted = secret_encrypted
    await session.flush()
    return row


async def get_or_create_run(
    session: AsyncSession, *, event: TicketEvent, attempt: int, manual: bool, ticket_external_id: str
) -> Run:
    run = (
        await session.scalars(select(Run).where(Run.event_id == event.id, Run.attempt == attempt))
    ).one_or_none()
    if run is None:
        run = Run(
            event_id=event.id,
            attempt=attempt,
            manual=manual,
            integration_id=event.integration_id,
            ticket_external_id=ticket_external_id,
        )
        session.add(run)
        await session.flush()
    return run


async def runs_in_window(
    session: AsyncSession, *, integration_id: int, ticket_external_id: str, hours: int, exclude_event_id: int
) -> int:
    since = system_clock() - timedelta(hours=hours)
    count = await session.scalar(
        select(func.count(Run.id)).where(
            Run.integration_id == integration_id,
            Run.ticket_external_id == ticket_external_id,
            Run.started_at >= since,
            Run.manual.is_(False),
            Run.event_id != exclude_event_id,
        )
    )
    return int(count or 0)


async def last_fingerprint(
    session: AsyncSession, *, integration_id: int, ticket_external_id: str, exclude_event_id: int
) -> str | None:
    return await session.scalar(
        select(Run.ticket_fingerprint)
        .where(
            Run.integration_id == integration_id,
            Run.ticket_external_id == ticket_external_id,
            Run.event_id != exclude_event_id,
            Run.ticket_fingerprint.is_not(None),
        )
        .order_by(Run.id.desc())
        .limit(1)
    )


async def our_note_ids(
    session: AsyncSession, *, integration_id: int, ticket_external_id: str
) -> frozenset[str]:
    rows = await session.scalars(
        select(NotePosted.note_external_id).where(
            NotePosted.integration_id == integration_id,
            NotePosted.ticket_external_id == ticket_external_id,
            NotePosted.note_external_id.is_not(None),
        )
    )
    return frozenset(r for r in rows if r)


async def replace_decisions(
    session: AsyncSession, *, run_id: int, decisions: Sequence[MatchDecision]
) -> None:
    await session.execute(delete(MatchDecision).where(MatchDecision.run_id == run_id))
    session.add_all(decisions)
    await session.flush()


async def replace_plan(session: AsyncSession, *, run_id: int, steps: Sequence[PlannedStep]) -> None:
    await session.execute(delete(PlanStep).where(PlanStep.run_id == run_id))
    session.add_all(
        PlanStep(
            run_id=run_id,
            position=s.position,
            workflow_id=s.workflow_id,
            workflow_title=s.workflow_title,
            text=s.text,
            conflict=s.conflict,
        )
        for s in steps
    )
    await session.flush()


async def set_event_status(
    session: AsyncSession, event: TicketEvent, status: str, reason: str | None
) -> None:
    event.status = status
    event.status_reason = reason
    event.updated_at = system_clock()
    await session.flush()


def add_usage(
    run: Run, *, requests: int, input_tokens: int, output_tokens: int, cost_usd: float | None
) -> None:
    run.requests += requests
    run.input_tokens += input_tokens
    run.output_tokens += output_tokens
    if cost_usd is not None:
        run.cost_usd = (run.cost_usd or 0.0) + cost_usd
