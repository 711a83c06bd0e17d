"""Run limits end a run cleanly, naming the limit: wall time, model requests, tool calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic_ai.exceptions import UsageLimitExceeded

from agent.pipeline import run_within_limits
from agent.run_limits import month_start
from core.settings import Settings


class SlowAgent:
    async def run(self, prompt: str | None, **kwargs: Any) -> Any:
        kwargs["usage"].requests += 1
        await asyncio.sleep(5)
        raise AssertionError("the wall-time limit should have stopped this run")


class LimitedAgent:
    def __init__(self, message: str) -> None:
        self.message = message

    async def run(self, prompt: str | None, **kwargs: Any) -> Any:
        assert kwargs["usage_limits"].tool_calls_limit == 2
        kwargs["usage"].requests += 3
        raise UsageLimitExceeded(self.message)


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


async def test_wall_time_stops_the_run_and_keeps_its_usage() -> None:
    result = await run_within_limits(
        SlowAgent(), _settings(agent_max_run_seconds=0.05), "go", deps=None, instructions=""
    )
    assert result["limited"] == "wall_time" and result["requests"] == 1
    assert result["text"].startswith("Stopped: the run reached its limit of 0.05 s")
    assert result["pending"] == []


async def test_request_and_tool_call_limits_are_told_apart() -> None:
    settings = _settings(agent_max_tool_calls=2, agent_max_model_requests=3)
    requests = await run_within_limits(
        LimitedAgent("The next request would exceed the request_limit of 3"),
        settings,
        "go",
        deps=None,
        instructions="",
    )
    tools = await run_within_limits(
        LimitedAgent("The next tool call(s) would exceed the tool_calls_limit of 2"),
        settings,
        "go",
        deps=None,
        instructions="",
    )
    assert (requests["limited"], tools["limited"]) == ("model_requests", "tool_calls")
    assert "limit of 3 model requests" in requests["text"] and "limit of 2 tool calls" in tools["text"]
    assert requests["requests"] == 3


def test_the_budget_month_starts_on_the_first_at_midnight_utc() -> None:
    assert month_start(datetime(2026, 11, 21, 15, 4, tzinfo=UTC)) == datetime(2026, 11, 1, tzinfo=UTC)
