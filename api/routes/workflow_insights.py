"""Trying a workflow before it goes live (try, backtest) and per-workflow analytics from Activity.

Include this router before ``api.routes.workflows``: its ``GET /workflows/{workflow_id}`` would otherwise
take ``/workflows/stats``.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from agent import workflow_trial as trial
from agent.workflow_stats import WorkflowStats, WorkflowStatsList, all_workflow_stats, workflow_stats
from api.auth import require_technician
from api.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/workflows", tags=["workflows"])

SINCE_DOC = "Only count runs started at or after this ISO time (UTC when it has no offset)"


class TrialRequest(BaseModel):
    run_id: int = Field(description="A run whose stored ticket to match the workflow against")


class BacktestRequest(BaseModel):
    last: int = Field(
        default=trial.BACKTEST_DEFAULT,
        ge=1,
        le=trial.BACKTEST_MAX,
        description="How many of the latest distinct stored tickets to match (one model call each)",
    )


@router.get("/stats")
async def stats_for_all(session: SessionDep, since: datetime | None = None) -> WorkflowStatsList:
    """Every workflow's matches, runs, success rate, average duration, approvals requested and cost."""
    return await all_workflow_stats(session, since=since)


@router.get("/{workflow_id}/stats")
async def stats_for_one(
    workflow_id: int, session: SessionDep, since: datetime | None = None
) -> WorkflowStats:
    return await workflow_stats(session, workflow_id, since=since)


@router.post("/{workflow_id}/try", dependencies=[Depends(require_technician)])
async def try_on_ticket(workflow_id: int, data: TrialRequest, runtime: RuntimeDep) -> trial.TrialRead:
    """Match this one workflow, whatever its status, against the ticket a run stored. Writes nothing to
    Activity and calls no PSA; costs one model call."""
    async with runtime.db.session() as session:
        subject = await trial.trial_subject(session, workflow_id)
        model = trial.configured_model(runtime.model)
        stored = await trial.stored_ticket(session, data.run_id, subject=subject)
    # The session is closed before the model call, so no transaction waits on the provider.
    return await trial.try_workflow(model, subject, stored)


@router.post("/{workflow_id}/backtest", dependencies=[Depends(require_technician)])
async def backtest(workflow_id: int, data: BacktestRequest, runtime: RuntimeDep) -> trial.BacktestRead:
    """Match this workflow against the last N distinct stored tickets (its client's only, when it is
    client-scoped), next to what each ticket's real run decided. One model call per ticket."""
    async with runtime.db.session() as session:
        subject = await trial.trial_subject(session, workflow_id)
        model = trial.configured_model(runtime.model)
        tickets = await trial.recent_tickets(session, subject=subject, last=data.last)
        previous = await trial.earlier_decisions(session, workflow_id, [t.run_id for t in tickets])
    return await trial.backtest_workflow(model, subject, tickets, previous=previous)
