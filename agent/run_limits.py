"""Run limits: model requests, tool calls and wall time per run, and each client's monthly cost budget.

Hitting one stops the run cleanly: the run ends as ``limited`` with the limit named in Activity, and the
run's one internal note on the ticket says which limit stopped it (nothing else is written after that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic_ai.exceptions import UsageLimitExceeded
from pydantic_ai.usage import UsageLimits
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.tables import Run
from core.settings import Settings

LIMITED = "limited"  # the run's and its event's status when a limit stopped it


@dataclass(frozen=True)
class LimitHit:
    limit: str  # model_requests | tool_calls | wall_time | monthly_budget
    detail: str

    def outcome(self) -> str:
        return f"Stopped: {self.detail}. Nothing more was done; a technician should take it from here."


def usage_limits(settings: Settings) -> UsageLimits:
    return UsageLimits(
        request_limit=settings.agent_max_model_requests, tool_calls_limit=settings.agent_max_tool_calls
    )


def usage_limit_hit(exc: UsageLimitExceeded, settings: Settings) -> LimitHit:
    text = str(exc)
    if "tool" in text.lower():
        return LimitHit(
            "tool_calls", f"the run reached its limit of {settings.agent_max_tool_calls} tool calls"
        )
    return LimitHit(
        "model_requests", f"the run reached its limit of {settings.agent_max_model_requests} model requests"
    )


def wall_time_hit(settings: Settings) -> LimitHit:
    return LimitHit("wall_time", f"the run reached its limit of {settings.agent_max_run_seconds:g} s")


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def month_cost(
    session: AsyncSession, *, client_id: int, now: datetime, exclude_run_id: int | None = None
) -> float:
    """What the client's runs have cost in model usage since the start of the month (UTC)."""
    query = select(func.coalesce(func.sum(Run.cost_usd), 0.0)).where(
        Run.client_id == client_id, Run.started_at >= month_start(now)
    )
    if exclude_run_id is not None:
        query = query.where(Run.id != exclude_run_id)
    return float(await session.scalar(query) or 0.0)


async def budget_hit(
    session: AsyncSession,
    *,
    client_id: int,
    client_name: str,
    budget_usd: float | None,
    now: datetime,
    exclude_run_id: int | None = None,
) -> LimitHit | None:
    if budget_usd is None:
        return None
    spent = await month_cost(session, client_id=client_id, now=now, exclude_run_id=exclude_run_id)
    if spent < budget_usd:
        return None
    return LimitHit(
        "monthly_budget",
        f"{client_name}'s monthly model budget of ${budget_usd:.2f} is used up (${spent:.2f} since "
        f"{month_start(now):%Y-%m-%d})",
    )
