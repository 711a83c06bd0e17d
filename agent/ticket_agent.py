"""The tool-calling ticket agent, made durable with DBOS (model requests become checkpointed steps)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_ai import Agent, DeferredToolRequests
from pydantic_ai.durable_exec.dbos import DBOSDurability
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError
from pydantic_ai.models import Model

from agent.deps import AgentDeps
from agent.prompts import BASE_INSTRUCTIONS
from agent.tools import build_toolset, offered_by_policy
from connectors.base import Action
from core.settings import Settings

AGENT_NAME = "deskhand_ticket_agent"


def is_transient_model_error(exc: BaseException) -> bool:
    """Rate limits, server errors and connection failures are worth another attempt; 4xx are not."""
    if isinstance(exc, ModelHTTPError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, ModelAPIError)


def build_ticket_agent(model: Model, actions: Sequence[Action], settings: Settings) -> Agent[AgentDeps, Any]:
    durability: DBOSDurability[AgentDeps] = DBOSDurability(
        model_step_config={
            "retries_allowed": True,
            "max_attempts": settings.step_max_attempts,
            "interval_seconds": settings.step_retry_interval_seconds,
            "backoff_rate": 2.0,
        },
        # Sequential tool calls keep step order identical on replay after a crash.
        parallel_execution_mode="sequential",
    )
    toolset = build_toolset(actions).filtered(offered_by_policy)
    return Agent(
        model,
        name=AGENT_NAME,
        deps_type=AgentDeps,
        output_type=[str, DeferredToolRequests],
        instructions=BASE_INSTRUCTIONS,
        toolsets=[toolset],
        capabilities=[durability],
        retries=2,
    )
