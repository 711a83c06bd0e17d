"""Capability protocols and the Action descriptor every connector speaks.

``agent`` and ``workflows`` see vendors only through these; concrete classes are wired in ``api``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel

from core.domain import Note, ParsedWebhook, StatusOption, Ticket


class Risk(StrEnum):
    READ = "read"
    WRITE = "write"
    DESTRUCTIVE = "destructive"


class ActionResult(BaseModel):
    """What a tool call returns to the model and to Activity."""

    ok: bool
    summary: str
    data: dict[str, Any] = {}
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@runtime_checkable
class PsaConnector(Protocol):
    """Ticket capabilities of one PSA integration. Ticket ids are the PSA's own, as strings."""

    kind: str

    @property
    def own_identity(self) -> str | None:
        """The PSA member/resource/agent identifier Deskhand writes as (used for echo detection)."""
        ...

    async def get_ticket(self, ticket_id: str) -> Ticket: ...

    async def add_note(self, ticket_id: str, text: str, *, internal: bool) -> Note: ...

    async def list_statuses(self, ticket: Ticket) -> list[StatusOption]: ...

    async def set_status(self, ticket: Ticket, status: StatusOption) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class WebhookReceiver(Protocol):
    """Authenticates a raw delivery, then parses it. ``authenticate`` always runs first."""

    async def authenticate(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise ``core.errors.AuthenticationError`` unless the delivery is genuine."""
        ...

    def parse(self, body: bytes) -> ParsedWebhook:
        """Raise ``core.errors.ValidationFailed`` for a body that is not the vendor's envelope."""
        ...


@dataclass(frozen=True)
class ActionContext:
    """Everything an action may act on. Ticket and client come from here, never from model arguments."""

    psa: PsaConnector
    ticket: Ticket


ActionHandler = Callable[[ActionContext, Any], Awaitable[ActionResult]]


@dataclass(frozen=True)
class Action:
    """A tool a connector offers to the agent."""

    name: str
    description: str
    input_model: type[BaseModel]
    risk: Risk
    reversible: bool
    integration_kind: str
    handler: ActionHandler = field(repr=False)

    @property
    def writes(self) -> bool:
        return self.risk is not Risk.READ


class ConnectorFactory(Protocol):
    """Builds vendor objects from a stored integration's kind and decrypted config (wired in ``api``)."""

    def kinds(self) -> list[str]: ...

    def validate_config(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        """Normalised config, or ``core.errors.ValidationFailed`` naming the bad field."""
        ...

    def public_config(self, kind: str, config: dict[str, Any]) -> dict[str, Any]:
        """Config safe to show: every secret field masked."""
        ...

    def own_identity(self, kind: str, config: dict[str, Any]) -> str | None:
        """The PSA identity Deskhand writes as, without building a client."""
        ...

    def psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """The shared client for this config on the running event loop; never close it."""
        ...

    def new_psa(self, kind: str, config: dict[str, Any]) -> PsaConnector:
        """A private client the caller must close."""
        ...

    def webhook_receiver(self, kind: str, config: dict[str, Any]) -> WebhookReceiver: ...
