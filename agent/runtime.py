"""The process-wide wiring the durable pipeline reads. Set once by ``api`` before DBOS launches.

DBOS workflows are module-level functions replayed after a crash, so they cannot take live objects as
arguments; they look them up here instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.models import Model

from agent.deps import AgentDeps
from connectors.base import Action, ConnectorFactory
from core.database import Database
from core.secrets import SecretBox
from core.settings import Settings
from retrieval.embedders import Embedder
from retrieval.store import TicketIndex


@dataclass
class Runtime:
    settings: Settings
    db: Database
    box: SecretBox
    connectors: ConnectorFactory
    actions: tuple[Action, ...]
    model: Model | None = None
    ticket_agent: Agent[AgentDeps, Any] | None = None
    ticket_index: TicketIndex | None = None  # similar past tickets (retrieval)
    embedder: Embedder | None = None


_runtime: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def get_runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError(
            "Deskhand runtime is not initialised; start it through `deskhand serve` or `worker`"
        )
    return _runtime
