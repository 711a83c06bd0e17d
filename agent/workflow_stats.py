"""Per-workflow analytics from Activity: how often each workflow is considered and matched, and how the
runs it matched went (success, duration, approvals, cost). A few GROUP BY queries, SQLite and Postgres."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Float, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from agent.tables import MatchDecision, Run, ToolCall
from core.errors import NotFoundError
from workflows.tables import Workflow

# A run waiting for approval (or still running) has no outcome yet, so it is left out of the success rate.
FINISHED_STATUSES = ("succeeded", "failed")
SUCCEEDED = "succeeded"
AWAITING_APPROVAL = "awaiting_approval"
DECISION_OUTCOMES = ("matched", "not_matched", "not_shortlisted", "overridden")


class WorkflowStats(BaseModel):
    workflow_id: int
    workflow_title: str
    status: str
    considered: int = Field(
        description="Runs whose ticket this workflow was in scope for: every recorded decision (matched, "
        "not matched, not shortlisted or overridden)"
    )
    matches: int = Field(description="Decisions 'matched'")
    not_matched: int = Field(description="The model read its trigger and said it does not apply")
    not_shortlisted: int = Field(description="Cut by the shortlist before the model read it")
    overridden: int = Field(description="Replaced by the client's own workflow of the same name")
    runs: int = Field(description="Distinct runs in which it matched")
    finished_runs: int = Field(
        description="Of those runs, the ones that ended (succeeded or failed); runs waiting for approval or "
        "still running are not counted"
    )
    succeeded_runs: int
    success_rate: float | None = Field(
        description="succeeded_runs / finished_runs; None with no finished run"
    )
    average_duration_seconds: float | None = Field(
        description="Mean of finished_at - started_at over the finished runs; None with no finished run"
    )
    approvals_requested: int = Field(
        description="Tool calls in those runs that were held for a technician's approval"
    )
    cost_usd: float = Field(
        description="Sum of the model cost of the runs it matched (matching, planning and the agent). A run "
        "that matched several workflows counts in full for each of them, so this does not add up across "
        "workflows; runs whose model price is unknown add nothing"
    )


class WorkflowStatsList(BaseModel):
    since: datetime | None = Field(description="Only runs started at or after this time were counted")
    items: list[WorkflowStats]


class seconds_between(FunctionElement[float]):
    """``end - start`` in seconds. Each database spells date arithmetic differently."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgres(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    end, start = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@dataclass
class _Counts:
    decisions: dict[str, int] = field(default_factory=dict)
    runs: int = 0
    finished: int = 0
    succeeded: int = 0
    average_seconds: float | None = None
    approvals: int = 0
    cost_usd: float = 0.0


async def workflow_stats(
    session: AsyncSession, workflow_id: int, *, since: datetime | None = None
) -> WorkflowStats:
    row = await session.get(Workflow, workflow_id)
    if row is None:
        raise NotFoundError(f"workflow {workflow_id} does not exist")
    counts = await _counts(session, since=_utc(since), workflow_id=workflow_id)
    return _stats(row.id, row.title, row.status, counts.get(row.id, _Counts()))


async def all_workflow_stats(session: AsyncSession, *, since: datetime | None = None) -> WorkflowStatsList:
    """Every workflow, with zeros for those Activity never mentions; decisions about deleted workflows are
    left out (their rows no longer name a workflow)."""
    since = _utc(since)
    counts = await _counts(session, since=since, workflow_id=None)
    rows = await session.execute(select(Workflow.id, Workflow.title, Workflow.status).order_by(Workflow.id))
    return WorkflowStatsList(
        since=since,
        items=[_stats(wid, title, status, counts.get(wid, _Counts())) for wid, title, status in rows],
    )


async def _counts(
    session: AsyncSession, *, since: datetime | None, workflow_id: int | None
) -> dict[int, _Counts]:
    counts: dict[int, _Counts] = {}

    def of(wid: int | None) -> _Counts:
        assert wid is not None  # decisions about deleted workflows are filtered out in SQL
        return counts.setdefault(wid, _Counts())

    decisions = (
        select(MatchDecision.workflow_id, MatchDecision.outcome, func.count())
        .join(Run, Run.id == MatchDecision.run_id)
        .group_by(MatchDecision.workflow_id, MatchDecision.outcome)
    )
    for wid, outcome, number in await session.execute(decisions.where(*_conditions(since, workflow_id))):
        of(wid).decisions[outcome] = int(number)

    # One row per (workflow, run it matched), so the joins below never count a run twice.
    pairs = (
        select(MatchDecision.workflow_id.label("workflow_id"), MatchDecision.run_id.label("run_id"))
        .join(Run, Run.id == MatchDecision.run_id)
        .where(MatchDecision.outcome == "matched", *_conditions(since, workflow_id))
        .distinct()
        .subquery()
    )
    finished = Run.status.in_(FINISHED_STATUSES)
    runs = (
        select(
            pairs.c.workflow_id,
            func.count(Run.id),
            func.sum(case((finished, 1), else_=0)),
            func.sum(case((Run.status == SUCCEEDED, 1), else_=0)),
            func.avg(case((finished, seconds_between(Run.finished_at, Run.started_at)), else_=None)),
            func.sum(Run.cost_usd),
        )
        .join(Run, Run.id == pairs.c.run_id)
        .group_by(pairs.c.workflow_id)
    )
    for wid, number, done, succeeded, seconds, cost in await session.execute(runs):
        entry = of(wid)
        entry.runs, entry.finished, entry.succeeded = int(number), int(done or 0), int(succeeded or 0)
        entry.average_seconds = float(seconds) if seconds is not None else None
        entry.cost_usd = float(cost or 0.0)

    approvals = (
        select(pairs.c.workflow_id, func.count(ToolCall.id))
        .join(ToolCall, ToolCall.run_id == pairs.c.run_id)
        .where(ToolCall.status == AWAITING_APPROVAL)
        .group_by(pairs.c.workflow_id)
    )
    for wid, number in await session.execute(approvals):
        of(wid).approvals = int(number)
    return counts


def _conditions(since: datetime | None, workflow_id: int | None) -> list[ColumnElement[bool]]:
    """Filters on decisions joined to their runs."""
    conditions: list[ColumnElement[bool]] = [MatchDecision.workflow_id.is_not(None)]
    if workflow_id is not None:
        conditions.append(MatchDecision.workflow_id == workflow_id)
    if since is not None:
        conditions.append(Run.started_at >= since)
    return conditions


def _stats(workflow_id: int, title: str, status: str, counts: _Counts) -> WorkflowStats:
    decided = counts.decisions
    return WorkflowStats(
        workflow_id=workflow_id,
        workflow_title=title,
        status=status,
        considered=sum(decided.get(outcome, 0) for outcome in DECISION_OUTCOMES),
        matches=decided.get("matched", 0),
        not_matched=decided.get("not_matched", 0),
        not_shortlisted=decided.get("not_shortlisted", 0),
        overridden=decided.get("overridden", 0),
        runs=counts.runs,
        finished_runs=counts.finished,
        succeeded_runs=counts.succeeded,
        success_rate=counts.succeeded / counts.finished if counts.finished else None,
        average_duration_seconds=counts.average_seconds,
        approvals_requested=counts.approvals,
        cost_usd=counts.cost_usd,
    )


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC, as every time Deskhand stores is."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
