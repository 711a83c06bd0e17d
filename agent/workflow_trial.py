"""Trying a workflow before it goes live: match it alone against stored tickets, writing nothing.

Try matches one workflow (any status) against the ticket one run stored; Backtest does the same for the
last N distinct stored tickets and sets each verdict next to what the real run decided then. Both read
``Run.ticket_snapshot`` (what the matcher read) instead of calling the PSA, and neither writes Activity.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_ai.exceptions import AgentRunError
from pydantic_ai.models import Model
from pydantic_ai.usage import RunUsage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.tables import MatchDecision, Run
from core.domain import CompanyRef, Ticket
from core.errors import ConflictError, DeskhandError, LLMNotConfigured, NotFoundError, ValidationFailed
from workflows.matcher import Candidate, match_workflows
from workflows.tables import Workflow

BACKTEST_DEFAULT = 20
BACKTEST_MAX = 200
# Matcher calls in flight at once during a backtest: quick, without flooding a rate-limited provider.
BACKTEST_CONCURRENCY = 4

Change = Literal["would_now_match", "would_no_longer_match", "unchanged", "not_considered_then", "error"]


class ModelCallFailed(DeskhandError):
    """The model provider failed or answered nonsense while trying a workflow."""

    code = "model_error"
    status_code = 502


class TrialTicket(BaseModel):
    run_id: int = Field(description="The run whose stored ticket was read")
    ticket_external_id: str
    number: str
    summary: str


class TrialUsage(BaseModel):
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = Field(default=None, description="None when the model's price is unknown")


class Verdict(BaseModel):
    matched: bool | None = Field(
        description="Whether the workflow's trigger describes the ticket; None if the call failed"
    )
    reason: str
    error: str | None = Field(default=None, description="Why the model call failed")
    usage: TrialUsage


class TrialRead(BaseModel):
    workflow_id: int
    workflow_title: str
    model: str
    ticket: TrialTicket
    matched: bool = Field(description="Whether the model says this workflow's trigger describes the ticket")
    reason: str
    usage: TrialUsage


class BacktestItem(Verdict):
    ticket: TrialTicket
    previous_outcome: str | None = Field(
        description="What the real run decided about this workflow: matched, not_matched, not_shortlisted "
        "or overridden; None when it was not in scope then (e.g. a draft, or created later)"
    )
    previous_reason: str | None
    change: Change = Field(description="The verdict now against the real run's decision")


class BacktestTotals(BaseModel):
    tickets: int
    matched: int
    would_now_match: int
    would_no_longer_match: int
    errors: int
    cost_usd: float = Field(description="Sum of the model calls' known costs")


class BacktestRead(BaseModel):
    workflow_id: int
    workflow_title: str
    client_id: int | None = Field(
        description="Tickets were limited to this client (a client-scoped workflow)"
    )
    model: str
    items: list[BacktestItem] = Field(description="Latest ticket first")
    totals: BacktestTotals


@dataclass(frozen=True)
class TrialSubject:
    """The workflow as the matcher sees it, plus its scope."""

    candidate: Candidate
    client_id: int | None


@dataclass(frozen=True)
class StoredTicket:
    run_id: int
    ticket: Ticket

    def read(self) -> TrialTicket:
        t = self.ticket
        return TrialTicket(
            run_id=self.run_id, ticket_external_id=t.external_id, number=t.number, summary=t.summary
        )


async def trial_subject(session: AsyncSession, workflow_id: int) -> TrialSubject:
    row = await session.get(Workflow, workflow_id)
    if row is None:
        raise NotFoundError(f"workflow {workflow_id} does not exist")
    if not row.trigger.strip():
        raise ValidationFailed(
            f"workflow {workflow_id} ('{row.title}') has no trigger, and only the trigger is matched: "
            "write its one-sentence trigger, then try it",
            code="trigger_required",
        )
    return TrialSubject(
        candidate=Candidate(id=row.id, title=row.title, trigger=row.trigger), client_id=row.client_id
    )


def configured_model(model: Model | None) -> Model:
    if model is None:
        raise LLMNotConfigured(
            "no LLM model is configured (set DESKHAND_LLM_MODEL): trying a workflow needs the model that "
            "matches tickets"
        )
    return model


async def stored_ticket(session: AsyncSession, run_id: int, *, subject: TrialSubject) -> StoredTicket:
    run = await session.get(Run, run_id)
    if run is None:
        raise NotFoundError(f"run {run_id} does not exist")
    ticket = ticket_from_run(run)
    if ticket is None:
        raise ConflictError(
            f"run {run_id} has no stored ticket to match against: it is older than ticket snapshots, or "
            "its ticket was never loaded. Pick a more recent run",
            code="no_ticket_snapshot",
        )
    if subject.client_id is not None and run.client_id != subject.client_id:
        raise ConflictError(
            f"workflow {subject.candidate.id} belongs to client {subject.client_id}, but the ticket of run "
            f"{run_id} {_belongs(run.client_id)}: the workflow would never apply there. Pick a run of its "
            "client",
            code="other_client",
        )
    return StoredTicket(run_id=run.id, ticket=ticket)


async def recent_tickets(session: AsyncSession, *, subject: TrialSubject, last: int) -> list[StoredTicket]:
    """The latest run with a snapshot of each of the last ``last`` distinct tickets, latest first."""
    latest = func.max(Run.id)
    query = (
        select(latest)
        .where(Run.ticket_snapshot.is_not(None))
        .group_by(Run.integration_id, Run.ticket_external_id)
        .order_by(latest.desc())
        .limit(last)
    )
    if subject.client_id is not None:
        query = query.where(Run.client_id == subject.client_id)
    run_ids = list((await session.scalars(query)).all())
    if not run_ids:
        return []
    runs = (await session.scalars(select(Run).where(Run.id.in_(run_ids)).order_by(Run.id.desc()))).all()
    stored = [(run.id, ticket_from_run(run)) for run in runs]
    return [StoredTicket(run_id=run_id, ticket=ticket) for run_id, ticket in stored if ticket is not None]


async def earlier_decisions(
    session: AsyncSession, workflow_id: int, run_ids: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """run id -> (outcome, reason) the real run recorded for this workflow."""
    if not run_ids:
        return {}
    rows = await session.execute(
        select(MatchDecision.run_id, MatchDecision.outcome, MatchDecision.reason).where(
            MatchDecision.workflow_id == workflow_id, MatchDecision.run_id.in_(run_ids)
        )
    )
    return {run_id: (outcome, reason) for run_id, outcome, reason in rows}


def ticket_from_run(run: Run) -> Ticket | None:
    """The ticket as the matcher read it in that run; None when the run stored no snapshot."""
    snapshot = run.ticket_snapshot
    if not isinstance(snapshot, dict):
        return None
    return Ticket(
        external_id=run.ticket_external_id,
        number=run.ticket_number,
        summary=run.ticket_summary,
        description=_text(snapshot, "description") or "",
        board=_text(snapshot, "board"),
        status=_text(snapshot, "status"),
        priority=_text(snapshot, "priority"),
        # The matcher's prompt never reads the company; the client scope is checked on the run instead.
        company=CompanyRef(external_id="", name=""),
    )


async def try_workflow(model: Model, subject: TrialSubject, stored: StoredTicket) -> TrialRead:
    verdict = await _match_one(model, subject, stored.ticket)
    if verdict.matched is None:
        raise ModelCallFailed(f"the model call failed, nothing was decided: {verdict.error}")
    return TrialRead(
        workflow_id=subject.candidate.id,
        workflow_title=subject.candidate.title,
        model=model.model_name,
        ticket=stored.read(),
        matched=verdict.matched,
        reason=verdict.reason,
        usage=verdict.usage,
    )


async def backtest_workflow(
    model: Model,
    subject: TrialSubject,
    tickets: Sequence[StoredTicket],
    *,
    previous: dict[int, tuple[str, str]],
    concurrency: int = BACKTEST_CONCURRENCY,
) -> BacktestRead:
    gate = asyncio.Semaphore(concurrency)

    async def one(stored: StoredTicket) -> BacktestItem:
        async with gate:
            verdict = await _match_one(model, subject, stored.ticket)
        outcome, reason = previous.get(stored.run_id, (None, None))
        return BacktestItem(
            **verdict.model_dump(),
            ticket=stored.read(),
            previous_outcome=outcome,
            previous_reason=reason,
            change=_change(verdict.matched, outcome),
        )

    items = list(await asyncio.gather(*(one(stored) for stored in tickets)))
    changes = [item.change for item in items]
    totals = BacktestTotals(
        tickets=len(items),
        matched=sum(1 for item in items if item.matched),
        would_now_match=changes.count("would_now_match"),
        would_no_longer_match=changes.count("would_no_longer_match"),
        errors=changes.count("error"),
        cost_usd=sum(item.usage.cost_usd or 0.0 for item in items),
    )
    return BacktestRead(
        workflow_id=subject.candidate.id,
        workflow_title=subject.candidate.title,
        client_id=subject.client_id,
        model=model.model_name,
        items=items,
        totals=totals,
    )


async def _match_one(model: Model, subject: TrialSubject, ticket: Ticket) -> Verdict:
    try:
        result = await match_workflows(model, ticket, [subject.candidate])
    except AgentRunError as exc:  # provider errors and unusable answers: reported, not a 500
        return Verdict(matched=None, reason="", error=str(exc)[:500], usage=TrialUsage())
    [verdict] = result.verdicts
    usage = result.usage or RunUsage()
    return Verdict(
        matched=verdict.matched,
        reason=verdict.reason,
        usage=TrialUsage(
            requests=usage.requests,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=result.cost_usd,
        ),
    )


def _change(matched: bool | None, previous_outcome: str | None) -> Change:
    if matched is None:
        return "error"
    if previous_outcome is None:
        return "not_considered_then"
    if matched == (previous_outcome == "matched"):
        return "unchanged"
    return "would_now_match" if matched else "would_no_longer_match"


def _text(snapshot: dict[str, Any], key: str) -> str | None:
    value = snapshot.get(key)
    return str(value) if value is not None else None


def _belongs(client_id: int | None) -> str:
    return f"belongs to client {client_id}" if client_id is not None else "is not linked to any client"
